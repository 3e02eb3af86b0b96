"""Chapter 07's seed study (course_lib.restoration.seeds, scripts/seeds_07.py, results/seeds/).

The committed study must back every ordering the chapter asserts on every training seed, and
its seed 0 must be the shipped models as the committed full-profile run measured them.
"""

from __future__ import annotations

import json
import re

import pytest
import torch

from _common import ROOT
from course_lib import restoration, training
from course_lib.restoration import seeds
from course_lib.results import load


@pytest.fixture(scope="module")
def study():
    return seeds.load_study()


def test_study_has_provenance_and_two_seeds(study):
    assert study["profile"] == "full" and study["n_eval"] == 2000, "the study scores the full evaluation set"
    assert re.fullmatch(r"[0-9a-f]{40}", study["run"]["commit"]) and study["run"]["date"]
    assert "0" in study["seeds"] and len(study["seeds"]) >= 2, "seed 0 (shipped) and at least one re-run"


def test_every_asserted_ordering_holds_on_every_seed(study):
    for seed, scores in study["seeds"].items():
        m = seeds.margins(scores)
        failing = [o.key for o in seeds.ORDERINGS if o.asserted and m[o.key] <= 0]
        assert not failing, f"seed {seed}: asserted orderings fail: {failing} (report them instead of asserting)"


def test_seed0_is_the_committed_full_run(study):
    full = {k: e["value"] for k, e in load(ROOT / "results" / "full" / "07_gan_restoration.json")["results"].items()}
    seed0 = study["seeds"]["0"]
    common = [k for k in seed0 if k in full]
    assert len(common) > 60, "the study and the notebook use the same result keys"
    off = {k: (seed0[k], full[k]) for k in common if abs(seed0[k] - full[k]) > 1e-3 * max(1.0, abs(full[k]))}
    assert not off, f"seed 0 of the study differs from the committed full run: {off}"


def test_margins_name_a_missing_score():
    with pytest.raises(KeyError, match="lack .dn_l1_psnr. .needed by dn_generators_denoise"):
        seeds.margins({"dn_mse_psnr": 1.0})


def test_study_table_flags_an_ordering_that_flips(study):
    flipped = json.loads(json.dumps(study))
    flipped["seeds"]["1"]["dn_l1_psnr"] = flipped["seeds"]["1"]["dn_p2p10_psnr"] - 1.0  # Pix2Pix now wins PSNR
    rows = {r["key"]: r for r in seeds.study_table(flipped)}
    assert rows["dn_adversarial_costs_psnr"]["seed 1"] == pytest.approx(-1.0)
    assert rows["dn_adversarial_costs_psnr"]["holds on every seed"] is False
    assert rows["dn_adversarial_costs_psnr"]["asserted"] is True


def test_load_study_explains_a_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="seeds_07.py"):
        seeds.load_study(tmp_path / "none.json")


def test_seed_changes_the_run_and_seed_0_is_the_shipped_recipe(monkeypatch):
    name = "ch07_dn_p2p10"
    a, b = restoration.builder(name)(), restoration.builder(name, 0)()
    c = restoration.builder(name, 1)()
    assert all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), b.state_dict().values()))
    assert not all(torch.equal(p, q) for p, q in zip(a.state_dict().values(), c.state_dict().values()))
    with pytest.raises(ValueError, match="judge"):
        restoration.builder(restoration.JUDGE_NAME, 1)
    monkeypatch.setenv("COURSE_PROFILE", "ci")
    _, hist = training.train_briefly(restoration.builder(name, 1), restoration.trainer(name, 1), 2, name="seed1")
    assert hist.iterations == 2


class _Constant(torch.nn.Module):
    def forward(self, x):
        return torch.zeros_like(x) + 0.3


class _Identity(torch.nn.Module):
    def forward(self, x):
        return x


def test_collapse_is_detected_on_training_inputs():
    assert seeds.collapsed(_Constant(), "denoise"), "a network with one output for every input has collapsed"
    assert not seeds.collapsed(_Identity(), "denoise")
    assert not seeds.collapsed(_Identity(), "gcbd"), "gcbd restorers are tested on structured-noise inputs"


def test_restarts_are_recorded_per_seed(study):
    for seed, notes in study.get("restarts", {}).items():
        assert seed in study["seeds"] and seed != "0", "only re-run seeds can have restarts"
        assert all(name in restoration.SPECS and 1 <= count <= 2 for name, count in notes.items())
