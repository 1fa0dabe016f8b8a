"""Batched, gradient-free passes of a trained model over many images.

Every pass takes the images' (or codes') classes as `labels`: a conditional model (a CVAE) is given them
(the code of an image is encode(x, its label)); the other kinds ignore them, so their passes are unchanged.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from torch import nn

from lvm_core.errors import CheckpointError, NeedsLabels
from lvm_core.models import is_conditional, is_variational, memory

BATCH = 2048           # the most images per pass; fewer when the model's activations would not fit


def batch_for(model: nn.Module, batch_size: int | None) -> int:
    """batch_size when given, else the largest batch <= BATCH whose forward pass fits LVM_MODEL_MEMORY_MB."""
    if batch_size:
        return batch_size
    try:
        return memory.batch_that_fits(model.config, BATCH)
    except (AttributeError, KeyError, TypeError, RuntimeError):  # a model without a plain config or forward(x)
        return BATCH


def classes_for(model: nn.Module, labels, n: int, why: str = "to encode or decode it") -> torch.Tensor | None:
    """The classes a conditional model is given for n rows, (n,) int64 on the CPU: labels may be (n,) (tensor,
    array, list) or one class for every row; None for a model that takes no class (its labels are not used).
    A conditional model without labels, or with a class it does not know, is one NeedsLabels error."""
    if not is_conditional(model):
        return None
    if labels is None:
        raise NeedsLabels(f"this is a conditional model ({model.config.kind}): it needs each image's class {why}")
    y = torch.as_tensor(np.asarray(labels.cpu() if isinstance(labels, torch.Tensor) else labels), dtype=torch.long)
    y = y.expand(n) if y.ndim == 0 else y
    k = model.config.n_classes
    if y.shape != (n,) or (n and not (0 <= int(y.min()) and int(y.max()) < k)):
        raise NeedsLabels(f"this model needs one class from 0 to {k - 1} per row ({n} rows), "
                          f"not {tuple(y.shape)} labels")
    return y


def in_batches(step: Callable, model: nn.Module, rows: torch.Tensor, labels, batch_size: int = BATCH) -> list:
    """[step(rows[i:j]) or step(rows[i:j], classes[i:j]) for each batch]: the class only for a model that takes it."""
    y = classes_for(model, labels, rows.shape[0])
    return [step(rows[i:i + batch_size]) if y is None else step(rows[i:i + batch_size], y[i:i + batch_size])
            for i in range(0, rows.shape[0], batch_size)]


def to_display(images) -> np.ndarray:
    """images (N, C, H, W) -> (N, H, W) for one channel, (N, H, W, C) for colour: what grids and
    st.image take."""
    x = images.detach().cpu() if isinstance(images, torch.Tensor) else torch.as_tensor(np.asarray(images))
    return (x[:, 0] if x.shape[1] == 1 else x.permute(0, 2, 3, 1)).numpy()


@torch.no_grad()
def encode(model: nn.Module, images: torch.Tensor, labels=None, batch_size: int | None = None) -> np.ndarray:
    """images (N, C, H, W), labels (N,) -> deterministic codes (N, latent_dim) float32 (posterior mean for a VAE)."""
    model.eval()
    out = in_batches(model.embed, model, images, labels, batch_for(model, batch_size))
    return finite_codes(torch.cat(out).numpy()) if out else np.zeros((0, model.config.latent_dim), np.float32)


@torch.no_grad()
def encode_posterior(model: nn.Module, images: torch.Tensor, labels=None,
                     batch_size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """VAE and CVAE: (mu, logvar), each (N, latent_dim)."""
    model.eval()
    parts = in_batches(model.encode, model, images, labels, batch_for(model, batch_size))
    mus, logvars = [p[0] for p in parts], [p[1] for p in parts]
    return finite_codes(torch.cat(mus).numpy()), finite_codes(torch.cat(logvars).numpy())


def finite_codes(codes: np.ndarray) -> np.ndarray:
    """codes, checked once here for every caller: finite weights can still overflow to NaN or inf codes
    (a damaged or crafted checkpoint), which would fail later in scikit-learn or a plot with a traceback."""
    if not np.isfinite(codes).all():
        raise CheckpointError("this model's codes are NaN or infinite (its weights are broken); pick another model")
    return codes


@torch.no_grad()
def decode(model: nn.Module, codes, labels=None, batch_size: int | None = None) -> np.ndarray:
    """codes (N, latent_dim), labels (N,) or one class -> images (N, H, W) in [0, 1]; (N, H, W, 3) for colour."""
    model.eval()
    batch_size = batch_for(model, batch_size)
    z = torch.as_tensor(np.asarray(codes, dtype=np.float32))
    if z.ndim == 1:
        z = z[None]
    return to_display(torch.cat(in_batches(model.decode, model, z, labels, batch_size)))


@torch.no_grad()
def reconstruct(model: nn.Module, images: torch.Tensor, labels=None, batch_size: int | None = None) -> np.ndarray:
    """images (N, C, H, W), labels (N,) -> reconstructions from the deterministic code, (N, H, W) or (N, H, W, 3)."""
    model.eval()
    return to_display(torch.cat(in_batches(model, model, images, labels, batch_for(model, batch_size))))


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
def sample_posterior(model: nn.Module, image: torch.Tensor, n: int, seed: int = 0, label=None) -> np.ndarray:
    """VAE: n decodes of z ~ q(z|x) for one image (1, C, H, W) -> (n, H, W) (a CVAE: q(z|x, y), drawn as y)."""
    model.eval()
    y = classes_for(model, label, 1)
    mu, logvar = model.encode(image) if y is None else model.encode(image, y)
    gen = torch.Generator().manual_seed(seed)
    z = model.reparameterize(mu.expand(n, -1), logvar.expand(n, -1), gen)
    return to_display(model.decode(z) if y is None else model.decode(z, y.expand(n)))


@dataclass(frozen=True)
class EncodedSplit:
    """Everything the pages show per image of a split, computed once per (model, split)."""
    codes: np.ndarray               # (N, latent_dim) float32: posterior means for a VAE
    recon: np.ndarray               # (N, H, W) float32 in [0, 1]; (N, H, W, 3) for colour
    errors: np.ndarray              # (N,) per-image MSE
    labels: np.ndarray              # (N,) int
    logvar: np.ndarray | None = None  # (N, latent_dim), VAE only


def encode_split(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> EncodedSplit:
    """One pass over a split: codes, reconstructions and their errors (a CVAE's codes given each image's class)."""
    logvar = None
    if is_variational(model):
        codes, logvar = encode_posterior(model, images, labels)
    else:
        codes = encode(model, images, labels)
    recon = decode(model, codes, labels)
    return EncodedSplit(codes=codes, recon=recon, errors=reconstruction_error(images, recon),
                        labels=labels.numpy().astype(int), logvar=logvar)
