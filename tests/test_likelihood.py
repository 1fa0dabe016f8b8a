"""The importance-weighted bound on -log p(x): exact against quadrature, tighter than the ELBO."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from lvm_core import load_checkpoint
from lvm_core.storage.catalog import SHIPPED_DIR
from lvm_core.analysis.likelihood import binarize, binarized, iwae_log_likelihood, iwae_nll
from lvm_core.training.fit import evaluate_loss


class TinyVAE(nn.Module):
    """1-d latent, 2 binary pixels: p(x) is a 1-d integral, so the bound can be checked exactly."""

    def __init__(self):
        super().__init__()
        self.decoder = nn.Sequential(nn.Linear(1, 2), nn.Unflatten(1, (1, 1, 2)))
        with torch.no_grad():
            self.decoder[0].weight.copy_(torch.tensor([[2.0], [-1.5]]))
            self.decoder[0].bias.copy_(torch.tensor([0.3, -0.2]))

    def encode(self, x):
        return torch.full((len(x), 1), 0.4), torch.full((len(x), 1), -0.5)   # a fixed, imperfect q(z|x)

    def reparameterize(self, mu, logvar, generator=None):
        raise AssertionError("not used by the bound")


def test_the_bound_converges_to_the_exact_log_likelihood():
    model = TinyVAE()
    x = torch.tensor([[[[1.0, 0.0]]], [[[1.0, 1.0]]]])
    z = np.linspace(-12, 12, 200_001)
    logits = np.outer(z, [2.0, -1.5]) + [0.3, -0.2]
    exact = []
    for pixels in x.reshape(2, 2).numpy():
        log_px_z = -(np.logaddexp(0, -logits) * pixels + np.logaddexp(0, logits) * (1 - pixels)).sum(1)
        exact.append(np.log(np.trapezoid(np.exp(log_px_z - z ** 2 / 2) / np.sqrt(2 * np.pi), z)))
    many = iwae_log_likelihood(model, x, k=20_000, generator=torch.Generator().manual_seed(0))
    np.testing.assert_allclose(many.numpy(), exact, atol=0.01)


def test_more_samples_tighten_the_bound_on_a_shipped_vae(digits):
    _, test = digits
    model = load_checkpoint(SHIPPED_DIR / "digits-vae-mlp-8.safetensors").model
    images = binarize(test.images[:100], seed=1)
    k1, k100 = iwae_nll(model, images, k=1), iwae_nll(model, images, k=100)
    elbo = evaluate_loss(model, images)
    assert k1.nll == pytest.approx(elbo["recon"] + elbo["kl"], abs=4 * k1.standard_error)   # K = 1 is the ELBO
    assert k100.nll < k1.nll and (k100.k, k100.n) == (100, 100)        # a tighter bound: a smaller -log p
    assert k100.standard_error > 0


def test_binarization_is_fixed_per_seed_and_the_test_split_always_the_same(digits):
    train, test = digits
    a, b = binarize(test.images, 0), binarize(test.images, 0)
    assert torch.equal(a, b) and set(a.unique().tolist()) <= {0.0, 1.0}
    assert not torch.equal(a, binarize(test.images, 5))
    assert abs(a.mean().item() - test.images.mean().item()) < 0.01     # each pixel is 1 with its grey level
    assert torch.equal(binarized(test, 0).images, binarized(test, 7).images)
    assert not torch.equal(binarized(train, 0).images, binarized(train, 7).images)


def test_an_autoencoder_has_no_bound():
    from lvm_core import ModelConfig, build_model

    ae = build_model(ModelConfig(kind="ae", arch="mlp", image_shape=(1, 8, 8), latent_dim=2, hidden=(8,)))
    with pytest.raises(ValueError, match="needs a VAE"):
        iwae_nll(ae, torch.zeros(4, 1, 8, 8))
