"""Walking the latent space by hand: slider ranges, which dimensions matter, the decoded
manifold of a 2-d model, interpolation paths, and filmstrips as GIFs."""
from __future__ import annotations

import io
import numpy as np
import torch
from torch import nn

from lvm_core.data.images import enlarge, make_grid, to_uint8
from lvm_core.errors import InvalidInput
from lvm_core.generation.inference import decode
from lvm_core.generation.sampling import INTERPOLATIONS


def slider_ranges(codes: np.ndarray, lower: float = 1.0, upper: float = 99.0) -> np.ndarray:
    """codes (N, D) -> (D, 2) [low, high] per dimension: the lower..upper percentiles of the data,
    so a slider spans where codes really are (an AE's codes can be anywhere, not in [-3, 3])."""
    ranges = np.percentile(np.asarray(codes, np.float64), [lower, upper], axis=0).T
    flat = ranges[:, 1] - ranges[:, 0] < 1e-6  # a dead dimension: give its slider some room anyway
    ranges[flat] += np.array([-1.0, 1.0])
    return ranges.astype(np.float32)


def dimension_importance(codes: np.ndarray, logvar: np.ndarray | None = None) -> np.ndarray:
    """(D,) how much each latent dimension is used. VAE (logvar given): the mean KL to the prior,
    ~0 for a dimension the decoder ignores. AE: the variance of the codes along that dimension."""
    if logvar is None:
        return np.asarray(codes, np.float64).var(axis=0)
    from lvm_core.models import kl_per_dimension

    return kl_per_dimension(torch.as_tensor(codes), torch.as_tensor(logvar)).double().numpy()


def dimension_order(importance: np.ndarray) -> list[int]:
    """Dimension indices, most important first (ties keep index order)."""
    return [int(i) for i in np.argsort(-np.asarray(importance), kind="stable")]


def dimension_effects(model: nn.Module, code: np.ndarray, lows: np.ndarray, highs: np.ndarray,
                      label=None) -> np.ndarray:
    """(D,) how much the image changes along each slider: the mean |pixel difference| between decode(z) with
    z_d at its low end and at its high end, the other numbers those of `code` (D,) (lows, highs: (D,);
    label: the class a conditional model draws). 0 for a dimension the decoder ignores."""
    code = np.asarray(code, np.float32)
    ends = np.repeat(code[None], 2 * len(code), axis=0)
    d = np.arange(len(code))
    ends[2 * d, d], ends[2 * d + 1, d] = lows, highs
    images = decode(model, ends, label).reshape(len(code), 2, -1)
    return np.abs(images[:, 1] - images[:, 0]).mean(axis=1).astype(np.float64)


def random_code(codes: np.ndarray, seed: int, variational: bool) -> np.ndarray:
    """One random code (D,): from the prior N(0, I) for a VAE; for an AE, which has no prior, from a
    Gaussian with the codes' per-dimension mean and spread (N(0, I) would land off its data)."""
    rng = np.random.default_rng(seed)
    d = codes.shape[1]
    if variational:
        return rng.standard_normal(d).astype(np.float32)
    return (codes.mean(axis=0) + codes.std(axis=0) * rng.standard_normal(d)).astype(np.float32)


def plane_codes(x_range: tuple[float, float], y_range: tuple[float, float], n: int) -> np.ndarray:
    """(n*n, 2) codes on an n x n lattice, in reading order: top row (largest y) first, left to right."""
    xs = np.linspace(x_range[0], x_range[1], n)
    ys = np.linspace(y_range[1], y_range[0], n)
    gx, gy = np.meshgrid(xs, ys)
    return np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def manifold_grid(model: nn.Module, x_range: tuple[float, float], y_range: tuple[float, float],
                  n: int = 20, label=None) -> np.ndarray:
    """The classic picture of a 2-d model: decode an n x n lattice over the latent plane and tile it
    into one (n*H, n*W) image whose top-left is (x_min, y_max), like a plot's axes (label: a conditional
    model's class, drawn everywhere)."""
    if model.config.latent_dim != 2:
        raise InvalidInput(f"the decoded plane needs a 2-d latent space; this model has {model.config.latent_dim}")
    return make_grid(decode(model, plane_codes(x_range, y_range, n), label), ncols=n, pad=0)


def interpolate(z0: np.ndarray, z1: np.ndarray, steps: int, method: str = "linear") -> np.ndarray:
    """(steps, D) codes from z0 to z1 (each (D,)), endpoints exact; method: linear or spherical."""
    if method not in INTERPOLATIONS:
        raise InvalidInput(f"unknown interpolation {method!r}; choose from {', '.join(INTERPOLATIONS)}")
    if steps < 2:
        raise InvalidInput("an interpolation needs at least 2 steps")
    return INTERPOLATIONS[method](np.asarray(z0, np.float32), np.asarray(z1, np.float32), steps)


def contrasting_pair(ae: nn.Module, vae: nn.Module, ae_codes: np.ndarray, vae_codes: np.ndarray, labels: np.ndarray,
                     candidates: int = 48, steps: int = 7, seed: int = 0) -> tuple[int, int]:
    """Indices (a, b) of two images of different classes whose linear walks differ most between an AE and a VAE
    (mean absolute pixel difference of the inner frames): the pair that shows the lesson at a glance.
    codes: (N, D) of the same N images under each model; labels: (N,)."""
    rng = np.random.default_rng(seed)
    pool = rng.choice(len(labels), size=min(len(labels), 4 * candidates), replace=False)
    pairs = [(int(a), int(b)) for a, b in zip(pool[::2], pool[1::2]) if labels[a] != labels[b]][:candidates]
    if not pairs:
        return 0, min(1, len(labels) - 1)
    gaps = []
    for a, b in pairs:
        inner = slice(1, steps - 1)
        ae_frames = decode(ae, interpolate(ae_codes[a], ae_codes[b], steps)[inner])
        vae_frames = decode(vae, interpolate(vae_codes[a], vae_codes[b], steps)[inner])
        gaps.append(float(np.abs(ae_frames - vae_frames).mean()))
    return pairs[int(np.argmax(gaps))]


def gif_bytes(frames: np.ndarray, scale: int = 4, frame_ms: int = 120, bounce: bool = True) -> bytes:
    """frames (T, H, W) in [0, 1] -> an animated, looping GIF; bounce plays it forward then back.
    Pillow, not torchvision: torchvision writes still images (save_image) and videos, not GIFs."""
    from PIL import Image

    frames = np.asarray(frames)
    if bounce and len(frames) > 2:
        frames = np.concatenate([frames, frames[-2:0:-1]])
    pictures = [Image.fromarray(to_uint8(enlarge(f, scale))) for f in frames]
    buf = io.BytesIO()
    pictures[0].save(buf, format="GIF", save_all=True, append_images=pictures[1:], duration=frame_ms, loop=0)
    return buf.getvalue()
