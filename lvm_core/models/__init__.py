"""One registry of model kinds: a dict from name to class, never an if/elif chain."""
from __future__ import annotations

import math

import torch
from torch import nn

from lvm_core.models.ae import AE, ae_loss
from lvm_core.models.cvae import CVAE
from lvm_core.models.nets import ARCHS
from lvm_core.models.vae import VAE, kl_per_dimension, vae_loss

MODEL_KINDS: dict[str, type[nn.Module]] = {"ae": AE, "vae": VAE, "cvae": CVAE}


def build_model(config, seed: int | None = None) -> nn.Module:
    """A fresh, untrained model for a ModelConfig. With a seed, its initial weights come from a
    torch.Generator of its own (the same weights torch.manual_seed(seed) would give), so runs
    that start at the same moment in other threads neither disturb it nor are disturbed."""
    if seed is None:
        return MODEL_KINDS[config.kind](config)
    with torch.device("meta"):  # shapes only: no global RNG draw, no memory written twice
        model = MODEL_KINDS[config.kind](config)
    model.to_empty(device="cpu")
    init_weights(model, torch.Generator().manual_seed(seed))
    return model


INITIALIZED = (nn.Linear, nn.modules.conv._ConvNd)


@torch.no_grad()
def init_weights(model: nn.Module, generator: torch.Generator) -> nn.Module:
    """torch's default init of Linear and conv layers (kaiming_uniform_ with a = sqrt(5), bias
    uniform in +-1/sqrt(fan_in)), in module order, drawn from `generator`."""
    for module in model.modules():
        own = list(module.parameters(recurse=False))
        if not own:
            continue
        if not isinstance(module, INITIALIZED):
            raise TypeError(f"init_weights does not know how to initialise {type(module).__name__}")
        nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
        if module.bias is not None:
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(module.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(module.bias, -bound, bound, generator=generator)
    return model


def is_variational(model: nn.Module) -> bool:
    return hasattr(model, "reparameterize")


def is_conditional(model_or_kind) -> bool:
    """True for a model (or a kind's name) whose encode, decode, embed and loss take the class y too."""
    kind = MODEL_KINDS.get(model_or_kind) if isinstance(model_or_kind, str) else model_or_kind
    return bool(getattr(kind, "conditional", False))


__all__ = ["AE", "VAE", "CVAE", "ARCHS", "MODEL_KINDS", "build_model", "init_weights", "is_variational",
           "is_conditional", "ae_loss", "vae_loss", "kl_per_dimension"]
