"""Batched, gradient-free passes of a trained model over many images."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lvm_core.errors import CheckpointError
from lvm_core.models import is_variational, memory

BATCH = 2048           # the most images per pass; fewer when the model's activations would not fit


def batch_for(model: nn.Module, batch_size: int | None) -> int:
    """batch_size when given, else the largest batch <= BATCH whose forward pass fits LVM_MODEL_MEMORY_MB."""
    if batch_size:
        return batch_size
    try:
        return memory.batch_that_fits(model.config, BATCH)
    except (AttributeError, KeyError, TypeError, RuntimeError):  # a model without a plain config or forward(x)
        return BATCH


def to_display(images) -> np.ndarray:
    """images (N, C, H, W) -> (N, H, W) for one channel, (N, H, W, C) for colour: what grids and
    st.image take."""
    x = images.detach().cpu() if isinstance(images, torch.Tensor) else torch.as_tensor(np.asarray(images))
    return (x[:, 0] if x.shape[1] == 1 else x.permute(0, 2, 3, 1)).numpy()


@torch.no_grad()
def encode(model: nn.Module, images: torch.Tensor, batch_size: int | None = None) -> np.ndarray:
    """images (N, C, H, W) -> deterministic codes (N, latent_dim) float32 (posterior mean for a VAE)."""
    model.eval()
    batch_size = batch_for(model, batch_size)
    out = [model.embed(images[i:i + batch_size]) for i in range(0, images.shape[0], batch_size)]
    return finite_codes(torch.cat(out).numpy()) if out else np.zeros((0, model.config.latent_dim), np.float32)


@torch.no_grad()
def encode_posterior(model: nn.Module, images: torch.Tensor,
                     batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """VAE only: (mu, logvar), each (N, latent_dim)."""
    model.eval()
    batch_size = batch_for(model, batch_size)
    mus, logvars = [], []
    for i in range(0, images.shape[0], batch_size):
        mu, logvar = model.encode(images[i:i + batch_size])
        mus.append(mu)
        logvars.append(logvar)
    return finite_codes(torch.cat(mus).numpy()), finite_codes(torch.cat(logvars).numpy())


def finite_codes(codes: np.ndarray) -> np.ndarray:
    """codes, checked once here for every caller: finite weights can still overflow to NaN or inf codes
    (a damaged or crafted checkpoint), which would fail later in scikit-learn or a plot with a traceback."""
    if not np.isfinite(codes).all():
        raise CheckpointError("this model's codes are NaN or infinite (its weights are broken); pick another model")
    return codes


@torch.no_grad()
def decode(model: nn.Module, codes, batch_size: int | None = None) -> np.ndarray:
    """codes (N, latent_dim) -> images (N, H, W) float32 in [0, 1]; (N, H, W, 3) for colour."""
    model.eval()
    batch_size = batch_for(model, batch_size)
    z = torch.as_tensor(np.asarray(codes, dtype=np.float32))
    if z.ndim == 1:
        z = z[None]
    out = [model.decode(z[i:i + batch_size]) for i in range(0, z.shape[0], batch_size)]
    return to_display(torch.cat(out))


@torch.no_grad()
def reconstruct(model: nn.Module, images: torch.Tensor, batch_size: int | None = None) -> np.ndarray:
    """images (N, C, H, W) -> reconstructions from the deterministic code, (N, H, W) or (N, H, W, 3) in [0, 1]."""
    model.eval()
    batch_size = batch_for(model, batch_size)
    out = [model(images[i:i + batch_size]) for i in range(0, images.shape[0], batch_size)]
    return to_display(torch.cat(out))


def _squared_errors(images, recon: np.ndarray) -> np.ndarray:
    """images (N, C, H, W) tensor or display array, recon (N, H, W[, C]) -> (N, H*W*C) squared pixel differences."""
    x = to_display(images) if isinstance(images, torch.Tensor) else np.asarray(images)
    return (x.reshape(len(x), -1) - np.asarray(recon).reshape(len(x), -1)) ** 2


def reconstruction_error(images, recon: np.ndarray) -> np.ndarray:
    """Per-image mean squared error between images (N, C, H, W) and recon (N, H, W[, C]): (N,)."""
    return _squared_errors(images, recon).mean(axis=1)


def per_pixel_mse(images, recon: np.ndarray) -> float:
    """The mean squared error over every pixel of images (N, C, H, W) and recon (N, H, W[, C])."""
    return float(_squared_errors(images, recon).mean(dtype=np.float64))


@torch.no_grad()
def sample_posterior(model: nn.Module, image: torch.Tensor, n: int, seed: int = 0) -> np.ndarray:
    """VAE: n decodes of z ~ q(z|x) for one image (1, C, H, W) -> (n, H, W)."""
    model.eval()
    mu, logvar = model.encode(image)
    gen = torch.Generator().manual_seed(seed)
    z = model.reparameterize(mu.expand(n, -1), logvar.expand(n, -1), gen)
    return to_display(model.decode(z))


@dataclass(frozen=True)
class EncodedSplit:
    """Everything the pages show per image of a split, computed once per (model, split)."""
    codes: np.ndarray               # (N, latent_dim) float32: posterior means for a VAE
    recon: np.ndarray               # (N, H, W) float32 in [0, 1]; (N, H, W, 3) for colour
    errors: np.ndarray              # (N,) per-image MSE
    labels: np.ndarray              # (N,) int
    logvar: np.ndarray | None = None  # (N, latent_dim), VAE only


def encode_split(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> EncodedSplit:
    """One pass over a split: codes, reconstructions and their errors."""
    logvar = None
    if is_variational(model):
        codes, logvar = encode_posterior(model, images)
    else:
        codes = encode(model, images)
    recon = decode(model, codes)
    return EncodedSplit(codes=codes, recon=recon, errors=reconstruction_error(images, recon),
                        labels=labels.numpy().astype(int), logvar=logvar)
