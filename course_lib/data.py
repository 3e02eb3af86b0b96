"""Data sets of the course: MNIST, BSD (Train400, BSD68, Set12), CT phantoms and GAN toys.

Every chapter loads its data through this module (chapters 01-10).

Where files come from
---------------------
A data file is named by its path relative to a data folder, for example
``"MNIST/raw/t10k-images-idx3-ubyte.gz"`` or ``"BSD/Set12/01.png"``. :func:`fetch`
looks for it, in this order:

1. ``$COURSE_DATA_DIR/<relpath>`` when the environment variable ``COURSE_DATA_DIR``
   is set (the offline copy on machines without internet);
2. ``<repo>/data/<relpath>`` (files downloaded earlier; ignored by git);
3. a download into ``<repo>/data/<relpath>`` through :mod:`pooch` (machines with
   internet): MNIST from the mirrors ``torchvision`` uses, the BSD sets from the raw
   files of the DnCNN repository (cszn/DnCNN on GitHub).

Every file, wherever found, is checked against its sha256 in
``course_lib/sha256sums.txt`` (a copy of the offline folder's ``SHA256SUMS``).
A download is written under a temporary name and renamed onto its final name only
after its checksum matched. Missing or corrupt data raises :class:`DataError`, whose
message names the file, the expected sha256, the places searched and the command
that fixes it. A corrupt file is always an error: it is never used, never silently
replaced. ``make data`` (``python -m course_lib.data``) runs :func:`verify_all`.

Images
------
All image loaders return ``float32`` tensors with values in ``[0, 1]`` (the 8-bit
grey level divided by 255) and shape ``(N, 1, H, W)``.

The course split of MNIST
-------------------------
Only the 10,000 MNIST *test* images ship with the course. The course trains on
8,000 and evaluates on 2,000 of them, chosen by a fixed, seeded, digit-stratified
permutation (see :func:`mnist_split_indices`); the split is the same on every
machine and is pinned by :data:`MNIST_EVAL_SHA256`.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import repo_root
from .io import sha256_file

__all__ = [
    "DATA_ENV",
    "DataError",
    "GMM1D_PRESETS",
    "GaussianMixture1D",
    "MNIST_EVAL_SHA256",
    "MNIST_N_EVAL",
    "MNIST_N_TRAIN",
    "MNIST_SPLIT_SEED",
    "REPO_DATA_DIR",
    "bsd68",
    "bsd68_names",
    "bsd_train400",
    "bsd_train400_names",
    "bsd_train400_patches",
    "data_dirs",
    "download",
    "ellipse_phantoms",
    "expected_sha256",
    "fetch",
    "gaussian_mixture_1d",
    "grid_centres",
    "grid_of_gaussians",
    "manifest",
    "mnist",
    "mnist_split_indices",
    "read_idx",
    "ring_centres",
    "ring_of_gaussians",
    "set12",
    "set12_names",
    "urls_for",
    "verify_all",
]

#: Environment variable naming a folder that holds ``MNIST/`` and ``BSD/`` (the offline copy).
DATA_ENV = "COURSE_DATA_DIR"

#: The repository's own data folder: searched second, and where downloads go.
REPO_DATA_DIR: Path = repo_root() / "data"

#: The file of expected checksums (``<sha256>  <relpath>`` per line), package data.
SHA256SUMS_FILE: Path = Path(__file__).resolve().parent / "sha256sums.txt"

MNIST_MIRRORS: tuple[str, ...] = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
DNCNN_RAW = "https://raw.githubusercontent.com/cszn/DnCNN/master/"
BSD_SOURCES: dict[str, str] = {
    "BSD/BSD68/": DNCNN_RAW + "testsets/BSD68/",
    "BSD/Set12/": DNCNN_RAW + "testsets/Set12/",
    "BSD/Train400/": DNCNN_RAW + "TrainingCodes/DnCNN_TrainingCodes_v1.0/data/Train400/",
}

MNIST_IMAGES = "MNIST/raw/t10k-images-idx3-ubyte.gz"
MNIST_LABELS = "MNIST/raw/t10k-labels-idx1-ubyte.gz"
IDX_IMAGES_MAGIC = 2051  # 0x00000803: unsigned bytes, 3 dimensions
IDX_LABELS_MAGIC = 2049  # 0x00000801: unsigned bytes, 1 dimension

#: Seed of the course split of MNIST (never change it: see :data:`MNIST_EVAL_SHA256`).
MNIST_SPLIT_SEED = 20_240_917
MNIST_N_TRAIN = 8_000
MNIST_N_EVAL = 2_000
#: sha256 of the sorted evaluation indices as little-endian int64 bytes.
MNIST_EVAL_SHA256 = "5f113d5aec08a5d3c3cd6a54911c9c369686dc003fd01f378aaf87d6dfb45333"

Downloader = Callable[[str, str, Any], None]
"""A pooch downloader: ``downloader(url, output_file, pooch)`` writes ``url`` to ``output_file``."""


class DataError(RuntimeError):
    """A course data file is missing, corrupt or unreadable.

    The message names the file, its expected sha256, where it was searched and
    the command that fixes the problem.
    """


# --------------------------------------------------------------------------------------
# Checksums, look-up and download
# --------------------------------------------------------------------------------------

_MANIFEST: dict[str, str] | None = None
_VERIFIED: dict[str, tuple[int, int, int]] = {}  # resolved path -> (inode, size, mtime_ns) known good

_FIX = (
    f"Fix: export {DATA_ENV}=/path/to/shared/data (a folder holding MNIST/ and BSD/, "
    "e.g. the course's offline copy), or run `make data` on a machine with internet access "
    "(downloads into <repo>/data/)."
)


def manifest() -> dict[str, str]:
    """Every known data file: relative path -> expected sha256 (hex), from ``sha256sums.txt``."""
    global _MANIFEST
    if _MANIFEST is None:
        table: dict[str, str] = {}
        for number, line in enumerate(SHA256SUMS_FILE.read_text(encoding="utf-8").splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(maxsplit=1)
            if len(parts) != 2 or len(parts[0]) != 64:
                raise DataError(f"{SHA256SUMS_FILE}:{number}: malformed checksum line {line!r}")
            table[parts[1].lstrip("*").strip()] = parts[0].lower()
        _MANIFEST = table
    return dict(_MANIFEST)


def expected_sha256(relpath: str) -> str:
    """The expected sha256 of a data file.

    Raises:
        ValueError: ``relpath`` is not a course data file.
    """
    table = manifest()
    key = _normalise(relpath)
    if key not in table:
        raise ValueError(
            f"unknown data file {relpath!r}: not listed in {SHA256SUMS_FILE.name} "
            f"(known prefixes: MNIST/raw/, BSD/Train400/, BSD/BSD68/, BSD/Set12/)"
        )
    return table[key]


def urls_for(relpath: str) -> list[str]:
    """The download URLs of a data file, tried in this order."""
    key = _normalise(relpath)
    expected_sha256(key)
    name = key.rsplit("/", 1)[-1]
    if key.startswith("MNIST/raw/"):
        return [mirror + name for mirror in MNIST_MIRRORS]
    for prefix, base in BSD_SOURCES.items():
        if key.startswith(prefix):
            return [base + name]
    raise ValueError(f"no download source known for {relpath!r}")  # pragma: no cover - manifest guards it


def data_dirs() -> list[Path]:
    """The folders searched for data, in order: ``$COURSE_DATA_DIR`` (if set), then ``<repo>/data``.

    Raises:
        DataError: ``COURSE_DATA_DIR`` is set but is not a directory (a typo would
            otherwise silently fall through to a download).
    """
    dirs: list[Path] = []
    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise DataError(
                f"{DATA_ENV}={env!r} is not a directory. Fix: point it at the folder that holds "
                f"MNIST/ and BSD/ (export {DATA_ENV}=/path/to/shared/data), or unset it."
            )
        dirs.append(path)
    dirs.append(Path(REPO_DATA_DIR))
    return dirs


def fetch(
    relpath: str,
    *,
    root: str | os.PathLike[str] | None = None,
    download: bool = True,
    downloader: Downloader | None = None,
) -> Path:
    """Return the local path of a verified data file, downloading it if needed.

    Args:
        relpath: path relative to a data folder, e.g. ``"BSD/Set12/01.png"``.
        root: a data folder to use *instead of* the look-up order; nothing is downloaded.
        download: whether to download when no folder holds the file.
        downloader: a pooch downloader to use instead of HTTP (tests inject one).

    Returns:
        The path of a file whose sha256 matches ``sha256sums.txt``.

    Raises:
        ValueError: ``relpath`` is not a course data file.
        DataError: the file is missing everywhere (and could not be downloaded), or a
            copy that was found is corrupt.
    """
    key = _normalise(relpath)
    sha = expected_sha256(key)
    dirs = [Path(root)] if root is not None else data_dirs()
    looked: list[str] = []
    for folder in dirs:
        candidate = folder / key
        if candidate.is_file():
            _check(candidate, key, sha)
            return candidate
        looked.append(str(candidate))
    if root is not None or not download:
        why = "root= was given, so nothing is downloaded" if root is not None else "download=False"
        raise DataError(_missing_message(key, sha, looked, f"not downloaded ({why})"))
    try:
        return _download(key, None, downloader)
    except DataError as err:
        raise DataError(_missing_message(key, sha, looked, str(err))) from err


def download(
    relpath: str,
    dest_dir: str | os.PathLike[str] | None = None,
    *,
    downloader: Downloader | None = None,
) -> Path:
    """Download one data file into ``dest_dir`` (default ``<repo>/data``) and verify it.

    Each URL of :func:`urls_for` is tried in turn. ``pooch.retrieve`` writes into a
    fresh temporary folder beside the final file and checks the sha256; the file is
    then re-checked and renamed onto its final name (``os.replace``). On any failure
    nothing is left at the final name.

    Args:
        relpath: the file, e.g. ``"MNIST/raw/t10k-labels-idx1-ubyte.gz"``.
        dest_dir: the data folder to download into.
        downloader: a pooch downloader ``(url, output_file, pooch)``; ``None`` means HTTP.

    Raises:
        DataError: every URL failed (network error or checksum mismatch).
    """
    return _download(_normalise(relpath), dest_dir, downloader)


def _download(key: str, dest_dir: str | os.PathLike[str] | None, downloader: Downloader | None) -> Path:
    import pooch

    sha = expected_sha256(key)
    final = Path(dest_dir if dest_dir is not None else REPO_DATA_DIR) / key
    final.parent.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []
    for url in urls_for(key):
        tmpdir = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".download", dir=final.parent))
        try:
            got = Path(
                pooch.retrieve(
                    url,
                    known_hash=f"sha256:{sha}",
                    fname=final.name,
                    path=tmpdir,
                    downloader=downloader,
                    progressbar=False,
                )
            )
            actual = sha256_file(got)
            if actual != sha:  # pooch checked already; a custom processor/downloader must not slip through
                raise ValueError(f"sha256 of the download is {actual}, expected {sha}")
            os.chmod(got, 0o644)
            os.replace(got, final)
            _remember(final)
            return final
        except Exception as err:  # noqa: BLE001 - every failure becomes one line of the DataError
            errors.append(f"{url}: {type(err).__name__}: {err}")
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)
    raise DataError(
        f"could not download {key!r} (expected sha256 {sha}) into {final}:\n  "
        + "\n  ".join(errors)
    )


def _normalise(relpath: str | os.PathLike[str]) -> str:
    key = os.fspath(relpath).replace("\\", "/")
    while key.startswith("./"):
        key = key[2:]
    return key


def _stat_key(path: Path) -> tuple[int, int, int]:
    st = path.stat()
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def _remember(path: Path) -> None:
    _VERIFIED[str(path.resolve())] = _stat_key(path)


def _check(path: Path, key: str, sha: str) -> None:
    """Raise :class:`DataError` unless ``path`` has sha256 ``sha`` (cached by inode, size, mtime)."""
    resolved = str(path.resolve())
    stat = _stat_key(path)
    if _VERIFIED.get(resolved) == stat:
        return
    try:
        actual = sha256_file(path)
    except OSError as err:
        raise DataError(f"cannot read data file {key!r} at {path}: {err}. {_FIX}") from err
    if actual != sha:
        _VERIFIED.pop(resolved, None)
        raise DataError(
            f"corrupt data file {key!r} at {path}: its sha256 is {actual}, expected {sha}. "
            f"It is not used. Fix: delete it and run `make data` on a machine with internet access, "
            f"or export {DATA_ENV}=/path/to/shared/data pointing at an intact copy "
            f"(check it there with `sha256sum -c SHA256SUMS`)."
        )
    _VERIFIED[resolved] = stat


def _missing_message(key: str, sha: str, looked: Sequence[str], download_note: str) -> str:
    env = os.environ.get(DATA_ENV, "").strip()
    env_note = f"{DATA_ENV}={env!r}" if env else f"{DATA_ENV} is not set"
    places = "\n  ".join(looked) if looked else "(nowhere)"
    return (
        f"missing data file {key!r} (expected sha256 {sha}); {env_note}. Looked in:\n  {places}\n"
        f"Download: {download_note}\n{_FIX}"
    )


# --------------------------------------------------------------------------------------
# Checking every file (make data)
# --------------------------------------------------------------------------------------


def verify_all(
    *,
    download: bool = True,
    downloader: Downloader | None = None,
    verbose: bool = True,
) -> dict[str, str]:
    """Check every data file of ``sha256sums.txt`` and print a summary (``make data``).

    Each file is looked up like :func:`fetch` (and downloaded when missing, if
    ``download``); after the first failed download the remaining missing files are
    not tried (an offline machine would otherwise wait for every one).

    Returns:
        relpath -> status, one of ``"ok"``, ``"downloaded"``, ``"missing"``, ``"corrupt"``.
    """
    status: dict[str, str] = {}
    problems: list[str] = []
    may_download = download
    for key in sorted(manifest()):
        found_before = any((folder / key).is_file() for folder in data_dirs())
        try:
            fetch(key, download=may_download, downloader=downloader)
            status[key] = "ok" if found_before else "downloaded"
        except DataError as err:
            text = str(err)
            status[key] = "corrupt" if text.startswith("corrupt") else "missing"
            if status[key] == "missing" and may_download:
                may_download = False
                problems.append(f"download of {key!r} failed, so no further downloads were tried:")
                problems.extend("    " + line.strip() for line in text.splitlines()[1:] if "://" in line)
            problems.append(text.splitlines()[0].split("; ")[0] if status[key] == "missing" else text)
    if verbose:
        _print_summary(status, problems)
    return status


def _print_summary(status: dict[str, str], problems: list[str]) -> None:
    groups: dict[str, dict[str, int]] = {}
    for key, value in status.items():
        group = key.rsplit("/", 1)[0]
        groups.setdefault(group, {}).setdefault(value, 0)
        groups[group][value] += 1
    where = ", ".join(str(d) for d in data_dirs())
    print(f"course data: {len(status)} files, searched {where}")
    for group in sorted(groups):
        counts = ", ".join(f"{n} {s}" for s, n in sorted(groups[group].items()))
        print(f"  {group:<14} {counts}")
    bad = sum(v in ("missing", "corrupt") for v in status.values())
    if bad:
        for line in problems[:12]:
            print(f"  ! {line}")
        if len(problems) > 12:
            print(f"  ! ... and {len(problems) - 12} more")
        print(f"{bad} file(s) missing or corrupt. {_FIX}")
    else:
        print("all files present and verified (sha256)")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m course_lib.data [--no-download]``: verify (and fetch) every data file."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        status = verify_all(download="--no-download" not in args)
    except DataError as err:
        print(f"course data: {err}", file=sys.stderr)
        return 1
    return 0 if all(v in ("ok", "downloaded") for v in status.values()) else 1


# --------------------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------------------

_ARRAYS: dict[tuple[Any, ...], np.ndarray] = {}


def _cached(key: tuple[Any, ...], paths: Sequence[Path], load: Callable[[], np.ndarray]) -> np.ndarray:
    """Memoise a decoded array by the (verified) files it came from."""
    full = (key, tuple((str(p.resolve()), *_stat_key(p)) for p in paths))
    if full not in _ARRAYS:
        _ARRAYS[full] = load()
    return _ARRAYS[full]


def read_idx(path: str | os.PathLike[str], *, magic: int) -> np.ndarray:
    """Read a (gzipped) IDX file of unsigned bytes, as used by MNIST.

    Args:
        path: the ``.gz`` (or plain) IDX file.
        magic: the expected magic number: 2051 for images (3-D), 2049 for labels (1-D).

    Returns:
        A ``uint8`` array of shape ``(N, rows, cols)`` or ``(N,)``.

    Raises:
        DataError: wrong magic number or a size that does not match the header.
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            raw = handle.read()
    except OSError as err:
        raise DataError(f"cannot read IDX file {path}: {err}. {_FIX}") from err
    if len(raw) < 4:
        raise DataError(f"IDX file {path} is truncated ({len(raw)} bytes)")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise DataError(
            f"IDX file {path} has magic number {found} (0x{found:08x}), expected {magic} (0x{magic:08x}): "
            f"not an MNIST {'image' if magic == IDX_IMAGES_MAGIC else 'label'} file. {_FIX}"
        )
    ndim = raw[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(raw) != header + math.prod(dims):
        raise DataError(f"IDX file {path}: header says shape {dims} but the payload has {len(raw) - header} bytes")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _read_png(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        array = np.asarray(image)
    if array.dtype != np.uint8 or array.ndim != 2:
        raise DataError(f"{path}: expected an 8-bit grayscale PNG, got dtype {array.dtype} shape {array.shape}")
    return array


def _to_tensor(array: np.ndarray) -> torch.Tensor:
    """uint8 (..., H, W) -> float32 in [0, 1]; a fresh tensor (the cache is never aliased)."""
    return torch.from_numpy(array.astype(np.float32) / np.float32(255.0))


# --------------------------------------------------------------------------------------
# MNIST and the course split
# --------------------------------------------------------------------------------------

_SPLITS = ("train", "eval", "all")


def _mnist_arrays(root: str | os.PathLike[str] | None) -> tuple[np.ndarray, np.ndarray]:
    images_path = fetch(MNIST_IMAGES, root=root)
    labels_path = fetch(MNIST_LABELS, root=root)
    images = _cached(("mnist-images",), [images_path], lambda: read_idx(images_path, magic=IDX_IMAGES_MAGIC))
    labels = _cached(("mnist-labels",), [labels_path], lambda: read_idx(labels_path, magic=IDX_LABELS_MAGIC))
    if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
        raise DataError(f"MNIST files disagree: images {images.shape}, labels {labels.shape}")
    return images, labels


def _stratified_split(labels: np.ndarray, n_eval: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Digit-stratified split of ``range(len(labels))``; see :func:`mnist_split_indices`."""
    classes = np.arange(10)
    counts = np.array([(labels == d).sum() for d in classes], dtype=np.int64)
    numerators = n_eval * counts  # exact integer arithmetic: quota_d = numerators[d] / total
    total = int(counts.sum())
    take = numerators // total
    remainder = numerators % total
    # Largest remainder; ties go to the smaller digit (stable sort of -remainder).
    for d in np.argsort(-remainder, kind="stable")[: n_eval - int(take.sum())]:
        take[d] += 1
    rng = np.random.default_rng(seed)
    eval_parts, train_parts = [], []
    for d in classes:
        perm = rng.permutation(np.flatnonzero(labels == d))
        eval_parts.append(perm[: take[d]])
        train_parts.append(perm[take[d] :])
    return np.sort(np.concatenate(train_parts)).astype(np.int64), np.sort(np.concatenate(eval_parts)).astype(np.int64)


def _fingerprint(indices: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(indices, dtype="<i8").tobytes()).hexdigest()


def mnist_split_indices(*, root: str | os.PathLike[str] | None = None) -> dict[str, np.ndarray]:
    """The course split of the 10,000 MNIST test images: 8,000 train, 2,000 eval.

    Definition (fixed forever, identical on every machine):

    1. ``labels`` = the 10,000 labels of ``t10k-labels-idx1-ubyte.gz``, in file order.
    2. Evaluation count per digit ``d`` by the largest-remainder method: the quota
       ``2000 * n_d / 10000`` is rounded down and the missing images go, one each, to the
       digits with the largest fractional parts (ties: smaller digit first), so the counts
       sum to exactly 2,000 and are within one image of proportional.
    3. ``rng = numpy.random.default_rng(MNIST_SPLIT_SEED)``; for ``d = 0, 1, ..., 9`` in
       turn, ``perm = rng.permutation(<indices of digit d, ascending>)``; the first
       ``count_d`` entries of ``perm`` go to eval, the rest to train.
    4. Both index arrays are sorted ascending (shuffle them yourself for SGD).

    The split is a random, stratified selection, never a contiguous block: the last
    5,000 test images are the harder half of MNIST's test set, and both halves appear
    in eval in about equal numbers. The sha256 of the eval indices (little-endian int64)
    is :data:`MNIST_EVAL_SHA256`; this function raises if it ever differs (for example
    if a NumPy release changed ``Generator.permutation``), so the split cannot change
    silently.

    Returns:
        ``{"train": int64 array (8000,), "eval": int64 array (2000,)}``, indices into the
        10k test set; fresh copies.

    Raises:
        DataError: the MNIST label file is missing or corrupt.
        RuntimeError: the computed split does not match the pinned fingerprint.
    """
    _, labels = _mnist_arrays(root)
    train, evaluation = _stratified_split(labels, MNIST_N_EVAL, MNIST_SPLIT_SEED)
    digest = _fingerprint(evaluation)
    if digest != MNIST_EVAL_SHA256:
        raise RuntimeError(
            f"the course split of MNIST changed: sha256 of the eval indices is {digest}, pinned "
            f"{MNIST_EVAL_SHA256} (numpy {np.__version__}). Results would not be comparable; "
            "report this to the course authors."
        )
    return {"train": train, "eval": evaluation}


def mnist(split: str = "train", *, root: str | os.PathLike[str] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST digits under the course split (chapters 01, 04, 06, ...).

    Args:
        split: ``"train"`` (8,000 images), ``"eval"`` (2,000 images) or ``"all"`` (the
            10,000 test images in file order). Train and eval follow
            :func:`mnist_split_indices` (sorted index order).
        root: a data folder to read instead of the look-up order (no download).

    Returns:
        ``(images, labels)``: ``float32`` images in ``[0, 1]`` of shape ``(N, 1, 28, 28)``
        and ``int64`` labels of shape ``(N,)``.

    Note:
        Only the 10k test images are used, so the course runs on the offline copy.
        Training on MNIST's 60k training split is an optional extension a student may
        add; it is never used for shipped results.

    Raises:
        ValueError: unknown ``split``.
        DataError: missing or corrupt files.
    """
    if split not in _SPLITS:
        raise ValueError(f"unknown MNIST split {split!r}; valid splits are: {', '.join(_SPLITS)}")
    images, labels = _mnist_arrays(root)
    if split == "all":
        index = np.arange(labels.shape[0])
    else:
        index = mnist_split_indices(root=root)[split]
    x = _to_tensor(images[index])[:, None]
    y = torch.from_numpy(labels[index].astype(np.int64))
    return x, y


# --------------------------------------------------------------------------------------
# BSD: Train400, BSD68, Set12
# --------------------------------------------------------------------------------------


def _names(prefix: str) -> list[str]:
    return sorted(k[len(prefix) :] for k in manifest() if k.startswith(prefix))


def bsd_train400_names() -> list[str]:
    """File names of Train400, sorted (``test_001.png`` ... ``test_400.png``)."""
    return _names("BSD/Train400/")


def bsd68_names() -> list[str]:
    """File names of BSD68, sorted; the order of :func:`bsd68`."""
    return _names("BSD/BSD68/")


def set12_names() -> list[str]:
    """File names of Set12, sorted (``01.png`` ... ``12.png``); the order of :func:`set12`."""
    return _names("BSD/Set12/")


def _load_set(prefix: str, root: str | os.PathLike[str] | None) -> list[np.ndarray]:
    paths = [fetch(prefix + name, root=root) for name in _names(prefix)]
    return [_cached(("png",), [p], lambda p=p: _read_png(p)) for p in paths]


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def bsd_train400(*, root: str | os.PathLike[str] | None = None) -> torch.Tensor:
    """The 400 Train400 images (DnCNN's training set), shape ``(400, 1, 180, 180)``, in name order.

    Chapters 03, 05 and 07 train denoisers on patches of these (:func:`bsd_train400_patches`).
    """
    return _to_tensor(np.stack(_load_set("BSD/Train400/", root)))[:, None]


_DIHEDRAL = 8  # 4 rotations x optional flip


def bsd_train400_patches(
    n: int,
    size: int,
    *,
    seed: int = 0,
    augment: bool = False,
    root: str | os.PathLike[str] | None = None,
) -> torch.Tensor:
    """Random square patches of Train400 (chapters 03, 05, 07).

    With ``rng = numpy.random.default_rng(seed)``: image indices
    ``rng.integers(0, 400, n)``, then top-left corners ``rng.integers(0, 180 - size + 1, n)``
    for rows and then columns, then (if ``augment``) one of the 8 dihedral transforms per
    patch, ``rng.integers(0, 8, n)``: ``k % 4`` quarter turns (``numpy.rot90``) followed by a
    left-right flip when ``k >= 4``. The same arguments give the same patches.

    Args:
        n: number of patches (> 0).
        size: patch side in pixels, 1 <= size <= 180.
        seed: seed of the patch positions.
        augment: apply random flips/rotations.
        root: a data folder to read instead of the look-up order.

    Returns:
        ``float32`` tensor in ``[0, 1]`` of shape ``(n, 1, size, size)``.
    """
    n = _check_positive_int("n", n)
    size = _check_positive_int("size", size)
    if size > 180:
        raise ValueError(f"patch size {size} is larger than the 180x180 Train400 images")
    images = np.stack(_load_set("BSD/Train400/", root))
    rng = np.random.default_rng(seed)
    which = rng.integers(0, images.shape[0], n)
    top = rng.integers(0, images.shape[1] - size + 1, n)
    left = rng.integers(0, images.shape[2] - size + 1, n)
    offsets = np.arange(size)
    patches = images[
        which[:, None, None],
        top[:, None, None] + offsets[None, :, None],
        left[:, None, None] + offsets[None, None, :],
    ]
    if augment:
        kinds = rng.integers(0, _DIHEDRAL, n)
        for k in range(_DIHEDRAL):
            sel = kinds == k
            if k and sel.any():
                block = np.rot90(patches[sel], k % 4, axes=(1, 2))
                if k >= 4:
                    block = block[:, :, ::-1]
                patches[sel] = block
    return _to_tensor(np.ascontiguousarray(patches))[:, None]


def _test_set(prefix: str, crop: int | None, root: str | os.PathLike[str] | None) -> list[torch.Tensor] | torch.Tensor:
    arrays = _load_set(prefix, root)
    if crop is None:
        return [_to_tensor(a)[None, None] for a in arrays]
    crop = _check_positive_int("crop", crop)
    out = []
    for name, a in zip(_names(prefix), arrays):
        h, w = a.shape
        if crop > min(h, w):
            raise ValueError(f"crop {crop} is larger than image {prefix}{name} of size {h}x{w}")
        top, left = (h - crop) // 2, (w - crop) // 2
        out.append(a[top : top + crop, left : left + crop])
    return _to_tensor(np.stack(out))[:, None]


def bsd68(crop: int | None = None, *, root: str | os.PathLike[str] | None = None) -> list[torch.Tensor] | torch.Tensor:
    """The 68 BSD68 test images (chapters 03, 05, 07), in the order of :func:`bsd68_names`.

    Args:
        crop: ``None`` for full images (321x481 or 481x321); an int for centre crops
            ``crop x crop`` (top-left corner at ``((H - crop) // 2, (W - crop) // 2)``).
        root: a data folder to read instead of the look-up order.

    Returns:
        ``crop=None``: a list of 68 tensors of shape ``(1, 1, H, W)``; otherwise one
        tensor ``(68, 1, crop, crop)``. ``float32`` in ``[0, 1]``.

    Raises:
        ValueError: ``crop`` is not positive or is larger than an image side (321).
    """
    return _test_set("BSD/BSD68/", crop, root)


def set12(crop: int | None = None, *, root: str | os.PathLike[str] | None = None) -> list[torch.Tensor] | torch.Tensor:
    """The 12 Set12 test images (256x256 and 512x512), in the order of :func:`set12_names`.

    Same conventions as :func:`bsd68` (list of ``(1, 1, H, W)`` for ``crop=None``, else a
    ``(12, 1, crop, crop)`` tensor of centre crops; ``crop <= 256``).
    """
    return _test_set("BSD/Set12/", crop, root)


# --------------------------------------------------------------------------------------
# Ellipse phantoms for CT
# --------------------------------------------------------------------------------------


def ellipse_phantoms(n: int, size: int = 64, *, seed: int = 0) -> torch.Tensor:
    """Random-ellipse phantoms for CT (chapters 08-10), after Adler & Öktem's learned primal-dual.

    Coordinates run over ``[-1, 1]^2`` (pixel centres). With
    ``rng = numpy.random.default_rng(seed)``, each phantom in turn draws a "body" ellipse
    and then ``K = rng.integers(3, 9)`` (3 to 8) inner ellipses. Every ellipse has
    semi-axes ``a, b``, a centre at distance ``(0.9 - max(a, b)) * sqrt(U(0, 1))`` from the
    origin in a uniform direction (so it lies inside the disc of radius 0.9), a rotation
    ``~ U(0, pi)`` and an intensity:

    * body: ``a, b ~ U(0.5, 0.85)``, intensity ``~ U(0.2, 0.5)``;
    * inner ellipses: ``a, b ~ U(0.03, 0.35)``, intensity ``~ U(-0.3, 0.7)`` (negative
      ones carve darker regions).

    The ellipses' indicator functions times their intensities are summed, clipped to
    ``[0, 1]`` and multiplied by a disc mask that is zero outside the inscribed circle
    (also with skimage's convention of centre ``size // 2``), so parallel-beam CT with
    ``circle=True`` applies. Phantom ``i`` depends only on ``seed`` and ``i``:
    ``ellipse_phantoms(m, s, seed=k)`` is a prefix of ``ellipse_phantoms(n, s, seed=k)``.

    Args:
        n: number of phantoms (> 0).
        size: image side in pixels (>= 8).
        seed: the seed.

    Returns:
        ``float32`` tensor in ``[0, 1]`` of shape ``(n, 1, size, size)``.
    """
    n = _check_positive_int("n", n)
    size = _check_positive_int("size", size)
    if size < 8:
        raise ValueError(f"phantom size must be at least 8 pixels, got {size}")
    coords = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    yy, xx = np.meshgrid(coords, coords, indexing="ij")  # yy: rows, xx: columns
    rows = np.arange(size)[:, None]
    cols = np.arange(size)[None, :]
    half = size // 2
    mask = (xx**2 + yy**2 <= (1.0 - 1.0 / size) ** 2) & ((rows - half) ** 2 + (cols - half) ** 2 <= half**2)
    rng = np.random.default_rng(seed)
    out = np.empty((n, size, size), dtype=np.float64)
    for i in range(n):
        image = np.zeros((size, size))
        kinds = [((0.5, 0.85), (0.2, 0.5))] + [((0.03, 0.35), (-0.3, 0.7))] * int(rng.integers(3, 9))
        for (lo, hi), (vlo, vhi) in kinds:
            a, b = rng.uniform(lo, hi, 2)
            dist = (0.9 - max(a, b)) * math.sqrt(rng.uniform())
            direction = rng.uniform(0.0, 2.0 * math.pi)
            x0, y0 = dist * math.cos(direction), dist * math.sin(direction)
            theta = rng.uniform(0.0, math.pi)
            value = rng.uniform(vlo, vhi)
            c, s = math.cos(theta), math.sin(theta)
            u = (xx - x0) * c + (yy - y0) * s
            v = -(xx - x0) * s + (yy - y0) * c
            image += value * ((u / a) ** 2 + (v / b) ** 2 <= 1.0)
        out[i] = np.clip(image, 0.0, 1.0) * mask
    return torch.from_numpy(out.astype(np.float32))[:, None]


# --------------------------------------------------------------------------------------
# Toy distributions for GAN theory (chapter 06)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GaussianMixture1D:
    """A 1-D Gaussian mixture ``p(x) = sum_k w_k N(x; mu_k, sigma_k^2)`` (chapter 06).

    Works in torch: :meth:`sample` returns ``float32`` samples, :meth:`pdf` and
    :meth:`log_pdf` evaluate in ``float64`` and accept tensors, NumPy arrays or floats of
    any shape (elementwise).

    Attributes:
        means: component means.
        stds: component standard deviations (> 0).
        weights: mixing weights (> 0); normalised to sum to 1 on construction.
    """

    means: tuple[float, ...]
    stds: tuple[float, ...]
    weights: tuple[float, ...] | None = None

    def __post_init__(self) -> None:
        means = tuple(float(m) for m in np.atleast_1d(self.means))
        stds = tuple(float(s) for s in np.atleast_1d(self.stds))
        weights = (1.0,) * len(means) if self.weights is None else tuple(float(w) for w in np.atleast_1d(self.weights))
        if not means:
            raise ValueError("a mixture needs at least one component")
        if not len(means) == len(stds) == len(weights):
            raise ValueError(f"means, stds, weights must have equal lengths, got {len(means)}, {len(stds)}, {len(weights)}")
        if not all(math.isfinite(m) for m in means):
            raise ValueError(f"means must be finite, got {means}")
        if not all(s > 0 and math.isfinite(s) for s in stds):
            raise ValueError(f"stds must be positive, got {stds}")
        if not all(w > 0 and math.isfinite(w) for w in weights):
            raise ValueError(f"weights must be positive, got {weights}")
        total = sum(weights)
        object.__setattr__(self, "means", means)
        object.__setattr__(self, "stds", stds)
        object.__setattr__(self, "weights", tuple(w / total for w in weights))

    @property
    def n_components(self) -> int:
        """The number of components."""
        return len(self.means)

    def mean(self) -> float:
        """The mixture's mean ``sum_k w_k mu_k``."""
        return float(sum(w * m for w, m in zip(self.weights, self.means)))

    def variance(self) -> float:
        """The mixture's variance ``sum_k w_k (sigma_k^2 + mu_k^2) - mean^2``."""
        second = sum(w * (s**2 + m**2) for w, m, s in zip(self.weights, self.means, self.stds))
        return float(second - self.mean() ** 2)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` samples, ``float32`` of shape ``(n, 1)`` (rows are samples, like the 2-D toys).

        Args:
            n: number of samples (> 0).
            generator: a ``torch.Generator``; ``None`` uses torch's global generator.
        """
        n = _check_positive_int("n", n)
        weights = torch.tensor(self.weights, dtype=torch.float64)
        comp = torch.multinomial(weights, n, replacement=True, generator=generator)
        noise = torch.randn(n, generator=generator, dtype=torch.float64)
        x = torch.tensor(self.means, dtype=torch.float64)[comp] + torch.tensor(self.stds, dtype=torch.float64)[comp] * noise
        return x.to(torch.float32)[:, None]

    def log_pdf(self, x: torch.Tensor | np.ndarray | float) -> torch.Tensor:
        """The log density at ``x`` (elementwise, ``float64``, same shape as ``x``)."""
        t = torch.as_tensor(x, dtype=torch.float64)
        mu = torch.tensor(self.means, dtype=torch.float64)
        sd = torch.tensor(self.stds, dtype=torch.float64)
        logw = torch.log(torch.tensor(self.weights, dtype=torch.float64))
        z = (t[..., None] - mu) / sd
        comps = logw - 0.5 * z**2 - torch.log(sd) - 0.5 * math.log(2 * math.pi)
        return torch.logsumexp(comps, dim=-1)

    def pdf(self, x: torch.Tensor | np.ndarray | float) -> torch.Tensor:
        """The density at ``x`` (elementwise, ``float64``, same shape as ``x``)."""
        return torch.exp(self.log_pdf(x))


#: Named 1-D mixtures for chapter 06 (see :func:`gaussian_mixture_1d`).
GMM1D_PRESETS: dict[str, GaussianMixture1D] = {
    "bimodal": GaussianMixture1D((-2.0, 2.0), (0.5, 0.5), (0.5, 0.5)),
    "unbalanced": GaussianMixture1D((-2.0, 2.0), (0.5, 0.5), (0.8, 0.2)),
    "trimodal": GaussianMixture1D((-3.0, 0.0, 3.0), (0.4, 0.4, 0.4), (1 / 3, 1 / 3, 1 / 3)),
    "separated": GaussianMixture1D((-4.0, 4.0), (0.25, 0.25), (0.5, 0.5)),
}


def gaussian_mixture_1d(name: str) -> GaussianMixture1D:
    """A named preset of :data:`GMM1D_PRESETS`: ``bimodal`` (means -2, 2; std 0.5), ``unbalanced``
    (weights 0.8/0.2), ``trimodal`` (means -3, 0, 3; std 0.4), ``separated`` (means -4, 4; std 0.25)."""
    if name not in GMM1D_PRESETS:
        raise ValueError(f"unknown mixture preset {name!r}; valid presets are: {', '.join(sorted(GMM1D_PRESETS))}")
    return GMM1D_PRESETS[name]


def ring_centres(modes: int = 8, radius: float = 2.0) -> torch.Tensor:
    """Centres of :func:`ring_of_gaussians`: ``radius * (cos, sin)(2 pi k / modes)``, shape ``(modes, 2)``."""
    modes = _check_positive_int("modes", modes)
    if not radius > 0:
        raise ValueError(f"radius must be positive, got {radius!r}")
    angles = 2 * math.pi * torch.arange(modes, dtype=torch.float64) / modes
    return (radius * torch.stack([torch.cos(angles), torch.sin(angles)], dim=1)).to(torch.float32)


def grid_centres(side: int = 5, spacing: float = 2.0) -> torch.Tensor:
    """Centres of :func:`grid_of_gaussians`: ``spacing * (i - (side - 1) / 2, j - (side - 1) / 2)``,
    shape ``(side**2, 2)``, row-major (default: the 25 points of ``{-4, -2, 0, 2, 4}^2``)."""
    side = _check_positive_int("side", side)
    if not spacing > 0:
        raise ValueError(f"spacing must be positive, got {spacing!r}")
    ticks = spacing * (torch.arange(side, dtype=torch.float64) - (side - 1) / 2)
    gi, gj = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack([gi.reshape(-1), gj.reshape(-1)], dim=1).to(torch.float32)


def _sample_modes(n: int, centres: torch.Tensor, std: float, generator: torch.Generator | None) -> torch.Tensor:
    n = _check_positive_int("n", n)
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}")
    which = torch.randint(0, centres.shape[0], (n,), generator=generator)
    noise = torch.randn(n, 2, generator=generator)
    return centres[which] + float(std) * noise


def ring_of_gaussians(
    n: int, modes: int = 8, radius: float = 2.0, std: float = 0.05, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Samples of ``modes`` equally weighted isotropic Gaussians on a circle (chapter 06 mode collapse).

    Returns:
        ``float32`` tensor ``(n, 2)``; the centres are :func:`ring_centres` ``(modes, radius)``.
    """
    return _sample_modes(n, ring_centres(modes, radius), std, generator)


def grid_of_gaussians(
    n: int, side: int = 5, spacing: float = 2.0, std: float = 0.05, generator: torch.Generator | None = None
) -> torch.Tensor:
    """Samples of ``side**2`` equally weighted isotropic Gaussians on a square grid (chapter 06).

    Returns:
        ``float32`` tensor ``(n, 2)``; the centres are :func:`grid_centres` ``(side, spacing)``.
    """
    return _sample_modes(n, grid_centres(side, spacing), std, generator)


if __name__ == "__main__":  # pragma: no cover - exercised by `make data`
    sys.exit(main())
