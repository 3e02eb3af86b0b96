"""Tests of course_lib.training: the loop, resuming, checkpoint files, the registry, load_or_train.

Everything writes into pytest's tmp_path; the real data/checkpoints is never touched.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from course_lib import training
from course_lib.io import sha256_file
from course_lib.training import (
    CheckpointError,
    ChecksumError,
    History,
    NonFiniteLossError,
    RegistryError,
    checkpoint_meta,
    fit,
    load_checkpoint,
    load_or_train,
    register_checkpoint,
    save_checkpoint,
    shipped_checkpoints,
)

TRUE_W = torch.tensor([[1.5, -2.0, 0.5]])


def make_model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 16), nn.Tanh(), nn.Dropout(0.1), nn.Linear(16, 1))


def mse(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    x, y = batch
    return ((model(x) - y) ** 2).mean()


def random_batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Draws from the *global* generators, so exact resuming needs the RNG state restored."""
    x = torch.randn(32, 3) + 0.01 * float(np.random.randn()) + 0.01 * random.random()
    return x, x @ TRUE_W.T + 0.05 * torch.randn(32, 1)


def seeded_run(steps: int, ckpt: Path | None, *, model_seed: int = 0, **kw) -> tuple[nn.Module, History]:
    model = make_model(model_seed)
    opt = torch.optim.Adam(model.parameters(), lr=3e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=15, gamma=0.5)
    hist = fit(model, mse, random_batch, steps=steps, optimizer=opt, scheduler=sched, log_every=5,
               checkpoint_path=ckpt, checkpoint_every=5 if ckpt else None, progress=False, **kw)
    return model, hist


def reseed(seed: int = 123) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def tiny_meta(**kw) -> dict:
    return checkpoint_meta(iterations=kw.pop("iterations", 10), wall_time_s=0.5,
                           data_split="toy-regression-32", description="test model", profile="ci", **kw)


# ----------------------------------------------------------------------------- the loop


def test_loss_decreases_on_toy_regression():
    reseed()
    model, hist = seeded_run(60, None)
    assert hist.steps[-1] == 60 and hist.iterations == 60
    assert hist.losses[-1] < 0.3 * hist.losses[0], hist.losses
    assert len(hist.losses) == len(hist.steps) == len(hist.lrs) == 12
    arrays = hist.arrays()
    assert arrays["losses"].shape == (12,) and arrays["steps"].dtype == np.int64
    assert hist.lrs[-1] < hist.lrs[0]  # the scheduler stepped
    assert model.training


def test_sequence_and_iterable_batches_and_eval():
    data = [random_batch(i) for i in range(4)]
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.05)
    calls = []

    def evaluate(m):
        calls.append(m.training)
        return {"mse": mse(m, data[0])}

    hist = fit(model, mse, data, steps=10, optimizer=opt, eval_fn=evaluate, eval_every=4, progress=False)
    assert hist.eval_steps == [4, 8, 10] and calls == [False, False, False]
    assert len(hist.evals["mse"]) == 3 and all(math.isfinite(v) for v in hist.evals["mse"])
    # an iterable (generator expressions cannot restart: a clear error when exhausted)
    hist = fit(model, mse, iter(data), steps=4, optimizer=opt, progress=False)
    assert hist.iterations == 4
    with pytest.raises(ValueError, match="ran out"):
        fit(model, mse, iter(data), steps=5, optimizer=opt, progress=False)


def test_history_round_trip():
    h = History(steps=[1, 2], losses=[1.0, 0.5], lrs=[0.1, 0.1], wall_time=1.5, iterations=2)
    h._add_eval(2, {"psnr": 20.0})
    h._add_eval(3, {"ssim": 0.5})
    assert h.evals["psnr"][1] != h.evals["psnr"][1]  # NaN where missing
    assert math.isnan(h.evals["ssim"][0])
    h2 = History.from_dict(json.loads(json.dumps(h.to_dict())))
    assert h2.steps == h.steps and h2.iterations == 2 and h2.eval_steps == [2, 3]


def test_nan_loss_names_the_step():
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def bad_loss(m, batch):
        return mse(m, batch[:2]) * (float("nan") if batch[2] == 3 else 1.0)

    batches = lambda i: (*random_batch(i), i)  # noqa: E731
    with pytest.raises(NonFiniteLossError, match=r"nan at step 4 of 10"):
        fit(model, bad_loss, batches, steps=10, optimizer=opt, progress=False)


# ----------------------------------------------------------------------------- resuming


def noisy_eval(model: nn.Module) -> dict[str, float]:
    """An evaluation that draws random numbers: fit() must keep it from shifting the training stream."""
    return {"mse": mse(model, random_batch(0)).item()}


def test_resume_matches_uninterrupted_run(tmp_path):
    kw = {"eval_fn": noisy_eval, "eval_every": 3}
    reseed()
    full_model, full_hist = seeded_run(20, tmp_path / "full.pt", **kw)

    reseed()
    seeded_run(10, tmp_path / "part.pt", **kw)  # "killed" after step 10 (evaluates at 10 too)
    reseed(999)  # the next session starts with other random state ...
    torch.randn(50)
    resumed_model, resumed_hist = seeded_run(20, tmp_path / "part.pt", model_seed=7, **kw)  # ... other weights

    for (name, a), b in zip(full_model.state_dict().items(), resumed_model.state_dict().values()):
        assert torch.equal(a, b), f"{name} differs after resuming"
    assert resumed_hist.steps == full_hist.steps
    assert resumed_hist.losses == full_hist.losses
    assert resumed_hist.iterations == 20 and resumed_hist.wall_time > 0
    assert full_hist.eval_steps == [3, 6, 9, 12, 15, 18, 20]
    assert resumed_hist.eval_steps == [3, 6, 9, 10, 12, 15, 18, 20]


def test_resume_refuses_other_meta_and_model_checkpoints(tmp_path):
    reseed()
    seeded_run(5, tmp_path / "state.pt", meta={"lr": 0.01})
    with pytest.raises(CheckpointError, match="different meta"):
        seeded_run(10, tmp_path / "state.pt", meta={"lr": 0.1})
    save_checkpoint(tmp_path / "model.pt", make_model(), tiny_meta())
    with pytest.raises(CheckpointError, match="not a training state"):
        seeded_run(10, tmp_path / "model.pt")
    _, hist = seeded_run(5, tmp_path / "state.pt", meta={"lr": 0.01})  # already done: nothing to do
    assert hist.iterations == 5


def test_checkpoint_is_atomic(tmp_path, monkeypatch):
    reseed()
    ckpt = tmp_path / "state.pt"
    seeded_run(10, ckpt)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.pt"]  # no *.tmp left behind
    before = sha256_file(ckpt)

    def exploding_save(*args, **kwargs):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(torch, "save", exploding_save)
    with pytest.raises(OSError, match="simulated"):
        seeded_run(15, ckpt)
    with pytest.raises(OSError, match="simulated"):
        save_checkpoint(ckpt, make_model(), {})
    assert sha256_file(ckpt) == before  # the previous checkpoint is intact
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.pt"]
    monkeypatch.undo()
    assert load_checkpoint(ckpt)["step"] == 10


# ----------------------------------------------------------------------------- files


def test_checkpoint_loads_with_weights_only(tmp_path):
    reseed()
    seeded_run(5, tmp_path / "state.pt")
    state = torch.load(tmp_path / "state.pt", weights_only=True)
    assert state["kind"] == "fit-state" and state["step"] == 5 and "optimizer" in state and "rng" in state

    model = make_model(3)
    hist = History(steps=[1], losses=[0.5], iterations=1)
    path = save_checkpoint(tmp_path / "m.pt", model, tiny_meta(extra_info={"depth": 2}), history=hist)
    state = torch.load(path, weights_only=True)
    assert set(state) >= {"model", "meta", "history"} and state["meta"]["extra_info"] == {"depth": 2}
    other = make_model(4)
    other.load_state_dict(load_checkpoint(path)["model"])
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), other.state_dict().values()))
    with pytest.raises(TypeError, match="weights_only"):
        save_checkpoint(tmp_path / "bad.pt", model, {"array": np.zeros(3)})
    assert not (tmp_path / "bad.pt").exists()


def test_sha_mismatch_message(tmp_path):
    path = save_checkpoint(tmp_path / "m.pt", make_model(), tiny_meta())
    good = sha256_file(path)
    wrong = "0" * 64
    with pytest.raises(ChecksumError) as err:
        load_checkpoint(path, expected_sha256=wrong)
    msg = str(err.value)
    assert str(path) in msg and good in msg and wrong in msg
    assert "make train CH=" in msg and "git checkout" in msg
    assert load_checkpoint(path, expected_sha256=good)["meta"]["data_split"] == "toy-regression-32"


def test_checkpoint_meta_validates():
    meta = tiny_meta(chapter=3)
    assert set(training.REQUIRED_META_KEYS) <= set(meta) and meta["chapter"] == "03"
    assert meta["torch"] == torch.__version__ and meta["profile"] == "ci"
    with pytest.raises(ValueError, match="iterations"):
        checkpoint_meta(iterations=-1, wall_time_s=1.0, data_split="x")
    with pytest.raises(ValueError, match="set automatically"):
        checkpoint_meta(iterations=1, wall_time_s=1.0, data_split="x", commit="abc")
    with pytest.raises(ValueError, match="lacks"):
        training.validate_meta({"profile": "ci"})
    from_hist = checkpoint_meta(history=History(iterations=42, wall_time=3.0), data_split="x", profile="full")
    assert from_hist["iterations"] == 42 and from_hist["wall_time_s"] == 3.0


# ----------------------------------------------------------------------------- registry and load_or_train


def toy_train_fn(model: nn.Module, out_path: Path, *, steps: int | None = None) -> History:
    steps = steps or 30
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    hist = fit(model, mse, random_batch, steps=steps, optimizer=opt, progress=False,
               checkpoint_path=training.resume_path(out_path), checkpoint_every=10)
    save_checkpoint(out_path, model, checkpoint_meta(history=hist, data_split="toy-regression-32",
                                                     description="toy", chapter=0), history=hist)
    return hist


def snapshot(folder: Path) -> dict[str, str]:
    return {p.name: sha256_file(p) for p in sorted(folder.iterdir())}


def test_registry_round_trip(tmp_path):
    reg = tmp_path / "registry.json"
    reg.write_text('{"checkpoints": {}}\n')
    path = save_checkpoint(tmp_path / "toy.pt", make_model(), tiny_meta())
    entry = register_checkpoint("toy", path, registry=reg)
    assert entry["sha256"] == sha256_file(path) and entry["bytes"] == path.stat().st_size
    assert shipped_checkpoints(reg) == {"toy": entry}
    assert json.loads(reg.read_text())["checkpoints"]["toy"]["file"] == "toy.pt"
    with pytest.raises(RegistryError, match="lacks"):
        register_checkpoint("nometa", save_checkpoint(tmp_path / "nometa.pt", make_model(), {}), registry=reg)
    with pytest.raises(RegistryError, match="bytes"):
        register_checkpoint("toy", path, registry=reg, max_bytes=100)
    with pytest.raises(RegistryError, match="lower-case"):
        register_checkpoint("Bad Name", path, registry=reg)
    reg.write_text('{"checkpoints": {"x": {"file": "x.pt"}}}')
    with pytest.raises(RegistryError, match="lacks"):
        shipped_checkpoints(reg)


def test_load_or_train_ci_writes_nothing(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    (folder / "registry.json").write_text('{"checkpoints": {}}\n')
    before = snapshot(folder)
    reseed()
    model, info = load_or_train("toy", make_model, toy_train_fn, profile="ci", checkpoint_dir=folder,
                                brief_steps=5, verbose=False)
    assert snapshot(folder) == before
    assert info.source == "temporary" and info.path is None and not model.training
    assert info.history.iterations == 30 and info.brief_history.iterations == 5
    batch = random_batch(0)
    assert mse(model, batch).item() < 0.5 * mse(make_model().eval(), batch).item()  # it was trained


def test_load_or_train_registers_then_loads(tmp_path):
    folder = tmp_path / "checkpoints"
    reseed()
    trained, info = load_or_train("toy", make_model, toy_train_fn, profile="default", checkpoint_dir=folder,
                                  verbose=False)
    assert info.source == "trained" and (folder / "toy.pt").exists()
    assert "toy" in shipped_checkpoints(folder / "registry.json")
    before = snapshot(folder)

    loaded, info = load_or_train("toy", make_model, toy_train_fn, profile="ci", checkpoint_dir=folder,
                                 brief_steps=3, verbose=False)
    assert info.source == "shipped" and str(info).startswith("loaded shipped checkpoint toy")
    assert "30 iterations" in str(info) and "toy-regression-32" in str(info)
    assert info.brief_history.iterations == 3
    assert all(torch.equal(a, b) for a, b in zip(trained.state_dict().values(), loaded.state_dict().values()))
    assert snapshot(folder) == before  # the brief run left the shipped files alone

    with open(folder / "toy.pt", "ab") as handle:  # corrupt the shipped file
        handle.write(b"x")
    with pytest.raises(ChecksumError, match="make train CH=00"):
        load_or_train("toy", make_model, toy_train_fn, profile="default", checkpoint_dir=folder, verbose=False)


def test_load_or_train_refuses_unregistered_file(tmp_path):
    folder = tmp_path / "checkpoints"
    save_checkpoint(folder / "toy.pt", make_model(), tiny_meta())
    with pytest.raises(RegistryError, match="not registered"):
        load_or_train("toy", make_model, toy_train_fn, profile="default", checkpoint_dir=folder, verbose=False)


def test_train_and_register(tmp_path):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    reseed()
    _, info = training.train_and_register("toy", make_model, toy_train_fn, profile="ci", checkpoint_dir=folder,
                                          verbose=False)
    assert info.source == "temporary" and list(folder.iterdir()) == []
    _, info = training.train_and_register("toy", make_model, toy_train_fn, profile="full", checkpoint_dir=folder,
                                          verbose=False)
    first = shipped_checkpoints(folder / "registry.json")["toy"]
    assert info.source == "trained" and first["meta"]["profile"] == "full" and first["meta"]["iterations"] == 30
    # a second run resumes the finished state (nothing to train); fresh=True starts over
    _, info = training.train_and_register("toy", make_model, toy_train_fn, profile="full", checkpoint_dir=folder,
                                          fresh=True, verbose=False)
    assert info.history.iterations == 30
