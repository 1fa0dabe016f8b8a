"""A figure comparable with the literature: the importance-weighted bound on -log p(x) (Burda et al.,
2016, "Importance Weighted Autoencoders") of a VAE on binarized MNIST.

The VAE's training loss is a Bernoulli likelihood of grey-level pixels, as pytorch/examples reports
it: that is not the log-density of any distribution over these images, so it is no figure to compare
with papers. On binary pixels the Bernoulli decoder is an exact likelihood, and
    log p(x) >= log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x),   z_k ~ q(z|x),
which tightens to log p(x) as K grows (K = 5000 in the paper's tables; K >= 1000 is within a few
tenths of a nat for a plain VAE).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lvm_core.data.builtin import ImageDataset
from lvm_core.errors import InvalidInput
from lvm_core.models import is_conditional, is_variational

TEST_BINARIZATION_SEED = 1      # the test split is binarized once, with this seed, for every figure
LOG_2PI = math.log(2 * math.pi)
BATCH = 20                      # images per pass of iwae_nll
CHUNK = 500                     # importance samples per pass, fewer where one pass would pass MAX_WORK_BYTES
MAX_WORK_BYTES = 2**30          # the tensors of one pass, and the log weights of one batch, estimated before


def samples_per_pass(batch: int, pixels: int, latent_dim: int, chunk: int = CHUNK) -> int:
    """Importance samples drawn at once for `batch` images: one pass holds eps and z (D numbers each) and
    the logits, targets and their log-likelihood (pixels each) per sample and image, in float32."""
    per_sample = batch * 4 * (2 * latent_dim + 3 * pixels)
    return max(1, min(chunk, MAX_WORK_BYTES // per_sample))


def check_iwae_memory(k: int, batch: int = BATCH) -> None:
    """InvalidInput when k importance samples' log weights (k x batch float32, then concatenated) would pass
    MAX_WORK_BYTES, before anything is drawn."""
    need = 2 * k * batch * 4
    if need > MAX_WORK_BYTES:
        raise InvalidInput(f"k = {k:,} importance samples would need {need / 2**30:,.1f} GB for their weights "
                           f"(at most {MAX_WORK_BYTES / 2**30:,.0f} GB): use a smaller k")


def binarized(data: ImageDataset, seed: int = 0) -> ImageDataset:
    """A split with its pixels binarized; the test split always with TEST_BINARIZATION_SEED, so every
    model is scored on the same binary images."""
    seed = TEST_BINARIZATION_SEED if data.split == "test" else seed
    return dataclasses.replace(data, images=binarize(data.images, seed))


def binarize(images: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Stochastic binarization (Salakhutdinov & Murray, 2008): each pixel is 1 with probability its
    grey level. images (N, C, H, W) in [0, 1] -> the same shape in {0, 1}, the same for a seed."""
    return torch.bernoulli(images, generator=torch.Generator().manual_seed(seed))


@torch.no_grad()
def iwae_log_likelihood(model: nn.Module, x: torch.Tensor, k: int = 1000, chunk: int = CHUNK,
                        generator: torch.Generator | None = None) -> torch.Tensor:
    """x (B, C, H, W) in {0, 1} -> (B,) the K-sample importance-weighted lower bound on log p(x), nats."""
    if not is_variational(model) or is_conditional(model):
        raise InvalidInput("the importance-weighted bound needs a VAE (an encoder that gives q(z|x)); a conditional "
                           "VAE's bound would be on log p(x | y), not comparable")
    check_iwae_memory(k, len(x))
    model.eval()
    mu, logvar = model.encode(x)                                            # (B, D) each
    chunk = samples_per_pass(len(x), x[0].numel(), mu.shape[-1], chunk)
    log_w = []
    for start in range(0, k, chunk):
        n = min(chunk, k - start)
        eps = torch.randn((n, *mu.shape), generator=generator, dtype=mu.dtype)
        z = mu + torch.exp(0.5 * logvar) * eps                              # (n, B, D)
        logits = model.decoder(z.reshape(-1, z.shape[-1])).reshape(n, *x.shape)
        log_px_z = -F.binary_cross_entropy_with_logits(logits, x.expand_as(logits), reduction="none")
        log_px_z = log_px_z.flatten(2).sum(-1)                              # (n, B)
        log_pz = -0.5 * (z.pow(2) + LOG_2PI).sum(-1)
        log_qz = -0.5 * (eps.pow(2) + logvar + LOG_2PI).sum(-1)
        log_w.append(log_px_z + log_pz - log_qz)
    return torch.logsumexp(torch.cat(log_w), dim=0) - math.log(k)


@dataclass(frozen=True)
class LikelihoodEstimate:
    nll: float                      # mean -log p(x) bound, nats per image (lower is better)
    standard_error: float           # of that mean over the images scored
    k: int                          # importance samples per image
    n: int                          # test images scored


def iwae_nll(model: nn.Module, images: torch.Tensor, k: int = 1000, batch_size: int = BATCH, seed: int = 0,
             progress=None) -> LikelihoodEstimate:
    """The mean K-sample bound on -log p(x) over binary images (N, C, H, W), with its standard error."""
    if k < 1 or len(images) < 2:
        raise InvalidInput("the bound needs k >= 1 and at least 2 images")
    gen = torch.Generator().manual_seed(seed)
    out = []
    for i in range(0, len(images), batch_size):
        out.append(-iwae_log_likelihood(model, images[i:i + batch_size], k, generator=gen))
        if progress is not None:
            progress(min(i + batch_size, len(images)), len(images))
    nll = torch.cat(out).double().numpy()
    return LikelihoodEstimate(float(nll.mean()), float(nll.std(ddof=1) / np.sqrt(len(nll))), k, len(nll))
