"""course_lib.checks: the shared machinery of exercise checks."""

from __future__ import annotations

import numpy as np
import pytest

from course_lib.checks import Case, ExerciseFailure, call_student, compare_cases


def reference(x, k=1):
    return np.asarray(x) * k


CASES = [Case("small", (np.arange(3),), {"k": 2}), Case("negative", (-np.ones(2),))]


def test_correct_function_passes(capsys):
    compare_cases(reference, reference, CASES, "Exercise 0.1")
    assert "all 2 cases pass" in capsys.readouterr().out


def test_wrong_value_names_case_expected_and_got():
    with pytest.raises(ExerciseFailure) as err:
        compare_cases(lambda x, k=1: np.asarray(x) * k + 1, reference, CASES, "Exercise 0.1")
    message = str(err.value)
    assert message.startswith("Exercise 0.1") and "case small" in message
    assert "expected [0. 2. 4.]" in message and "got [1. 3. 5.]" in message


def test_wrong_shape_is_reported():
    with pytest.raises(ExerciseFailure, match="expected shape \\(3,\\), got shape \\(1, 3\\)"):
        compare_cases(lambda x, k=1: np.asarray(x)[None] * k, reference, CASES, "Exercise 0.1")


def test_nan_is_reported():
    with pytest.raises(ExerciseFailure, match="NaN"):
        compare_cases(lambda x, k=1: np.full(np.shape(x), np.nan), reference, CASES, "Exercise 0.1")


def test_hint_is_appended():
    def diagnose(case, got, expected):
        return "you added one" if np.allclose(got, expected + 1) else None

    with pytest.raises(ExerciseFailure, match="Hint: you added one"):
        compare_cases(lambda x, k=1: np.asarray(x) * k + 1, reference, CASES, "Exercise 0.1", diagnose=diagnose)


def test_stub_says_not_implemented():
    def stub(x, k=1):
        raise NotImplementedError("Exercise 0.1: multiply")

    with pytest.raises(ExerciseFailure, match="not implemented yet"):
        compare_cases(stub, reference, CASES, "Exercise 0.1")


def test_student_exception_becomes_message():
    with pytest.raises(ExerciseFailure, match="case c: your function raised ZeroDivisionError"):
        call_student(lambda: 1 / 0, Case("c"), "Exercise 0.2")


def test_not_callable():
    with pytest.raises(ExerciseFailure, match="expected a function"):
        call_student(3, Case("c"), "Exercise 0.2")


def test_failure_is_an_assertion_error():
    assert issubclass(ExerciseFailure, AssertionError)
