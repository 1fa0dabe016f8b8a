"""Test-split metrics for a trained model, with PCA of the same size as the baseline."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .data import ImageDataset
from .inference import encode, per_pixel_mse, reconstruct
from .models import is_variational
from .training import evaluate_loss


def evaluate(model: nn.Module, train: ImageDataset, test: ImageDataset, seed: int = 0) -> dict[str, float]:
    """mse: per-pixel MSE on [0, 1] test images, reconstructed from the mean code.
    neg_elbo (VAE): nats per image, Bernoulli decoder, beta = 1, one posterior sample per image.
    knn5_acc: 5-NN accuracy of test codes against train codes.
    pca_mse: per-pixel MSE of PCA with latent_dim components fitted on the train split."""
    model.eval()
    recon = reconstruct(model, test.images)
    metrics = {"mse": per_pixel_mse(test.images, recon)}
    if is_variational(model):
        parts = evaluate_loss(model, test.images, seed=seed)
        metrics["neg_elbo"] = parts["recon"] + parts["kl"]
        metrics["kl"] = parts["kl"]
    metrics["knn5_acc"] = knn_accuracy(encode(model, train.images), train.labels.numpy(),
                                       encode(model, test.images), test.labels.numpy())
    metrics["pca_mse"] = pca_mse(train.images, test.images, model.config.latent_dim)
    return metrics


def knn_accuracy(train_codes: np.ndarray, train_labels: np.ndarray, test_codes: np.ndarray,
                 test_labels: np.ndarray, k: int = 5) -> float:
    from sklearn.neighbors import KNeighborsClassifier

    clf = KNeighborsClassifier(n_neighbors=k).fit(train_codes, train_labels)
    return float(clf.score(test_codes, test_labels))


def pca_mse(train_images: torch.Tensor, test_images: torch.Tensor, n_components: int) -> float:
    """Per-pixel MSE of a PCA reconstruction with n_components, fitted on train (clipped to [0, 1])."""
    from .pca import fit_pca, pca_reconstruct

    return per_pixel_mse(test_images, pca_reconstruct(fit_pca(train_images, n_components), test_images, n_components))
