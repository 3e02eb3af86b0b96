"""Checks for the exercises: compare a student's function with a reference.

Every exercise in a chapter is a self-contained function followed by a check
cell such as ``checks.ch01.check_jl_bound(jl_bound)``. A check calls the
student's function on its own inputs (never on notebook state), compares the
answer with a reference, and raises :class:`AssertionError` with a message in
words: which exercise, which case, what was expected, what came back and,
where a typical mistake is recognised, what the mistake probably is.

Chapter-specific checks live in ``course_lib.checks.chNN``; this module holds
the shared machinery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np
import torch

__all__ = ["Case", "ExerciseFailure", "Mistake", "as_array", "call_student", "compare_cases", "compare_with_mistakes",
           "describe_value",
           "copied_args", "fail",
           "matching_mistakes"]


class ExerciseFailure(AssertionError):
    """An exercise check failed; the message says why in words."""


@dataclass
class Case:
    """One input of a check: a name for the message, positional and keyword arguments."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


def fail(exercise: str, message: str) -> None:
    """Raise :class:`ExerciseFailure` with ``"<exercise>: <message>"``."""
    raise ExerciseFailure(f"{exercise}: {message}")


def call_student(fn: Callable[..., Any], case: Case, exercise: str) -> Any:
    """Call the student's ``fn`` on ``case``, turning exceptions into readable failures."""
    if not callable(fn):
        fail(exercise, f"expected a function, got {type(fn).__name__}; pass the function itself, not its result")
    try:
        return fn(*case.args, **case.kwargs)
    except NotImplementedError:
        raise ExerciseFailure(
            f"{exercise}: not implemented yet -- replace the `raise NotImplementedError(...)` "
            "line with your solution and run this cell again."
        ) from None
    except Exception as err:  # noqa: BLE001 -- every student error becomes a message
        raise ExerciseFailure(
            f"{exercise}, case {case.name}: your function raised {type(err).__name__}: {err}"
        ) from None


def as_array(value: Any) -> np.ndarray:
    """Convert a tensor, array, list or number to a float64 NumPy array."""
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    return np.asarray(value, dtype=np.float64)


def describe_value(value: np.ndarray) -> str:
    """A value for a check's message: its entries when there are at most six, else its shape and mean."""
    if value.size <= 6:
        return np.array2string(value.reshape(-1) if value.ndim else value, precision=6)
    return f"array of shape {value.shape} (mean {np.nanmean(value):.6g})"


def compare_cases(
    student_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    cases: Sequence[Case],
    exercise: str,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-8,
    diagnose: Callable[[Case, np.ndarray, np.ndarray], str | None] | None = None,
) -> None:
    """Check ``student_fn`` against ``reference_fn`` on every case.

    Args:
        student_fn: the function the student wrote.
        reference_fn: the course's reference implementation (same signature).
        cases: the inputs, each with a name used in the message.
        exercise: ``"Exercise N.M"``, the prefix of every message.
        rtol, atol: tolerances of :func:`numpy.allclose`.
        diagnose: optional ``(case, got, expected) -> hint``; a hint names a
            typical mistake ("you used log base 10") and is appended to the message.

    Raises:
        ExerciseFailure: on the first case whose answer has the wrong shape or value.
    """
    for case in cases:
        got = as_array(call_student(student_fn, case, exercise))
        expected = as_array(reference_fn(*case.args, **case.kwargs))
        if got.shape != expected.shape:
            fail(exercise, f"case {case.name}: expected shape {expected.shape}, got shape {got.shape}")
        if not np.all(np.isfinite(got)) and np.all(np.isfinite(expected)):
            fail(exercise, f"case {case.name}: your answer contains NaN or infinity: {describe_value(got)}")
        if not np.allclose(got, expected, rtol=rtol, atol=atol):
            hint = diagnose(case, got, expected) if diagnose else None
            message = f"case {case.name}: expected {describe_value(expected)}, got {describe_value(got)}"
            fail(exercise, message + (f". Hint: {hint}" if hint else ""))
    print(f"{exercise}: all {len(cases)} cases pass.")


#: A typical wrong answer: (the message that names it, a function computing it).
Mistake = tuple[str, Callable[..., Any]]


def matching_mistakes(mistakes: Sequence[Mistake], case: Case, got: np.ndarray, *,
                      rtol: float, atol: float) -> str | None:
    """The descriptions (each once) of every mistake model whose answer on ``case`` equals ``got``."""
    hits = []
    for description, wrong in mistakes:
        try:
            with torch.no_grad(), np.errstate(all="ignore"):
                value = as_array(wrong(*case.args, **case.kwargs))
        except Exception:  # noqa: BLE001 -- a mistake model that cannot run is simply not matched
            continue
        if value.shape == got.shape and np.allclose(got, value, rtol=rtol, atol=atol):
            hits.append(description)
    return "; ".join(dict.fromkeys(hits)) if hits else None


def compare_with_mistakes(
    student_fn: Callable[..., Any],
    reference_fn: Callable[..., Any],
    cases: Sequence[Case],
    exercise: str,
    mistakes: Sequence[Mistake],
    *,
    rtol: float,
    atol: float,
    fallback: str | None = None,
    shape_note: str = "",
    pick: Callable[[Any], Any] | None = None,
    describe: Callable[[np.ndarray], str] | None = None,
    report: bool = True,
) -> None:
    """:func:`compare_cases` for exercises with mistake models (chapters 07-10).

    The student is called on copies of each case's arrays (:func:`copied_args`). On a wrong
    shape the message adds ``shape_note`` and any mistake model of that shape; on a wrong
    value it names every matching mistake of ``mistakes`` (:func:`matching_mistakes`), or
    gives ``fallback``, and says when the answer holds NaN or infinity.

    Args:
        pick: applied to both answers before comparing (e.g. one element of a returned tuple).
        describe: how a value is shown in a message (default: its entries, or shape and mean).
        report: print "all N cases pass" at the end.

    Raises:
        ExerciseFailure: on the first case whose answer has the wrong shape or value.
    """
    describe = describe or describe_value
    pick = pick or (lambda value: value)
    student_fn = copied_args(student_fn)
    for case in cases:
        got = as_array(pick(call_student(student_fn, case, exercise)))
        expected = as_array(pick(reference_fn(*case.args, **case.kwargs)))
        if got.shape != expected.shape:
            hint = matching_mistakes(mistakes, case, got, rtol=rtol, atol=atol)
            fail(exercise, f"case {case.name}: expected shape {expected.shape}, got shape {got.shape}{shape_note}"
                 + (f". Hint: {hint}" if hint else ""))
        if np.allclose(got, expected, rtol=rtol, atol=atol):
            continue
        hint = matching_mistakes(mistakes, case, got, rtol=rtol, atol=atol) or fallback
        bad = "" if np.all(np.isfinite(got)) else " (your answer contains NaN or infinity)"
        fail(exercise, f"case {case.name}: expected {describe(expected)}, got {describe(got)}{bad}"
             + (f". Hint: {hint}" if hint else ""))
    if report:
        print(f"{exercise}: all {len(cases)} cases pass.")


def copied_args(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Call ``fn`` on copies of its array and tensor arguments, so an in-place student cannot corrupt a case."""
    if not callable(fn):
        return fn  # call_student reports "expected a function"

    def copy(a: Any) -> Any:
        if isinstance(a, torch.Tensor):
            return a.clone()
        return a.copy() if isinstance(a, np.ndarray) else a

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return fn(*(copy(a) for a in args), **kwargs)
    return wrapper
