"""Samplers for the latent space (kept apart from models, as pythae does) and interpolation."""
from __future__ import annotations

import copy

import numpy as np


def sample_normal(n: int, latent_dim: int, seed: int = 0) -> np.ndarray:
    """z ~ N(0, I): the VAE's prior, and what an AE was never trained to decode. (n, latent_dim)."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim)).astype(np.float32)


class GaussianMixtureSampler:
    """Fits a Gaussian mixture to a model's codes and samples from it: the fix that makes an
    AE generate, because samples then land where the decoder has seen codes."""

    def __init__(self, n_components: int = 10, seed: int = 0):
        from sklearn.mixture import GaussianMixture

        self.gmm = GaussianMixture(n_components=n_components, covariance_type="full", random_state=seed)

    def fit(self, codes: np.ndarray) -> "GaussianMixtureSampler":
        """codes (N, D). MNIST's 60k codes take ~30 s here, a random 10k ~9 s."""
        import torch
        from threadpoolctl import threadpool_limits

        from lvm_core.errors import InvalidInput

        if len(codes) < self.gmm.n_components:
            raise InvalidInput(f"a mixture of {self.gmm.n_components} Gaussians needs at least as many codes; "
                               f"the split has {len(codes)} images")
        # BLAS threads as many as torch's: sklearn's default of all cores ran 6-13x slower on a shared 2-core box
        with threadpool_limits(limits=torch.get_num_threads()):
            self.gmm.fit(np.asarray(codes, dtype=np.float64))
        return self

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """(n, latent_dim) float32, reproducible for a seed. The fitted mixture is never changed:
        a shallow copy carries the seed, so concurrent calls with other seeds can't interleave."""
        gmm = copy.copy(self.gmm)
        gmm.random_state = seed
        z, _ = gmm.sample(n)
        order = np.random.default_rng(seed).permutation(n)  # sklearn returns samples grouped by component
        return z[order].astype(np.float32)


def lerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """Straight line from z0 to z1 (both (D,)), endpoints included: (steps, D)."""
    t = np.linspace(0.0, 1.0, steps)[:, None]
    return ((1 - t) * z0 + t * z1).astype(np.float32)


def slerp(z0: np.ndarray, z1: np.ndarray, steps: int) -> np.ndarray:
    """Spherical interpolation (Shoemake, 1985): the direction follows the great circle and the
    norm goes linearly from |z0| to |z1|, instead of dipping through the low-density middle as
    a straight line does (a Gaussian's samples sit near a sphere of radius sqrt(D)). (steps, D)."""
    z0, z1 = np.asarray(z0, np.float64), np.asarray(z1, np.float64)
    n0, n1 = np.linalg.norm(z0), np.linalg.norm(z1)
    if n0 == 0 or n1 == 0:
        return lerp(z0, z1, steps)
    u0, u1 = z0 / n0, z1 / n1
    omega = np.arccos(np.clip(np.dot(u0, u1), -1.0, 1.0))
    if omega < 1e-6:
        return lerp(z0, z1, steps)
    t = np.linspace(0.0, 1.0, steps)[:, None]
    direction = (np.sin((1 - t) * omega) * u0 + np.sin(t * omega) * u1) / np.sin(omega)
    out = direction * ((1 - t) * n0 + t * n1)
    out[0], out[-1] = z0, z1
    return out.astype(np.float32)


INTERPOLATIONS = {"linear": lerp, "spherical": slerp}
