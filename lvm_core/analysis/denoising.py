"""Corrupting images and scoring how well a model cleans them up (the denoising-AE demo).

Noise functions take images (N, C, H, W) in [0, 1] and a level in [0, 1], and return a corrupted
copy in [0, 1], reproducible for a seed. Quality is PSNR and SSIM from scikit-image against the
clean image, with data_range=1 because images live in [0, 1].
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lvm_core.errors import InvalidInput
from lvm_core.generation.inference import reconstruct


def gaussian_noise(images: torch.Tensor, level: float, seed: int = 0) -> torch.Tensor:
    """x + level * N(0, 1), clipped to [0, 1]: the corruption the shipped denoising AEs trained on."""
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn(images.shape, generator=gen, dtype=images.dtype)
    return (images + level * noise).clamp(0, 1)


def salt_and_pepper(images: torch.Tensor, level: float, seed: int = 0) -> torch.Tensor:
    """A fraction `level` of the pixels set to 0 or 1, half each."""
    gen = torch.Generator().manual_seed(seed)
    hit = torch.rand(images.shape, generator=gen) < level
    salt = torch.rand(images.shape, generator=gen) < 0.5
    return torch.where(hit, salt.to(images.dtype), images)


def masked_block(images: torch.Tensor, level: float, seed: int = 0) -> torch.Tensor:
    """A black square covering about `level` of each image's area, at a random place per image."""
    gen = torch.Generator().manual_seed(seed)
    n, _, h, w = images.shape
    side_h, side_w = round(h * level ** 0.5), round(w * level ** 0.5)
    out = images.clone()
    tops = torch.randint(0, h - side_h + 1, (n,), generator=gen)
    lefts = torch.randint(0, w - side_w + 1, (n,), generator=gen)
    for i in range(n):
        out[i, :, tops[i]:tops[i] + side_h, lefts[i]:lefts[i] + side_w] = 0
    return out


NOISES = {"Gaussian": gaussian_noise, "salt and pepper": salt_and_pepper, "masked block": masked_block}
LEVELS = {  # what `level` means for each noise, and a level where the difference shows
    "Gaussian": ("standard deviation", 0.3),
    "salt and pepper": ("fraction of pixels hit", 0.2),
    "masked block": ("fraction of the image masked", 0.15),
}


def corrupt(images: torch.Tensor, noise: str, level: float, seed: int = 0) -> torch.Tensor:
    if noise not in NOISES:
        raise InvalidInput(f"unknown noise {noise!r}; choose from {', '.join(NOISES)}")
    if not 0 <= level <= 1:
        raise InvalidInput(f"noise level must be in [0, 1], got {level}")
    return NOISES[noise](images, level, seed)


def psnr(clean: np.ndarray, other: np.ndarray) -> float:
    """Peak signal-to-noise ratio in dB of images in [0, 1], (H, W) or a stack (N, H, W) (then of
    their pooled MSE); inf when they are equal."""
    from skimage.metrics import peak_signal_noise_ratio

    clean, other = np.asarray(clean, np.float64), np.asarray(other, np.float64)
    if np.array_equal(clean, other):
        return float("inf")  # skimage would divide by a zero MSE
    return float(peak_signal_noise_ratio(clean, other, data_range=1.0))


def ssim(clean: np.ndarray, other: np.ndarray) -> float:
    """Structural similarity (Wang et al., 2004) of (H, W) images in [0, 1]; 1 when they are equal.
    The window is skimage's 7x7 default, shrunk to fit images smaller than that."""
    from skimage.metrics import structural_similarity

    clean, other = np.asarray(clean, np.float64), np.asarray(other, np.float64)
    side = min(clean.shape)
    win = min(7, side if side % 2 else side - 1)
    return float(structural_similarity(clean, other, data_range=1.0, win_size=win))


@dataclass(frozen=True)
class DenoiseRow:
    name: str                       # "noisy", a model's name, or "clean"
    image: np.ndarray               # (H, W) in [0, 1]
    psnr: float                     # dB against the clean image
    ssim: float


def denoise_one(clean: torch.Tensor, models: dict[str, nn.Module], noise: str, level: float,
                seed: int = 0) -> list[DenoiseRow]:
    """clean (1, C, H, W): the noisy copy, each model's reconstruction of it, and the clean image,
    each scored against the clean image."""
    noisy = corrupt(clean, noise, level, seed)
    target = clean[0, 0].numpy()
    images = {"noisy": noisy[0, 0].numpy()}
    images.update({name: reconstruct(model, noisy)[0] for name, model in models.items()})
    images["clean"] = target
    return [DenoiseRow(name, img, psnr(target, img), ssim(target, img)) for name, img in images.items()]


def denoise_scores(model: nn.Module | None, clean: torch.Tensor, noise: str, level: float,
                   seed: int = 0) -> tuple[float, float]:
    """(PSNR, mean SSIM) over images (N, C, H, W) after corrupting them and passing them through
    `model` (None scores the noisy images themselves, the baseline). PSNR is of the pooled MSE:
    a per-image mean would be infinite as soon as one image came through unchanged (a masked
    block that fell on empty background)."""
    noisy = corrupt(clean, noise, level, seed)
    out = noisy[:, 0].numpy() if model is None else reconstruct(model, noisy)
    target = clean[:, 0].numpy()
    return psnr(target, out), float(np.mean([ssim(t, o) for t, o in zip(target, out)]))
