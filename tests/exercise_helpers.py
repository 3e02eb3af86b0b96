"""Helpers shared by the exercise-check tests (tests/test_exercises_chNN.py)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Any, Callable, Iterable

import jupytext
import pytest

from course_lib.checks import ExerciseFailure

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def quiet(fn: Callable[..., Any], *args: Any) -> Any:
    """Call ``fn`` with its printed output swallowed."""
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def notebook_solutions(stem: str, names: Iterable[str]) -> dict[str, Any]:
    """Run a chapter's imports cell and exercise cells; return the functions named ``names``."""
    nb = jupytext.read(NOTEBOOKS / f"{stem}.py")
    code = [c for c in nb.cells if c.cell_type == "code"]
    namespace: dict = {}
    exec(compile(code[0].source, "<imports>", "exec"), namespace)  # noqa: S102 - the course's own cells
    for cell in code:
        if "exercise" in cell.metadata.get("tags", []):
            exec(compile(cell.source, "<exercise>", "exec"), namespace)  # noqa: S102
    return {name: namespace[name] for name in names}


def expect_failure(check: Callable[[Any], None], fn: Any, *words: str) -> str:
    """Assert that ``check(fn)`` fails with an exercise message containing every word; return it."""
    with pytest.raises(AssertionError) as err:
        quiet(check, fn)
    message = str(err.value)
    assert isinstance(err.value, ExerciseFailure)
    for word in words:
        assert word in message, f"expected {word!r} in the message: {message}"
    return message


def expect_stub_failure(check: Callable[[Any], None], number: str) -> str:
    """Assert that a stub raising NotImplementedError("Exercise <number>: ...") fails with "not implemented yet"."""

    def stub(*args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"Exercise {number}: the task")

    return expect_failure(check, stub, f"Exercise {number}: not implemented yet")


class ExerciseSuite:
    """The tests every chapter's exercise checks must pass; subclass it as ``TestCommon`` in
    ``tests/test_exercises_chNN.py`` and set the four class attributes.

    * each reference solution passes its check;
    * the notebook's own solutions (its exercise cells) pass;
    * a stub raising ``NotImplementedError("Exercise N.M: ...")`` fails with "not implemented yet";
    * passing a value instead of a function is reported in words.
    """

    STEM: str = ""
    CHECKS: dict[str, Callable[[Any], None]] = {}
    REFERENCES: dict[str, Any] = {}
    NUMBERS: dict[str, str] = {}

    def test_references_pass(self) -> None:
        for name, check in self.CHECKS.items():
            quiet(check, self.REFERENCES[name])

    def test_notebook_solutions_pass(self) -> None:
        solutions = notebook_solutions(self.STEM, self.CHECKS)
        assert set(solutions) == set(self.CHECKS)
        for name, fn in solutions.items():
            quiet(self.CHECKS[name], fn)

    def test_stubs_say_not_implemented(self) -> None:
        for name, check in self.CHECKS.items():
            expect_stub_failure(check, self.NUMBERS[name])

    def test_a_value_instead_of_a_function_is_reported(self) -> None:
        for name, check in self.CHECKS.items():
            expect_failure(check, 3.0, f"Exercise {self.NUMBERS[name]}", "expected a function")
