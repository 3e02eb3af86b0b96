"""Tests of course_lib.data: look-up, checksums, downloads, the MNIST course split, loaders, toys.

The data are read from the offline copy named by ``COURSE_DATA_DIR`` (default
``/work/shared/data``); the repository's own ``data/`` folder is replaced by a temporary
folder, so no test reads from or writes into the repository, and nothing touches the network.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import shutil
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from course_lib import data
from course_lib.data import DataError

SHARED = Path(os.environ.get("COURSE_DATA_DIR", "/work/shared/data"))
needs_shared = pytest.mark.skipif(
    not (SHARED / "MNIST").is_dir(),
    reason=f"offline data copy not found at {SHARED}; export COURSE_DATA_DIR=/path/to/shared/data",
)

SET12_01 = "BSD/Set12/01.png"
MNIST_LABELS = "MNIST/raw/t10k-labels-idx1-ubyte.gz"

# The course split, pinned: changing any of these means every shipped MNIST result changes.
EVAL_SHA256 = "5f113d5aec08a5d3c3cd6a54911c9c369686dc003fd01f378aaf87d6dfb45333"
TRAIN_SHA256 = "f8b42a1d8534d6ee4d5566d6edc3e85018aaa053ce4095fc68dcc59ebda5a5f7"
EVAL_PER_DIGIT = [196, 227, 206, 202, 196, 178, 192, 206, 195, 202]
TEST_PER_DIGIT = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture
def repo_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty stand-in for ``<repo>/data`` (where downloads would go)."""
    folder = tmp_path / "repo_data"
    folder.mkdir()
    monkeypatch.setattr(data, "REPO_DATA_DIR", folder)
    return folder


@pytest.fixture
def shared(repo_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``COURSE_DATA_DIR`` pointing at the offline copy."""
    if not (SHARED / "MNIST").is_dir():
        pytest.skip(f"offline data copy not found at {SHARED}; export COURSE_DATA_DIR=/path/to/shared/data")
    monkeypatch.setenv(data.DATA_ENV, str(SHARED))
    return SHARED


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy(relpath: str, root: Path) -> Path:
    target = root / relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SHARED / relpath, target)
    return target


def _flip_byte(path: Path, offset: int = 100) -> None:
    raw = bytearray(path.read_bytes())
    raw[offset] ^= 0xFF
    path.write_bytes(bytes(raw))


def _copying_downloader(source: Path, calls: list[str] | None = None):
    """A pooch downloader that 'downloads' by copying a local file."""

    def downloader(url: str, output_file: str, pooch_obj: object) -> None:
        if calls is not None:
            calls.append(url)
        shutil.copyfile(source, output_file)

    return downloader


def _offline_downloader(calls: list[str] | None = None):
    def downloader(url: str, output_file: str, pooch_obj: object) -> None:
        if calls is not None:
            calls.append(url)
        raise ConnectionError(f"no network (test): {url}")

    return downloader


# ----------------------------------------------------------------------------------------------
# Checksums and URLs
# ----------------------------------------------------------------------------------------------


def test_manifest_lists_every_file() -> None:
    table = data.manifest()
    assert len(table) == 482
    assert sum(k.startswith("BSD/Train400/") for k in table) == 400
    assert sum(k.startswith("BSD/BSD68/") for k in table) == 68
    assert sum(k.startswith("BSD/Set12/") for k in table) == 12
    assert {data.MNIST_IMAGES, data.MNIST_LABELS} <= set(table)
    assert all(len(v) == 64 and int(v, 16) >= 0 for v in table.values())


@needs_shared
def test_manifest_is_a_copy_of_the_shared_sums() -> None:
    assert data.SHA256SUMS_FILE.read_bytes() == (SHARED / "SHA256SUMS").read_bytes()


def test_urls() -> None:
    assert data.urls_for(data.MNIST_IMAGES) == [
        "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
        "http://yann.lecun.com/exdb/mnist/t10k-images-idx3-ubyte.gz",
    ]
    raw = "https://raw.githubusercontent.com/cszn/DnCNN/master/"
    assert data.urls_for("BSD/BSD68/test001.png") == [raw + "testsets/BSD68/test001.png"]
    assert data.urls_for(SET12_01) == [raw + "testsets/Set12/01.png"]
    assert data.urls_for("BSD/Train400/test_001.png") == [
        raw + "TrainingCodes/DnCNN_TrainingCodes_v1.0/data/Train400/test_001.png"
    ]
    for key in data.manifest():
        assert data.urls_for(key)


def test_unknown_file_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="unknown data file 'BSD/Set12/13.png'"):
        data.fetch("BSD/Set12/13.png")


# ----------------------------------------------------------------------------------------------
# Look-up order
# ----------------------------------------------------------------------------------------------


@needs_shared
def test_lookup_order(tmp_path: Path, repo_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = tmp_path / "env"
    env_copy = _copy(SET12_01, env_dir)
    repo_copy = _copy(SET12_01, repo_data)
    never = _offline_downloader()

    monkeypatch.setenv(data.DATA_ENV, str(env_dir))
    assert data.data_dirs() == [env_dir, repo_data]
    assert data.fetch(SET12_01, downloader=never) == env_copy  # 1. COURSE_DATA_DIR

    env_copy.unlink()
    assert data.fetch(SET12_01, downloader=never) == repo_copy  # 2. <repo>/data

    monkeypatch.delenv(data.DATA_ENV)
    assert data.data_dirs() == [repo_data]
    assert data.fetch(SET12_01, downloader=never) == repo_copy

    repo_copy.unlink()  # 3. download into <repo>/data
    calls: list[str] = []
    got = data.fetch(SET12_01, downloader=_copying_downloader(SHARED / SET12_01, calls))
    assert got == repo_data / SET12_01 and _sha(got) == data.expected_sha256(SET12_01)
    assert calls == data.urls_for(SET12_01)


@needs_shared
def test_root_argument_bypasses_lookup(tmp_path: Path, shared: Path) -> None:
    assert data.fetch(SET12_01, root=SHARED) == SHARED / SET12_01
    with pytest.raises(DataError, match="nothing is downloaded"):
        data.fetch(SET12_01, root=tmp_path)


def test_env_not_a_directory(tmp_path: Path, repo_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.DATA_ENV, str(tmp_path / "typo"))
    with pytest.raises(DataError, match="is not a directory"):
        data.fetch(SET12_01)


def test_empty_env_is_unset(repo_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(data.DATA_ENV, "")
    assert data.data_dirs() == [repo_data]


# ----------------------------------------------------------------------------------------------
# Missing and corrupt files
# ----------------------------------------------------------------------------------------------


def test_missing_offline_names_the_fix(tmp_path: Path, repo_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    monkeypatch.setenv(data.DATA_ENV, str(env_dir))
    calls: list[str] = []
    with pytest.raises(DataError) as info:
        data.fetch(data.MNIST_IMAGES, downloader=_offline_downloader(calls))
    message = str(info.value)
    assert isinstance(info.value, RuntimeError)
    assert data.MNIST_IMAGES in message
    assert data.expected_sha256(data.MNIST_IMAGES) in message
    assert str(env_dir / data.MNIST_IMAGES) in message and str(repo_data / data.MNIST_IMAGES) in message
    assert "export COURSE_DATA_DIR=" in message and "make data" in message
    assert "no network" in message
    assert calls == data.urls_for(data.MNIST_IMAGES)  # both mirrors were tried
    assert not (repo_data / data.MNIST_IMAGES).exists()


def test_missing_without_download(repo_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    with pytest.raises(DataError, match=r"(?s)COURSE_DATA_DIR is not set.*download=False.*make data"):
        data.fetch(SET12_01, download=False)


@needs_shared
@pytest.mark.parametrize("where", ["env", "repo"])
def test_corrupt_file_is_an_error(where: str, tmp_path: Path, repo_data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_dir = tmp_path / "env"
    env_dir.mkdir()
    monkeypatch.setenv(data.DATA_ENV, str(env_dir))
    bad = _copy(MNIST_LABELS, env_dir if where == "env" else repo_data)
    if where == "env":
        _copy(MNIST_LABELS, repo_data)  # an intact copy later in the order must not be used silently
    _flip_byte(bad)
    with pytest.raises(DataError) as info:
        data.fetch(MNIST_LABELS, downloader=_offline_downloader())
    message = str(info.value)
    assert message.startswith("corrupt data file")
    assert data.expected_sha256(MNIST_LABELS) in message and _sha(bad) in message
    assert str(bad) in message and "make data" in message
    with pytest.raises(DataError, match="corrupt"):
        data.mnist("eval")


@needs_shared
def test_corruption_after_verification_is_caught(tmp_path: Path, shared: Path) -> None:
    copy = _copy(SET12_01, tmp_path)
    assert data.fetch(SET12_01, root=tmp_path) == copy  # verified and cached
    _flip_byte(copy, offset=200)
    os.utime(copy, ns=(1, 1))  # even with a tampered mtime the size/inode/mtime key changes
    with pytest.raises(DataError, match="corrupt"):
        data.fetch(SET12_01, root=tmp_path)


# ----------------------------------------------------------------------------------------------
# Downloads (with an injected downloader: no network)
# ----------------------------------------------------------------------------------------------


@needs_shared
def test_download_with_matching_checksum(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    got = data.download(SET12_01, dest, downloader=_copying_downloader(SHARED / SET12_01))
    assert got == dest / SET12_01
    assert _sha(got) == data.expected_sha256(SET12_01)
    assert sorted(p.name for p in got.parent.iterdir()) == ["01.png"]  # no temporary left behind


@needs_shared
def test_download_with_mismatching_checksum(tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    calls: list[str] = []
    wrong = _copying_downloader(SHARED / "MNIST/raw/t10k-images-idx3-ubyte.gz", calls)
    with pytest.raises(DataError) as info:
        data.download(MNIST_LABELS, dest, downloader=wrong)
    message = str(info.value)
    assert MNIST_LABELS in message and data.expected_sha256(MNIST_LABELS) in message
    assert calls == data.urls_for(MNIST_LABELS)  # the second mirror is tried after a mismatch
    assert not (dest / MNIST_LABELS).exists()
    assert list((dest / MNIST_LABELS).parent.iterdir()) == []  # no file, no temporary


# ----------------------------------------------------------------------------------------------
# verify_all (make data)
# ----------------------------------------------------------------------------------------------


@needs_shared
def test_verify_all_on_the_shared_copy(shared: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = data.verify_all(download=False)
    assert len(status) == 482 and set(status.values()) == {"ok"}
    out = capsys.readouterr().out
    assert "482 files" in out and "all files present and verified" in out
    assert data.main(["--no-download"]) == 0


def test_verify_all_offline_reports_missing(
    tmp_path: Path, repo_data: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    calls: list[str] = []
    status = data.verify_all(download=True, downloader=_offline_downloader(calls))
    assert set(status.values()) == {"missing"}
    assert len(calls) <= 2  # stops trying after the first failed download
    out = capsys.readouterr().out
    assert "482 file(s) missing or corrupt" in out and "make data" in out
    assert "no further downloads were tried" in out and "no network" in out


# ----------------------------------------------------------------------------------------------
# IDX reading
# ----------------------------------------------------------------------------------------------


def _write_idx(path: Path, magic: int, dims: tuple[int, ...], payload: bytes) -> Path:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims)
    with gzip.open(path, "wb") as handle:
        handle.write(header + payload)
    return path


def test_read_idx(tmp_path: Path) -> None:
    good = _write_idx(tmp_path / "x.gz", 2051, (2, 3, 4), bytes(range(24)))
    array = data.read_idx(good, magic=2051)
    assert array.shape == (2, 3, 4) and array.dtype == np.uint8 and array[1, 2, 3] == 23
    with pytest.raises(DataError, match="magic number 2049.*expected 2051"):
        data.read_idx(_write_idx(tmp_path / "l.gz", 2049, (24,), bytes(24)), magic=2051)
    with pytest.raises(DataError, match="header says shape"):
        data.read_idx(_write_idx(tmp_path / "t.gz", 2051, (2, 3, 4), bytes(20)), magic=2051)


# ----------------------------------------------------------------------------------------------
# MNIST and the course split
# ----------------------------------------------------------------------------------------------


@needs_shared
def test_course_split(shared: Path) -> None:
    split = data.mnist_split_indices()
    train, evaluation = split["train"], split["eval"]
    assert set(split) == {"train", "eval"}
    assert train.shape == (8000,) and evaluation.shape == (2000,)
    assert train.dtype == np.int64 and evaluation.dtype == np.int64
    assert np.all(np.diff(train) > 0) and np.all(np.diff(evaluation) > 0)  # sorted, no repeats
    assert np.intersect1d(train, evaluation).size == 0
    assert np.array_equal(np.union1d(train, evaluation), np.arange(10_000))

    _, labels = data.mnist("all")
    counts = np.bincount(labels.numpy(), minlength=10)
    eval_counts = np.bincount(labels.numpy()[evaluation], minlength=10)
    assert counts.tolist() == TEST_PER_DIGIT
    assert eval_counts.tolist() == EVAL_PER_DIGIT
    assert np.all(np.abs(eval_counts - 2000 * counts / 10_000) < 1)  # within one image of proportional

    first_half = int((evaluation < 5000).sum())
    assert 900 <= first_half <= 1100, f"eval is not spread over both halves: {first_half} in the first"
    assert np.diff(evaluation).max() < 100  # no long contiguous block is left out

    # Pinned: the split can never change silently.
    assert hashlib.sha256(evaluation.astype("<i8").tobytes()).hexdigest() == EVAL_SHA256
    assert hashlib.sha256(train.astype("<i8").tobytes()).hexdigest() == TRAIN_SHA256
    assert data.MNIST_EVAL_SHA256 == EVAL_SHA256

    again = data.mnist_split_indices()
    assert np.array_equal(again["eval"], evaluation) and np.array_equal(again["train"], train)
    again["eval"][0] = -1  # fresh copies: mutating one does not change the next call
    assert data.mnist_split_indices()["eval"][0] == evaluation[0]


@needs_shared
def test_split_definition_is_reproducible_from_the_docstring(shared: Path) -> None:
    """Re-derive the split from its documented recipe, independently of the implementation."""
    _, labels_t = data.mnist("all")
    labels = labels_t.numpy()
    counts = np.bincount(labels, minlength=10)
    quota = [(2000 * int(c), 10_000) for c in counts]
    take = [q // d for q, d in quota]
    order = sorted(range(10), key=lambda k: (-(quota[k][0] % quota[k][1]), k))
    for k in order[: 2000 - sum(take)]:
        take[k] += 1
    rng = np.random.default_rng(data.MNIST_SPLIT_SEED)
    chosen = [rng.permutation(np.flatnonzero(labels == d))[: take[d]] for d in range(10)]
    assert np.array_equal(np.sort(np.concatenate(chosen)), data.mnist_split_indices()["eval"])


@needs_shared
def test_mnist_loaders(shared: Path) -> None:
    x_all, y_all = data.mnist("all")
    assert x_all.shape == (10_000, 1, 28, 28) and x_all.dtype == torch.float32
    assert y_all.shape == (10_000,) and y_all.dtype == torch.int64
    assert float(x_all.min()) == 0.0 and float(x_all.max()) == 1.0
    assert set(y_all.unique().tolist()) == set(range(10))
    split = data.mnist_split_indices()
    for name, size in (("train", 8000), ("eval", 2000)):
        x, y = data.mnist(name)
        assert x.shape == (size, 1, 28, 28) and y.shape == (size,)
        assert torch.equal(x, x_all[split[name]]) and torch.equal(y, y_all[split[name]])
    x_root, _ = data.mnist("eval", root=SHARED)
    assert torch.equal(x_root, data.mnist("eval")[0])
    x_all[0] = 5.0  # returned tensors are fresh, not views of a cache
    assert float(data.mnist("all")[0].max()) == 1.0


def test_mnist_bad_split() -> None:
    with pytest.raises(ValueError, match="unknown MNIST split 'test'.*train, eval, all"):
        data.mnist("test")


# ----------------------------------------------------------------------------------------------
# BSD
# ----------------------------------------------------------------------------------------------


@needs_shared
def test_train400_and_patches(shared: Path) -> None:
    images = data.bsd_train400()
    assert images.shape == (400, 1, 180, 180) and images.dtype == torch.float32
    assert 0.0 <= float(images.min()) and float(images.max()) <= 1.0
    assert data.bsd_train400_names()[:2] == ["test_001.png", "test_002.png"]

    patches = data.bsd_train400_patches(64, 40, seed=3)
    assert patches.shape == (64, 1, 40, 40) and patches.dtype == torch.float32
    assert torch.equal(patches, data.bsd_train400_patches(64, 40, seed=3))
    assert not torch.equal(patches, data.bsd_train400_patches(64, 40, seed=4))

    # The documented recipe of positions and transforms.
    rng = np.random.default_rng(3)
    which, top, left = rng.integers(0, 400, 64), rng.integers(0, 141, 64), rng.integers(0, 141, 64)
    for i in range(64):
        crop = images[which[i], :, top[i] : top[i] + 40, left[i] : left[i] + 40]
        assert torch.equal(patches[i], crop)
    augmented = data.bsd_train400_patches(64, 40, seed=3, augment=True)
    kinds = rng.integers(0, 8, 64)
    for i in range(64):
        expected = torch.rot90(patches[i], int(kinds[i] % 4), dims=(1, 2))
        if kinds[i] >= 4:
            expected = torch.flip(expected, dims=(2,))
        assert torch.equal(augmented[i], expected)
    assert data.bsd_train400_patches(2, 180).shape == (2, 1, 180, 180)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": 0, "size": 40}, "n must be a positive integer"),
        ({"n": 10, "size": 0}, "size must be a positive integer"),
        ({"n": 10, "size": 181}, "larger than the 180x180"),
        ({"n": 2.5, "size": 40}, "n must be a positive integer"),
    ],
)
def test_patches_bad_arguments(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        data.bsd_train400_patches(**kwargs)


@needs_shared
def test_bsd68(shared: Path) -> None:
    names = data.bsd68_names()
    assert len(names) == 68 and names == sorted(names) and names[0] == "test001.png"
    images = data.bsd68()
    assert isinstance(images, list) and len(images) == 68
    shapes = {tuple(t.shape) for t in images}
    assert shapes == {(1, 1, 321, 481), (1, 1, 481, 321)}
    assert all(t.dtype == torch.float32 and 0 <= float(t.min()) and float(t.max()) <= 1 for t in images)
    crops = data.bsd68(crop=128)
    assert crops.shape == (68, 1, 128, 128)
    h, w = images[5].shape[-2:]
    top, left = (h - 128) // 2, (w - 128) // 2
    assert torch.equal(crops[5, 0], images[5][0, 0, top : top + 128, left : left + 128])
    assert data.bsd68(crop=321).shape == (68, 1, 321, 321)
    with pytest.raises(ValueError, match="crop 322 is larger than image BSD/BSD68/test001.png"):
        data.bsd68(crop=322)


@needs_shared
def test_set12(shared: Path) -> None:
    assert data.set12_names() == [f"{i:02d}.png" for i in range(1, 13)]
    images = data.set12()
    sides = [t.shape[-1] for t in images]
    assert sides == [256] * 7 + [512] * 5 and all(t.shape[-2] == t.shape[-1] for t in images)
    crops = data.set12(crop=256)
    assert crops.shape == (12, 1, 256, 256)
    assert torch.equal(crops[0], images[0][0])
    assert torch.equal(crops[8, 0], images[8][0, 0, 128:384, 128:384])
    with pytest.raises(ValueError, match="crop 300 is larger than image BSD/Set12/01.png of size 256x256"):
        data.set12(crop=300)
    with pytest.raises(ValueError, match="crop must be a positive integer"):
        data.set12(crop=0)


# ----------------------------------------------------------------------------------------------
# Ellipse phantoms
# ----------------------------------------------------------------------------------------------


def test_ellipse_phantoms() -> None:
    phantoms = data.ellipse_phantoms(12, 64, seed=1)
    assert phantoms.shape == (12, 1, 64, 64) and phantoms.dtype == torch.float32
    assert float(phantoms.min()) >= 0.0 and float(phantoms.max()) <= 1.0
    assert bool((phantoms.flatten(1).amax(1) > 0.1).all()), "every phantom has content"
    assert torch.equal(phantoms, data.ellipse_phantoms(12, 64, seed=1))
    assert torch.equal(phantoms[:5], data.ellipse_phantoms(5, 64, seed=1))  # prefix-stable
    assert not torch.equal(phantoms, data.ellipse_phantoms(12, 64, seed=2))
    for size in (16, 33, 64):
        p = data.ellipse_phantoms(4, size, seed=0)[:, 0]
        rows, cols = np.ogrid[:size, :size]
        centre = (size - 1) / 2
        outside_geom = (rows - centre) ** 2 + (cols - centre) ** 2 > (size / 2) ** 2
        half = size // 2
        outside_skimage = (rows - half) ** 2 + (cols - half) ** 2 > half**2
        assert float(p[:, torch.from_numpy(outside_geom | outside_skimage)].abs().max()) == 0.0


def test_ellipse_phantoms_fit_parallel_beam_circle() -> None:
    from skimage.transform import radon

    phantom = data.ellipse_phantoms(1, 64, seed=5)[0, 0].numpy().astype(np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # skimage warns when the image is non-zero outside the circle
        radon(phantom, theta=np.linspace(0, 180, 8, endpoint=False), circle=True)


def test_ellipse_phantoms_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n must be a positive integer"):
        data.ellipse_phantoms(0)
    with pytest.raises(ValueError, match="at least 8 pixels"):
        data.ellipse_phantoms(1, size=4)


# ----------------------------------------------------------------------------------------------
# GAN toys
# ----------------------------------------------------------------------------------------------


def test_gaussian_mixture_1d() -> None:
    mix = data.GaussianMixture1D((-1.0, 3.0), (0.5, 1.0), (1.0, 3.0))
    assert mix.weights == (0.25, 0.75) and mix.n_components == 2
    grid = torch.linspace(-10, 15, 20001, dtype=torch.float64)
    density = mix.pdf(grid)
    assert density.dtype == torch.float64 and density.shape == grid.shape
    assert abs(float(torch.trapezoid(density, grid)) - 1.0) < 1e-6
    x = 0.3
    manual = 0.25 * np.exp(-0.5 * ((x + 1) / 0.5) ** 2) / (0.5 * np.sqrt(2 * np.pi)) + 0.75 * np.exp(
        -0.5 * (x - 3) ** 2
    ) / np.sqrt(2 * np.pi)
    assert abs(float(mix.pdf(x)) - manual) < 1e-12
    assert torch.allclose(mix.log_pdf(np.array([0.3])), torch.log(mix.pdf(torch.tensor([0.3]))))
    assert mix.mean() == pytest.approx(2.0)
    assert mix.variance() == pytest.approx(0.25 * (0.25 + 1) + 0.75 * (1 + 9) - 4)

    gen = torch.Generator().manual_seed(0)
    samples = mix.sample(200_000, generator=gen)
    assert samples.shape == (200_000, 1) and samples.dtype == torch.float32
    assert float(samples.mean()) == pytest.approx(mix.mean(), abs=0.02)
    assert float(samples.var()) == pytest.approx(mix.variance(), rel=0.02)
    assert torch.equal(mix.sample(10, torch.Generator().manual_seed(1)), mix.sample(10, torch.Generator().manual_seed(1)))


def test_gaussian_mixture_presets_and_errors() -> None:
    for name, preset in data.GMM1D_PRESETS.items():
        assert data.gaussian_mixture_1d(name) is preset
        assert sum(preset.weights) == pytest.approx(1.0)
    assert data.gaussian_mixture_1d("unbalanced").weights == (0.8, 0.2)
    with pytest.raises(ValueError, match="unknown mixture preset 'nope'"):
        data.gaussian_mixture_1d("nope")
    with pytest.raises(ValueError, match="equal lengths"):
        data.GaussianMixture1D((0.0, 1.0), (1.0,))
    with pytest.raises(ValueError, match="stds must be positive"):
        data.GaussianMixture1D((0.0,), (0.0,))
    with pytest.raises(ValueError, match="weights must be positive"):
        data.GaussianMixture1D((0.0, 1.0), (1.0, 1.0), (1.0, -1.0))
    with pytest.raises(ValueError, match="n must be a positive integer"):
        data.gaussian_mixture_1d("bimodal").sample(0)


def test_ring_and_grid_of_gaussians() -> None:
    centres = data.ring_centres(8, 2.0)
    assert centres.shape == (8, 2)
    assert torch.allclose(centres.norm(dim=1), torch.full((8,), 2.0))
    gen = torch.Generator().manual_seed(0)
    ring = data.ring_of_gaussians(4000, generator=gen)
    assert ring.shape == (4000, 2) and ring.dtype == torch.float32
    dist = torch.cdist(ring, centres)
    assert float(dist.min(dim=1).values.max()) < 0.05 * 6  # every sample within 6 std of a centre
    hits = torch.bincount(dist.argmin(dim=1), minlength=8)
    assert bool((hits > 350).all()), f"modes are not equally weighted: {hits.tolist()}"
    assert torch.equal(ring, data.ring_of_gaussians(4000, generator=torch.Generator().manual_seed(0)))

    grid = data.grid_centres(5, 2.0)
    assert grid.shape == (25, 2) and set(grid[:, 0].tolist()) == {-4.0, -2.0, 0.0, 2.0, 4.0}
    samples = data.grid_of_gaussians(5000, generator=torch.Generator().manual_seed(1))
    assert samples.shape == (5000, 2)
    hits = torch.bincount(torch.cdist(samples, grid).argmin(dim=1), minlength=25)
    assert bool((hits > 100).all())
    assert data.grid_of_gaussians(10, side=3, spacing=1.0, std=0.1).shape == (10, 2)
    with pytest.raises(ValueError, match="std must be positive"):
        data.ring_of_gaussians(10, std=0.0)
    with pytest.raises(ValueError, match="n must be a positive integer"):
        data.grid_of_gaussians(-1)
