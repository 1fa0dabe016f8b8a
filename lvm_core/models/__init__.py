"""One registry of model kinds: a dict from name to class, never an if/elif chain."""
from __future__ import annotations

import torch
from torch import nn

from .ae import AE, ae_loss
from .nets import ARCHS
from .vae import VAE, kl_per_dimension, vae_loss

MODEL_KINDS: dict[str, type[nn.Module]] = {"ae": AE, "vae": VAE}


def build_model(config, seed: int | None = None) -> nn.Module:
    """A fresh, untrained model for a ModelConfig; with a seed, its initial weights are reproducible
    (drawn from a forked RNG, so the caller's global random state is left alone)."""
    if seed is None:
        return MODEL_KINDS[config.kind](config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return MODEL_KINDS[config.kind](config)


def is_variational(model: nn.Module) -> bool:
    return hasattr(model, "reparameterize")


__all__ = ["AE", "VAE", "ARCHS", "MODEL_KINDS", "build_model", "is_variational",
           "ae_loss", "vae_loss", "kl_per_dimension"]
