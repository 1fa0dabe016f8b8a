"""Rare styles: a density model of the codes, the rarest images, and debiased sampling weights.

The DB-VAE idea (Amini et al., 2019; MIT 6.S191's debiasing lab): where the model's codes are
sparse, the training data under-represents a style; sampling each image with weight proportional
to 1 / density(z)^alpha shows those images more often. Here the density is a Gaussian mixture
fitted to the codes (scikit-learn), and the weights are fixed for a run (`fit(..., sample_weights=w)`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lvm_core.errors import InvalidInput

DEFAULT_COMPONENTS = 10
DEFAULT_ALPHA = 2.0          # per-dimension density: on MNIST VAE codes the heaviest image weighs ~11x an average one
RARE_FRACTION = 0.1          # "rarest decile"
FIT_MAX = 5_000              # the mixture is fitted on at most this many codes: a few seconds whatever the split


def log_density(codes: np.ndarray, components: int = DEFAULT_COMPONENTS, seed: int = 0,
                fit_codes: np.ndarray | None = None) -> np.ndarray:
    """codes (N, D) -> (N,) log p(z) / D under a Gaussian mixture fitted to fit_codes (default: codes).

    Per latent dimension (nats per number of the code): log p(z) of a 32-number code spans ~100 nats
    over MNIST, so 1 / p^alpha would hand nearly all the weight to a handful of images; per dimension
    the same alpha means the same strength whatever the code size. The order (rarest first) is unchanged."""
    from sklearn.mixture import GaussianMixture

    codes = np.asarray(codes, np.float64)
    ref = codes if fit_codes is None else np.asarray(fit_codes, np.float64)
    if len(ref) > FIT_MAX:
        ref = ref[np.random.default_rng(seed).choice(len(ref), FIT_MAX, replace=False)]
    k = max(1, min(components, len(ref) // 5))
    gmm = GaussianMixture(k, covariance_type="full", reg_covar=1e-4, random_state=seed).fit(ref)
    return gmm.score_samples(codes) / codes.shape[1]


def resampling_weights(log_p: np.ndarray, alpha: float = DEFAULT_ALPHA) -> np.ndarray:
    """(N,) log densities (per dimension, log_density) -> (N,) weights proportional to p^-alpha summing to 1
    (alpha 0: uniform)."""
    if alpha < 0:
        raise InvalidInput("the debiasing strength alpha must be 0 or more")
    score = -alpha * np.asarray(log_p, np.float64)
    w = np.exp(score - score.max())   # shifted: p^-alpha overflows for rare codes of a sharp density
    return w / w.sum()


def effective_sample_size(weights: np.ndarray) -> float:
    """1 / sum(w^2) for weights summing to 1: how many images the weighted sample is worth (N when uniform)."""
    w = np.asarray(weights, np.float64)
    return float(1.0 / np.square(w / w.sum()).sum())


def rarest(log_p: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n lowest densities, rarest first."""
    return np.argsort(np.asarray(log_p), kind="stable")[:n]


def rare_mask(log_p: np.ndarray, fraction: float = RARE_FRACTION) -> np.ndarray:
    """(N,) bool: the rarest `fraction` of the images (at least one)."""
    return np.isin(np.arange(len(log_p)), rarest(log_p, max(1, int(round(fraction * len(log_p))))))


def weighted_histograms(values: np.ndarray, weights: np.ndarray,
                        bins: int = 30) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(edges (bins+1,), share before (bins,), share after (bins,)): a factor's distribution under
    uniform sampling and under the weights, each summing to 1."""
    values = np.asarray(values, np.float64)
    edges = np.histogram_bin_edges(values, bins=bins)
    before = np.histogram(values, edges)[0] / max(len(values), 1)
    after = np.histogram(values, edges, weights=weights)[0] / max(float(np.sum(weights)), 1e-300)
    return edges, before, after


def class_shares(labels: np.ndarray, weights: np.ndarray, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """(share of each class before, after re-weighting), each (n_classes,) summing to 1."""
    labels = np.asarray(labels, int)
    before = np.bincount(labels, minlength=n_classes) / max(len(labels), 1)
    after = np.bincount(labels, weights=weights, minlength=n_classes) / max(float(np.sum(weights)), 1e-300)
    return before, after


def reference_vae(dataset: str, entries=None):
    """The shipped VAE (trained on every class) whose codes give a dataset's densities for debiased
    training: catalog.ModelEntry, or None for a dataset without one (a user's own images).
    entries: catalog.list_models()'s list, when the caller has one."""
    from lvm_core.storage.catalog import SHIPPED_DIR, find_model, list_models

    shipped = [e for e in entries if e.shipped] if entries is not None else list_models([SHIPPED_DIR])
    return find_model(dataset, "vae", entries=shipped)


def debias_split(reference: nn.Module, train_images: torch.Tensor, test_images: torch.Tensor,
                 alpha: float = DEFAULT_ALPHA, seed: int = 0, train_labels=None,
                 test_labels=None) -> tuple[torch.Tensor, np.ndarray]:
    """(train weights (N_train,) proportional to 1 / density^alpha, test rare mask (N_test,) bool: the test
    split's rarest decile, the images a debiased run should reconstruct better), both from one mixture
    fitted to `reference`'s codes of the train split (labels: the classes, if the reference is conditional)."""
    from lvm_core.generation.inference import encode

    train_codes, test_codes = encode(reference, train_images, train_labels), encode(reference, test_images, test_labels)
    log_p = log_density(np.concatenate([train_codes, test_codes]), seed=seed, fit_codes=train_codes)
    return (torch.from_numpy(resampling_weights(log_p[:len(train_codes)], alpha)),
            rare_mask(log_p[len(train_codes):]))


@dataclass(frozen=True)
class RareError:
    rare: float                 # mean reconstruction error on the rarest decile of the test split
    overall: float              # ... on the whole test split


def rare_decile_error(model: nn.Module, images: torch.Tensor, rare: np.ndarray, labels=None) -> RareError:
    """Per-pixel MSE of a model's reconstructions on the rare images (rare: (N,) bool) and on all."""
    from lvm_core.generation.inference import reconstruct, reconstruction_error

    errors = reconstruction_error(images, reconstruct(model, images, labels))
    return RareError(float(errors[rare].mean()), float(errors.mean()))
