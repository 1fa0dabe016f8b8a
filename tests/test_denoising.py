"""Noise functions and scikit-image's PSNR / SSIM on pairs with known values."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from lvm_core import load_checkpoint
from lvm_core.storage.catalog import SHIPPED_DIR
from lvm_core.analysis.denoising import (LEVELS, NOISES, corrupt, denoise_one, denoise_scores, gaussian_noise,
                                masked_block, psnr, salt_and_pepper, ssim)


def test_psnr_of_known_pairs():
    clean = np.zeros((28, 28))
    assert psnr(clean, clean + 0.1) == pytest.approx(20.0)  # MSE 0.01 -> 10 log10(1 / 0.01)
    assert psnr(clean, clean + 0.01) == pytest.approx(40.0)
    assert psnr(clean, clean) == math.inf
    stack = np.zeros((2, 8, 8))
    changed = stack.copy()
    changed[1] += 0.1  # one image unchanged, one off by 0.1: pooled MSE 0.005
    assert psnr(stack, changed) == pytest.approx(10 * math.log10(1 / 0.005))


def test_ssim_of_known_pairs():
    rng = np.random.default_rng(0)
    image = rng.random((28, 28))
    assert ssim(image, image) == pytest.approx(1.0)
    # Two flat images: SSIM reduces to its luminance term (2ab + C1) / (a^2 + b^2 + C1), C1 = (0.01 * 1)^2.
    a, b, c1 = 0.2, 0.4, 1e-4
    assert ssim(np.full((8, 8), a), np.full((8, 8), b)) == pytest.approx((2 * a * b + c1) / (a * a + b * b + c1),
                                                                         rel=1e-6)
    assert ssim(image, 1 - image) < 0  # a negative is anti-correlated in structure
    assert ssim(np.full((5, 5), a), np.full((5, 5), a)) == pytest.approx(1.0)  # window shrinks below 7x7


def test_gaussian_noise_is_seeded_clipped_and_has_the_asked_spread():
    grey = torch.full((4, 1, 28, 28), 0.5)
    noisy = gaussian_noise(grey, 0.1, seed=1)
    assert torch.equal(noisy, gaussian_noise(grey, 0.1, seed=1))
    assert not torch.equal(noisy, gaussian_noise(grey, 0.1, seed=2))
    assert float((noisy - grey).std()) == pytest.approx(0.1, rel=0.05)
    assert 0 <= float(gaussian_noise(grey, 5.0).min()) and float(gaussian_noise(grey, 5.0).max()) <= 1
    assert torch.equal(gaussian_noise(grey, 0.0), grey)


def test_salt_and_pepper_hits_the_asked_fraction_with_0_and_1():
    grey = torch.full((8, 1, 28, 28), 0.5)
    noisy = salt_and_pepper(grey, 0.2, seed=0)
    hit = noisy != 0.5
    assert float(hit.float().mean()) == pytest.approx(0.2, abs=0.02)
    assert set(noisy[hit].unique().tolist()) == {0.0, 1.0}
    assert float((noisy[hit] == 1).float().mean()) == pytest.approx(0.5, abs=0.05)


def test_masked_block_blacks_out_one_square_of_the_asked_area():
    white = torch.ones(3, 1, 28, 28)
    masked = masked_block(white, 0.25, seed=0)
    side = round(28 * 0.25 ** 0.5)
    assert ((masked == 0).sum(dim=(1, 2, 3)) == side * side).all()
    for image in masked[:, 0]:
        rows, cols = torch.nonzero(image == 0, as_tuple=True)
        assert rows.max() - rows.min() + 1 == side and cols.max() - cols.min() + 1 == side
    assert torch.equal(masked_block(white, 0.0), white)


def test_corrupt_checks_its_arguments():
    x = torch.zeros(1, 1, 8, 8)
    assert set(NOISES) == set(LEVELS)
    with pytest.raises(ValueError, match="unknown noise"):
        corrupt(x, "speckle", 0.1)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        corrupt(x, "Gaussian", 1.5)


def test_the_denoising_ae_beats_the_plain_ae_on_the_noise_it_trained_on(digits):
    _, test = digits
    plain = load_checkpoint(SHIPPED_DIR / "digits-ae-mlp-8.safetensors").model
    dae_ckpt = load_checkpoint(SHIPPED_DIR / "digits-dae-mlp-8.safetensors")
    level = dae_ckpt.train_config.input_noise
    noisy_psnr, noisy_ssim = denoise_scores(None, test.images, "Gaussian", level)
    plain_psnr, _ = denoise_scores(plain, test.images, "Gaussian", level)
    dae_psnr, dae_ssim = denoise_scores(dae_ckpt.model, test.images, "Gaussian", level)
    assert dae_psnr > plain_psnr and dae_psnr > noisy_psnr and dae_ssim > noisy_ssim

    rows = denoise_one(test.images[:1], {"plain AE": plain, "denoising AE": dae_ckpt.model}, "Gaussian", level)
    assert [r.name for r in rows] == ["noisy", "plain AE", "denoising AE", "clean"]
    assert rows[-1].psnr == math.inf and rows[-1].ssim == pytest.approx(1.0)
    assert all(r.image.shape == (8, 8) for r in rows)
