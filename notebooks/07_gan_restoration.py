# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # GAN denoising and restoration: conditional GANs, perceptual and SSIM losses
#
# Chapter 05 trained denoisers with the mean squared error and chapter 06 trained generators that a
# discriminator cannot tell from real digits {cite:p}`goodfellow2014generative`. This chapter puts the two together. A network trained
# with the MSE returns the *average* of all clean images that fit the observation; at high noise that
# average is a blur that no clean image looks like. An adversarial term pushes the output towards
# images that *look* clean — at a price in PSNR that we prove, measure and report. The same idea,
# with other losses, serves occlusion removal, motion deblurring and blind denoising.
#
# **In this chapter you will**
# - prove why MSE-trained restorers are blurry (they lose exactly their MSE in energy) and what a
#   perfectly realistic restorer must pay (at most twice the minimum MSE, 3 dB), and check both on a
#   binary pixel (Section 1);
# - build Pix2Pix's conditional GAN — a U-Net generator, a PatchGAN discriminator, adversarial plus
#   L1 loss — and compare it on chapter 05's noisy digits with chapter 05's autoencoder and U-Net in
#   PSNR, SSIM, sharpness, recognisability and realism (Section 2, Exercises 7.1–7.2);
# - replace the pixel loss by the features of chapter 06's classifier, a perceptual loss (Section 3);
# - remove occluders with a U-Net trained on the SSIM instead of the MSE (Section 4, Exercise 7.3);
# - deblur camera-shake blur in the manner of DeblurGAN — a Wasserstein critic and a perceptual loss —
#   against Wiener deconvolution that knows the blur (Section 5);
# - denoise blindly: learn an unknown noise from noise-only patches with a small GAN, synthesise
#   training pairs with it, and compare with a denoiser trained on the true noise (Section 6);
# - check which of these orderings survive training every network again with another seed (Section 7);
# - meet CycleGAN's cycle consistency, which needs no pairs at all (Section 8, Exercise 7.4).
#
# The chapter started from a report on deep networks for denoising (a U-Net generator GAN on noisy
# MNIST, unmasking faces with a U-Net and an SSIM loss) and a reading report (Pix2Pix, PatchGAN,
# DeblurGAN, perceptual losses, CycleGAN, GAN-based denoising papers). Where the course corrects a slip
# of those notes, the text says so.

# %% tags=["imports"]
import time

import matplotlib.pyplot as plt
import numpy as np
import torch
from IPython.display import Markdown, display
from skimage.metrics import structural_similarity

import course_lib
import course_lib.checks.ch07
from course_lib import (by_profile, checks, classical, data, denoising, gan, losses, metrics, plotting, restoration,
                        results, training)
from course_lib.models import pix2pix

# %%
profile = course_lib.setup_notebook("07_gan_restoration")
T_START = time.perf_counter()
N_EVAL = by_profile(ci=500, default=2000, full=2000)


def verdict(*sentences, models=()):
    """Show a paragraph written from the measured numbers (so the text always matches the run).

    ``models``: the chapter's trained models the numbers depend on; when one of them is not shipped
    (trained just now with the profile's short schedule), the paragraph says so.
    """
    if models and not shipped(*models):
        sentences += (f"*(Profile {profile.name}: some of these models were trained for a few steps just now; "
                      "the numbers show the code running, not the methods.)*",)
    display(Markdown(" ".join(sentences)))

# %% [markdown]
# ## 1. Distortion and perception: what the MSE does to an image
#
# A restorer $f$ sees $Y$ (noisy, occluded, blurred) and estimates the clean image $X\in\mathbb R^d$.
# Its **distortion** is how far $f(Y)$ is from $X$ on average, here the mean squared error; its
# **perceptual quality**, in the sense of {cite:t}`blau2018perception`, is how close the *distribution*
# of the outputs $f(Y)$ is to the distribution of clean images — could a discriminator tell them apart?
# The minimiser of the MSE is the posterior mean $\hat X=\mathbb E[X\mid Y]$, and its MSE is the
# minimum mean squared error, $\mathrm{MMSE}=\mathbb E\|X-\hat X\|^2$.
#
# ```{prf:lemma} The MMSE estimate loses exactly its error in energy
# :label: prop-07-shrink
#
# Let $\mathbb E\|X\|^2<\infty$ and $\hat X=\mathbb E[X\mid Y]$. For every $g$ with
# $\mathbb E\|g(Y)\|^2<\infty$, $\ \mathbb E\big[(X-\hat X)^\top g(Y)\big]=0$ (orthogonality), and
# $$\mathbb E\|\hat X\|^2=\mathbb E\|X\|^2-\mathrm{MMSE}.$$
# In particular, when $\mathrm{MMSE}>0$ the outputs $\hat X$ are *not* distributed like clean images.
# ```
#
# ```{prf:proof}
# By the tower property, $\mathbb E[(X-\hat X)^\top g(Y)]=\mathbb E\big[(\mathbb E[X\mid Y]-\hat X)^\top g(Y)\big]=0$.
# With $g=\hat X$ this gives $\mathbb E[X^\top\hat X]=\mathbb E\|\hat X\|^2$, hence
# $\mathrm{MMSE}=\mathbb E\|X\|^2-2\,\mathbb E[X^\top\hat X]+\mathbb E\|\hat X\|^2=\mathbb E\|X\|^2-\mathbb E\|\hat X\|^2$.
# Two distributions with different second moments differ.
# ```
#
# The missing energy is the detail the posterior is unsure about: where a stroke may or may not be,
# the mean paints half a stroke. That is the blur of MSE-trained networks, in one line.
#
# ```{prf:theorem} Posterior sampling is realistic and doubles the error
# :label: prop-07-sampling
#
# Let $\tilde X$ be drawn from the posterior $p(x\mid Y)$, independently of $X$ given $Y$. Then
# $\tilde X$ has the distribution of $X$, and $\ \mathbb E\|X-\tilde X\|^2=2\,\mathrm{MMSE}$.
# ```
#
# ```{prf:proof}
# For every event $A$, $P(\tilde X\in A)=\mathbb E\,P(\tilde X\in A\mid Y)=\mathbb E\,P(X\in A\mid Y)=P(X\in A)$.
# Given $Y$, $X$ and $\tilde X$ are independent with mean $\hat X$ and covariance $\Sigma(Y)$, so
# $\mathbb E[\|X-\tilde X\|^2\mid Y]=\mathbb E[\|(X-\hat X)-(\tilde X-\hat X)\|^2\mid Y]=2\operatorname{tr}\Sigma(Y)$:
# the cross term vanishes by conditional independence. Taking expectations, $2\,\mathbb E\operatorname{tr}\Sigma(Y)=2\,\mathrm{MMSE}$.
# ```
#
# ```{prf:corollary} The price of perfect realism under the MSE
# :label: cor-07-price
#
# The smallest MSE among restorers whose outputs are distributed like clean images lies in
# $(\mathrm{MMSE},\,2\,\mathrm{MMSE}]$ when $\mathrm{MMSE}>0$: perfect realism costs more than nothing
# and at most a factor 2, that is at most $10\log_{10}2\approx3.01$ dB of the data set's MSE-based PSNR.
# ```
#
# ```{prf:proof}
# The upper bound is {prf:ref}`prop-07-sampling`. For the lower bound let $f$ be any restorer (possibly
# randomised, its randomness independent of $X$ given $Y$) with $f(Y)$ distributed like $X$. By
# orthogonality, $\mathbb E\|X-f(Y)\|^2=\mathrm{MMSE}+\mathbb E\|\hat X-f(Y)\|^2$, and the last term is at
# least the squared Wasserstein-2 distance between the laws of $\hat X$ and $X$, which is positive because
# their second moments differ ({prf:ref}`prop-07-shrink`). The bound does not depend on $f$, so even the
# infimum stays above the MMSE.
# ```
#
# {cite:t}`blau2018perception` prove much more — for any distortion and any divergence measuring
# perceptual quality, the best achievable distortion at a given perceptual quality is a non-increasing
# convex curve — and argue that GANs are a principled way to approach that curve. The lemma and the
# theorem above are the part we need, with complete proofs.
#
# ```{prf:remark} The L1 loss and the median
# :label: rem-07-median
#
# The minimiser of $\mathbb E|X_i-c|$ over $c$ is a median of $X_i$ given $Y$. For a pixel that is
# either 0 or 1, the posterior median is 1 when $P(X_i=1\mid Y)>1/2$ and 0 otherwise: a value a clean
# image can take, not a grey compromise. An L1-trained restorer is already sharper than an
# MSE-trained one — the reason Pix2Pix pairs its adversarial term with L1 rather than with the MSE.
# ```
#
# **A check on one binary pixel.** MNIST's pixels are nearly binary. Let $X\in\{0,1\}$ with
# probability $1/2$ each and $Y=X+0.5\,N$. The posterior $P(X=1\mid Y=y)$ is a logistic function of
# $y$, so all four estimators below are exact; `restoration.binary_pixel_study` draws many pixels and
# computes the MMSE independently by quadrature.

# %%
study = restoration.binary_pixel_study(sigma=0.5, n=by_profile(ci=200_000, default=1_000_000, full=4_000_000))
labels = {"mean": "posterior mean (MMSE)", "median": "posterior median (= MAP)", "sample": "posterior sample",
          "identity": "the observation y"}
display(Markdown(plotting.comparison_table(
    [{"estimator": labels[k], "MSE": study.mse[k], "E[estimate²]": study.second_moment[k],
      "share of estimates = 1": study.fraction_ones.get(k)} for k in labels], floatfmt=".4f")
    + f"\n\nClean pixel: E[X²] = {study.p}; MMSE by quadrature = {study.mmse_quadrature:.4f}; {study.n:,} draws."))
deficit = study.p - study.second_moment["mean"]
results.record("pixel_mmse", study.mmse_quadrature, unit="squared intensity", sigma=0.5)
results.record("pixel_sample_over_mmse", study.mse["sample"] / study.mmse_quadrature, unit="ratio",
               claim="posterior sampling doubles the MMSE (prop-07-sampling)")
results.record("pixel_energy_deficit_over_mmse", deficit / study.mmse_quadrature, unit="ratio",
               claim="the MMSE estimate loses exactly the MMSE in energy (prop-07-shrink)")

# %%
assert abs(study.mse["mean"] / study.mmse_quadrature - 1) < 0.02, "the posterior mean attains the MMSE"
assert abs(deficit / study.mmse_quadrature - 1) < 0.02, "E[X^2] - E[Xhat^2] = MMSE (prop-07-shrink)"
assert abs(study.mse["sample"] - 2 * study.mmse_quadrature) < 5 * study.std_error + 0.002, \
    "posterior sampling has twice the MMSE (prop-07-sampling)"
assert abs(study.fraction_ones["sample"] - study.p) < 0.01, "posterior samples are distributed like the pixel"
assert study.mmse_quadrature < study.mse["median"] < 2 * study.mmse_quadrature, \
    "the median lies between the two: realistic marginal, less error than sampling"
print(f"MMSE {study.mmse_quadrature:.4f}; sampling {study.mse['sample']:.4f} "
      f"({study.mse['sample'] / study.mmse_quadrature:.3f} x); median {study.mse['median']:.4f}")

# %% [markdown]
# The posterior mean has the smallest error but its values fill the whole interval $(0,1)$ and its
# energy falls short by exactly the MMSE. A posterior sample is a 0 or a 1 with the right frequencies —
# perfectly "realistic" — and pays twice the MMSE. The median is a 0/1 value as well, with the right
# share of ones for this symmetric prior, and pays less than sampling: for a *single pixel* matching
# the marginal distribution is cheap. For whole images the outputs must also get the joint structure
# right — where the strokes go — and that is what a discriminator looks at.

# %% [markdown]
# ## 2. Conditional GANs: Pix2Pix
#
# The report behind this chapter trained "a GAN whose generator takes noisy images as input", a U-Net,
# against a CNN discriminator. Pix2Pix {cite:p}`isola2017image` made that recipe precise. It is a
# *conditional* GAN {cite:p}`mirza2014conditional`: the discriminator sees the input $y$ together with
# either the true $x$ or the generator's answer $G(y)$, so it judges not only "is this a clean digit?"
# but "is this a clean digit *for this input*?".
#
# ```{prf:definition} The Pix2Pix objective
# :label: def-07-pix2pix
#
# With the conditional GAN value
# $\mathcal L_{\mathrm{cGAN}}(G,D)=\mathbb E_{x,y}\log D(y,x)+\mathbb E_{y}\log\big(1-D(y,G(y))\big)$,
# $$G^\star=\arg\min_G\max_D\ \mathcal L_{\mathrm{cGAN}}(G,D)+\lambda\,\mathbb E_{x,y}\|x-G(y)\|_1,\qquad\lambda=100.$$
# The generator minimises the non-saturating form $-\mathbb E\log D(y,G(y))$ (chapter 06) plus
# $\lambda$ times the L1 term; the discriminator maximises $\mathcal L_{\mathrm{cGAN}}$ (Isola et al.
# halve its loss, which with Adam changes almost nothing).
# ```
#
# The L1 term ties the output to the input's content (the low frequencies); the adversarial term only
# has to supply what L1 averages away ({prf:ref}`rem-07-median`). So the discriminator need not judge
# whole images: a **PatchGAN** is a fully convolutional classifier whose every output is the logit of
# one $N\times N$ patch being real, and the loss averages the decisions of all patches — it models the
# image as a Markov random field whose pixels further apart than a patch are independent. Pix2Pix's
# discriminator on $256\times256$ images has $70\times70$ patches. How large is a patch?
#
# ```{prf:proposition} Receptive field of a stack of convolutions
# :label: prop-07-receptive
#
# Let layer $l=1,\dots,L$ have kernel $k_l$ and stride $s_l$, and put $j_0=1$, $j_l=j_{l-1}s_l$. One
# output pixel of layer $L$ depends on a square of side
# $$r_L=1+\sum_{l=1}^{L}(k_l-1)\,j_{l-1}$$
# input pixels (padding does not change it), and an $n$-pixel input gives
# $\lfloor (n+2p_l-k_l)/s_l\rfloor+1$ pixels after layer $l$ with padding $p_l$.
# ```
#
# ```{prf:proof}
# Induction on $L$; $r_0=1$. Neighbouring units of layer $l-1$ are $j_{l-1}$ input pixels apart (each
# stride multiplies the spacing) and each sees an interval of $r_{l-1}$ input pixels. A unit of layer
# $l$ combines $k_l$ neighbouring units of layer $l-1$: intervals of length $r_{l-1}$ whose starts are
# $j_{l-1}$ apart, spanning $r_{l-1}+(k_l-1)j_{l-1}$ pixels. The output size counts the positions of a
# $k_l$-wide window in the padded input $n+2p_l$ that are multiples of $s_l$.
# ```
#
# ```{prf:remark} Slip in the reading notes: U-Net skips concatenate
# :label: rem-07-unet-slip
#
# The reading report describes the U-Net as adding "the $i$-th layer into the $(n-i)$-th layer …
# just like Res[Net]". A U-Net {cite:p}`ronneberger2015unet` *concatenates* the encoder features to
# the decoder features of the same size (the channels are stacked and the next convolution learns
# how to mix them); adding them is what a residual network does. The course's generator concatenates.
# ```

# %% [markdown]
# ```{exercise} The PatchGAN's geometry
# :label: ex-07-patch
#
# Write `patch_geometry(size, layers)` that takes the side `size` of a square input and a list of
# convolution layers `(kernel, stride, padding)` and returns the tuple
# `(output side, receptive field)` of {prf:ref}`prop-07-receptive`, both integers.
# ```
#
# ```{solution-start} ex-07-patch
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 7.1: output side and receptive field of a stack of convolutions
def patch_geometry(size, layers):
    """Return (output side, receptive field side) for a square input of side `size`."""
    ### BEGIN SOLUTION
    n, field, jump = size, 1, 1
    for kernel, stride, padding in layers:
        n = (n + 2 * padding - kernel) // stride + 1
        field += (kernel - 1) * jump
        jump *= stride
    return n, field
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch07.check_patch_geometry(patch_geometry)

# %% [markdown]
# The course's discriminator for $28\times28$ digits has one stride-2 layer: its patches are
# $16\times16$, a bit more than half a digit. The formula against the network itself — back-propagate
# from one output pixel and see which input pixels receive a gradient:

# %%
rows = []
for n_strided, size in ((1, 28), (2, 64), (3, 256)):
    disc = pix2pix.build_patch_discriminator(0, in_channels=2, width=8, n_strided=n_strided)
    side, field = patch_geometry(size, disc.layer_specs())
    measured = pix2pix.measured_receptive_field(disc, 2, size)
    out_shape = tuple(disc(torch.zeros(1, 2, size, size)).shape[-2:])
    rows.append({"strided layers": n_strided, "input": size, "output map": f"{out_shape[0]}x{out_shape[1]}",
                 "formula": f"{side}x{side}, field {field}", "measured field": measured})
    assert out_shape == (side, side) and measured == field, "the formula must match the network"
display(Markdown(plotting.comparison_table(rows)))
course_field = rows[0]["measured field"]
results.record("patchgan_receptive_field", course_field, unit="px", claim="16x16 patches on 28x28 digits")
assert course_field == 16 and rows[2]["measured field"] == 70, "16x16 patches here, Pix2Pix's 70x70 on 256x256 images"

# %% [markdown]
# ```{exercise} Pix2Pix's generator loss
# :label: ex-07-p2p
#
# Write `pix2pix_generator_loss(fake_logits, fake, target, lam)` that returns the generator's loss of
# {prf:ref}`def-07-pix2pix` as a scalar tensor: the non-saturating adversarial loss
# $-\log\sigma(a)$ averaged over **every patch logit** $a$ in `fake_logits` (shape $(N,1,h,w)$), plus
# `lam` times the mean absolute difference between `fake` and `target`. Compute
# $-\log\sigma(a)$ stably (chapter 06), and keep the result differentiable.
# ```
#
# ```{solution-start} ex-07-p2p
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 7.2: mean softplus(-logits) + lam * mean |fake - target|
def pix2pix_generator_loss(fake_logits, fake, target, lam):
    """Return the non-saturating patch loss plus lam times the L1 distance, a scalar tensor."""
    ### BEGIN SOLUTION
    import torch.nn.functional as F

    return F.softplus(-fake_logits).mean() + lam * (fake - target).abs().mean()
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch07.check_pix2pix_generator_loss(pix2pix_generator_loss)

# %% [markdown]
# **The networks.** The generator is Pix2Pix's U-Net scaled to digits: three strided $4\times4$
# convolutions ($16\to32\to64$ channels, batch normalisation, LeakyReLU), three transposed ones back,
# skips that concatenate (`models.pix2pix.UNetGenerator`, 99 thousand weights). One addition: the
# *input* is concatenated to the last full-resolution features before a final $3\times3$ convolution
# — Pix2Pix's $256$-pixel images can afford to pass everything through a stride-2 first layer, a
# stroke two pixels wide cannot. Pix2Pix feeds randomness to its generator only through dropout and
# reports that the outputs hardly vary; ours is deterministic.
#
# **The experiment.** Denoising at $\sigma=0.5$, chapter 05's strongest noise, where the MSE is
# blurriest. The same generator, the same data, the same 3,000 steps of 64 digits (Adam $5\cdot10^{-4}$
# with a cosine decay, $\beta=(0.5,0.999)$ as Pix2Pix) are trained with four losses: MSE; L1; L1 with
# the adversarial term at Pix2Pix's $\lambda=100$; and at $\lambda=10$, a stronger adversarial pull.
# The weights are fixed in advance — the paper's value and one tenth of it — and no choice looks at
# evaluation digits. `scripts/train_07.py` trains them; the notebook loads the shipped weights
# (checking their sha256). A few steps of the same training code, for show:

# %%
_, brief = training.train_briefly(restoration.builder("ch07_dn_p2p100"), restoration.trainer("ch07_dn_p2p100"),
                                  by_profile(ci=3, default=20, full=20), name="brief_p2p")
print(f"brief Pix2Pix run: {brief.iterations} steps in {brief.wall_time:.1f} s, generator loss {brief.final_loss:.3f}; "
      f"logged: {sorted(brief.evals)} (not used for any result)")

# %% [markdown]
# The judges. Chapter 06's classifier (`gan06_classifier`) scores recognisability and gives the
# features of the Fréchet distance (FD; the FID of {cite:t}`heusel2017gans` with this classifier in place of
# Inception) that measures realism: how far the *distribution* of outputs is
# from that of clean digits, whatever the pairing. Because Section 3 trains a network *on* that
# classifier's features, the chapter also trains a second, independent classifier — the **judge**,
# another architecture and seed — so that no score is graded by the network it was trained on.

# %%
classifier, classifier_info = restoration.classifier()
judge, judge_info = restoration.judge()
print(classifier_info.message)
print(judge_info.message)
zoo = {name: restoration.load(name) for name in restoration.SPECS}
for name, (_, info) in zoo.items():
    print(f"{name}: {info.source}; {info.meta.get('iterations')} iterations, {info.meta.get('wall_time_s', 0) / 60:.1f} min")
CLASSIFIERS_SHIPPED = classifier_info.source == "shipped" and judge_info.source == "shipped"
LOADED = {}  # infos of the chapter's models loaded outside `zoo` (the noise GAN)


def shipped(*names):
    """True when the named models of this chapter and both classifiers were loaded from shipped checkpoints."""
    return CLASSIFIERS_SHIPPED and all((zoo[n][1] if n in zoo else LOADED[n]).source == "shipped" for n in names)


def model(name):
    return zoo[name][0]


if not shipped(*zoo):
    print("NOTE: some models of this chapter are not shipped in data/checkpoints, so they were trained just now "
          f"with the {profile.name} profile's schedule; the claims about trained models are printed, not asserted.")

# %%
dn = restoration.eval_set("denoise", N_EVAL)
ref_noisy, ref_clean = denoising.mnist_eval_pairs(restoration.DENOISE_SIGMA, N_EVAL)
assert torch.equal(dn.degraded, ref_noisy) and torch.equal(dn.clean, ref_clean), \
    "the evaluation digits and noise must be chapter 05's"
reference = gan.feature_statistics(gan.classifier_features(classifier, dn.clean))


def score(outputs, es):
    return restoration.score_outputs(outputs, es.clean, es.labels, classifier=classifier, judge=judge, reference=reference)


ch05 = {kind: training.load_or_train(denoising.mnist_name(kind, restoration.DENOISE_SIGMA), denoising.mnist_builder(kind),
                                     denoising.mnist_trainer(kind, restoration.DENOISE_SIGMA), verbose=False)
        for kind in ("conv", "unet")}
dn_methods = {
    "noisy input": dn.degraded.clamp(0, 1),
    "ch. 05 conv autoencoder (MSE)": restoration.restore(ch05["conv"][0], dn.degraded),
    "ch. 05 U-Net (MSE)": restoration.restore(ch05["unet"][0], dn.degraded),
    "generator, MSE": restoration.restore(model("ch07_dn_mse"), dn.degraded),
    "generator, L1": restoration.restore(model("ch07_dn_l1"), dn.degraded),
    "Pix2Pix, λ = 100": restoration.restore(model("ch07_dn_p2p100"), dn.degraded),
    "Pix2Pix, λ = 10": restoration.restore(model("ch07_dn_p2p10"), dn.degraded),
}
dn_scores = {name: score(out, dn) for name, out in dn_methods.items()}
COLUMNS = {"psnr": "PSNR (dB)", "ssim": "SSIM", "accuracy": "accuracy (ch. 06)", "judge_accuracy": "accuracy (judge)",
           "hf_ratio": "HF energy / clean", "fd": "FD (realism)"}
FMT = {"SSIM": ".3f", "accuracy (ch. 06)": ".3f", "accuracy (judge)": ".3f", "HF energy / clean": ".2f",
       "FD (realism)": ".1f"}


def table(scored, title):
    rows = [{"method": m, **{COLUMNS[k]: s[k] for k in COLUMNS}} for m, s in scored.items()]
    display(Markdown(f"**{title}**\n\n" + plotting.comparison_table(rows, floatfmt=FMT)))


table(dn_scores, f"Denoising at σ = {restoration.DENOISE_SIGMA} on {N_EVAL} evaluation digits (chapter 05's noise)")
keys = {"ch. 05 conv autoencoder (MSE)": "ch05_conv", "ch. 05 U-Net (MSE)": "ch05_unet", "generator, MSE": "mse",
        "generator, L1": "l1", "Pix2Pix, λ = 100": "p2p100", "Pix2Pix, λ = 10": "p2p10", "noisy input": "noisy"}
for name, s in dn_scores.items():
    for metric in ("psnr", "ssim", "accuracy", "judge_accuracy", "hf_ratio", "fd"):
        results.record(f"dn_{keys[name]}_{metric}", s[metric], unit="dB" if metric == "psnr" else "", images=N_EVAL)

# %%
show = 10
fig = plotting.compare_images({"clean": dn.clean[:show], **{k: v[:show] for k, v in dn_methods.items()}}, n=show,
                              size=0.95, title="σ = 0.5: the MSE averages, the adversarial term commits")
plt.show()

# %% [markdown]
# How to read the table. **HF energy** is the energy of each output above $0.25$ cycles per pixel
# (`restoration.high_frequency_energy`), divided by that of the clean digits: below 1 is blur, above 1
# is leftover noise or invented texture. **FD** is the Fréchet distance of chapter 06 between the
# outputs and the clean digits in the classifier's features (lower: more realistic). Below, the
# distortion–perception plane and, for the MSE-trained networks, {prf:ref}`prop-07-shrink` put to the
# test: if a network were the MMSE estimator, its outputs would miss exactly their MSE in energy.

# %%
fig, axes = plt.subplots(1, 2, figsize=(11, 3.8))
for name, s in dn_scores.items():
    if name == "noisy input":
        continue
    axes[0].scatter(s["mse"], s["fd"], s=40)
    axes[0].annotate(name, (s["mse"], s["fd"]), fontsize=7, xytext=(4, 2), textcoords="offset points")
axes[0].set_xlabel("MSE (distortion)")
axes[0].set_ylabel("FD to clean digits (realism: lower is better)")
axes[0].set_title("the distortion–perception plane")
for name in ("generator, L1", "Pix2Pix, λ = 100", "Pix2Pix, λ = 10"):
    hist = zoo[{"generator, L1": "ch07_dn_l1", "Pix2Pix, λ = 100": "ch07_dn_p2p100",
                "Pix2Pix, λ = 10": "ch07_dn_p2p10"}[name]][1].history
    if "pixel" in hist.evals:
        axes[1].plot(hist.eval_steps, hist.evals["pixel"], label=f"{name}: L1 term")
    if "d_real" in hist.evals:
        axes[1].plot(hist.eval_steps, hist.evals["d_fake"], ls=":", label=f"{name}: D(y, G(y))")
axes[1].set_xlabel("generator step")
axes[1].set_title("training (shipped runs): L1 term and the discriminator on fakes")
axes[1].legend(fontsize=7)
plt.tight_layout()
plt.show()

x2 = dn.clean.double().pow(2).mean()
energy_rows = []
for name in ("ch. 05 conv autoencoder (MSE)", "ch. 05 U-Net (MSE)", "generator, MSE", "generator, L1", "Pix2Pix, λ = 10"):
    out = dn_methods[name].double()
    energy_rows.append({"network": name, "MSE": dn_scores[name]["mse"], "E x² − E x̂²": float(x2 - out.pow(2).mean()),
                        "ratio": float(x2 - out.pow(2).mean()) / dn_scores[name]["mse"]})
display(Markdown(plotting.comparison_table(energy_rows, floatfmt={"MSE": ".4f", "E x² − E x̂²": ".4f", "ratio": ".2f"})))
conv_ratio, unet_ratio = energy_rows[0]["ratio"], energy_rows[1]["ratio"]
results.record("dn_ch05_conv_energy_deficit_over_mse", conv_ratio, unit="ratio",
               claim="an MSE-trained network near the posterior mean loses about its MSE in energy (prop-07-shrink)")
results.record("dn_ch05_unet_energy_deficit_over_mse", unet_ratio, unit="ratio")
unet_out, x_dn = dn_methods["ch. 05 U-Net (MSE)"].double(), dn.clean.double()
unet_cross = float(((x_dn - unet_out) * unet_out).mean())
verdict(f"**Measured.** Energy deficit over MSE: chapter 05's autoencoder {conv_ratio:.2f}, chapter 05's U-Net "
        f"{unet_ratio:.2f}, our MSE generator {energy_rows[2]['ratio']:.2f}. "
        + (f"The U-Net's ratio is far from 1: by the orthogonality in the lemma of Section 1 it is not the "
           f"posterior mean — its error is correlated with its output (E[(x − x̂) x̂] = {unet_cross:.4f}), so "
           + ("its outputs are too faint, and brightening them by a constant factor would lower its MSE."
              if unet_cross > 0 else "its outputs are too bright, and dimming them by a constant factor would "
              "lower its MSE.")
           if abs(unet_ratio - 1) > 0.5 else "All are close to the value 1 of the posterior mean."),
        models=("ch07_dn_mse",))

# %% [markdown]
# For the posterior mean the ratio is exactly 1; a network only approximates it, and the test is a
# diagnostic: the orthogonality behind {prf:ref}`prop-07-shrink` holds for any estimator that cannot be
# improved by scaling its output, so a ratio far from 1 means a constant factor would lower the MSE. A
# restorer that does not average — L1's median, the adversarial generator — is not expected to satisfy
# it. The claims of this section, asserted on the shipped models:

# %%
p = {k: dn_scores[n] for n, k in keys.items()}
psnr_cost = results.record("dn_p2p10_psnr_cost_vs_l1", p["l1"]["psnr"] - p["p2p10"]["psnr"], unit="dB",
                           note="the PSNR the adversarial term costs at lambda = 10, same generator and budget; "
                                "cor-07-price: a perfectly realistic restorer pays at most 3.01 dB against the MMSE")
results.record("dn_p2p10_fd_gain_vs_mse", p["mse"]["fd"] - p["p2p10"]["fd"], unit="FD")
assert min(p["ch05_conv"]["psnr"], p["ch05_unet"]["psnr"]) > p["noisy"]["psnr"] + 5, "chapter 05's networks denoise"
assert 0.8 < conv_ratio < 1.3, "chapter 05's MSE-trained autoencoder loses about its MSE in energy (prop-07-shrink)"
if shipped("ch07_dn_mse", "ch07_dn_l1", "ch07_dn_p2p10", "ch07_dn_p2p100"):
    assert all(p[k]["psnr"] > p["noisy"]["psnr"] + 5 for k in ("mse", "l1", "p2p100", "p2p10")), "every generator denoises"
    assert p["p2p10"]["psnr"] < p["l1"]["psnr"], "the adversarial term costs PSNR against the same generator with L1"
    assert p["p2p10"]["psnr"] < p["ch05_unet"]["psnr"], "chapter 05's MSE-trained U-Net has a higher PSNR than Pix2Pix"
    assert p["p2p10"]["hf_ratio"] > max(p["l1"]["hf_ratio"], p["mse"]["hf_ratio"]), "the adversarial outputs are sharper"
    assert p["p2p10"]["fd"] < p["mse"]["fd"], "and more realistic (lower FD) than the MSE's"
    assert min(p[k]["judge_accuracy"] for k in ("mse", "l1", "p2p100", "p2p10")) > 0.85, "every output stays recognisable"
else:
    print("models not shipped: the orderings above are not asserted (their numbers are in the table)")
best_mse_acc = max(p["ch05_unet"]["judge_accuracy"], p["mse"]["judge_accuracy"], p["l1"]["judge_accuracy"])
verdict(
    f"**Measured** ({N_EVAL} digits, profile {profile.name}). Against the same generator trained with L1, the "
    f"adversarial term at λ = 10 changes the PSNR by {-psnr_cost:+.2f} dB, at λ = 100 by "
    f"{p['p2p100']['psnr'] - p['l1']['psnr']:+.2f} dB — for scale, the corollary above allows a perfectly "
    f"realistic restorer 3.01 dB against the MMSE estimator. The FD goes from {p['mse']['fd']:.1f} (MSE) and "
    f"{p['l1']['fd']:.1f} (L1) to {p['p2p100']['fd']:.1f} (λ = 100) and {p['p2p10']['fd']:.1f} (λ = 10); the "
    f"high-frequency energy goes from {p['mse']['hf_ratio']:.2f} of the clean digits' (MSE) to "
    f"{p['p2p10']['hf_ratio']:.2f} (λ = 10). Recognisability, by the judge: {p['p2p10']['judge_accuracy']:.3f} for "
    f"Pix2Pix λ = 10 against {best_mse_acc:.3f} for the best of the MSE and L1 networks — "
    + ("the adversarial term does **not** make the digits more recognisable."
       if p["p2p10"]["judge_accuracy"] <= best_mse_acc else
       "a small gain in recognisability, smaller than the changes in realism."),
    models=("ch07_dn_mse", "ch07_dn_l1", "ch07_dn_p2p10", "ch07_dn_p2p100"))

# %% [markdown]
# **What the adversarial term buys, and what it costs.** The asserted orderings are the ones the
# results of Section 1 predict: the MSE-trained networks hold the best PSNR and the blurriest, least realistic
# outputs; L1 is sharper (the median, {prf:ref}`rem-07-median`); the adversarial term moves further along
# the same curve — sharper strokes, a distribution closer to that of clean digits than the MSE's — and
# pays in PSNR. Not every step is monotone: on both training seeds of Section 7 the L1 generator's FD is
# *lower* than Pix2Pix's at λ = 10, so that comparison is reported, not asserted.
# Recognisability is a different question: when the noise hides which digit it was, the MSE blurs
# between the candidates and a GAN picks one, sometimes the wrong one, and a sharp wrong digit misleads
# a reader more than a blurry right one. Which restorer to prefer depends on what the output is for.
#
# ## 3. Perceptual loss: comparing features instead of pixels
#
# {cite:t}`johnson2016perceptual` replace the pixel distance by a distance between the feature maps
# $\varphi(\cdot)$ of a fixed network trained for recognition, the **feature reconstruction loss**
# $$\ell_{\mathrm{feat}}(\hat x,x)=\frac1{CHW}\big\|\varphi(\hat x)-\varphi(x)\big\|_2^2 ,$$
# with $\varphi$ an early layer of VGG (`relu2_2`), whose units respond to edges and strokes and
# tolerate small shifts. SRGAN {cite:p}`ledig2017photo` and DeblurGAN use the same idea with deeper
# VGG layers. Our $\varphi$ is chapter 06's classifier up to its second ReLU: 32 maps of $14\times14$,
# the analogue of `relu2_2` (`losses.PerceptualLoss`). The generator is trained on
# $\mathrm{MSE}+\ell_{\mathrm{feat}}$, weight 1 fixed in advance (both terms are of the same order at
# initialisation), everything else as in Section 2.
#
# ```{prf:remark} Slip in the reading notes: the formula given for the perceptual loss
# :label: rem-07-perceptual-slip
#
# Under "perceptual loss" the reading report writes
# $l^{SR}_{MSE}=\frac1{r^2WH}\sum_{x,y}(I^{HR}_{x,y}-G(I^{LR})_{x,y})^2$. That is SRGAN's *pixel-wise*
# MSE — the loss the perceptual loss replaces. The perceptual (VGG) loss of SRGAN and DeblurGAN is the
# same sum taken over the *feature maps* $\varphi_{i,j}$ of a VGG layer, divided by their size.
# ```

# %%
dn_methods["MSE + perceptual"] = restoration.restore(model("ch07_dn_perc"), dn.degraded)
perc_scores = {"generator, MSE": dn_scores["generator, MSE"], "MSE + perceptual": score(dn_methods["MSE + perceptual"], dn)}
table(perc_scores, "Perceptual loss against pixel MSE (same generator, data and budget)")
for metric in ("psnr", "ssim", "accuracy", "judge_accuracy", "hf_ratio", "fd"):
    results.record(f"dn_perc_{metric}", perc_scores["MSE + perceptual"][metric], unit="dB" if metric == "psnr" else "")
plotting.compare_images({"clean": dn.clean[:show], "MSE": dn_methods["generator, MSE"][:show],
                         "MSE + perceptual": dn_methods["MSE + perceptual"][:show]}, n=show, size=0.95)
plt.show()
pm, pp = perc_scores["generator, MSE"], perc_scores["MSE + perceptual"]
if shipped("ch07_dn_mse", "ch07_dn_perc"):
    assert pp["fd"] < pm["fd"], "the perceptual loss brings the outputs' distribution closer to clean digits"
verdict(f"**Measured.** Perceptual minus MSE: PSNR {pp['psnr'] - pm['psnr']:+.2f} dB, SSIM "
        f"{pp['ssim'] - pm['ssim']:+.3f}, high-frequency energy {pp['hf_ratio'] - pm['hf_ratio']:+.2f}, FD "
        f"{pp['fd'] - pm['fd']:+.1f}, accuracy of chapter 06's classifier (the loss's own network) "
        f"{pp['accuracy'] - pm['accuracy']:+.3f}, accuracy of the judge {pp['judge_accuracy'] - pm['judge_accuracy']:+.3f}.",
        models=("ch07_dn_mse", "ch07_dn_perc"))

# %% [markdown]
# The perceptual term moves the outputs towards realism (the lower FD is asserted), like the
# adversarial term but without a second network to train. Read the accuracy columns with care: the
# classifier of chapter 06 is the very network whose features the loss matches, so its accuracy on
# these outputs is partly self-grading; the judge, trained separately, is the fair witness. The FD uses
# the same features too, which flatters the perceptual model — a reason to look at the pictures.
#
# ## 4. Occlusion removal with an SSIM loss
#
# The report's application removes face masks: a U-Net sees a masked face and must paint the nose and
# mouth. It was trained with the **SSIM** instead of a pixel loss ("pixel-level reconstruction is not
# necessary"). Our version: each digit gets a grey rectangle of $8$–$12$ pixels a side over part of the
# stroke (`restoration.occlude`), and the generator must restore the digit without being told where
# the occluder is.
#
# ```{prf:definition} Structural similarity (Wang et al. 2004)
# :label: def-07-ssim
#
# With Gaussian-weighted local means $\mu_x,\mu_y$, variances $\sigma_x^2,\sigma_y^2$ and covariance
# $\sigma_{xy}$ (window $11\times11$, standard deviation $1.5$), and $C_1=(0.01L)^2$, $C_2=(0.03L)^2$ for
# the dynamic range $L$,
# $$\mathrm{SSIM}(x,y)=\operatorname{mean}_{\text{windows}}\ \frac{(2\mu_x\mu_y+C_1)(2\sigma_{xy}+C_2)}{(\mu_x^2+\mu_y^2+C_1)(\sigma_x^2+\sigma_y^2+C_2)} ,$$
# the mean over the windows that lie inside the image. The loss is $1-\mathrm{SSIM}$
# {cite:p}`wang2004image,zhao2017loss`.
# ```
#
# ```{prf:remark} Slip in the source notes: SSIM is not confined to [0, 1]
# :label: rem-07-ssim-range
#
# The report says SSIM returns "values between 0 and 1". Each window's value lies in $[-1,1]$: the
# structure factor $(2\sigma_{xy}+C_2)/(\sigma_x^2+\sigma_y^2+C_2)$ is negative when the images are
# anti-correlated. A digit against its negative has a negative SSIM (below).
# ```

# %%
x8 = dn.clean[:8].double()
ours = metrics.ssim(x8, x8.flip(0))
theirs = torch.tensor([structural_similarity(a[0].numpy(), b[0].numpy(), gaussian_weights=True, sigma=1.5,
                                             use_sample_covariance=False, data_range=1.0) for a, b in zip(x8, x8.flip(0))])
negative = float(metrics.ssim(1.0 - x8[:1], x8[:1]))
results.record("ssim_max_diff_vs_skimage", float((ours - theirs).abs().max()), unit="")
results.record("ssim_digit_vs_negative", negative, unit="", claim="SSIM can be negative")
assert float((ours - theirs).abs().max()) < 1e-6, "the course's SSIM equals scikit-image's"
assert negative < 0, "a digit against its negative has a negative SSIM"
print(f"SSIM of 8 digit pairs: max |course - skimage| = {float((ours - theirs).abs().max()):.1e}; "
      f"digit against its negative: {negative:.3f}")

# %% [markdown]
# ```{exercise} The SSIM loss
# :label: ex-07-ssim
#
# Write `ssim_loss(x, ref, data_range=1.0)` that returns $1-\mathrm{SSIM}$ of {prf:ref}`def-07-ssim`,
# averaged over the images of the batch, as a differentiable scalar tensor. `x` and `ref` have shape
# $(N,1,H,W)$ with $H,W\ge11$. Use the normalised 11-tap Gaussian $g_i\propto e^{-i^2/(2\cdot1.5^2)}$,
# $i=-5,\dots,5$, along rows and then columns **without padding**, and population (co)variances
# $\sigma_{xy}=\overline{xy}-\mu_x\mu_y$.
# ```
#
# ```{solution-start} ex-07-ssim
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 7.3: 1 - mean SSIM with an 11x11 Gaussian window (std 1.5), no padding
def ssim_loss(x, ref, data_range=1.0):
    """Return 1 - SSIM(x, ref) averaged over the batch (a differentiable scalar tensor)."""
    ### BEGIN SOLUTION
    import torch
    import torch.nn.functional as F

    taps = torch.exp(-0.5 * (torch.arange(-5, 6, dtype=x.dtype) / 1.5) ** 2)
    taps = taps / taps.sum()

    def blur(t):
        return F.conv2d(F.conv2d(t, taps.view(1, 1, 1, -1)), taps.view(1, 1, -1, 1))

    mu_x, mu_r = blur(x), blur(ref)
    var_x = blur(x * x) - mu_x**2
    var_r = blur(ref * ref) - mu_r**2
    cov = blur(x * ref) - mu_x * mu_r
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_r + c1) * (2 * cov + c2)) / ((mu_x**2 + mu_r**2 + c1) * (var_x + var_r + c2))
    return 1.0 - ssim_map.mean()
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch07.check_ssim_loss(ssim_loss)

# %% [markdown]
# Two copies of the generator, trained identically for 3,000 steps on occluded training digits, one
# with the MSE, one with $1-\mathrm{SSIM}$ (`losses.pixel_loss("ssim", ...)`, the course's SSIM of
# chapter 05's metrics module). Besides the scores on the whole digit, the PSNR *under the occluder*,
# where the network has to invent:

# %%
occ = restoration.eval_set("occlude", N_EVAL)
occ_methods = {"occluded input": occ.degraded, "U-Net, MSE": restoration.restore(model("ch07_occ_mse"), occ.degraded),
               "U-Net, 1 − SSIM": restoration.restore(model("ch07_occ_ssim"), occ.degraded)}
occ_scores = {name: score(out, occ) for name, out in occ_methods.items()}
mask = occ.masks.double()
for name, out in occ_methods.items():
    err = ((out.double() - occ.clean.double()) ** 2 * mask).flatten(1).sum(1) / mask.flatten(1).sum(1)
    occ_scores[name]["psnr_hidden"] = float((10 * torch.log10(1.0 / err.clamp_min(1e-10))).mean())
COLUMNS["psnr_hidden"] = "PSNR under the occluder (dB)"
table(occ_scores, f"Occlusion removal on {N_EVAL} evaluation digits")
del COLUMNS["psnr_hidden"]
okeys = {"occluded input": "input", "U-Net, MSE": "mse", "U-Net, 1 − SSIM": "ssim"}
for name, s in occ_scores.items():
    for metric in ("psnr", "ssim", "judge_accuracy", "accuracy", "psnr_hidden", "fd"):
        results.record(f"occ_{okeys[name]}_{metric}", s[metric], unit="dB" if "psnr" in metric else "")
plotting.compare_images({"clean": occ.clean[:show], **{k: v[:show] for k, v in occ_methods.items()}}, n=show, size=0.95)
plt.show()
o = {okeys[k]: v for k, v in occ_scores.items()}
if shipped("ch07_occ_mse", "ch07_occ_ssim"):
    assert min(o["mse"]["psnr"], o["ssim"]["psnr"]) > o["input"]["psnr"] + 3, "both networks remove the occluder"
    assert o["ssim"]["ssim"] > o["mse"]["ssim"], "the SSIM-trained network has the higher SSIM"
    assert min(o["mse"]["judge_accuracy"], o["ssim"]["judge_accuracy"]) > o["input"]["judge_accuracy"], \
        "restoring makes the digits easier to recognise than the occluded ones"
psnr_winner = "MSE" if o["mse"]["psnr"] > o["ssim"]["psnr"] else "SSIM"
ssim_winner = "MSE" if o["mse"]["ssim"] > o["ssim"]["ssim"] else "SSIM"
verdict(f"**Measured.** PSNR: MSE-trained {o['mse']['psnr']:.2f} dB, SSIM-trained {o['ssim']['psnr']:.2f} dB "
        f"(under the occluder {o['mse']['psnr_hidden']:.2f} and {o['ssim']['psnr_hidden']:.2f} dB); SSIM "
        f"{o['mse']['ssim']:.3f} and {o['ssim']['ssim']:.3f}; judge accuracy {o['input']['judge_accuracy']:.3f} "
        f"on the occluded digits, {o['mse']['judge_accuracy']:.3f} and {o['ssim']['judge_accuracy']:.3f} restored. "
        + ({("MSE", "SSIM"): "Each loss wins its own metric.",
            ("SSIM", "SSIM"): "The SSIM-trained network wins the PSNR as well: here the structural loss is also the "
                              "better pixel loss.",
            ("MSE", "MSE"): "The MSE-trained network wins both metrics, the SSIM included.",
            ("SSIM", "MSE"): "Each network wins the *other* loss's metric."}[psnr_winner, ssim_winner]),
        models=("ch07_occ_mse", "ch07_occ_ssim"))

# %% [markdown]
# The SSIM-trained network has the higher SSIM (asserted). Under the occluder both paint the strokes
# that the rest of the digit implies, and both raise the recognisability of the occluded digits. The SSIM loss is
# insensitive to a uniform change of brightness inside a window (it compares *structure*), so it leaves
# the exact grey level to chance; in flat black regions its constant $C_1$ is what keeps the
# background black. Whether SSIM "suits the task because pixel-level reconstruction is not necessary",
# as the report argues, depends on which score one wants to win; the numbers above say what each loss
# buys on the other's score.
#
# ## 5. DeblurGAN-style deblurring
#
# DeblurGAN {cite:p}`kupyn2018deblurgan` trains a generator to undo camera-shake blur, *blindly* (the
# kernel is unknown), with
# $$\mathcal L=\mathcal L_{\mathrm{GAN}}+\lambda\,\mathcal L_X,\qquad\lambda=100,$$
# where $\mathcal L_{\mathrm{GAN}}$ is the Wasserstein loss of a critic trained with the gradient
# penalty (WGAN-GP, {cite:t}`gulrajani2017improved`, after {cite:t}`arjovsky2017wasserstein`; chapter 06) and $\mathcal L_X$ is the perceptual
# loss on VGG features. Its training pairs are sharp images blurred with random camera-shake kernels
# {cite:p}`boracchi2012modeling`, the kernels of chapter 04 (where the course corrected the printed
# algorithm's `randn` to a uniform draw). Our version: digits blurred by kernels of length 7 pixels
# (one random kernel per digit, training and evaluation kernels drawn from disjoint seeds) plus noise of
# std $0.01$; the critic is our PatchGAN without normalisation, unconditioned, 2 critic steps per
# generator step (DeblurGAN: 5); the perceptual loss uses chapter 06's classifier. A control generator
# is trained with the MSE.
#
# The classical baseline is chapter 04's **Wiener deconvolution**, which is *given the true kernel* of
# every digit — an advantage the networks do not have. Its regulariser $\beta$ is chosen on training
# digits blurred by training kernels.

# %%
blur = restoration.eval_set("deblur", N_EVAL)
train_digits = data.mnist("train")[0]
tune_y, tune_x, tune_k = restoration.task_batch("deblur", train_digits, 0, batch=by_profile(ci=64, default=256, full=256),
                                                seed=77, with_kernels=True)


def wiener_all(y, kernels, beta):
    return torch.cat([classical.wiener_deconvolution(y[i:i + 1].double(), kernels[i], beta)
                      for i in range(y.shape[0])]).float().clamp(0, 1)


betas = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1]
beta_scores = {b: metrics.mean_psnr(wiener_all(tune_y, tune_k, b), tune_x) for b in betas}
best_beta = max(beta_scores, key=beta_scores.get)
print("Wiener on training digits, PSNR by β:", {b: round(v, 2) for b, v in beta_scores.items()}, "->", best_beta)
blur_methods = {"blurred input": blur.degraded.clamp(0, 1),
                f"Wiener (true kernel, β = {best_beta:g})": wiener_all(blur.degraded, blur.kernels, best_beta),
                "generator, MSE (blind)": restoration.restore(model("ch07_blur_mse"), blur.degraded),
                "WGAN-GP + perceptual (blind)": restoration.restore(model("ch07_blur_gan"), blur.degraded)}
blur_scores = {name: score(out, blur) for name, out in blur_methods.items()}
table(blur_scores, f"Motion deblurring on {N_EVAL} evaluation digits (kernels never seen in training)")
bkeys = dict(zip(blur_methods, ("input", "wiener", "mse", "gan")))
for name, s in blur_scores.items():
    for metric in ("psnr", "ssim", "judge_accuracy", "hf_ratio", "fd"):
        results.record(f"blur_{bkeys[name]}_{metric}", s[metric], unit="dB" if metric == "psnr" else "")
results.record("blur_wiener_beta", best_beta, unit="", note="chosen on training digits and training kernels")
plotting.compare_images({"clean": blur.clean[:show], **{k: v[:show] for k, v in blur_methods.items()}}, n=show, size=0.95)
plt.show()
b = {bkeys[k]: v for k, v in blur_scores.items()}
assert b["wiener"]["psnr"] > b["input"]["psnr"] + 1, "Wiener deconvolution with the true kernel should gain > 1 dB"
if shipped("ch07_blur_mse", "ch07_blur_gan"):
    assert min(b["mse"]["psnr"], b["gan"]["psnr"]) > b["input"]["psnr"] + 1, "both blind networks deblur"
    assert b["gan"]["hf_ratio"] > b["mse"]["hf_ratio"], "the adversarial + perceptual outputs are sharper"
best_net = max(b["mse"]["psnr"], b["gan"]["psnr"])
verdict(f"**Measured.** PSNR: blurred {b['input']['psnr']:.2f}, Wiener with the true kernel {b['wiener']['psnr']:.2f}, "
        f"blind MSE generator {b['mse']['psnr']:.2f}, blind WGAN-GP + perceptual {b['gan']['psnr']:.2f} dB; FD "
        f"{b['wiener']['fd']:.1f}, {b['mse']['fd']:.1f} and {b['gan']['fd']:.1f}; judge accuracy "
        f"{b['wiener']['judge_accuracy']:.3f}, {b['mse']['judge_accuracy']:.3f} and {b['gan']['judge_accuracy']:.3f}. "
        + (f"The best blind network beats the non-blind Wiener filter by {best_net - b['wiener']['psnr']:.2f} dB."
           if best_net > b["wiener"]["psnr"] else
           f"The non-blind Wiener filter keeps a PSNR lead of {b['wiener']['psnr'] - best_net:.2f} dB over the blind networks."),
        models=("ch07_blur_mse", "ch07_blur_gan"))

# %% [markdown]
# The networks never see the kernel; what they have instead is knowledge of what digits look like,
# which Wiener's Gaussian prior lacks (it rings around the strokes and lets noise through where the
# kernel's spectrum is small). The adversarial and perceptual terms make the outputs sharper (asserted);
# their effect on PSNR and FD is in the numbers above. The same recipe — a Wasserstein critic plus a perceptual loss in place
# of the MSE — is Yang et al.'s low-dose CT denoiser {cite:p}`yang2018low`, which keeps the texture
# radiologists read and an MSE-trained network smooths away; chapter 09 returns to CT, with a
# Wasserstein critic as a learned regulariser.
#
# ## 6. Blind denoising with GAN-based noise modelling
#
# Every denoiser so far was trained on pairs made with a *known* noise model. Real noise is often
# unknown, and a denoiser trained on the wrong model fails. {cite:t}`chen2018image` learn the noise
# itself: (1) find patches of the noisy images that contain nothing but noise; (2) train a GAN on
# them; (3) add its samples to clean images and train an ordinary denoiser on those synthetic pairs.
# Their method needs only that the noise be additive, zero-mean and independent of the image.
#
# Our unknown noise: Gaussian, std $0.3$, but *correlated along rows* (`restoration.structured_noise`;
# neighbours at horizontal distance 1 have correlation $16/19\approx0.84$, vertical neighbours none) —
# like the line noise of a sensor. The data: the first 4,000 training digits are available only
# **noisy**; the other 4,000 only **clean**, unpaired. The baseline that assumes white Gaussian noise is
# chapter 05's U-Net trained at $\sigma=0.3$.
#
# **Finding the noise.** Chen et al. accept a patch $p$ as smooth when each sub-patch $q$ has
# $|\bar q-\bar p|\le\mu\,\bar p$ and $|\operatorname{var}q-\operatorname{var}p|\le\gamma\operatorname{var}p$,
# and take $p-\bar p$ as a noise sample. On MNIST the background is 0, so $\bar p\approx0$ for a pure
# noise patch and the relative mean test rejects it; the course compares $|\bar q-\bar p|$ with the
# patch's standard deviation instead (`restoration.smooth_patches`, $\mu=\gamma=1$, $6\times6$ patches,
# $3\times3$ sub-patches). Where to look is the question: over the whole image, or only in the corners,
# where MNIST's background is? The *clean* digits tell us how pure the accepted patches are — used
# here only to evaluate the search, never by the method.

# %%
observed = restoration.observed_noisy()
hidden_clean = data.mnist("train")[0][:restoration.CLEAN_HALF]
grid_search = restoration.smooth_patches(observed, size=6, stride=3, sub=3, sub_stride=3, mu=1.0, gamma=1.0)
corner_search = restoration.observed_noise_patches()
purity = {"whole image (6x6 grid, stride 3)": (grid_search, grid_search.purity(hidden_clean)),
          "corners only": (corner_search, corner_search.purity(hidden_clean))}
display(Markdown(plotting.comparison_table(
    [{"search": k, "candidates": ex.candidates, "accepted": ex.accepted, "pure noise (share)": pur}
     for k, (ex, pur) in purity.items()], floatfmt={"pure noise (share)": ".3f"})))
results.record("gcbd_purity_grid", purity["whole image (6x6 grid, stride 3)"][1], unit="fraction")
results.record("gcbd_purity_corners", purity["corners only"][1], unit="fraction", patches=corner_search.accepted)
assert purity["corners only"][1] > 0.9, "corner patches that pass the test should be almost all pure noise"
assert purity["corners only"][1] > purity["whole image (6x6 grid, stride 3)"][1] + 0.2, \
    "searching the whole image lets stroke patches through"

# %% [markdown]
# At this noise level the smoothness test alone cannot tell a faint stroke edge from noise: over the
# whole image about half of the accepted patches contain part of a digit. In the corners almost all are
# pure. The GAN learns from the corner patches.
#
# **Learning the noise.** The generator is fully convolutional without padding
# (`restoration.NoiseGenerator`: three $3\times3$ convolutions on a field of Gaussian latents), so its
# noise is stationary and can be drawn at any size; the critic sees $6\times6$ patches minus their mean,
# as the extraction produced them, and the pair is trained with chapter 06's `gan.train_gan` as a
# WGAN-GP (Adam $10^{-4}$, $\beta=(0.5,0.9)$, 5 critic steps, penalty 10: Gulrajani et al.'s setting
# except $\beta_1=0.5$ for their $0$, as in chapter 06). Every 25 steps the training
# logged the statistics of generated $28\times28$ fields:

# %%
noise_gen, noise_info = restoration.load(restoration.NOISE_GAN_NAME)
LOADED[restoration.NOISE_GAN_NAME] = noise_info  # models loaded outside `zoo`, for `shipped`
with torch.no_grad():
    gan_fields = noise_gen.field(2000, 28, 28, generator=torch.Generator().manual_seed(11))
true_fields = restoration.structured_noise((2000, 1, 28, 28), torch.Generator().manual_seed(12))
stats = {"true noise (28x28 fields)": restoration.noise_statistics(true_fields),
         "extracted patches (6x6, mean removed)": restoration.noise_statistics(corner_search.patches),
         "GAN noise (28x28 fields)": restoration.noise_statistics(gan_fields)}
display(Markdown(plotting.comparison_table([{"noise": k, **{s: v[s] for s in ("std", "corr_h1", "corr_h2", "corr_v1",
                                                                              "kurtosis")}} for k, v in stats.items()],
                                           floatfmt=".3f")))
fig, axes = plt.subplots(1, 3, figsize=(12, 3.2))
hist = noise_info.history
for key in ("corr_h1", "corr_v1", "std"):
    if key in hist.evals:
        axes[0].plot(hist.eval_steps, hist.evals[key], label=key)
        axes[0].axhline(stats["true noise (28x28 fields)"][key], ls=":", color="gray")
axes[0].set_xlabel("generator step")
axes[0].set_title("statistics of generated fields (dotted: truth)")
axes[0].legend(fontsize=8)
plotting.image_grid(true_fields[:8] + 0.5, nrow=4, ax=axes[1], title="true noise + 0.5")
plotting.image_grid(gan_fields[:8] + 0.5, nrow=4, ax=axes[2], title="GAN noise + 0.5")
plt.tight_layout()
plt.show()
g_stats, t_stats = stats["GAN noise (28x28 fields)"], stats["true noise (28x28 fields)"]
for key in ("std", "corr_h1", "corr_v1"):
    results.record(f"gcbd_gan_{key}", g_stats[key], unit="", truth=t_stats[key])
if noise_info.source == "shipped":  # the noise GAN is loaded on its own, not in `zoo`
    assert abs(g_stats["corr_h1"] - t_stats["corr_h1"]) < 0.1, "the GAN learns the horizontal correlation"
    assert abs(g_stats["corr_v1"]) < 0.1, "and that vertical neighbours are (nearly) uncorrelated"
    assert abs(g_stats["std"] / t_stats["std"] - 1) < 0.15, "and the noise level"

# %% [markdown]
# **Denoising.** Chapter 05's U-Net architecture, trained with chapter 05's schedule (3,000 steps) on
# the 4,000 clean digits plus GAN noise, against the same network trained on the same digits plus
# the *true* noise (an oracle the blind setting does not have), and chapter 05's shipped U-Net trained on
# white Gaussian noise of the same std, on evaluation digits with the structured noise:

# %%
sn = restoration.eval_set("structured", N_EVAL)
awgn_unet = training.load_or_train(denoising.mnist_name("unet", 0.3), denoising.mnist_builder("unet"),
                                   denoising.mnist_trainer("unet", 0.3), verbose=False)[0]
sn_methods = {"noisy input": sn.degraded.clamp(0, 1),
              "U-Net trained on white noise (ch. 05, σ = 0.3)": restoration.restore(awgn_unet, sn.degraded),
              "U-Net trained on GAN noise (blind)": restoration.restore(model("ch07_sn_gcbd"), sn.degraded),
              "U-Net trained on the true noise (oracle)": restoration.restore(model("ch07_sn_true"), sn.degraded)}
sn_scores = {name: score(out, sn) for name, out in sn_methods.items()}
table(sn_scores, f"Denoising structured noise on {N_EVAL} evaluation digits")
skeys = dict(zip(sn_methods, ("input", "awgn", "gcbd", "oracle")))
for name, s in sn_scores.items():
    for metric in ("psnr", "ssim", "judge_accuracy", "fd"):
        results.record(f"sn_{skeys[name]}_{metric}", s[metric], unit="dB" if metric == "psnr" else "")
plotting.compare_images({"clean": sn.clean[:show], **{k.split(" (")[0]: v[:show] for k, v in sn_methods.items()}},
                        n=show, size=0.95)
plt.show()
s_ = {skeys[k]: v for k, v in sn_scores.items()}
gap = results.record("sn_oracle_minus_gcbd_psnr", s_["oracle"]["psnr"] - s_["gcbd"]["psnr"], unit="dB")
results.record("sn_gcbd_minus_awgn_psnr", s_["gcbd"]["psnr"] - s_["awgn"]["psnr"], unit="dB")
if shipped("ch07_sn_gcbd", "ch07_sn_true") and noise_info.source == "shipped":
    assert s_["gcbd"]["psnr"] > s_["awgn"]["psnr"] + 1, "modelling the noise beats assuming white noise by > 1 dB"
    assert s_["oracle"]["psnr"] > s_["awgn"]["psnr"] + 1, "so does knowing it"
verdict(f"**Measured.** PSNR on structured noise: U-Net trained for white noise {s_['awgn']['psnr']:.2f} dB, on GAN "
        f"noise {s_['gcbd']['psnr']:.2f} dB, on the true noise {s_['oracle']['psnr']:.2f} dB: the blind method is "
        f"{gap:.2f} dB from the oracle and {s_['gcbd']['psnr'] - s_['awgn']['psnr']:+.2f} dB from the white-noise model.",
        models=("ch07_sn_gcbd", "ch07_sn_true", restoration.NOISE_GAN_NAME))

# %% [markdown]
# A network trained for white noise has never seen horizontal streaks and takes them for strokes; a
# network trained on GAN noise has. The gap to the oracle is what the noise model misses: the
# patches' means were removed, the corners are small, and a $6\times6$ critic cannot see correlations
# longer than its patch.

# %% [markdown]
# ## 7. One training run, or the losses? The seed study
#
# Every ordering asserted above was measured on *one* training run of each network (seed 0: its
# initial weights, the order of its batches, for the blind denoiser also the noise GAN's run). A
# different seed gives a different network, and a difference of a tenth of a dB between two losses
# may be nothing more than that. `scripts/seeds_07.py` therefore trains the noise GAN and all eleven
# restorers again with other seeds (same recipes, same budgets) and scores every run on the same
# 2,000 evaluation digits with `restoration.seeds.score_models`; the scores are committed in
# `results/seeds/07_gan_restoration.json` (about 40 minutes of one core per extra seed, too long for
# this notebook). The rule of this chapter: **an ordering is asserted only if it holds on every
# seed** of that file (checked below, and by `tests/test_seed_study.py`); the others are reported
# with their margins. A margin is in the unit of the metric compared (dB, SSIM, accuracy, FD,
# high-frequency ratio) and is positive when the ordering holds.
#
# A run can also fail outright. With seed 1, chapter 05's small U-Net (8 channels in its outer
# layers, Adam at $2\cdot10^{-3}$) collapsed on both structured-noise tasks: every ReLU of a layer
# stopped firing and the network returned one constant image whatever its input — a failure of the
# training recipe, not a property of the noise model. `restoration.seeds.collapsed` detects it on
# *training* inputs (constant outputs), and the script then trains that network again with seed
# $s + 1000k$, at most twice; the count is printed under the table. The shipped seed 0 trained, but it
# was not the rule: the recipe that served chapter 05 on white noise is fragile on this data, which a
# single training run cannot show. We wrote the restart rule after the first scoring exposed the
# collapse, so we say so: it was chosen after seeing a failure, but its test looks at no evaluation
# digit, and it flags exactly the collapsed networks and no other network of either seed.

# %%
study = restoration.seeds.load_study()
rows = restoration.seeds.study_table(study)
seed_cols = [k for k in rows[0] if k.startswith("seed ")]
display(Markdown(
    f"**Margins of every ordering on {len(seed_cols)} training seeds** ({study['n_eval']} evaluation digits; "
    f"measured at commit `{study['run']['commit'][:10]}`)\n\n"
    + plotting.comparison_table([{k: v for k, v in r.items() if k != "key"} for r in rows],
                                floatfmt={c: "+.3f" for c in seed_cols})))
restarts = {f"seed {seed}: {name}": count for seed, notes in study.get("restarts", {}).items()
            for name, count in notes.items()}
print("restarts after a collapsed run:", restarts or "none")
robust = [r for r in rows if r["holds on every seed"]]
fragile = [r for r in rows if not r["holds on every seed"]]
results.record("seed_study_seeds", len(seed_cols), unit="training runs per network")
results.record("seed_study_robust_orderings", len(robust), unit="orderings",
               label=f"of {len(rows)}: hold on every seed")
assert len(seed_cols) >= 2, "the study needs at least two training seeds"
assert all(r["holds on every seed"] for r in rows if r["asserted"]), \
    "every ordering this chapter asserts must hold on every seed of the study"
# the shipped models of this run are seed 0 of the study: same margins when the evaluation set is the same
here = restoration.seeds.margins({k: e["value"] for k, e in results.recorded().items()})
if N_EVAL == study["n_eval"] and shipped(*zoo):
    seed0 = restoration.seeds.margins(study["seeds"]["0"])
    assert all(abs(here[k] - seed0[k]) < 1e-3 * max(1.0, abs(seed0[k])) for k in here), \
        "this run's shipped models must reproduce seed 0 of the committed study"
verdict(f"**Measured.** {len(robust)} of {len(rows)} orderings hold on all {len(seed_cols)} seeds, every asserted one "
        "among them. " + ("Not robust, so reported only: " + "; ".join(
            f"{r['ordering']} ({', '.join(f'{r[c]:+.3f}' for c in seed_cols)})" for r in fragile) + "."
            if fragile else "Every reported ordering holds on every seed as well."))

# %% [markdown]
# Two seeds are a small sample: they cannot prove an ordering, only catch a fragile one. What the
# table shows is which differences are large compared with what a re-run changes — and those are
# the ones the chapter's text leans on.

# %% [markdown]
# ## 8. Without pairs: CycleGAN
#
# Pix2Pix needs pairs $(y,x)$. CycleGAN {cite:p}`zhu2017unpaired` translates between two sets that
# are not paired — horses and zebras, noisy scans and clean ones from other patients. Two generators
# $G:X\to Y$ and $F:Y\to X$ each fool a discriminator of their target domain, and a **cycle
# consistency** term asks that translating there and back returns the start:
# $$\mathcal L=\mathcal L_{\mathrm{GAN}}(G,D_Y)+\mathcal L_{\mathrm{GAN}}(F,D_X)+\lambda\,\mathcal L_{\mathrm{cyc}},\qquad
# \mathcal L_{\mathrm{cyc}}=\mathbb E_x\|F(G(x))-x\|_1+\mathbb E_y\|G(F(y))-y\|_1,\quad\lambda=10 .$$
#
# ```{prf:proposition} Adversarial losses alone cannot pair, and cycles pair only up to a symmetry
# :label: prop-07-cycle
#
# If $G$ maps the distribution $p_X$ onto $p_Y$ and $T$ is any invertible map with $T_\#p_Y=p_Y$, then
# $T\circ G$ maps $p_X$ onto $p_Y$ too; and if $F=G^{-1}$, then $F'=F\circ T^{-1}$ and $G'=T\circ G$ have
# zero cycle loss and push each distribution onto the other.
# ```
#
# ```{prf:proof}
# $(T\circ G)_\#p_X=T_\#(G_\#p_X)=T_\#p_Y=p_Y$, and $F'_\#p_Y=F_\#(T^{-1}_\#p_Y)=F_\#p_Y=p_X$ because
# $T^{-1}$ also preserves $p_Y$. Finally $F'(G'(x))=F(T^{-1}(T(G(x))))=x$ and $G'(F'(y))=T(G(F(T^{-1}y)))=y$.
# ```
#
# So the optimal discriminators cannot tell $G$ from $T\circ G$ — mapping every digit to "another digit
# of the same frequency" is as good as mapping it to itself — and the cycle term removes
# non-invertible solutions (mode collapse) but not the symmetry $T$. In practice the generators' inductive
# bias (small convolutions change images locally) selects the intended pairing; for restoration with
# no clean/noisy pairs, that bias is the whole argument.

# %% [markdown]
# ```{exercise} The cycle-consistency loss
# :label: ex-07-cycle
#
# Write `cycle_consistency_loss(g, f, x, y)` that returns $\mathcal L_{\mathrm{cyc}}$ as a scalar
# tensor: `g` maps domain $X$ to $Y$, `f` maps $Y$ to $X$, `x` and `y` are batches of the two domains
# (possibly of different sizes); each norm is the mean absolute difference over all elements of its
# batch. Do not include the weight $\lambda$.
# ```
#
# ```{solution-start} ex-07-cycle
# :class: dropdown
# ```

# %% tags=["exercise"]
# Exercise 7.4: mean |f(g(x)) - x| + mean |g(f(y)) - y|
def cycle_consistency_loss(g, f, x, y):
    """Return the forward plus the backward cycle L1 loss (a scalar tensor)."""
    ### BEGIN SOLUTION
    return (f(g(x)) - x).abs().mean() + (g(f(y)) - y).abs().mean()
    ### END SOLUTION


# %% [markdown]
# ```{solution-end}
# ```

# %% tags=["check"]
checks.ch07.check_cycle_consistency_loss(cycle_consistency_loss)

# %% [markdown]
# ## Summary
#
# - The MSE-optimal restorer is the posterior mean: it loses exactly its error in energy, so its
#   outputs are blurrier than any clean image ({prf:ref}`prop-07-shrink`). Sampling the posterior is
#   perfectly realistic and costs exactly twice the minimum MSE ({prf:ref}`prop-07-sampling`): realism
#   costs at most 3 dB. Both checked on a binary pixel; L1 gives the median, which is already sharper.
# - Pix2Pix — U-Net generator (skips concatenate), PatchGAN discriminator ({prf:ref}`prop-07-receptive`),
#   adversarial plus $\lambda$ L1 — moves a denoiser along the distortion–perception curve: sharper
#   outputs (higher high-frequency energy) with a lower FD than the MSE generator's — though not lower
#   than L1's on either seed — for a cost in PSNR, measured against
#   chapter 05's autoencoder and U-Net on the same noisy digits; recognisability is reported separately.
# - A perceptual loss on a classifier's features does part of the same work without a discriminator;
#   its scores must be read by a network other than the one in the loss.
# - For occlusion removal, the SSIM-trained U-Net has the higher SSIM; the PSNR comparison is measured.
#   SSIM ranges over $[-1,1]$, not $[0,1]$.
# - A blind DeblurGAN-style generator is measured against Wiener deconvolution that knows the kernel.
# - GAN-based noise modelling turns noise-only patches into a noise generator and synthetic training
#   pairs; the resulting blind denoiser beats one trained for the wrong (white) noise, and its gap to
#   the oracle is measured. Where to search for noise matters as much as the test.
# - Every asserted ordering holds on every training seed of the committed seed study; orderings that
#   flip between seeds are reported with their margins, not asserted.
# - CycleGAN trades pairs for cycle consistency, which pairs domains only up to a symmetry.
#
# The shipped models of this chapter (13 small networks, trained by `scripts/train_07.py`) and their
# training costs are listed above; every comparison uses the same generator, data and budget, and no
# choice was made on evaluation digits.
#
# ## References
#
# ```{bibliography}
# :filter: docname in docnames
# ```

# %%
elapsed = results.record("notebook_seconds", time.perf_counter() - T_START, unit="s", profile=profile.name)
print(f"chapter 07 ran in {elapsed:.0f} s (profile {profile.name})")
