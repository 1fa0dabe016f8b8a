"""Test-split metrics for a trained model, with PCA of the same size as the baseline."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from lvm_core.data.builtin import ImageDataset
from lvm_core.generation.inference import encode, per_pixel_mse, reconstruct
from lvm_core.models import is_variational
from lvm_core.training.fit import evaluate_loss

# How neg_elbo is shown: what it is, so nobody reads it as a log-likelihood of the images.
NEG_ELBO_LABEL = "Bernoulli −ELBO on grey levels (nats)"
NEG_ELBO_HELP = ("The VAE's training loss: a Bernoulli likelihood of grey-level pixels (as pytorch/examples "
                 "reports it) plus the KL term. Not a bound on −log p(x) of these images; lower is better.")


def evaluate(model: nn.Module, train: ImageDataset, test: ImageDataset, seed: int = 0) -> dict[str, float]:
    """mse: per-pixel MSE on [0, 1] test images, reconstructed from the mean code.
    neg_elbo (VAE): the training loss at beta = 1, nats per image, one posterior sample per image: a
      Bernoulli likelihood of grey-level pixels, as pytorch/examples reports it. Not a bound on
      -log p(x) of these images (a Bernoulli is a distribution over binary pixels); for a figure
      comparable with papers see analysis/likelihood.py (`python -m lvm_core iwae`).
    knn5_acc: 5-NN accuracy of the codes of knn_queries(test) (a fixed KNN_TEST_QUERIES of the test
      split, the same images for every model) against all train codes. A CVAE's codes are given the class,
      so they need not hold it: its low knn5_acc is the point, not a fault.
    pca_mse: per-pixel MSE of PCA with latent_dim components fitted on the train split.

    NumPy's BLAS gets torch's thread count: with its default of every core, the PCA's eigh
    alone took 5 s here while other processes kept the cores busy (threads waiting on threads)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=torch.get_num_threads()):
        return _evaluate(model, train, test, seed)


def _evaluate(model: nn.Module, train: ImageDataset, test: ImageDataset, seed: int) -> dict[str, float]:
    model.eval()
    recon = reconstruct(model, test.images, test.labels)      # labels: a CVAE is given each image's class
    metrics = {"mse": per_pixel_mse(test.images, recon)}
    if is_variational(model):
        parts = evaluate_loss(model, test.images, seed=seed, labels=test.labels)
        metrics["neg_elbo"] = parts["recon"] + parts["kl"]
        metrics["kl"] = parts["kl"]
    queries = knn_queries(len(test))
    metrics["knn5_acc"] = knn_accuracy(encode(model, train.images, train.labels), train.labels.numpy(),
                                       encode(model, test.images[queries], test.labels[queries]),
                                       test.labels.numpy()[queries])
    metrics["pca_mse"] = pca_mse(train.images, test.images, model.config.latent_dim)
    return metrics


# The exact 5-NN search took 2.6 s for 10,000 MNIST test codes of 32 numbers against 60,000; on
# 2,000 of them 0.3 s, and the accuracy's standard error at 97% is 0.4 points.
KNN_TEST_QUERIES = 2000
KNN_HELP = (f"The share of test images whose 5 nearest training codes mostly share their class: on a fixed "
            f"{KNN_TEST_QUERIES:,} test images (all of a smaller test split), the same for every model.")
KD_TREE_MAX_DIM = 12                # above it a k-d tree is slower than blocked matrix products
KNN_QUERIES, KNN_BLOCK = 128, 8192  # one distance block is 4 MB: it stays in cache for topk
KNN_SPARE = 8                       # extra candidates whose distances are recomputed exactly


def knn_queries(n: int) -> np.ndarray:
    """The test indices the 5-NN metric classifies: all of a small split, else a seeded, sorted
    KNN_TEST_QUERIES of them (the same for every model of a dataset, so their figures compare)."""
    if n <= KNN_TEST_QUERIES:
        return np.arange(n)
    return np.sort(np.random.default_rng(0).choice(n, KNN_TEST_QUERIES, replace=False))


def knn_accuracy(train_codes: np.ndarray, train_labels: np.ndarray, test_codes: np.ndarray,
                 test_labels: np.ndarray, k: int = 5) -> float:
    """Accuracy of an exact k-nearest-neighbour vote (Euclidean; a tie goes to the smallest label,
    as scikit-learn's KNeighborsClassifier does)."""
    train = np.asarray(train_codes, np.float64)
    classes, train_class = np.unique(np.asarray(train_labels), return_inverse=True)
    nearest = train_class.reshape(-1)[nearest_neighbours(train, np.asarray(test_codes, np.float64), k)]
    votes = np.zeros((len(nearest), len(classes)))
    np.add.at(votes, (np.arange(len(nearest))[:, None], nearest), 1)
    return float(np.mean(classes[votes.argmax(axis=1)] == np.asarray(test_labels)))  # argmax: first of equals


def nearest_neighbours(train: np.ndarray, test: np.ndarray, k: int) -> np.ndarray:
    """Indices (M, k) of each test row's k nearest train rows, nearest first; exact. 10,000 MNIST
    test codes (the shipped VAE's, first d numbers) against 60,000 took (s, 1 thread) with scipy's
    k-d tree 0.03 / 0.12 / 0.34 / 1.1 / 2.8 / 4.7 / 53 at d = 2 / 8 / 10 / 12 / 14 / 16 / 32, and in
    blocked matrix products ~2.2-3 at any d; scikit-learn's KNeighborsClassifier took 11 s at 32."""
    k = min(k, len(train))
    if train.shape[1] <= KD_TREE_MAX_DIM:
        from scipy.spatial import cKDTree

        return cKDTree(train).query(test, k=k)[1].reshape(len(test), k)
    return _blocked_neighbours(torch.as_tensor(train), torch.as_tensor(test), k).numpy()


@torch.no_grad()
def _blocked_neighbours(train: torch.Tensor, test: torch.Tensor, k: int) -> torch.Tensor:
    """k nearest by float32 matrix products over cache-sized blocks, then the best k + KNN_SPARE
    candidates re-ranked by exact float64 distances (float32 could swap near-ties)."""
    centre = train.mean(dim=0)
    train32, test32 = (train - centre).float(), (test - centre).float()
    spare = min(k + KNN_SPARE, len(train))
    # |q - t|^2 = |q|^2 - 2 q.t + |t|^2, and |q|^2 is the same along a row: it can't change the order
    blocks = [(train32[j:j + KNN_BLOCK].T.contiguous(), (train32[j:j + KNN_BLOCK] ** 2).sum(dim=1), j)
              for j in range(0, len(train), KNN_BLOCK)]
    out = []
    for i in range(0, len(test), KNN_QUERIES):
        query = test32[i:i + KNN_QUERIES]
        distances, indices = [], []
        for block_t, block_sq, offset in blocks:
            d, ix = torch.addmm(block_sq, query, block_t, alpha=-2).topk(min(spare, len(block_sq)), dim=1,
                                                                         largest=False)
            distances.append(d)
            indices.append(ix + offset)
        candidates = torch.cat(indices, dim=1).gather(1, torch.cat(distances, dim=1).topk(spare, dim=1,
                                                                                          largest=False).indices)
        exact = ((train[candidates] - test[i:i + KNN_QUERIES, None]) ** 2).sum(dim=2)
        out.append(candidates.gather(1, exact.topk(k, dim=1, largest=False).indices))  # topk: sorted
    return torch.cat(out)


def pca_mse(train_images: torch.Tensor, test_images: torch.Tensor, n_components: int) -> float:
    """Per-pixel MSE of a PCA reconstruction with n_components, fitted on train (clipped to [0, 1])."""
    from lvm_core.maps.pca import fit_pca, pca_reconstruct

    return per_pixel_mse(test_images, pca_reconstruct(fit_pca(train_images, n_components), test_images, n_components))
