"""course_lib.results and course_lib.io: recording headline numbers, atomic files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import course_lib
from course_lib import io, results


def test_record_writes_and_merges(results_dir):
    assert results.record("a", 1.5, unit="dB", label="first") == 1.5
    results.record("b", np.float32(2.0))
    results.record("c", torch.tensor([1, 2]))
    data = json.loads((results_dir / "99_test_notebook.json").read_text())
    assert data["notebook"] == "99_test_notebook"
    assert data["results"]["a"] == {"value": 1.5, "unit": "dB", "label": "first"}
    assert data["results"]["b"]["value"] == 2.0
    assert data["results"]["c"]["value"] == [1, 2]
    assert data["profile"] in {"ci", "default", "full"}
    assert set(results.recorded()) == {"a", "b", "c"}
    assert not list(results_dir.glob("*.tmp"))


def test_record_without_dir_keeps_memory(monkeypatch, results_dir):
    monkeypatch.delenv("COURSE_RESULTS_DIR")
    results.record("x", 3)
    assert results.recorded()["x"]["value"] == 3
    assert not list(results_dir.iterdir())


def test_record_rejects_nan(results_dir):
    with pytest.raises(ValueError, match="non-finite"):
        results.record("bad", float("nan"))


def test_record_needs_a_notebook(monkeypatch):
    monkeypatch.setitem(results._state, "notebook", None)
    monkeypatch.delenv("COURSE_NOTEBOOK", raising=False)
    with pytest.raises(RuntimeError, match="setup_notebook"):
        results.record("x", 1)


@pytest.mark.parametrize("stem", ["", "01_x.ipynb", "a/b"])
def test_set_notebook_rejects_bad_stems(stem):
    with pytest.raises(ValueError):
        results.set_notebook(stem)


def test_load_reports_corrupt_files(tmp_path):
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        results.load(tmp_path / "x.json")
    (tmp_path / "y.json").write_text("[]")
    with pytest.raises(ValueError, match="no 'results'"):
        results.load(tmp_path / "y.json")


def test_load_dir(results_dir):
    results.record("k", 1)
    assert list(results.load_dir(results_dir)) == ["99_test_notebook"]


def test_setup_notebook(monkeypatch, capsys, results_dir):
    monkeypatch.setenv("COURSE_PROFILE", "ci")
    profile = course_lib.setup_notebook("01_demo", seed=3)
    assert profile.name == "ci" and results.current_notebook() == "01_demo"
    assert "profile 'ci'" in capsys.readouterr().out


def test_git_commit_is_a_string():
    commit = results.git_commit()
    assert commit == "unknown" or len(commit) == 40


def test_atomic_path_success_and_failure(tmp_path):
    target = tmp_path / "sub" / "file.txt"
    io.atomic_write_text(target, "one")
    assert target.read_text() == "one"
    with pytest.raises(RuntimeError):
        with io.atomic_path(target) as tmp:
            tmp.write_text("half-written")
            raise RuntimeError("interrupted")
    assert target.read_text() == "one"
    assert sorted(p.name for p in target.parent.iterdir()) == ["file.txt"]


def test_sha256_file(tmp_path):
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    assert io.sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
