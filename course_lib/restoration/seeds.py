"""Are chapter 07's orderings a property of the losses or of one training run? (the seed study)

Every restorer of chapter 07 is shipped from one training run (seed 0). ``scripts/seeds_07.py``
trains the whole chapter again with other seeds -- other initial weights of generators and
discriminators, other batches, another noise GAN -- scores every run on the same evaluation
digits with :func:`score_models`, and commits the scores to :data:`STUDY_FILE`. An ordering
the chapter asserts must hold on every seed of that file (``tests/test_seed_study.py``);
the others are reported with their per-seed margins.

Scores use the keys the notebook records (``dn_p2p10_psnr``, ``occ_ssim_ssim``, ...), so
:func:`margins` applies to a seed of the study and to the notebook's own results alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import torch
from torch import nn

from .. import gan, training
from ..config import repo_root
from .evaluate import restore, score_outputs
from .tasks import DENOISE_SIGMA, eval_set

__all__ = ["ORDERINGS", "RESTART_OFFSET", "STUDY_FILE", "Ordering", "collapsed", "load_study", "margins", "score_models",
           "study_table"]

#: Where the committed seed study lives (not in ``results/full``: it is not one notebook run).
STUDY_FILE = repo_root() / "results" / "seeds" / "07_gan_restoration.json"

Scores = Mapping[str, float]


@dataclass(frozen=True)
class Ordering:
    """A comparison of chapter 07: ``margin(scores) > 0`` when it holds (units of the metric compared).

    Attributes:
        key: a short identifier.
        text: the claim in words.
        margin: how far it holds (negative: by how much it fails).
        asserted: whether the chapter asserts it (on the shipped models and in ``claims_07``).
    """

    key: str
    text: str
    margin: Callable[[Scores], float]
    asserted: bool


def _gap(better: str, worse: str, by: float = 0.0) -> Callable[[Scores], float]:
    """The margin of "``better`` exceeds ``worse`` by more than ``by``": ``v[better] - v[worse] - by``."""
    return lambda v: v[better] - v[worse] - by


def _min(v: Scores, keys: tuple[str, ...]) -> float:
    return min(v[k] for k in keys)


DN_GENERATORS = ("dn_mse_psnr", "dn_l1_psnr", "dn_p2p100_psnr", "dn_p2p10_psnr")

#: The orderings of chapter 07: first those it asserts, then those it only reports.
ORDERINGS: tuple[Ordering, ...] = (
    Ordering("dn_generators_denoise", "every denoising generator gains > 5 dB over the noisy input",
             lambda v: _min(v, DN_GENERATORS) - v["dn_noisy_psnr"] - 5, True),
    Ordering("dn_adversarial_costs_psnr", "Pix2Pix (λ = 10) has a lower PSNR than the same generator with L1",
             _gap("dn_l1_psnr", "dn_p2p10_psnr"), True),
    Ordering("dn_ch05_unet_beats_p2p10", "chapter 05's MSE U-Net has a higher PSNR than Pix2Pix (λ = 10)",
             _gap("dn_ch05_unet_psnr", "dn_p2p10_psnr"), True),
    Ordering("dn_adversarial_sharper", "Pix2Pix (λ = 10) outputs carry more high-frequency energy than L1's and MSE's",
             lambda v: v["dn_p2p10_hf_ratio"] - max(v["dn_l1_hf_ratio"], v["dn_mse_hf_ratio"]), True),
    Ordering("dn_adversarial_more_realistic", "Pix2Pix (λ = 10) has a lower FD than the MSE generator",
             _gap("dn_mse_fd", "dn_p2p10_fd"), True),
    Ordering("dn_outputs_recognisable", "the judge recognises > 85 % of every generator's outputs",
             lambda v: _min(v, tuple(k.replace("psnr", "judge_accuracy") for k in DN_GENERATORS)) - 0.85, True),
    Ordering("dn_perceptual_more_realistic", "MSE + perceptual has a lower FD than MSE alone",
             _gap("dn_mse_fd", "dn_perc_fd"), True),
    Ordering("occ_both_remove", "both occlusion networks gain > 3 dB over the occluded input",
             lambda v: _min(v, ("occ_mse_psnr", "occ_ssim_psnr")) - v["occ_input_psnr"] - 3, True),
    Ordering("occ_ssim_wins_ssim", "the 1 − SSIM-trained network has the higher SSIM",
             _gap("occ_ssim_ssim", "occ_mse_ssim"), True),
    Ordering("occ_more_recognisable", "both restored sets are recognised more often than the occluded digits",
             lambda v: _min(v, ("occ_mse_judge_accuracy", "occ_ssim_judge_accuracy")) - v["occ_input_judge_accuracy"],
             True),
    Ordering("blur_both_deblur", "both blind deblurring networks gain > 1 dB over the blurred input",
             lambda v: _min(v, ("blur_mse_psnr", "blur_gan_psnr")) - v["blur_input_psnr"] - 1, True),
    Ordering("blur_gan_sharper", "WGAN-GP + perceptual outputs carry more high-frequency energy than MSE's",
             _gap("blur_gan_hf_ratio", "blur_mse_hf_ratio"), True),
    Ordering("sn_gcbd_beats_awgn", "the U-Net trained on GAN noise beats the white-noise U-Net by > 1 dB",
             _gap("sn_gcbd_psnr", "sn_awgn_psnr", 1), True),
    Ordering("sn_oracle_beats_awgn", "the U-Net trained on the true noise beats the white-noise U-Net by > 1 dB",
             _gap("sn_oracle_psnr", "sn_awgn_psnr", 1), True),
    # reported only
    Ordering("dn_p2p100_costs_psnr", "Pix2Pix (λ = 100) has a lower PSNR than L1",
             _gap("dn_l1_psnr", "dn_p2p100_psnr"), False),
    Ordering("dn_p2p10_more_realistic_than_l1", "Pix2Pix (λ = 10) has a lower FD than L1",
             _gap("dn_l1_fd", "dn_p2p10_fd"), False),
    Ordering("dn_perceptual_costs_psnr", "MSE + perceptual has a lower PSNR than MSE alone",
             _gap("dn_mse_psnr", "dn_perc_psnr"), False),
    Ordering("occ_mse_wins_psnr", "the MSE-trained occlusion network has the higher PSNR",
             _gap("occ_mse_psnr", "occ_ssim_psnr"), False),
    Ordering("blur_gan_costs_psnr", "WGAN-GP + perceptual has a lower PSNR than MSE",
             _gap("blur_mse_psnr", "blur_gan_psnr"), False),
    Ordering("blur_gan_more_realistic", "WGAN-GP + perceptual has a lower FD than MSE",
             _gap("blur_mse_fd", "blur_gan_fd"), False),
    Ordering("sn_oracle_beats_gcbd", "the oracle U-Net beats the one trained on GAN noise",
             _gap("sn_oracle_psnr", "sn_gcbd_psnr"), False),
)


def margins(scores: Scores) -> dict[str, float]:
    """``{ordering key: margin}`` for every :data:`ORDERINGS` entry on one run's ``scores``."""
    out = {}
    for o in ORDERINGS:
        try:
            out[o.key] = float(o.margin(scores))
        except KeyError as err:
            raise KeyError(f"margins: the scores lack {err.args[0]!r} (needed by {o.key}); score every task "
                           "with score_models()") from None
    return out


#: A collapsed run of seed ``s`` is trained again with seed ``s + RESTART_OFFSET * k`` (restart ``k``).
RESTART_OFFSET = 1000


def collapsed(model: nn.Module, task: str, *, n: int = 256, tol: float = 1e-4) -> bool:
    """Whether a restorer's training failed: its outputs on ``n`` *training* inputs of ``task`` are constant.

    The failure this catches is the dying-ReLU collapse of small networks: every unit of a
    layer stops firing and the output is the last bias whatever the input. The test uses
    training digits only (the restart rule must not look at evaluation digits); ``gcbd``
    restorers are tested on the structured-noise inputs they are meant for.
    """
    from .. import data
    from .tasks import task_batch

    images = data.mnist("train")[0]
    degraded, _ = task_batch("structured" if task == "gcbd" else task, images, 0, batch=n, seed=4242)
    outputs = restore(model, degraded)
    return float(outputs.std(dim=0).max()) < tol


def _load_ch05(kind: str, sigma: float) -> nn.Module:
    from .. import denoising

    return training.load_or_train(denoising.mnist_name(kind, sigma), denoising.mnist_builder(kind),
                                  denoising.mnist_trainer(kind, sigma), verbose=False)[0]


def score_models(models: Mapping[str, nn.Module], n_eval: int, *, classifier: nn.Module,
                 judge: nn.Module) -> dict[str, float]:
    """Score chapter 07's restorers ``{registry name: network}`` as the notebook does (chapter 07).

    Four tasks on the first ``n_eval`` evaluation digits, with the inputs and chapter 05's
    shipped baselines (its conv autoencoder and U-Net at sigma 0.5, its U-Net at sigma 0.3 as
    the white-noise model); the Fréchet distance is taken against the clean digits' features.
    Returns flat keys ``<task>_<method>_<metric>`` (the notebook's ``results.record`` keys).
    """
    dn = eval_set("denoise", n_eval)
    reference = gan.feature_statistics(gan.classifier_features(classifier, dn.clean))
    out: dict[str, float] = {}

    def add(prefix: str, method: str, outputs: torch.Tensor, es: Any) -> None:
        s = score_outputs(outputs, es.clean, es.labels, classifier=classifier, judge=judge, reference=reference)
        for metric in ("psnr", "ssim", "accuracy", "judge_accuracy", "hf_ratio", "fd"):
            out[f"{prefix}_{method}_{metric}"] = float(s[metric])

    add("dn", "noisy", dn.degraded.clamp(0, 1), dn)
    add("dn", "ch05_unet", restore(_load_ch05("unet", DENOISE_SIGMA), dn.degraded), dn)
    for method in ("mse", "l1", "p2p100", "p2p10", "perc"):
        add("dn", method, restore(models[f"ch07_dn_{method}"], dn.degraded), dn)
    occ = eval_set("occlude", n_eval)
    add("occ", "input", occ.degraded, occ)
    for method in ("mse", "ssim"):
        add("occ", method, restore(models[f"ch07_occ_{method}"], occ.degraded), occ)
    blur = eval_set("deblur", n_eval)
    add("blur", "input", blur.degraded.clamp(0, 1), blur)
    for method in ("mse", "gan"):
        add("blur", method, restore(models[f"ch07_blur_{method}"], blur.degraded), blur)
    sn = eval_set("structured", n_eval)
    add("sn", "input", sn.degraded.clamp(0, 1), sn)
    add("sn", "awgn", restore(_load_ch05("unet", 0.3), sn.degraded), sn)
    add("sn", "gcbd", restore(models["ch07_sn_gcbd"], sn.degraded), sn)
    add("sn", "oracle", restore(models["ch07_sn_true"], sn.degraded), sn)
    return out


def load_study(path: str | Path = STUDY_FILE) -> dict[str, Any]:
    """The committed seed study: ``{"run": provenance, "n_eval", "seeds": {seed: scores}, "restarts"}``.

    ``restarts[seed][name]`` counts the collapsed runs (:func:`collapsed`) of ``name`` that were
    trained again before the one scored.

    Raises:
        FileNotFoundError: with the command that produces it.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no seed study at {path}; produce it with `python scripts/seeds_07.py --jobs 2` "
                                "(about an hour per extra seed on two cores)")
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data.get("seeds"), dict) or len(data["seeds"]) < 1:
        raise ValueError(f"{path} has no 'seeds' mapping; delete it and re-run scripts/seeds_07.py")
    return data


def study_table(study: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One row per ordering: its margin on every seed, whether it holds on all, whether it is asserted."""
    per_seed = {seed: margins(scores) for seed, scores in sorted(study["seeds"].items(), key=lambda kv: int(kv[0]))}
    rows = []
    for o in ORDERINGS:
        row: dict[str, Any] = {"ordering": o.text}
        for seed, m in per_seed.items():
            row[f"seed {seed}"] = m[o.key]
        row["holds on every seed"] = all(m[o.key] > 0 for m in per_seed.values())
        row["asserted"] = o.asserted
        row["key"] = o.key
        rows.append(row)
    return rows
