"""Dependencies: ranges in pyproject.toml, exact pins in requirements.lock, the same pins in environment.yml."""

from __future__ import annotations

import re
import tomllib

import yaml

from _common import ROOT
from write_environment import pins

LOCK = {re.split(r"[=;\s]", p)[0].lower(): p for p in pins()}


def test_lock_pins_torch_exactly():
    assert LOCK["torch"].startswith("torch==2.14.1")
    assert LOCK["torchvision"].startswith("torchvision==0.29.1")
    assert all("==" in p for p in LOCK.values()), "every line of requirements.lock is an exact pin"


def test_pyproject_ranges_are_satisfied_by_the_lock():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    required = project["dependencies"] + project["optional-dependencies"]["dev"]
    for requirement in required:
        name = re.split(r"[<>=!\[ ]", requirement)[0].lower()
        assert name.replace("_", "-") in LOCK or name in LOCK, f"{name} is in pyproject.toml but not pinned"
    for name in ["jupyter-book", "sphinx-proof", "sphinx-exercise", "nbval", "jupytext", "bm3d", "pooch"]:
        assert name in LOCK, f"{name} must be pinned"
    assert LOCK["jupyter-book"].startswith("jupyter-book==1."), "Jupyter Book 2 fails offline: pin 1.x"


def test_environment_yml_has_the_same_pins():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_section = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "python=3.11" in env["dependencies"]
    assert pip_section == pins(), "environment.yml is stale: run python scripts/write_environment.py"
