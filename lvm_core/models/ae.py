"""Plain autoencoder: a deterministic code z = encode(x), trained on pixel MSE."""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:      # a type only: config.py imports this registry to check a config's kind
    from lvm_core.config import ModelConfig

from lvm_core.models.nets import ARCHS


class AE(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        make_encoder, make_decoder = ARCHS[config.arch]
        self.encoder = make_encoder(config.image_shape, config.hidden, config.latent_dim)
        self.decoder = make_decoder(config.image_shape, config.hidden, config.latent_dim)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) in [0, 1] -> z: (B, latent_dim)."""
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) -> images (B, C, H, W) in [0, 1]."""
        return torch.sigmoid(self.decoder(z))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The deterministic code used for maps and features: (B, latent_dim)."""
        return self.encode(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))

    def loss(self, x_in: torch.Tensor, x_target: torch.Tensor,
             generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        """Per-pixel MSE, as the tutorial trains it. x_in may be a noisy copy (denoising AE).
        generator: unused (nothing here is random), taken so that every model's loss has one signature."""
        recon = ae_loss(self(x_in), x_target)
        return {"loss": recon, "recon": recon}


def ae_loss(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error per pixel (a scalar)."""
    return F.mse_loss(x_hat, x)
