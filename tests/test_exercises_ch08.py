"""The exercise checks of chapter 08: the solutions pass, plausible wrong solutions fail with a
message that names the mistake, and the student stubs fail with "not implemented yet".

Exercises: 8.1 best_of_restarts, 8.2 masked_data_fit, 8.3 affine_coupling.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from exercise_helpers import ExerciseSuite, expect_failure, quiet

from course_lib.checks import ch08

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "08_gan_inversion.py"

CHECKS = {
    "best_of_restarts": ch08.check_best_of_restarts,
    "masked_data_fit": ch08.check_masked_data_fit,
    "affine_coupling": ch08.check_affine_coupling,
}
REFERENCES = {
    "best_of_restarts": ch08.best_of_restarts_reference,
    "masked_data_fit": ch08.masked_data_fit_reference,
    "affine_coupling": ch08.affine_coupling_reference,
}
NUMBERS = {"best_of_restarts": "8.1", "masked_data_fit": "8.2", "affine_coupling": "8.3"}


class TestCommon(ExerciseSuite):
    STEM, CHECKS, REFERENCES, NUMBERS = CHAPTER.stem, CHECKS, REFERENCES, NUMBERS


# --------------------------------------------------------------------------- Exercise 8.1: best_of_restarts
def _arange(c):
    return torch.arange(c.shape[1])


WRONG_BEST = {
    "argmax": (lambda c, f: c[f.argmax(0), _arange(c)], ["LARGEST"]),
    "one restart for all": (lambda c, f: c[int(f.sum(1).argmin())], ["ONE restart for all images"]),
    "averaged restarts": (lambda c, f: c.mean(0), ["averaged the restarts"]),
    "first restart": (lambda c, f: c[0], ["first restart"]),
    "wrong axis": (lambda c, f: c[:, f.argmin(1)], ["shape"]),
    "index returned": (lambda c, f: f.argmin(0), ["shape"]),
    "sorted by fit of image 0": (lambda c, f: c[int(f[:, 0].argmin())], ["Hint"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_BEST))
def test_wrong_best_of_restarts_fails(mistake):
    fn, words = WRONG_BEST[mistake]
    expect_failure(ch08.check_best_of_restarts, fn, "Exercise 8.1", "case", *words)


def test_best_of_restarts_with_a_loop_passes():
    def loop(c, f):
        return torch.stack([c[int(f[:, b].argmin()), b] for b in range(c.shape[1])])
    quiet(ch08.check_best_of_restarts, loop)


# --------------------------------------------------------------------------- Exercise 8.2: masked_data_fit
def _m(mask, x):
    return torch.broadcast_to(mask.to(x.dtype), x.shape)


WRONG_MASK = {
    "all pixels": (lambda x, y, m, p=2.0: (_m(m, x) * (x - y).abs() ** p).flatten(1).mean(1), ["ALL pixels"]),
    "mask inverted": (lambda x, y, m, p=2.0: ch08.masked_data_fit_reference(x, y, 1 - m, p), ["wrong way round"]),
    "mask ignored": (lambda x, y, m, p=2.0: ((x - y).abs() ** p).flatten(1).mean(1), ["mask is ignored"]),
    "summed": (lambda x, y, m, p=2.0: (_m(m, x) * (x - y).abs() ** p).flatten(1).sum(1), ["summed"]),
    "always squared": (lambda x, y, m, p=2.0: ch08.masked_data_fit_reference(x, y, m, 2.0), ["exponent p"]),
    "no absolute value": (lambda x, y, m, p=2.0: (_m(m, x) * (x - y) ** p).flatten(1).sum(1) / _m(m, x).flatten(1).sum(1),
                          ["absolute value"]),
    "one number for the batch": (lambda x, y, m, p=2.0: ch08.masked_data_fit_reference(x, y, m, p).mean(),
                                 ["one value per image"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_MASK))
def test_wrong_masked_data_fit_fails(mistake):
    fn, words = WRONG_MASK[mistake]
    expect_failure(ch08.check_masked_data_fit, fn, "Exercise 8.2", "case", *words)


@pytest.mark.filterwarnings("ignore:Converting a tensor with requires_grad=True")
def test_detached_masked_data_fit_fails():
    expect_failure(ch08.check_masked_data_fit,
                   lambda x, y, m, p=2.0: ch08.masked_data_fit_reference(x, y, m, p).detach(), "Exercise 8.2", "autograd")


def test_masked_data_fit_of_the_course_passes():
    from course_lib import inversion

    def via_course(x, y, m, p=2.0):
        return inversion.l2_fit(x, y, m) if p == 2.0 else _course_lp(x, y, m, p)

    def _course_lp(x, y, m, p):
        return inversion.l1_fit(x, y, m) if p == 1.0 else ch08.masked_data_fit_reference(x, y, m, p)
    quiet(ch08.check_masked_data_fit, via_course)


# --------------------------------------------------------------------------- Exercise 8.3: affine_coupling
def _coupling(variant):
    return ch08._coupling(variant)


WRONG_COUPLING = {
    "sum of exp(s)": (_coupling("exp"), ["not of exp(s)"]),
    "negative sign": (_coupling("neg"), ["wrong sign"]),
    "determinant not log": (_coupling("prod"), ["not its logarithm"]),
    "summed over the batch": (_coupling("batch"), ["not over the batch"]),
    "t in the determinant": (_coupling("with_t"), ["shift t does not enter"]),
    "shift before scale": (_coupling("shift_first"), ["shifted before scaling"]),
    "no exp": (_coupling("no_exp"), ["not s"]),
    "x1 dropped": (_coupling("drop_x1"), ["unchanged first half"]),
    "y only": (lambda x, s, t: ch08.affine_coupling_reference(x, s, t)[0], ["pair (y, logdet)"]),
}


@pytest.mark.parametrize("mistake", list(WRONG_COUPLING))
def test_wrong_affine_coupling_fails(mistake):
    fn, words = WRONG_COUPLING[mistake]
    expect_failure(ch08.check_affine_coupling, fn, "Exercise 8.3", "case", *words)


def test_affine_coupling_returning_a_list_passes():
    quiet(ch08.check_affine_coupling, lambda x, s, t: list(ch08.affine_coupling_reference(x, s, t)))
