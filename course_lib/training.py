"""The training loop and the checkpoints shared by every chapter.

Three layers, each usable on its own:

1. :func:`fit` -- one small supervised training loop: ``loss_fn(model, batch)`` returns a
   scalar, the optimizer takes a step, the loss is logged into a :class:`History`.
   With ``checkpoint_path`` it is *resumable*: it saves model, optimizer, scheduler,
   step counter, history and every random-number generator (Python, NumPy, torch)
   atomically every ``checkpoint_every`` steps and at the end, and a later call with the
   same path continues where the last one stopped -- so a training script killed at the
   end of a session continues in the next one, with the same weights as an
   uninterrupted run.
2. Checkpoint files -- :func:`save_checkpoint` / :func:`load_checkpoint`. A checkpoint is a
   dict of tensors and plain Python values only, so it always loads with
   ``torch.load(path, weights_only=True)``::

       {"format": "course_lib.checkpoint/1", "kind": "model",
        "model": state_dict, "meta": {...}, "history": {...}}

   (training states written by :func:`fit` have ``"kind": "fit-state"`` and also hold
   ``optimizer``, ``scheduler``, ``step``, ``rng``). A *shipped* checkpoint carries the
   metadata built by :func:`checkpoint_meta`: ``profile``, ``iterations``,
   ``wall_time_s``, ``data_split``, ``commit``, ``created``, ``torch``, ``description``.
3. The registry ``data/checkpoints/registry.json`` of shipped checkpoints, with their
   sha256 and metadata::

       {"checkpoints": {"dncnn_sigma25": {"file": "dncnn_sigma25.pt", "sha256": "...",
                                          "bytes": 612345, "meta": {...}}}}

   :func:`register_checkpoint` adds an entry (training scripts), :func:`shipped_checkpoints`
   lists them and :func:`load_or_train` is what notebooks call.

The rule for files: notebooks never overwrite a shipped checkpoint, and nothing run in
the ``ci`` profile creates or replaces a file in ``data/checkpoints`` (it trains in a
temporary folder instead). Only ``make train CH=NN`` (``scripts/train_NN.py`` ->
:func:`train_and_register`) replaces a shipped checkpoint.

A chapter's training function
-----------------------------
Each chapter writes one function ``train_fn(model, out_path, *, steps=None)`` (in its
``course_lib`` module, so that the script and the notebook share it). It trains ``model``
in place, saves the final weights with :func:`save_checkpoint` to ``out_path`` and
returns the :class:`History`. ``steps=None`` means "the profile's full schedule";
an integer is used for a brief demonstration run::

    from course_lib import by_profile, training
    from course_lib.training import checkpoint_meta, fit, resume_path, save_checkpoint

    def train_dncnn(model, out_path, *, steps=None):
        steps = steps or by_profile(ci=50, default=2_000, full=40_000)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
        batches = lambda step: noisy_clean_batch(train_images, step, seed=0)   # step -> batch
        hist = fit(model, denoising_loss, batches, steps=steps, optimizer=opt, scheduler=sched,
                   checkpoint_path=resume_path(out_path), checkpoint_every=500,
                   meta={"lr": 1e-3, "batch_size": 64})
        save_checkpoint(out_path, model, checkpoint_meta(
            history=hist, data_split="mnist-course-train-8000",
            description="DnCNN, 8 layers, sigma=25/255, Adam 1e-3 cosine"), history=hist)
        return hist

A training script (``scripts/train_03.py``, run by ``make train CH=03``)::

    from course_lib import training
    from course_lib.denoisers import build_dncnn, train_dncnn   # the chapter's module (example)

    if __name__ == "__main__":
        model, info = training.train_and_register("dncnn_sigma25", build_dncnn, train_dncnn)
        print(info)

It resumes automatically when killed (the training state lives in
``build/train/dncnn_sigma25.resume.pt``; pass ``fresh=True`` to start over), then
saves ``data/checkpoints/dncnn_sigma25.pt`` and records its sha256 and metadata in the
registry; commit both files. In the ``ci`` profile it trains into a temporary folder and
leaves ``data/checkpoints`` alone.

A notebook::

    model, info = training.load_or_train("dncnn_sigma25", build_dncnn, train_dncnn,
                                         brief_steps=by_profile(ci=20, default=200, full=200))
    print(info)                      # "loaded shipped checkpoint dncnn_sigma25 (...)"
    info.brief_history.plot()        # the brief run in a temporary folder, to show the code running

The shipped weights are used for all results; the brief run only demonstrates the loop.
"""

from __future__ import annotations

import datetime as _dt
import inspect
import json
import math
import os
import pickle
import random
import re
import tempfile
import time
import warnings
from collections import OrderedDict
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import numpy as np
import torch
from torch import nn

from .config import PROFILE_ENV, PROFILES, get_profile, repo_root
from .io import atomic_path, atomic_write_text, sha256_file
from .results import git_commit

__all__ = [
    "CHECKPOINT_FORMAT",
    "MAX_SHIPPED_BYTES",
    "REQUIRED_META_KEYS",
    "CheckpointError",
    "ChecksumError",
    "History",
    "LoadInfo",
    "NonFiniteLossError",
    "RegistryError",
    "checkpoint_meta",
    "default_checkpoint_dir",
    "default_registry",
    "fit",
    "load_checkpoint",
    "load_or_train",
    "read_registry",
    "register_checkpoint",
    "resume_path",
    "save_checkpoint",
    "shipped_checkpoints",
    "train_and_register",
    "train_briefly",
    "validate_meta",
    "verify_sha256",
]

CHECKPOINT_FORMAT = "course_lib.checkpoint/1"
#: Metadata keys every shipped checkpoint carries (built by :func:`checkpoint_meta`).
REQUIRED_META_KEYS: tuple[str, ...] = (
    "profile", "iterations", "wall_time_s", "data_split", "commit", "created", "torch", "description",
)
#: Size limit of one shipped checkpoint file, in bytes (5 MB), checked by :func:`register_checkpoint`.
MAX_SHIPPED_BYTES = 5_000_000
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]*$")


# --------------------------------------------------------------------------- errors


class CheckpointError(RuntimeError):
    """A checkpoint file cannot be used (wrong kind, does not load, does not fit the model)."""


class ChecksumError(CheckpointError):
    """A checkpoint's sha256 differs from the one recorded in the registry."""


class RegistryError(CheckpointError):
    """``registry.json`` is malformed, or an operation on it is not allowed."""


class NonFiniteLossError(FloatingPointError):
    """The training loss (or a parameter) became NaN or infinite."""


# --------------------------------------------------------------------------- history


@dataclass
class History:
    """What :func:`fit` logged (chapters 03-10).

    Attributes:
        steps: the step numbers (count of completed optimizer updates) of the logged losses.
        losses: the mean training loss over the steps since the previous log point.
        lrs: the learning rate of the first parameter group at each logged step.
        eval_steps: the steps at which ``eval_fn`` ran.
        evals: metric name -> one value per entry of ``eval_steps`` (NaN where missing).
        wall_time: seconds spent in :func:`fit`, summed over resumed sessions.
        iterations: optimizer updates completed so far.
    """

    steps: list[int] = field(default_factory=list)
    losses: list[float] = field(default_factory=list)
    lrs: list[float] = field(default_factory=list)
    eval_steps: list[int] = field(default_factory=list)
    evals: dict[str, list[float]] = field(default_factory=dict)
    wall_time: float = 0.0
    iterations: int = 0

    @property
    def final_loss(self) -> float:
        """The last logged loss (NaN when nothing was logged)."""
        return self.losses[-1] if self.losses else float("nan")

    def to_dict(self) -> dict[str, Any]:
        """Plain Python values (for checkpoints and JSON)."""
        return {
            "steps": [int(s) for s in self.steps],
            "losses": [float(v) for v in self.losses],
            "lrs": [float(v) for v in self.lrs],
            "eval_steps": [int(s) for s in self.eval_steps],
            "evals": {str(k): [float(v) for v in vals] for k, vals in self.evals.items()},
            "wall_time": float(self.wall_time),
            "iterations": int(self.iterations),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> "History":
        """Inverse of :meth:`to_dict` (``None`` or ``{}`` gives an empty history)."""
        data = data or {}
        steps = [int(s) for s in data.get("steps", [])]
        return cls(
            steps=steps,
            losses=[float(v) for v in data.get("losses", [])],
            lrs=[float(v) for v in data.get("lrs", [])],
            eval_steps=[int(s) for s in data.get("eval_steps", [])],
            evals={str(k): [float(v) for v in vals] for k, vals in dict(data.get("evals", {})).items()},
            wall_time=float(data.get("wall_time", 0.0)),
            iterations=int(data.get("iterations", steps[-1] if steps else 0)),
        )

    def arrays(self) -> dict[str, Any]:
        """NumPy arrays: ``steps``, ``losses``, ``lrs``, ``eval_steps`` and ``evals`` (a dict)."""
        return {
            "steps": np.asarray(self.steps, dtype=np.int64),
            "losses": np.asarray(self.losses, dtype=np.float64),
            "lrs": np.asarray(self.lrs, dtype=np.float64),
            "eval_steps": np.asarray(self.eval_steps, dtype=np.int64),
            "evals": {k: np.asarray(v, dtype=np.float64) for k, v in self.evals.items()},
        }

    def plot(self, *, log: bool = True, smooth: float = 0.0, metric: str | None = None,
             ax: Any = None, label: str = "train") -> Any:
        """Plot the loss (or the eval metric ``metric``) against the step; returns the Figure.

        See :func:`course_lib.plotting.loss_curves`.
        """
        from .plotting import loss_curves

        return loss_curves({label: self}, log=log, smooth=smooth, metric=metric, ax=ax)

    def _add_eval(self, step: int, values: Mapping[str, float]) -> None:
        n_before = len(self.eval_steps)
        self.eval_steps.append(int(step))
        for key in values:
            self.evals.setdefault(key, [float("nan")] * n_before)
        for key, vals in self.evals.items():
            vals.append(float(values.get(key, float("nan"))))


# --------------------------------------------------------------------------- plain-type checks


_PLAIN_SCALARS = (str, int, float, bool, type(None))
_TORCH_VALUES = (torch.Tensor, torch.dtype, torch.device, torch.Size)


def _check_plain(obj: Any, where: str) -> None:
    """Raise ``TypeError`` unless ``obj`` holds only tensors and plain Python values.

    Exact types are required: subclasses such as ``numpy.float64`` or torch's
    ``TorchVersion`` (a ``str``) would be pickled by class and refused by ``weights_only``.
    """
    if type(obj) in _PLAIN_SCALARS or isinstance(obj, _TORCH_VALUES):
        return
    if type(obj) in (dict, OrderedDict):
        for key, value in obj.items():
            if not isinstance(key, (str, int)):
                raise TypeError(f"{where}: key {key!r} is a {type(key).__name__}; use str or int keys")
            _check_plain(value, f"{where}[{key!r}]")
        return
    if type(obj) in (list, tuple):
        for i, value in enumerate(obj):
            _check_plain(value, f"{where}[{i}]")
        return
    raise TypeError(
        f"{where} is a {type(obj).__name__}; a checkpoint may hold only tensors and plain Python "
        "values (dict, list, tuple, str, int, float, bool, None) so that it loads with "
        "torch.load(..., weights_only=True). Convert it (e.g. float(x), str(x), .tolist(), torch.from_numpy)."
    )


def _plain_number(value: Any, what: str) -> float:
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"{what} must be a number, got a tensor of shape {tuple(value.shape)}")
        value = value.item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number, got {type(value).__name__}")
    return float(value)


def _check_int(value: Any, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- random state


def _rng_state() -> dict[str, Any]:
    """Every global generator's state, as tensors and plain values."""
    np_name, np_keys, np_pos, np_has_gauss, np_cached = np.random.get_state()
    py_version, py_internal, py_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": list(torch.cuda.get_rng_state_all()) if torch.cuda.is_available() else [],
        "numpy": {"name": str(np_name), "keys": torch.from_numpy(np.asarray(np_keys, dtype=np.int64)),
                  "pos": int(np_pos), "has_gauss": int(np_has_gauss), "cached_gaussian": float(np_cached)},
        "python": {"version": int(py_version), "internal": [int(v) for v in py_internal], "gauss_next": py_gauss},
    }


def _set_rng_state(state: Mapping[str, Any]) -> None:
    """Restore what :func:`_rng_state` captured."""
    torch.set_rng_state(state["torch"])
    cuda = list(state.get("cuda") or [])
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)
    npst = state["numpy"]
    np.random.set_state((npst["name"], npst["keys"].numpy().astype(np.uint32), int(npst["pos"]),
                         int(npst["has_gauss"]), float(npst["cached_gaussian"])))
    py = state["python"]
    random.setstate((int(py["version"]), tuple(int(v) for v in py["internal"]), py["gauss_next"]))


@contextmanager
def _preserved_rng() -> Iterator[None]:
    """Run a block without disturbing the global generators (used around ``eval_fn``)."""
    saved = _rng_state()
    try:
        yield
    finally:
        _set_rng_state(saved)


# --------------------------------------------------------------------------- checkpoint files


def _state_dict(model: nn.Module | Mapping[str, torch.Tensor]) -> "OrderedDict[str, torch.Tensor]":
    """The model's state dict with every tensor on the CPU (keeps the version metadata)."""
    sd = model.state_dict() if isinstance(model, nn.Module) else model
    out: OrderedDict[str, torch.Tensor] = OrderedDict(
        (k, v.detach().cpu() if isinstance(v, torch.Tensor) else v) for k, v in sd.items()
    )
    metadata = getattr(sd, "_metadata", None)
    if metadata is not None:
        out._metadata = metadata  # type: ignore[attr-defined]
    return out


def _write(path: str | Path, state: dict[str, Any]) -> Path:
    """Check ``state`` holds plain values only, then ``torch.save`` it atomically."""
    _check_plain(state, "checkpoint")
    path = Path(path)
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return path


def save_checkpoint(
    path: str | Path,
    model: nn.Module | Mapping[str, torch.Tensor],
    meta: Mapping[str, Any] | None = None,
    optimizer: torch.optim.Optimizer | None = None,
    *,
    scheduler: Any = None,
    history: History | Mapping[str, Any] | None = None,
) -> Path:
    """Save a model checkpoint atomically (temporary file + rename); return its path.

    Args:
        path: the ``.pt`` file to write (its folder is created).
        model: a module or a state dict; tensors are stored on the CPU.
        meta: plain-valued metadata; for a shipped checkpoint use :func:`checkpoint_meta`.
        optimizer, scheduler: optional states (leave them out of shipped files: they
            triple the size of an Adam-trained model).
        history: the :class:`History` of the run, stored as plain lists.

    Raises:
        TypeError: something in ``meta`` is not a plain value (it would not load with
            ``weights_only=True``).
    """
    state: dict[str, Any] = {
        "format": CHECKPOINT_FORMAT,
        "kind": "model",
        "model": _state_dict(model),
        "meta": dict(meta or {}),
        "history": history.to_dict() if isinstance(history, History) else dict(history or {}),
    }
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        state["scheduler"] = scheduler.state_dict()
    return _write(path, state)


def _display_path(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(repo_root()))
    except ValueError:
        return str(path)


def verify_sha256(path: str | Path, expected_sha256: str, *, chapter: str | None = None) -> str:
    """Check a file's sha256; return it, or raise :class:`ChecksumError` saying how to fix it."""
    path = Path(path)
    actual = sha256_file(path)
    if actual != expected_sha256.lower():
        ch = chapter or "NN"
        raise ChecksumError(
            f"checkpoint {path} does not match the registry: its sha256 is {actual} but the registry "
            f"expects {expected_sha256}. The file was modified, truncated or replaced without being "
            f"re-registered. Fix: re-run `make train CH={ch}` (retrains and re-registers it) or restore "
            f"the shipped file with `git checkout -- {_display_path(path)}`."
        )
    return actual


def load_checkpoint(
    path: str | Path, expected_sha256: str | None = None, *, map_location: str | torch.device = "cpu",
    chapter: str | None = None,
) -> dict[str, Any]:
    """Load a checkpoint with ``torch.load(..., weights_only=True)``.

    Args:
        path: the ``.pt`` file.
        expected_sha256: when given, the file's sha256 must equal it.
        map_location: where to put the tensors (default the CPU).
        chapter: two digits used in the fix suggested by error messages (``make train CH=03``).

    Returns:
        The checkpoint dict (``model``, ``meta``, ``history``, ...).

    Raises:
        FileNotFoundError: no such file.
        ChecksumError: the sha256 differs (the message names both digests and the fix).
        CheckpointError: the file does not load with ``weights_only=True`` or is no checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"checkpoint {path} does not exist. Fix: train it with `make train CH={chapter or 'NN'}` "
            "or, for a shipped checkpoint, restore it with `git checkout`."
        )
    if expected_sha256 is not None:
        verify_sha256(path, expected_sha256, chapter=chapter)
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        raise CheckpointError(
            f"{path} does not load with torch.load(weights_only=True): it holds Python objects other "
            f"than tensors and plain values. Re-save it with course_lib.training.save_checkpoint. ({err})"
        ) from err
    except (RuntimeError, EOFError, OSError) as err:
        raise CheckpointError(f"{path} is not a readable torch checkpoint (truncated or corrupt?): {err}") from err
    if not isinstance(state, dict) or "model" not in state:
        raise CheckpointError(f"{path} is not a course checkpoint: expected a dict with a 'model' entry")
    return state


# --------------------------------------------------------------------------- metadata


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def validate_meta(meta: Mapping[str, Any], required: Sequence[str] = REQUIRED_META_KEYS) -> None:
    """Raise ``ValueError`` unless ``meta`` is valid metadata of a shipped checkpoint.

    Checks that the ``required`` keys are present, their types and ranges, and that
    every value is JSON-serialisable (the registry stores a copy).
    """
    if not isinstance(meta, Mapping):
        raise ValueError(f"checkpoint metadata must be a dict, got {type(meta).__name__}")
    missing = [k for k in required if k not in meta]
    if missing:
        raise ValueError(
            f"checkpoint metadata lacks {', '.join(missing)}; build it with "
            "course_lib.training.checkpoint_meta(iterations=..., wall_time_s=..., data_split=..., description=...)"
        )
    problems = []
    if "profile" in meta and meta["profile"] not in PROFILES:
        problems.append(f"profile {meta['profile']!r} is not one of {sorted(PROFILES)}")
    it = meta.get("iterations", 0)
    if isinstance(it, bool) or not isinstance(it, int) or it < 0:
        problems.append(f"iterations must be an integer >= 0, got {it!r}")
    wt = meta.get("wall_time_s", 0.0)
    if isinstance(wt, bool) or not isinstance(wt, (int, float)) or not math.isfinite(wt) or wt < 0:
        problems.append(f"wall_time_s must be a finite number >= 0 (seconds), got {wt!r}")
    for key in ("data_split", "commit", "created", "torch"):
        if key in meta and (not isinstance(meta[key], str) or not meta[key]):
            problems.append(f"{key} must be a non-empty string, got {meta[key]!r}")
    if "description" in meta and not isinstance(meta["description"], str):
        problems.append(f"description must be a string, got {meta['description']!r}")
    if isinstance(meta.get("created"), str) and meta["created"]:
        try:
            _dt.datetime.fromisoformat(meta["created"])
        except ValueError:
            problems.append(f"created must be an ISO date-time, got {meta['created']!r}")
    try:
        json.dumps(dict(meta), allow_nan=False)
    except (TypeError, ValueError) as err:
        problems.append(f"metadata must be JSON-serialisable plain values ({err})")
    if problems:
        raise ValueError("invalid checkpoint metadata: " + "; ".join(problems))


def checkpoint_meta(
    *,
    data_split: str,
    iterations: int | None = None,
    wall_time_s: float | None = None,
    history: History | None = None,
    description: str = "",
    profile: str | None = None,
    chapter: str | int | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """Build and validate the metadata of a shipped checkpoint.

    Args:
        data_split: the training data, e.g. ``"mnist-course-train-8000"``.
        iterations: optimizer updates; taken from ``history`` when omitted.
        wall_time_s: training time in seconds; taken from ``history`` when omitted.
        history: the :class:`History` returned by :func:`fit`.
        description: one free sentence (architecture, noise level, optimizer).
        profile: the profile trained under (default: the active profile).
        chapter: the chapter number, used in error messages (``make train CH=03``).
        **extra: more plain, JSON-serialisable values (hyperparameters, sizes).

    Returns:
        ``{"profile", "iterations", "wall_time_s", "data_split", "commit", "created",
        "torch", "description", ...extra}`` with ``commit`` from
        :func:`course_lib.results.git_commit` and ``created`` the UTC time.
    """
    if iterations is None:
        if history is None:
            raise ValueError("checkpoint_meta needs iterations=... or history=...")
        iterations = history.iterations
    if wall_time_s is None:
        if history is None:
            raise ValueError("checkpoint_meta needs wall_time_s=... or history=...")
        wall_time_s = history.wall_time
    meta: dict[str, Any] = {
        "profile": get_profile(profile).name,
        "iterations": int(iterations),
        "wall_time_s": round(float(wall_time_s), 3),
        "data_split": data_split,
        "commit": git_commit(),
        "created": _now_iso(),
        "torch": str(torch.__version__),
        "description": description,
    }
    if chapter is not None:
        meta["chapter"] = f"{int(chapter):02d}"
    clash = sorted(set(extra) & set(meta))
    if clash:
        raise ValueError(f"checkpoint_meta: {', '.join(clash)} are set automatically; do not pass them")
    meta.update(extra)
    validate_meta(meta)
    return meta


# --------------------------------------------------------------------------- the training loop


def _batch_source(batches: Any, start: int, progress: bool) -> Callable[[int], Any]:
    """Turn ``batches`` into a function ``step -> batch`` positioned at ``start``."""
    if isinstance(batches, Sequence) and not isinstance(batches, (str, bytes)):
        if len(batches) == 0:
            raise ValueError("batches is an empty sequence")
        seq = batches
        return lambda i: seq[i % len(seq)]
    if callable(batches):
        return batches
    if not isinstance(batches, Iterable):
        raise TypeError(
            f"batches must be a sequence, an iterable (e.g. a DataLoader) or a function step -> batch, "
            f"got {type(batches).__name__}"
        )
    source = batches
    state: dict[str, Any] = {"it": iter(source)}

    def next_batch(_: int) -> Any:
        try:
            return next(state["it"])
        except StopIteration:
            state["it"] = iter(source)
            try:
                return next(state["it"])
            except StopIteration:
                raise ValueError(
                    "batches ran out and cannot be iterated again (a generator?); pass a list, a "
                    "DataLoader or a function step -> batch"
                ) from None

    skip = start % len(source) if hasattr(source, "__len__") and len(source) > 0 else start
    if skip and progress:
        print(f"fit: skipping {skip} batches to reach the position of step {start} in the data")
    for _ in range(skip):
        next_batch(0)
    return next_batch


def _step_scheduler(scheduler: Any, loss: float) -> None:
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(loss)
    else:
        scheduler.step()


def _eval_values(out: Any) -> dict[str, float]:
    if isinstance(out, Mapping):
        return {str(k): _plain_number(v, f"eval_fn()[{k!r}]") for k, v in out.items()}
    return {"eval": _plain_number(out, "eval_fn()")}


def _meta_diff(saved: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    keys = sorted(set(saved) | set(new), key=str)
    return ", ".join(f"{k}: {saved.get(k, '<absent>')!r} -> {new.get(k, '<absent>')!r}"
                     for k in keys if saved.get(k, "<absent>") != new.get(k, "<absent>"))


def fit(
    model: nn.Module,
    loss_fn: Callable[[nn.Module, Any], torch.Tensor],
    batches: Iterable[Any] | Callable[[int], Any],
    *,
    steps: int,
    optimizer: torch.optim.Optimizer,
    scheduler: Any = None,
    log_every: int = 10,
    eval_fn: Callable[[nn.Module], Mapping[str, float] | float] | None = None,
    eval_every: int | None = None,
    checkpoint_path: str | Path | None = None,
    checkpoint_every: int | None = None,
    resume: bool = True,
    progress: bool = True,
    meta: Mapping[str, Any] | None = None,
    clip_grad_norm: float | None = None,
    desc: str = "training",
) -> History:
    """Train ``model`` for ``steps`` optimizer updates; resumable (chapters 03-10).

    Each step: ``batch = next batch``; ``loss = loss_fn(model, batch)``; backward;
    optional gradient clipping; ``optimizer.step()``; ``scheduler.step()`` (once per
    step, so size schedulers in steps, e.g. ``CosineAnnealingLR(opt, T_max=steps)``).

    Args:
        model: trained in place (left in train mode).
        loss_fn: ``loss_fn(model, batch) -> scalar tensor``.
        batches: a sequence (``batches[step % len]``), a function ``step -> batch``
            (``step`` = 0-based index of the update), or any other iterable, e.g. a
            DataLoader, which is cycled (re-iterated when exhausted). Resuming is exact for
            a sequence, and for a function that derives its randomness from ``step`` or
            from the global generators; a shuffling DataLoader resumes at the right
            position in a new epoch order.
        steps: total number of updates, counted across resumed sessions.
        optimizer: any ``torch.optim`` optimizer over the model's parameters.
        scheduler: optional learning-rate scheduler (``ReduceLROnPlateau`` gets the loss).
        log_every: log the mean loss every that many steps (and at the last step).
        eval_fn: ``eval_fn(model) -> {"psnr": 28.1, ...}`` (or a number), run in eval mode
            under ``torch.no_grad()`` without disturbing the random generators, every
            ``eval_every`` steps and at the last step.
        eval_every: see ``eval_fn``.
        checkpoint_path: file of the training state; written atomically every
            ``checkpoint_every`` steps and at the end.
        checkpoint_every: see ``checkpoint_path``.
        resume: when ``checkpoint_path`` exists, restore model, optimizer, scheduler,
            step, history and random state from it and continue to ``steps``
            (``False``: start over and overwrite it).
        progress: show a ``tqdm`` progress bar and one-line messages.
        meta: plain values describing the run (hyperparameters), stored in the state;
            resuming refuses a state written with different ``meta``.
        clip_grad_norm: clip the gradient's global norm to this value.
        desc: the progress bar's label.

    Returns:
        The :class:`History` (including the sessions before a resume).

    Raises:
        NonFiniteLossError: the loss or a parameter became NaN/inf (the message names the step).
        CheckpointError: the state at ``checkpoint_path`` cannot be resumed with these settings.
    """
    from tqdm.auto import tqdm

    steps = _check_int(steps, "steps", minimum=0)
    log_every = _check_int(log_every, "log_every", minimum=1)
    if eval_every is not None:
        eval_every = _check_int(eval_every, "eval_every", minimum=1)
    if checkpoint_every is not None:
        checkpoint_every = _check_int(checkpoint_every, "checkpoint_every", minimum=1)
        if checkpoint_path is None:
            raise ValueError("checkpoint_every needs checkpoint_path")
    meta = dict(meta or {})
    _check_plain(meta, "meta")
    ckpt = Path(checkpoint_path) if checkpoint_path is not None else None

    history = History()
    start = 0
    pending = [0.0, 0]  # sum and count of the losses since the last log point
    last_saved = "no checkpoint was written" if ckpt is None else f"no checkpoint at {ckpt} yet"

    if ckpt is not None and resume and ckpt.exists():
        state = load_checkpoint(ckpt)
        if state.get("kind") != "fit-state":
            raise CheckpointError(
                f"{ckpt} is a model checkpoint, not a training state written by fit() (no optimizer "
                "state); use another checkpoint_path for the training state (see resume_path())"
            )
        saved_meta = dict(state.get("meta") or {})
        if meta and saved_meta != meta:
            raise CheckpointError(
                f"cannot resume from {ckpt}: it was written with different meta ({_meta_diff(saved_meta, meta)}). "
                "Delete it (or pass resume=False) to start over."
            )
        try:
            model.load_state_dict(state["model"])
        except RuntimeError as err:
            raise CheckpointError(f"cannot resume from {ckpt}: the model does not match it: {err}") from err
        optimizer.load_state_dict(state["optimizer"])
        if scheduler is not None and state.get("scheduler") is not None:
            scheduler.load_state_dict(state["scheduler"])
        elif (scheduler is None) != (state.get("scheduler") is None):
            warnings.warn(f"resuming from {ckpt}: scheduler given now and at save time differ", stacklevel=2)
        history = History.from_dict(state.get("history"))
        start = int(state["step"])
        pending = [float(state["pending"][0]), int(state["pending"][1])]
        _set_rng_state(state["rng"])
        last_saved = f"last checkpoint: {ckpt} at step {start}"
        if progress:
            print(f"fit: resumed from {ckpt} at step {start} of {steps}")
        if start >= steps:
            if progress:
                print(f"fit: the state is already at step {start} >= steps={steps}; nothing to do")
            return history

    get_batch = _batch_source(batches, start, progress)
    model.train()
    t0 = time.perf_counter()
    wall_before = history.wall_time
    bar = tqdm(total=steps, initial=start, disable=not progress, desc=desc, unit="step", leave=True)
    try:
        for i in range(start, steps):
            done = i + 1
            batch = get_batch(i)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model, batch)
            if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
                raise ValueError(
                    f"loss_fn must return a scalar tensor, got "
                    f"{type(loss).__name__}{tuple(loss.shape) if isinstance(loss, torch.Tensor) else ''}"
                )
            value = float(loss.detach())
            if not math.isfinite(value):
                raise NonFiniteLossError(
                    f"the training loss is {value} at step {done} of {steps} (steps count from 1). "
                    f"Nothing was saved for this step ({last_saved}). Try a smaller learning rate, "
                    "clip_grad_norm=1.0, or check the batches for NaN/inf."
                )
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            lr = float(optimizer.param_groups[0]["lr"])
            optimizer.step()
            if scheduler is not None:
                _step_scheduler(scheduler, value)
            pending[0] += value
            pending[1] += 1
            if done % log_every == 0 or done == steps:
                history.steps.append(done)
                history.losses.append(pending[0] / pending[1])
                history.lrs.append(lr)
                pending = [0.0, 0]
                bar.set_postfix(loss=f"{history.losses[-1]:.4g}", refresh=False)
            if eval_fn is not None and ((eval_every is not None and done % eval_every == 0) or done == steps):
                was_training = model.training
                model.eval()
                with torch.no_grad(), _preserved_rng():
                    values = _eval_values(eval_fn(model))
                model.train(was_training)
                history._add_eval(done, values)
            history.iterations = done
            history.wall_time = wall_before + (time.perf_counter() - t0)
            if ckpt is not None and ((checkpoint_every is not None and done % checkpoint_every == 0) or done == steps):
                bad = [n for n, p in model.named_parameters() if not torch.isfinite(p).all()]
                if bad:
                    raise NonFiniteLossError(
                        f"parameters {', '.join(bad[:5])} are NaN/inf after step {done} of {steps}; "
                        f"not saving them ({last_saved}). Try a smaller learning rate or clip_grad_norm."
                    )
                _write(ckpt, {
                    "format": CHECKPOINT_FORMAT,
                    "kind": "fit-state",
                    "model": _state_dict(model),
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict() if scheduler is not None else None,
                    "step": done,
                    "steps": steps,
                    "pending": [float(pending[0]), int(pending[1])],
                    "rng": _rng_state(),
                    "history": history.to_dict(),
                    "meta": meta,
                })
                last_saved = f"last checkpoint: {ckpt} at step {done}"
            bar.update(1)
    finally:
        bar.close()
    return history


# --------------------------------------------------------------------------- registry


def default_checkpoint_dir() -> Path:
    """``<repo>/data/checkpoints``: where shipped checkpoints live."""
    return repo_root() / "data" / "checkpoints"


def default_registry() -> Path:
    """``<repo>/data/checkpoints/registry.json``."""
    return default_checkpoint_dir() / "registry.json"


def read_registry(registry: str | Path | None = None) -> dict[str, Any]:
    """Read and validate a registry (a missing file is an empty registry).

    Raises:
        RegistryError: not valid JSON or not of the form
            ``{"checkpoints": {name: {"file", "sha256", "bytes", "meta"}}}``.
    """
    path = Path(registry) if registry is not None else default_registry()
    if not path.exists():
        return {"checkpoints": {}}
    fix = f"restore it with `git checkout -- {_display_path(path)}`"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise RegistryError(f"registry {path} is not valid JSON ({err}); {fix}") from err
    if not isinstance(data, dict) or not isinstance(data.get("checkpoints"), dict):
        raise RegistryError(f'registry {path} must be {{"checkpoints": {{...}}}}; {fix}')
    for name, entry in data["checkpoints"].items():
        where = f"registry {path}, entry {name!r}"
        if not _NAME_RE.match(name):
            raise RegistryError(f"{where}: names are lower-case letters, digits, '_' and '-'")
        if not isinstance(entry, dict):
            raise RegistryError(f"{where} is not an object; {fix}")
        missing = [k for k in ("file", "sha256", "bytes", "meta") if k not in entry]
        if missing:
            raise RegistryError(f"{where} lacks {', '.join(missing)}; {fix}")
        if not isinstance(entry["file"], str) or "/" in entry["file"] or "\\" in entry["file"] or not entry["file"]:
            raise RegistryError(f"{where}: 'file' must be a file name in the registry's folder")
        if not isinstance(entry["sha256"], str) or not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]):
            raise RegistryError(f"{where}: 'sha256' must be 64 lower-case hex digits")
        if isinstance(entry["bytes"], bool) or not isinstance(entry["bytes"], int) or entry["bytes"] <= 0:
            raise RegistryError(f"{where}: 'bytes' must be a positive integer")
        if not isinstance(entry["meta"], dict):
            raise RegistryError(f"{where}: 'meta' must be an object")
    return data


def _write_registry(path: Path, data: Mapping[str, Any]) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def shipped_checkpoints(registry: str | Path | None = None) -> dict[str, dict[str, Any]]:
    """The registry's entries: name -> ``{"file", "sha256", "bytes", "meta"}``."""
    return dict(read_registry(registry)["checkpoints"])


def register_checkpoint(
    name: str, path: str | Path, registry: str | Path | None = None, *, max_bytes: int = MAX_SHIPPED_BYTES,
) -> dict[str, Any]:
    """Record a checkpoint's sha256, size and metadata in the registry (atomic write).

    Used by the chapter training scripts (through :func:`train_and_register`).

    Args:
        name: the checkpoint's name, e.g. ``"dncnn_sigma25"`` (lower case, digits, ``_``, ``-``).
        path: the ``.pt`` file; it must lie in the registry's folder and hold valid
            shipped metadata (:func:`checkpoint_meta`).
        registry: the ``registry.json`` (default ``data/checkpoints/registry.json``).
        max_bytes: refuse files larger than this (default 5 MB).

    Returns:
        The new entry.
    """
    if not isinstance(name, str) or not _NAME_RE.match(name):
        raise RegistryError(f"checkpoint name {name!r}: use lower-case letters, digits, '_' and '-'")
    reg = Path(registry) if registry is not None else default_registry()
    path = Path(path)
    if path.resolve().parent != reg.resolve().parent:
        raise RegistryError(f"{path} must lie in the registry's folder {reg.parent} to be registered")
    state = load_checkpoint(path)
    meta = dict(state.get("meta") or {})
    try:
        validate_meta(meta)
    except ValueError as err:
        raise RegistryError(f"{path} cannot be registered: {err}") from err
    size = path.stat().st_size
    if size > max_bytes:
        raise RegistryError(
            f"{path} has {size} bytes, more than the {max_bytes} allowed for a shipped checkpoint; "
            "ship a smaller model (or save it in float16) and leave the optimizer state out"
        )
    entry = {"file": path.name, "sha256": sha256_file(path), "bytes": size, "meta": meta}
    data = read_registry(reg)
    data["checkpoints"][name] = entry
    _write_registry(reg, data)
    return entry


# --------------------------------------------------------------------------- load or train


@dataclass
class LoadInfo:
    """What :func:`load_or_train` / :func:`train_and_register` did; ``str(info)`` says it in words.

    Attributes:
        name: the checkpoint's name.
        source: ``"shipped"`` (loaded from the registry), ``"trained"`` (trained and
            registered) or ``"temporary"`` (trained into a temporary folder, nothing kept).
        path: the checkpoint file (``None`` for a deleted temporary one).
        meta: the checkpoint's metadata.
        history: the training history stored with the checkpoint (may be empty).
        brief_history: the history of the brief demonstration run (``brief_steps``).
        message: one paragraph for the notebook.
    """

    name: str
    source: str
    path: Path | None
    meta: dict[str, Any]
    history: History = field(default_factory=History)
    brief_history: History | None = None
    message: str = ""

    def __str__(self) -> str:
        return self.message


def resume_path(out_path: str | Path) -> Path:
    """Where ``train_fn`` keeps the resumable training state of ``out_path``.

    For a file in ``data/checkpoints`` this is ``build/train/<stem>.resume.pt`` (ignored
    by git); elsewhere (temporary folders) it is ``<stem>.resume.pt`` beside it.
    """
    out = Path(out_path)
    if out.resolve().parent == default_checkpoint_dir().resolve():
        return repo_root() / "build" / "train" / f"{out.stem}.resume.pt"
    return out.with_name(f"{out.stem}.resume.pt")


def _locations(checkpoint_dir: str | Path | None, registry: str | Path | None) -> tuple[Path, Path]:
    if registry is None:
        folder = Path(checkpoint_dir) if checkpoint_dir is not None else default_checkpoint_dir()
        return folder, folder / "registry.json"
    reg = Path(registry)
    if checkpoint_dir is not None and Path(checkpoint_dir).resolve() != reg.resolve().parent:
        raise ValueError(
            f"the registry {reg} must lie in checkpoint_dir {checkpoint_dir} (its file names are relative to it)"
        )
    return reg.parent, reg


def _describe(meta: Mapping[str, Any]) -> str:
    parts = []
    if "iterations" in meta:
        parts.append(f"{meta['iterations']} iterations")
    if "wall_time_s" in meta:
        parts.append(f"{float(meta['wall_time_s']) / 60:.1f} min")
    for key in ("data_split", "profile"):
        if key in meta:
            parts.append(f"{key} {meta[key]}")
    if "commit" in meta:
        parts.append(f"commit {str(meta['commit'])[:10]}")
    if "created" in meta:
        parts.append(f"created {meta['created']}")
    text = ", ".join(parts)
    if meta.get("description"):
        text += f"; {meta['description']}"
    return text


@contextmanager
def _profile_env(profile: str | None) -> Iterator[None]:
    """Make ``profile`` the active profile (``COURSE_PROFILE``) inside the block."""
    if profile is None:
        yield
        return
    old = os.environ.get(PROFILE_ENV)
    os.environ[PROFILE_ENV] = profile
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(PROFILE_ENV, None)
        else:
            os.environ[PROFILE_ENV] = old


def _call_train(train_fn: Callable[..., Any], model: nn.Module, out: Path, steps: int | None,
                profile: str | None = None) -> History | None:
    """Run ``train_fn`` with ``profile`` active (so its ``by_profile`` and ``checkpoint_meta`` see it)."""
    if steps is not None:
        params = inspect.signature(train_fn).parameters
        if "steps" not in params and not any(p.kind is p.VAR_KEYWORD for p in params.values()):
            raise TypeError(
                f"{getattr(train_fn, '__name__', 'train_fn')} takes no 'steps' argument; a brief run needs "
                "train_fn(model, out_path, *, steps=None)"
            )
    with _profile_env(profile):
        result = train_fn(model, out) if steps is None else train_fn(model, out, steps=steps)
    if not out.is_file():
        raise CheckpointError(
            f"{getattr(train_fn, '__name__', 'train_fn')}(model, out_path) did not save {out}; it must end with "
            "save_checkpoint(out_path, model, checkpoint_meta(...))"
        )
    return result if isinstance(result, History) else None


def _load_into(model: nn.Module, state: Mapping[str, Any], name: str, path: Path, chapter: str | None) -> None:
    try:
        model.load_state_dict(state["model"])
    except RuntimeError as err:
        raise CheckpointError(
            f"checkpoint {name} ({path}) does not fit the model built by build_model(): {err}. "
            f"The architecture changed since it was trained; re-run `make train CH={chapter or 'NN'}`."
        ) from err


def train_briefly(
    build_model: Callable[[], nn.Module],
    train_fn: Callable[..., Any],
    steps: int,
    *,
    name: str = "brief",
    workdir: str | Path | None = None,
    profile: str | None = None,
) -> tuple[nn.Module, History]:
    """Train a fresh model for ``steps`` updates in a temporary folder, to show the code running.

    Nothing is written outside ``workdir`` (default: a temporary folder deleted afterwards).
    ``profile`` (default: the active one) is made active while ``train_fn`` runs.

    Returns:
        The briefly trained model (in eval mode) and its :class:`History`.
    """
    steps = _check_int(steps, "steps", minimum=1)
    keep = nullcontext(str(workdir)) if workdir is not None else tempfile.TemporaryDirectory(prefix="course_brief_")
    with keep as folder:
        out = Path(folder) / f"{name}.pt"
        model = build_model()
        hist = _call_train(train_fn, model, out, steps, profile)
        if hist is None:
            hist = History.from_dict(load_checkpoint(out).get("history"))
    model.eval()
    return model, hist


def _train_temporary(name: str, build_model: Callable[[], nn.Module], train_fn: Callable[..., Any],
                     steps: int | None, profile: str) -> tuple[nn.Module, LoadInfo]:
    with tempfile.TemporaryDirectory(prefix="course_ckpt_") as tmp:
        out = Path(tmp) / f"{name}.pt"
        model = build_model()
        hist = _call_train(train_fn, model, out, steps, profile)
        state = load_checkpoint(out)
        _load_into(model, state, name, out, None)
    model.eval()
    meta = dict(state.get("meta") or {})
    history = hist or History.from_dict(state.get("history"))
    message = (f"trained {name} in a temporary folder (profile {profile}: nothing is written to "
               f"data/checkpoints); {_describe(meta) or f'{history.iterations} iterations'}")
    return model, LoadInfo(name, "temporary", None, meta, history, None, message)


def _train_and_save(name: str, build_model: Callable[[], nn.Module], train_fn: Callable[..., Any],
                    out: Path, reg: Path, steps: int | None, profile: str) -> tuple[nn.Module, LoadInfo]:
    model = build_model()
    hist = _call_train(train_fn, model, out, steps, profile)
    entry = register_checkpoint(name, out, registry=reg)
    state = load_checkpoint(out, entry["sha256"])
    _load_into(model, state, name, out, entry["meta"].get("chapter"))
    model.eval()
    history = hist or History.from_dict(state.get("history"))
    message = (f"trained and registered checkpoint {name} ({_display_path(out)}, {entry['bytes']} bytes, "
               f"sha256 {entry['sha256'][:12]}...): {_describe(entry['meta'])}")
    return model, LoadInfo(name, "trained", out, dict(entry["meta"]), history, None, message)


def load_or_train(
    name: str,
    build_model: Callable[[], nn.Module],
    train_fn: Callable[..., Any],
    *,
    profile: str | None = None,
    checkpoint_dir: str | Path | None = None,
    registry: str | Path | None = None,
    brief_steps: int | None = None,
    verbose: bool = True,
) -> tuple[nn.Module, LoadInfo]:
    """Load the shipped checkpoint ``name``, or train it (what notebooks call).

    * Registered, file present, sha256 matches: ``build_model()``, load the weights
      (``weights_only=True``) and return them -- nothing is trained or written.
    * Registered, file present, sha256 differs: :class:`ChecksumError` (never overwritten).
    * Not available (not registered, or its file is missing):
      ``train_fn(model, out_path)`` trains the full schedule of the profile.
      In the ``ci`` profile ``out_path`` lies in a temporary folder, deleted afterwards:
      nothing is created or replaced in ``checkpoint_dir``. In the other profiles it is
      ``checkpoint_dir/<name>.pt`` and the result is registered.
    * ``brief_steps``: additionally train a fresh model for that many updates in a
      temporary folder (``train_fn(model, tmp_path, steps=brief_steps)``), to show the
      code running; its history is ``info.brief_history``. The returned model is still
      the shipped (or fully trained) one.

    Args:
        name: registry name, e.g. ``"dncnn_sigma25"``.
        build_model: ``build_model() -> nn.Module`` with the checkpoint's architecture.
        train_fn: ``train_fn(model, out_path, *, steps=None)``: trains ``model`` in place,
            saves it with :func:`save_checkpoint` to ``out_path``, returns its History.
        profile: default: the active profile (``COURSE_PROFILE``).
        checkpoint_dir: default ``data/checkpoints`` (tests pass a temporary folder).
        registry: default ``<checkpoint_dir>/registry.json``.
        brief_steps: see above.
        verbose: print ``info``.

    Returns:
        ``(model, info)``: the model in eval mode and a :class:`LoadInfo`.
    """
    prof = get_profile(profile).name
    folder, reg = _locations(checkpoint_dir, registry)
    entry = read_registry(reg)["checkpoints"].get(name)
    file_name = entry["file"] if entry is not None else f"{name}.pt"
    path = folder / file_name

    if entry is not None and path.exists():
        chapter = entry["meta"].get("chapter")
        state = load_checkpoint(path, entry["sha256"], chapter=chapter)
        model = build_model()
        _load_into(model, state, name, path, chapter)
        model.eval()
        meta = dict(state.get("meta") or {})
        info = LoadInfo(name, "shipped", path, meta, History.from_dict(state.get("history")), None,
                        f"loaded shipped checkpoint {name} ({_display_path(path)}): {_describe(meta)}")
    else:
        if entry is not None:
            warnings.warn(f"checkpoint {name} is registered but {path} is missing (restore it with "
                          f"`git checkout -- {_display_path(path)}`); training it instead", stacklevel=2)
        if prof == "ci":
            model, info = _train_temporary(name, build_model, train_fn, None, prof)
        else:
            if path.exists():
                raise RegistryError(
                    f"{path} exists but is not registered in {reg}; refusing to overwrite it. Register it "
                    f"with course_lib.training.register_checkpoint({name!r}, {str(path)!r}) or delete it."
                )
            model, info = _train_and_save(name, build_model, train_fn, path, reg, None, prof)

    if brief_steps:
        _, info.brief_history = train_briefly(build_model, train_fn, brief_steps, name=name, profile=prof)
        info.message += (f"\nbrief demonstration run: {brief_steps} steps in a temporary folder, "
                         f"final loss {info.brief_history.final_loss:.4g} (not used for the results)")
    if verbose:
        print(info.message)
    return model, info


def train_and_register(
    name: str,
    build_model: Callable[[], nn.Module],
    train_fn: Callable[..., Any],
    *,
    profile: str | None = None,
    checkpoint_dir: str | Path | None = None,
    registry: str | Path | None = None,
    fresh: bool = False,
    verbose: bool = True,
) -> tuple[nn.Module, LoadInfo]:
    """Train ``name`` fully and (re)register it -- what ``scripts/train_NN.py`` calls.

    ``train_fn(model, out_path)`` resumes from :func:`resume_path` ``(out_path)`` when a
    previous session was killed; ``fresh=True`` deletes that state first. The new
    ``checkpoint_dir/<name>.pt`` replaces the shipped one and the registry entry is
    updated (commit both). In the ``ci`` profile everything happens in a temporary folder
    and nothing in ``checkpoint_dir`` changes (a smoke test of the script).
    """
    prof = get_profile(profile).name
    folder, reg = _locations(checkpoint_dir, registry)
    if prof == "ci":
        model, info = _train_temporary(name, build_model, train_fn, None, prof)
    else:
        if not isinstance(name, str) or not _NAME_RE.match(name):
            raise RegistryError(f"checkpoint name {name!r}: use lower-case letters, digits, '_' and '-'")
        out = folder / f"{name}.pt"
        state_file = resume_path(out)
        if fresh and state_file.exists():
            state_file.unlink()
        model, info = _train_and_save(name, build_model, train_fn, out, reg, None, prof)
    if verbose:
        print(info.message)
    return model, info
