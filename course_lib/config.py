"""Run-time configuration shared by every chapter: profiles, seeding, device.

The profile decides how much work a notebook does. It is read from the
environment variable ``COURSE_PROFILE``:

* ``ci``      -- each notebook finishes in at most 90 s on 2 CPU cores (used by ``make test``);
* ``default`` -- each notebook finishes in at most 5 min (used by ``make course``);
* ``full``    -- paper scale (used by ``make full``; results are committed under ``results/full``).

Notebooks pick their sizes with :func:`by_profile`::

    n_trials = by_profile(ci=20, default=200, full=2000)
"""

from __future__ import annotations

import contextlib
import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TypeVar

import numpy as np
import torch

T = TypeVar("T")

PROFILE_ENV = "COURSE_PROFILE"
DEFAULT_PROFILE = "default"


@dataclass(frozen=True)
class Profile:
    """A named amount of work.

    Attributes:
        name: ``"ci"``, ``"default"`` or ``"full"``.
        seconds_per_notebook: the time budget of one notebook on 2 CPU cores,
            in seconds (``None`` for ``full``, which has no fixed budget).
        description: one line for humans.
    """

    name: str
    seconds_per_notebook: float | None
    description: str


PROFILES: dict[str, Profile] = {
    "ci": Profile("ci", 90.0, "smoke-test sizes: every notebook in <= 90 s on 2 cores (make test)"),
    "default": Profile("default", 300.0, "teaching sizes: every notebook in <= 5 min on 2 cores (make course)"),
    "full": Profile("full", None, "paper scale: long evaluations, results committed under results/full"),
}


class ProfileError(ValueError):
    """Raised when ``COURSE_PROFILE`` names a profile that does not exist."""


def get_profile(name: str | None = None) -> Profile:
    """Return the active profile (chapters 01-10).

    Args:
        name: a profile name; ``None`` reads ``COURSE_PROFILE`` (default ``"default"``).

    Raises:
        ProfileError: the name is not one of ``ci``, ``default``, ``full``.
    """
    if name is None:
        name = os.environ.get(PROFILE_ENV, DEFAULT_PROFILE)
    key = name.strip().lower()
    if key not in PROFILES:
        valid = ", ".join(sorted(PROFILES))
        raise ProfileError(
            f"unknown profile {name!r} (from {PROFILE_ENV}); valid profiles are: {valid}. "
            f"Fix: export {PROFILE_ENV}=default (or ci / full)."
        )
    return PROFILES[key]


def by_profile(*, ci: T, default: T, full: T, profile: str | None = None) -> T:
    """Pick one of three values by the active profile (chapters 01-10).

    Example: ``n = by_profile(ci=100, default=1000, full=10000)``.
    """
    return {"ci": ci, "default": default, "full": full}[get_profile(profile).name]


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and torch's global generators (chapters 01-10).

    Args:
        seed: a non-negative integer.

    Returns:
        A fresh ``torch.Generator`` seeded with ``seed``, for code that prefers
        an explicit generator to the global state.
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    gen = torch.Generator()
    gen.manual_seed(seed)
    return gen


def device() -> torch.device:
    """The device to compute on: CUDA when available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def repo_root() -> Path:
    """The repository root (the folder that holds ``course_lib``)."""
    return Path(__file__).resolve().parent.parent


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run the block with at most ``n`` torch intra-op threads, restoring the setting afterwards.

    Small problems (a few thousand numbers per operation) run faster on one thread: with
    two threads on a machine that other processes load, OpenMP's barriers cost more than
    the work (chapter 04 measured a 40x slowdown of the TV solver; chapter 05's tiny
    networks behave the same way).
    """
    if n < 1:
        raise ValueError(f"torch_threads: n must be >= 1, got {n}")
    before = torch.get_num_threads()
    if before > n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)
