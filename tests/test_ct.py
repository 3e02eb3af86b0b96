"""The shared CT benchmark of chapters 09-10 (course_lib.ct)."""

from __future__ import annotations

import pytest
import torch

from course_lib import ct, metrics


def test_setting_is_the_documented_benchmark() -> None:
    s = ct.SETTING
    assert (s.size, s.n_angles, s.n_detectors, s.noise_fraction) == (64, 30, 64, 0.05)
    assert ct.operator().out_shape == (1, 30, 64)
    assert ct.operator() is ct.operator(), "the operator is built once and cached"


def test_splits_are_disjoint_and_prefix_stable() -> None:
    x_train, _ = ct.ct_data("train", 4)
    x_eval, y_eval = ct.ct_data("eval", 4)
    assert not any(torch.equal(a, b) for a in x_train for b in x_eval), "train and eval share a phantom"
    x2, y2 = ct.ct_data("eval", 2)
    assert torch.equal(x2, x_eval[:2])
    assert torch.allclose(y2, y_eval[:2], atol=1e-4)


def test_noise_level_matches_the_fraction() -> None:
    x, y = ct.ct_data("train", 16)
    clean = ct.operator().forward(x)
    std = float((y - clean).std())
    assert abs(std / ct.noise_std_for() - 1) < 0.05
    assert abs(ct.noise_std_for() / float(clean.abs().mean()) - 0.05) < 0.01


def test_shift_keeps_the_noise_per_measurement() -> None:
    shifted = ct.shifted(n_angles=20)
    x, y = ct.ct_data("eval", 4, shifted)
    assert y.shape == (4, 1, 20, 64)
    assert abs(float((y - ct.operator(shifted).forward(x)).std()) / ct.noise_std_for() - 1) < 0.1


def test_fbp_is_a_reasonable_baseline() -> None:
    x, y = ct.ct_data("eval", 8)
    value = metrics.mean_psnr(ct.fbp(y).clamp(0, 1), x)
    assert 22 < value < 34, f"FBP PSNR {value:.1f} dB: the benchmark should be neither trivial nor hopeless"


def test_bad_split_is_named() -> None:
    with pytest.raises(ValueError, match="split must be"):
        ct.ct_data("test", 2)
