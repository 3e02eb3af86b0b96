"""Shared fixtures of the test suite."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
if str(SCRIPTS) not in sys.path:
    sys.path.insert(0, str(SCRIPTS))

SHARED_DATA = (ROOT.parent / "shared" / "data").resolve()


@pytest.fixture
def shared_data(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point COURSE_DATA_DIR at the offline copy of the data (skip when it is absent)."""
    folder = Path(os.environ.get("COURSE_DATA_DIR", SHARED_DATA))
    if not (folder / "SHA256SUMS").exists():
        pytest.skip(f"no data folder at {folder}; set COURSE_DATA_DIR")
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    return folder


@pytest.fixture
def results_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary COURSE_RESULTS_DIR and a fresh notebook name for course_lib.results."""
    from course_lib import results

    monkeypatch.setenv("COURSE_RESULTS_DIR", str(tmp_path))
    monkeypatch.setitem(results._state, "notebook", "99_test_notebook")
    monkeypatch.setitem(results._state, "memory", {})
    return tmp_path
