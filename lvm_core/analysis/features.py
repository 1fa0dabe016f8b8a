"""Latent codes as features for a classifier: are a model's codes a better input than the raw
pixels, or than PCA codes of the same size? Scored by 5-NN and logistic-regression accuracy on
the test split (scikit-learn), with classifiers fitted on the train split."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from torch import nn

from lvm_core.data.builtin import ImageDataset
from lvm_core.generation.inference import encode
from lvm_core.analysis.metrics import knn_accuracy
from lvm_core.maps.pca import fit_pca
from lvm_core.storage.files import csv_text


@dataclass(frozen=True)
class FeatureScore:
    name: str                       # "raw pixels", "PCA", or a model's name
    dims: int                       # feature size
    knn5: float                     # test accuracy of 5 nearest neighbours (Euclidean, unscaled)
    logreg: float                   # test accuracy of logistic regression on standardised features


def logreg_accuracy(train_x: np.ndarray, train_y: np.ndarray, test_x: np.ndarray, test_y: np.ndarray) -> float:
    """Multinomial logistic regression on standardised features (so AE codes of any scale compare
    fairly); lbfgs capped at 300 iterations, where accuracy has long stopped moving."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(train_x, train_y)
    return float(clf.score(test_x, test_y))


def feature_table(train: ImageDataset, test: ImageDataset, models: dict[str, nn.Module],
                  n_train: int | None = 5000, n_test: int | None = 2000, seed: int = 0) -> list[FeatureScore]:
    """One row each for raw pixels, PCA with each model's latent size (fitted on the same train
    images) and each model's codes (the posterior mean for a VAE). Subsets keep the page quick:
    raw-pixel logistic regression on all 60,000 MNIST images takes minutes on a CPU."""
    from threadpoolctl import threadpool_limits

    train, test = train.subset(n_train, seed), test.subset(n_test, seed)
    y_train, y_test = train.labels.numpy(), test.labels.numpy()
    pixels_train, pixels_test = (d.images.reshape(len(d), -1).numpy() for d in (train, test))
    features = {("raw pixels", pixels_train.shape[1]): (pixels_train, pixels_test)}
    for k in sorted({m.config.latent_dim for m in models.values()}):
        pca = fit_pca(pixels_train, min(k, *pixels_train.shape))
        features[("PCA", k)] = (pca.place(pixels_train), pca.place(pixels_test))
    for name, model in models.items():
        # a conditional model is given each image's class: its codes need not hold it (and score low here)
        features[(name, model.config.latent_dim)] = (encode(model, train.images, train.labels),
                                                    encode(model, test.images, test.labels))
    rows = []
    # One BLAS thread: with two on this shared 2-core machine, the same fits ran several times slower.
    with threadpool_limits(1):
        for (name, dims), (x_train, x_test) in features.items():
            rows.append(FeatureScore(name, dims, knn_accuracy(x_train, y_train, x_test, y_test),
                                     logreg_accuracy(x_train, y_train, x_test, y_test)))
    return rows


def codes_csv(codes: np.ndarray, labels: np.ndarray) -> bytes:
    """codes (N, D), labels (N,) -> CSV bytes with columns index, label, z0..z{D-1}."""
    header = ["index", "label"] + [f"z{i}" for i in range(codes.shape[1])]
    rows = ([i, int(label)] + [f"{float(v):.6g}" for v in code] for i, (label, code) in enumerate(zip(labels, codes)))
    return csv_text(header, rows).encode()
