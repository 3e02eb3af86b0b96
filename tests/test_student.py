"""The student version: every stub fails its check with the check's message, every solution passes.

Each exercise is run alone -- the notebook's imports cell, the exercise cell, its check
cell -- so this test never executes a whole notebook (nbval does that once).
"""

from __future__ import annotations

import contextlib
import io

import pytest

from _common import chapter_stems
from make_student import ExerciseFormatError, exercise_header, is_exercise, read_chapter, strip_solution, student_notebook

SOLUTION = '''# Exercise 3.2: add one
def f(x):
    """Doc."""
    ### BEGIN SOLUTION
    y = x + 1
    return y
    ### END SOLUTION
'''


def test_strip_solution_replaces_the_block():
    out = strip_solution(SOLUTION)
    assert '    raise NotImplementedError("Exercise 3.2: add one")' in out
    assert "x + 1" not in out and "BEGIN SOLUTION" not in out and '"""Doc."""' in out
    compile(out, "<stub>", "exec")


@pytest.mark.parametrize("source, problem", [
    ("def f():\n    ### BEGIN SOLUTION\n    pass\n    ### END SOLUTION\n", "must start with"),
    ("# Exercise 1.1: t\ndef f():\n    pass\n", "needs one"),
    ("# Exercise 1.1: t\ndef f():\n    ### BEGIN SOLUTION\n    pass\n", "needs one"),
    ("# Exercise 1.1: t\n### END SOLUTION\n", "without"),
])
def test_strip_solution_rejects_malformed_cells(source, problem):
    with pytest.raises(ExerciseFormatError, match=problem):
        strip_solution(source)


def exercise_triples(nb):
    """(imports cell, exercise cell, check cell) for every exercise of a notebook."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    return [(code[0].source, cell.source, code[i + 1].source) for i, cell in enumerate(code) if is_exercise(cell)]


def run_cells(*sources: str) -> None:
    namespace: dict = {"__name__": "__student__"}
    with contextlib.redirect_stdout(io.StringIO()):
        for source in sources:
            exec(compile(source, "<cell>", "exec"), namespace)  # noqa: S102 - the course's own cells


CASES = [(stem, i) for stem in chapter_stems()
         for i in range(len(exercise_triples(read_chapter(stem))))]


@pytest.mark.parametrize("stem, index", CASES)
def test_stub_fails_with_the_checks_message(stem, index):
    imports, exercise, check = exercise_triples(student_notebook(read_chapter(stem)))[index]
    name, _ = exercise_header(exercise)
    assert "raise NotImplementedError" in exercise
    with pytest.raises(AssertionError) as err:
        run_cells(imports, exercise, check)
    assert f"{name}: not implemented yet" in str(err.value), f"unexpected failure: {err.value}"


@pytest.mark.parametrize("stem, index", CASES)
def test_solution_passes_its_check(stem, index):
    imports, exercise, check = exercise_triples(read_chapter(stem))[index]
    run_cells(imports, exercise, check)
