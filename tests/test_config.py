"""course_lib.config: profiles, seeding, device."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import config


@pytest.mark.parametrize("name", ["ci", "default", "full", " CI ", "Default"])
def test_known_profiles(monkeypatch, name):
    monkeypatch.setenv("COURSE_PROFILE", name)
    assert config.get_profile().name == name.strip().lower()


def test_default_profile_when_unset(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert config.get_profile().name == "default"


def test_unknown_profile_lists_valid_ones(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(config.ProfileError) as err:
        config.get_profile()
    message = str(err.value)
    assert "'fast'" in message and "ci, default, full" in message and "COURSE_PROFILE" in message


def test_profile_budgets():
    assert config.PROFILES["ci"].seconds_per_notebook == 90
    assert config.PROFILES["default"].seconds_per_notebook == 300
    assert config.PROFILES["full"].seconds_per_notebook is None


def test_by_profile(monkeypatch):
    for name, expected in [("ci", 1), ("default", 2), ("full", 3)]:
        monkeypatch.setenv("COURSE_PROFILE", name)
        assert config.by_profile(ci=1, default=2, full=3) == expected
    assert config.by_profile(ci=1, default=2, full=3, profile="ci") == 1


def test_seed_everything_reproducible():
    g1 = config.seed_everything(7)
    a = (np.random.rand(3), torch.rand(3), torch.rand(3, generator=g1))
    g2 = config.seed_everything(7)
    b = (np.random.rand(3), torch.rand(3), torch.rand(3, generator=g2))
    for x, y in zip(a, b):
        assert np.allclose(np.asarray(x), np.asarray(y))


@pytest.mark.parametrize("bad", [-1, 1.5, "3"])
def test_seed_everything_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="non-negative integer"):
        config.seed_everything(bad)


def test_device_is_cpu_without_cuda():
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert config.device().type == expected


def test_repo_root_holds_the_package():
    assert (config.repo_root() / "course_lib" / "config.py").exists()
