"""Conditional VAE (Sohn, Lee & Yan, 2015): the VAE's encode -> reparameterize -> decode, with the class y
given to both halves as a one-hot vector: q(z|x, y) and p(x|z, y).

Because the decoder is told the class, the code z need not carry it: z holds what is left, the style
(slant, thickness, size), and decode(z, y) draws that style as any class y. The encoder's one-hot joins
the image's features at its dense part (after the convs of a conv model); the decoder's joins z.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:      # a type only: config.py imports this registry to check a config's kind
    from lvm_core.config import ModelConfig

from lvm_core.errors import NeedsLabels
from lvm_core.models.nets import ARCHS, ENCODER_PARTS
from lvm_core.models.vae import VAE, vae_loss


class CVAE(nn.Module):
    conditional = True      # models.is_conditional: every bulk pass must give it the classes

    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        k = config.n_classes
        trunk, head = ENCODER_PARTS[config.arch](config.image_shape, config.hidden, 2 * config.latent_dim, extra_in=k)
        self.encoder_trunk = nn.Sequential(*trunk)    # image -> features (B, F)
        self.encoder_head = nn.Sequential(*head)      # [features, one-hot] (B, F + K) -> (mu, logvar)
        self.decoder = ARCHS[config.arch][1](config.image_shape, config.hidden, config.latent_dim + k)

    def condition(self, y: torch.Tensor) -> torch.Tensor:
        """y: classes (B,) int, or already a (B, n_classes) float vector (e.g. a blend of two classes)
        -> (B, n_classes) float, what both halves are given."""
        if y is None:
            raise NeedsLabels("a conditional VAE needs each image's class to encode or decode it")
        if y.ndim == 2:
            return y.float()
        return F.one_hot(y.long(), self.config.n_classes).float()

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, H, W), y: (B,) -> q(z|x, y) as (mu, logvar), each (B, latent_dim)."""
        features = torch.cat([self.encoder_trunk(x), self.condition(y)], dim=1)
        mu, logvar = self.encoder_head(features).chunk(2, dim=1)
        return mu, logvar

    reparameterize = VAE.reparameterize    # the same z = mu + sigma * eps, from the run's own generator

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim), y: (B,) -> Bernoulli means (B, C, H, W) in [0, 1]."""
        return torch.sigmoid(self.decoder(torch.cat([z, self.condition(y)], dim=1)))

    def embed(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The posterior mean given the class, used for maps and features: (B, latent_dim)."""
        return self.encode(x, y)[0]

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Reconstruction of x drawn as its own class y, from the posterior mean."""
        return self.decode(self.embed(x, y), y)

    def loss(self, x_in: torch.Tensor, x_target: torch.Tensor, generator: torch.Generator | None = None,
             y: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """The VAE's negative ELBO of p(x|z, y) with the prior N(0, I) on z whatever the class."""
        mu, logvar = self.encode(x_in, y)
        z = self.reparameterize(mu, logvar, generator)
        logits = self.decoder(torch.cat([z, self.condition(y)], dim=1))
        return vae_loss(logits, x_target, mu, logvar, beta=self.config.beta)
