"""Every checkpoint shipped in data/checkpoints/registry.json is present, intact and documented."""

from __future__ import annotations

import json

import pytest
import torch

from course_lib.io import sha256_file
from course_lib.training import MAX_SHIPPED_BYTES, REQUIRED_META_KEYS, default_registry, read_registry, validate_meta

REGISTRY = default_registry()


def _entries() -> dict:
    """The registry's entries; a broken registry is reported by test_registry_is_valid, not at collection."""
    try:
        return read_registry(REGISTRY)["checkpoints"]
    except Exception:  # noqa: BLE001
        return {}


ENTRIES = _entries()


def test_registry_is_valid():
    assert REGISTRY.exists(), f"{REGISTRY} is missing; restore it with `git checkout -- data/checkpoints/registry.json`"
    data = json.loads(REGISTRY.read_text(encoding="utf-8"))
    assert set(data) == {"checkpoints"}, f"registry keys {sorted(data)}; expected only 'checkpoints'"
    read_registry(REGISTRY)  # raises RegistryError naming the problem
    files = [entry["file"] for entry in data["checkpoints"].values()]
    assert len(files) == len(set(files)), f"two registry entries share a file: {files}"


@pytest.mark.parametrize("name", sorted(ENTRIES))
def test_shipped_checkpoint(name):
    entry = ENTRIES[name]
    path = REGISTRY.parent / entry["file"]
    assert path.is_file(), f"{name}: {path} is missing; run `make train` for its chapter or `git checkout` it"
    size = path.stat().st_size
    assert size == entry["bytes"], f"{name}: {path} has {size} bytes, the registry says {entry['bytes']}"
    assert size <= MAX_SHIPPED_BYTES, f"{name}: {size} bytes > {MAX_SHIPPED_BYTES} allowed for a shipped file"
    assert sha256_file(path) == entry["sha256"], f"{name}: sha256 of {path} differs from the registry"
    state = torch.load(path, map_location="cpu", weights_only=True)
    assert isinstance(state, dict) and isinstance(state.get("model"), dict), f"{name}: no 'model' state dict"
    meta = state.get("meta", {})
    missing = [k for k in REQUIRED_META_KEYS if k not in meta]
    assert not missing, f"{name}: metadata lacks {missing}"
    validate_meta(meta)
    assert meta == entry["meta"], f"{name}: the registry's copy of the metadata differs from the file's"
