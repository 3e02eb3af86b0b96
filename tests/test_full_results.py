"""Re-assert the named claims of the committed full-profile results (results/full/*.json).

CI cannot afford to re-run the paper-scale profile, so `make full` commits its results with
their provenance and this test checks, on every run, that the committed numbers still support
each chapter's claims -- and that every chapter has such a file.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest

from _common import ROOT, chapter_stems
from course_lib.results import load

FULL = ROOT / "results" / "full"


def values(stem: str) -> dict[str, Any]:
    data = load(FULL / f"{stem}.json")
    return {key: entry["value"] for key, entry in data["results"].items()}


def claims_01(v: dict[str, Any]) -> None:
    n = 50  # the point-set size of the success-rate experiment
    assert v["success_rate_at_bound"] >= 1 / n, "the theorem promises success probability >= 1/n at the bound"
    assert v["success_rate_at_bound"] >= 0.9, "in practice one draw almost always works at the bound"
    assert v["mean_draws_at_bound"] <= n
    assert v["max_distortion_k784"] < v["guaranteed_eps_k784"], "largest distortion below the theorem's guarantee"
    assert v["fraction_within_guarantee"] >= 1 / n
    assert -0.7 < v["distortion_slope"] < -0.35, "largest distortion falls like k^(-1/2)"
    assert v["sklearn_grid_agreement"] > 0
    assert v["bound_mnist_train_eps01"] > 784
    assert v["near_orthogonal_count"] > 140, "more nearly orthogonal vectors than dimensions"
    assert v["near_orthogonal_growth"] > 0
    assert abs(v["sparse_std_ratio"] - 1) < 0.15, "very sparse maps distort like Gaussian ones"
    assert v["knn_acc_k100"] >= v["knn_acc_unprojected"] - 0.05
    assert v["knn_acc_k200"] >= v["knn_acc_unprojected"] - 0.03


def claims_02(v: dict[str, Any]) -> None:
    for key in ("sc_toy_slope", "svm_slope"):
        assert abs(v[key] + 1) <= 0.15, f"{key} = {v[key]:.3f}, expected -1 +- 0.15 (strongly convex rate)"
    assert abs(v["convex_toy_slope"] + 0.5) <= 0.15, "convex rate: slope -1/2 +- 0.15"
    for key in ("sc_toy_bound_holds", "svm_bound_holds", "convex_toy_bound_holds"):
        assert v[key] is True, f"{key}: the theorem's bound must hold at every T"
    assert v["nondescent_increases"] > 0, "subgradient steps that increase f exist"
    assert v["constant_step_plateau_ratio"] > 0.5 and v["decreasing_step_ratio"] < 0.2
    for instance in ("A", "B"):
        assert v[f"hard_{instance}_ratio_late"] > v[f"hard_{instance}_ratio_early"], \
            f"hard instance {instance}: uniform averaging falls behind suffix averaging as T grows"


def claims_03(v: dict[str, Any]) -> None:
    assert v["max_deviation_from_torch"] < 1e-6, "every optimizer matches torch.optim to 1e-6"
    assert v["nesterov_change_of_variable_error"] < 1e-10
    assert v["plateau_distance_adam"] < 0.01 < 2.0 < v["plateau_distance_sgd"], \
        "Adam crosses the plateau to the minimiser, SGD stays stuck on it"
    assert v["reddi_adam_final_x"] > 0.9, "Adam ends near +1, the worst point (Reddi et al.)"
    assert v["reddi_amsgrad_final_x"] < -0.9, "AMSGrad ends near -1, the optimum"
    assert v["reddi_adam_default_betas_final_x"] < -0.9, "with the default betas Adam converges here"
    accuracies = {k: x for k, x in v.items() if k.startswith("mnist_eval_accuracy_")}
    assert len(accuracies) >= 9, "every optimizer of the chapter trained the CNN"
    assert min(accuracies.values()) > 0.9 and v["mnist_best_eval_accuracy"] > 0.97


def claims_04(v: dict[str, Any]) -> None:
    for sigma in (15, 25, 50):
        gap = v[f"bm3d_bsd68_s{sigma}_minus_published"]
        assert abs(gap) < 0.2, f"BM3D on BSD68 at sigma {sigma} is {gap:+.2f} dB from the published value (limit 0.2)"
    for dataset in ("set12", "bsd68"):
        assert v[f"bm3d_margin_{dataset}_s25"] > 0, f"BM3D beats every other classical method on {dataset} at sigma 25"
        for sigma in (15, 25, 50):
            noisy = v[f"psnr_{dataset}_s{sigma}_noisy"]
            tuned = {k: x for k, x in v.items() if k.startswith(f"psnr_{dataset}_s{sigma}_") and not k.endswith("_noisy")}
            assert len(tuned) >= 8 and min(tuned.values()) > noisy, f"every method improves on the noisy input ({dataset}, {sigma})"
    assert v["saltpepper_median_minus_mean_db"] > 3.0, "the median beats the mean on salt-and-pepper noise"
    assert v["mad_sigma25_worst_relative_error"] < 0.15
    assert v["wavelet_max_abs_diff_vs_skimage"] < 1e-10, "hand-written thresholding equals skimage's"
    assert v["tv_vs_skimage_rms_diff"] < 2e-4, "the Chambolle-Pock TV solver agrees with skimage's Chambolle"
    assert v["tv_blur_relative_gap"] <= 1e-4 and v["ct_tv_relative_gap"] <= 1e-4, "TV solved to its stated gap"
    assert v["deblur_tv_psnr"] > v["deblur_wiener_psnr"], "TV deconvolution beats Wiener on these images"


def claims_05(v: dict[str, Any]) -> None:
    assert -2.2 < v["relu_interpolant_error_slope"] < -1.8, "the ReLU interpolant's error falls like n^-2"
    assert v["trained_shallow_error_widest"] < v["trained_shallow_error_narrowest"] / 10
    assert v["conv_ae_psnr_s030"] > v["dense_ae_psnr_s030"] + 0.5, "the conv autoencoder beats the dense one"
    assert v["latent_sweep_psnr_k32"] > v["latent_sweep_psnr_k2"] + 1.0, "a larger code denoises better"
    for sigma in ("010", "030", "050"):
        assert v[f"mnist_unet_s{sigma}_psnr"] > v[f"mnist_conv_s{sigma}_psnr"] + 0.5, f"U-Net beats the AE at {sigma}"
    assert v["plain_minus_conv_ae_s030"] > 1.0, "the spatial bottleneck keeps more than a 32-number code"
    assert v["mnist_unet_minus_best_classical_s030"] > 1.0 and v["mnist_unet_minus_best_classical_s050"] > 1.0
    assert v["mnist_unet_minus_best_classical_s010"] < 0, "at sigma 0.1 NL-means / BM3D beat the small U-Net"
    assert v["vae_kl_monte_carlo_max_rel_error"] < 0.1
    assert abs(v["vae_denoising_psnr_s030"] - v["ae_denoising_psnr_s030_same_latent"]) < 0.5
    assert v["dncnn_minus_course_bm3d_bsd68_s25"] > 0, "target: the CPU-trained network beats the course's BM3D on BSD68"
    assert v["dncnn_minus_published_dncnn_bsd68_s25"] > -0.5, "within 0.5 dB of the published DnCNN-S"
    assert v["mismatch_network_minus_bm3d_s10"] < -1 and v["mismatch_network_minus_bm3d_s40"] < -1, \
        "a network trained at sigma 25 loses to BM3D at other noise levels"


def claims_06(v: dict[str, Any]) -> None:
    assert v["criterion_identity_max_error"] < 1e-10, "C(G) = -log 4 + 2 JSD by quadrature"
    assert v["convexity_in_pg_max_violation"] < 1e-12, "C is convex in p_g"
    assert v["nonconvexity_in_mu_midpoint_gap"] > 0.1, "but not convex in the generator's parameter"
    assert v["trained_d_weighted_error"] < 0.02, "a trained discriminator approaches D*"
    assert 0 <= v["trained_d_value_gap"] < 0.01
    assert v["classifier_eval_accuracy"] > 0.97
    assert v["ns_beats_sat_1to1_seeds"] == 3, "non-saturating beats saturating at 1:1 on all three seeds"
    assert v["fd_nonsaturating_1to1"] < v["fd_saturating_1to1"]
    assert v["gp_linear_critic_max_error"] < 1e-12
    assert max(v["ring_modes_gan_fast_g"]) <= 2, "the fast generator covers few modes"
    assert max(v["ring_sectors_gan_fast_g"]) <= 2, "the fast generator collapses into few sectors"
    assert max(v["ring_spread_gan_fast_g"]) < 1.0, "with a spread under half the ring's"
    assert min(v["ring_modes_wgan_gp"]) >= 7, "WGAN-GP covers the ring"
    assert v["clip_weights_at_bound"] > 0.1, "weight clipping pins many critic weights to the bound"


def claims_07(v: dict[str, Any]) -> None:
    assert abs(v["pixel_energy_deficit_over_mmse"] - 1) < 0.02, "the MMSE estimate loses exactly the MMSE in energy"
    assert abs(v["pixel_sample_over_mmse"] - 2) < 0.02, "posterior sampling doubles the MMSE"
    assert v["patchgan_receptive_field"] == 16, "the course's PatchGAN judges 16x16 patches"
    assert v["ssim_max_diff_vs_skimage"] < 1e-6 and v["ssim_digit_vs_negative"] < 0, "SSIM = skimage's; can be < 0"
    assert min(v["dn_ch05_conv_psnr"], v["dn_ch05_unet_psnr"]) > v["dn_noisy_psnr"] + 5
    assert 0.8 < v["dn_ch05_conv_energy_deficit_over_mse"] < 1.3, "ch. 05's autoencoder loses about its MSE in energy"
    assert all(v[f"dn_{k}_psnr"] > v["dn_noisy_psnr"] + 5 for k in ("mse", "l1", "p2p100", "p2p10"))
    assert v["dn_p2p10_psnr_cost_vs_l1"] > 0, "the adversarial term costs PSNR against the same generator with L1"
    assert v["dn_p2p10_psnr"] < v["dn_ch05_unet_psnr"], "chapter 05's MSE U-Net has a higher PSNR than Pix2Pix (the MSE generator is higher still)"
    assert v["dn_p2p10_hf_ratio"] > max(v["dn_l1_hf_ratio"], v["dn_mse_hf_ratio"]), "adversarial outputs are sharper"
    assert v["dn_p2p10_fd"] < v["dn_mse_fd"], "and more realistic than the MSE's"
    assert min(v[f"dn_{k}_judge_accuracy"] for k in ("mse", "l1", "p2p100", "p2p10")) > 0.85
    assert v["dn_perc_fd"] < v["dn_mse_fd"], "the perceptual loss lowers the FD"
    assert min(v["occ_mse_psnr"], v["occ_ssim_psnr"]) > v["occ_input_psnr"] + 3
    assert v["occ_ssim_ssim"] > v["occ_mse_ssim"], "the SSIM-trained U-Net has the higher SSIM"
    assert min(v["occ_mse_judge_accuracy"], v["occ_ssim_judge_accuracy"]) > v["occ_input_judge_accuracy"]
    assert v["blur_wiener_psnr"] > v["blur_input_psnr"] + 1
    assert min(v["blur_mse_psnr"], v["blur_gan_psnr"]) > v["blur_input_psnr"] + 1
    assert v["blur_gan_hf_ratio"] > v["blur_mse_hf_ratio"], "WGAN-GP + perceptual outputs are sharper"
    assert v["gcbd_purity_corners"] > 0.9 and v["gcbd_purity_corners"] > v["gcbd_purity_grid"] + 0.2
    assert abs(v["gcbd_gan_corr_h1"] - 16 / 19) < 0.1 and abs(v["gcbd_gan_corr_v1"]) < 0.1
    assert v["sn_gcbd_minus_awgn_psnr"] > 1, "modelling the noise beats assuming white noise by > 1 dB"
    assert v["sn_oracle_psnr"] > v["sn_awgn_psnr"] + 1
    assert v["seed_study_seeds"] >= 2, "the asserted orderings were checked on at least two training seeds"


def claims_08(v: dict[str, Any]) -> None:
    assert v["inv_in_range_mse"] < v["inv_clean_digit_mse"], "images G(z0) are fitted more closely than real digits"
    assert min(v["range_mse_inverted"], v["range_mse_natural"]) > 3 * v["range_mse_digits"], "off-range images stay far"
    assert v["range_mse_inverted"] > v["range_mse_letters"], "white-on-black letters are closer to the range"
    assert v["dn_s050_inv_l2_psnr"] > v["dn_s050_noisy_psnr"] + 3
    assert v["dn_s010_inv_l2_psnr"] > v["dn_s010_unet_psnr"], "at sigma 0.1 inversion beats chapter 05's U-Net"
    assert v["dn_s010_nlm_psnr"] > v["dn_s010_inv_l2_psnr"], "and NL-means beats inversion"
    assert v["dn_s010_inv_l2_psnr"] > v["dn_s010_inv_l1_psnr"], "L2 beats L1 for Gaussian noise"
    assert v["dn_s050_unet_psnr"] > max(v["dn_s050_inv_l2_psnr"], v["dn_s050_inv_prior_psnr"]), "the U-Net wins at 0.5"
    assert v["dn_s050_inv_prior_psnr"] >= v["dn_s050_inv_l2_psnr"] - 0.3, "the prior chosen on training digits helps"
    assert v["dn_s050_inv_prior_psnr"] > v["dn_s050_nlm_psnr"] + 1
    for h in (8, 14):
        assert v[f"inp_{h}_unet_hole_psnr"] > v[f"inp_{h}_masked_hole_psnr"] + 2
        assert v[f"inp_{h}_unet_hole_psnr"] > max(v[f"inp_{h}_inv_l2_hole_psnr"], v[f"inp_{h}_biharmonic_hole_psnr"]) + 1
    assert v["cs_lasso_over_gan_smallest_m"] > 1, "the generative prior wins at the smallest m"
    assert v["cs_lasso_over_gan_largest_m"] < 1, "the Lasso wins at the largest m"
    assert v["cs_m750_lasso_mse"] < v["cs_m25_lasso_mse"], "the Lasso improves with m"
    assert -0.05 < v["flow_kl_gap"] < 0.5, "the flow's NLL is close to, and not below, the true entropy"
    assert v["flow_roundtrip_max_error"] < 1e-4, "the flow inverts exactly in one pass"
    assert v["flow_samples_near_a_mode"] > 0.8


def claims_09(v: dict[str, Any]) -> None:
    assert v["toy_corr_penalty"] > 0.9, "the GP critic approximates the distance function on the noisy samples"
    assert 0.7 < v["toy_slope_penalty"] < 1.3 and 0.8 < v["toy_grad_norm_penalty"] < 1.2, "slope and gradient norm ~ 1"
    assert v["toy_grad_norm_clip"] < 0.6 * v["toy_grad_norm_penalty"], "weight clipping leaves far smaller slopes"
    assert v["toy_corr_clip"] < v["toy_corr_penalty"]
    assert 0.8 < v["denoise_grad_norm_noisy_mean"] < 1.3, "natural-image critic: gradient norm ~ 1 on noisy patches"
    assert 0.7 < v["ct_grad_norm_noisy_mean"] < 1.2, "CT critic: gradient norm near 1 on FBPs"
    assert v["dn_ar_psnr"] > v["dn_noisy_psnr"] + 3, "the adversarial regulariser denoises"
    assert v["dn_dncnn_psnr"] > v["dn_tv_psnr"] and v["dn_dncnn_minus_ar_psnr"] > 0, "the supervised DnCNN is best"
    assert v["ct_tv_psnr"] > v["ct_fbp_psnr"] and v["ct_ar_psnr"] > v["ct_fbp_psnr"]
    assert v["ct_unet_psnr"] > v["ct_fbp_psnr"] + 1, "post-processing improves on FBP"
    changes = v["stability_ar_rel_change"]
    assert all(a < b for a, b in zip(changes, changes[1:])) and changes[0] < 0.05, "the reconstruction map is stable"
    assert v["ct_tune_gain_over_no_regulariser"] > 1, "the trained CT critic adds > 1 dB to the same iteration (training)"
    assert v["ct_ar_psnr"] > v["ct_fbp_psnr"] + 2, "the CT adversarial regulariser gains > 2 dB over the FBP"
    assert v["dn_ar_minus_tv_psnr"] > -0.5, "on all 80 crops the natural-image regulariser comes within 0.5 dB of TV"
    # The target "AR beats TV" is not met at the course's budget (critics trained for about half an
    # hour each on one CPU core): dn_ar_minus_tv_psnr (-0.21 dB on all 80 Set12 + BSD68 crops) and
    # ct_ar_minus_tv_psnr (-1.97 dB on 64 phantoms) are negative; the notebook reports the gaps.


def claims_10(v: dict[str, Any]) -> None:
    assert v["gd_last_psnr"] < v["gd_peak_psnr"] - 1, "gradient descent on the data term alone amplifies noise"
    assert v["ct_tv_psnr"] > v["ct_fbp_psnr"] + 1, "TV improves on the FBP"
    assert min(v["ct_rim_psnr"], v["ct_lgd_psnr"], v["ct_postproc_psnr"]) > v["ct_fbp_psnr"] + 0.5
    assert v["ct_ablation_tstar_minus_tv_psnr"] > 0.5, "learned gradient steps (step count chosen on training data) beat TV"
    assert v["ct_ablation_minus_tv_psnr"] > 0, "and, on average, also at the trained T = 5"
    assert v["ct_rim_minus_tv_psnr"] < 0, "at this budget the conv-GRU RIM trails TV (the recorded gap)"
    assert v["ct_rim_minus_ablation_psnr"] < -0.5, "at this width the ablation without memory beats the RIM"
    for shift in ("benchmark", "noise_x2", "20_angles", "45_angles"):
        assert v[f"shift_{shift}_lgd_minus_postproc"] > 0, f"learned gradient steps lead the post-processing U-Net ({shift})"
    assert v["shift_noise_x2_lgd_advantage_change"] < -0.5, "twice the noise: the learned steps lose more of their lead"
    assert v["shift_20_angles_lgd_advantage_change"] < 0, "fewer angles: the lead over the U-Net shrinks"
    assert v["shift_45_angles_lgd_advantage_change"] > 0.1, "more angles: the learned steps gain more than the U-Net"
    assert all(v[f"nat_{t}_rim_psnr"] > v[f"nat_{t}_input_psnr"] + 0.5 for t in ("denoise", "deblur", "deblur_long", "sr2"))
    assert v["saturation_autograd_rel_error"] < 1e-4 and v["poisson_gaussian_autograd_rel_error"] < 1e-4


CLAIMS: dict[str, Callable[[dict[str, Any]], None]] = {
    "01_johnson_lindenstrauss": claims_01,
    "02_sgd_convergence": claims_02,
    "03_optimizers": claims_03,
    "04_classical_denoising": claims_04,
    "05_learned_denoisers": claims_05,
    "06_gan_foundations": claims_06,
    "07_gan_restoration": claims_07,
    "08_gan_inversion": claims_08,
    "09_adversarial_regularizers": claims_09,
    "10_learned_gradient_descent": claims_10,
}


def test_every_chapter_has_full_results_and_claims():
    for stem in chapter_stems():
        assert (FULL / f"{stem}.json").exists(), f"results/full/{stem}.json is missing: run 'make full' and commit it"
        assert stem in CLAIMS, f"no full-profile claims are re-asserted for {stem}"


@pytest.mark.parametrize("stem", sorted(CLAIMS))
def test_provenance(stem):
    data = load(FULL / f"{stem}.json")
    run = data["run"]
    assert run["profile"] == "full" and data["profile"] == "full"
    assert re.fullmatch(r"[0-9a-f]{40}", run["commit"]), "the commit the results were measured at"
    assert run["wall_time_s"] > 0 and run["date"]


@pytest.mark.parametrize("stem", sorted(CLAIMS))
def test_claims(stem):
    CLAIMS[stem](values(stem))
