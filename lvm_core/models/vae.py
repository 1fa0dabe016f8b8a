"""Variational autoencoder (Kingma & Welling, 2013) in pytorch/examples' vocabulary:
encode -> (mu, logvar), reparameterize -> z, decode -> Bernoulli means."""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

if TYPE_CHECKING:      # a type only: config.py imports this registry to check a config's kind
    from lvm_core.config import ModelConfig

from lvm_core.models.nets import ARCHS


class VAE(nn.Module):
    def __init__(self, config: ModelConfig):
        super().__init__()
        self.config = config
        make_encoder, make_decoder = ARCHS[config.arch]
        self.encoder = make_encoder(config.image_shape, config.hidden, 2 * config.latent_dim)
        self.decoder = make_decoder(config.image_shape, config.hidden, config.latent_dim)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """x: (B, C, H, W) -> posterior q(z|x) as (mu, logvar), each (B, latent_dim)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor,
                       generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mu + sigma * eps, eps ~ N(0, I): a sample that gradients can flow through."""
        eps = torch.randn(mu.shape, generator=generator, device=mu.device, dtype=mu.dtype)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """z: (B, latent_dim) -> Bernoulli means (B, C, H, W) in [0, 1]."""
        return torch.sigmoid(self.decoder(z))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean, used for maps and features: (B, latent_dim)."""
        return self.encode(x)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Reconstruction from the posterior mean (deterministic, for display and MSE)."""
        return self.decode(self.embed(x))

    def loss(self, x_in: torch.Tensor, x_target: torch.Tensor,
             generator: torch.Generator | None = None) -> dict[str, torch.Tensor]:
        mu, logvar = self.encode(x_in)
        logits = self.decoder(self.reparameterize(mu, logvar, generator))
        return vae_loss(logits, x_target, mu, logvar, beta=self.config.beta)


def vae_loss(logits: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
             beta: float = 1.0) -> dict[str, torch.Tensor]:
    """Negative ELBO in nats per image, with beta weighting the KL (beta=1 is the true bound).

    Reconstruction: Bernoulli log-likelihood of x under the decoder, summed over pixels.
    KL(q(z|x) || N(0, I)) in closed form, Appendix B of Kingma & Welling (2013):
    -0.5 * sum(1 + logvar - mu^2 - exp(logvar)).
    """
    batch = x.shape[0]
    recon = F.binary_cross_entropy_with_logits(logits, x, reduction="sum") / batch
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp()) / batch
    return {"loss": recon + beta * kl, "recon": recon, "kl": kl}


def kl_per_dimension(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """Mean KL to the prior per latent dimension: (B, D) -> (D,). Near 0 means a dimension is unused."""
    return (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp())).mean(dim=0)
