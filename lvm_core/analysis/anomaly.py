"""Anomaly detection with an autoencoder: an image the model reconstructs badly is one unlike its
training data. The score is the per-image reconstruction error (MSE from the deterministic code);
the threshold is a high percentile of the errors of images known to be normal."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lvm_core.errors import InvalidInput
from lvm_core.generation.inference import reconstruct, reconstruction_error

DEFAULT_PERCENTILE = 99.0   # flag the worst 1% of normal images: a false-alarm rate a person can review


def anomaly_scores(model: nn.Module, images: torch.Tensor, labels=None) -> tuple[np.ndarray, np.ndarray]:
    """images (N, C, H, W) in [0, 1] (labels (N,): a conditional model's classes) -> (scores (N,), recon (N, H, W))."""
    recon = reconstruct(model, images, labels)
    return reconstruction_error(images, recon), recon


def threshold_at(errors: np.ndarray, percentile: float = DEFAULT_PERCENTILE) -> float:
    """The error above which an image is called anomalous: `percentile` of normal images' errors."""
    return float(np.percentile(np.asarray(errors, dtype=np.float64), percentile))


def most_anomalous(errors: np.ndarray, n: int) -> np.ndarray:
    """Indices of the n largest errors, largest first."""
    return np.argsort(-np.asarray(errors), kind="stable")[:n]


@dataclass(frozen=True)
class HeldOutResult:
    """How well reconstruction error separates a class the model never saw from the classes it did."""
    held_out: tuple[int, ...]
    auroc: float                    # sklearn roc_auc_score: 1 = perfect ranking, 0.5 = chance
    fpr: np.ndarray                 # ROC curve: false-positive rate (seen classes flagged)...
    tpr: np.ndarray                 # ...against true-positive rate (unseen class flagged)
    threshold: float                # DEFAULT_PERCENTILE of the seen classes' errors
    detected: float                 # fraction of unseen images above the threshold
    false_alarms: float             # fraction of seen images above the threshold
    n_unseen: int
    n_seen: int


def held_out_roc(errors: np.ndarray, labels: np.ndarray, held_out,
                 percentile: float = DEFAULT_PERCENTILE) -> HeldOutResult:
    """errors, labels: (N,) over a test split that includes the held-out classes.
    Positives are the held-out images; the threshold is calibrated on the seen classes only,
    as it would be in use, where anomalies are not known in advance."""
    from sklearn.metrics import roc_auc_score, roc_curve

    errors, labels = np.asarray(errors), np.asarray(labels)
    unseen = np.isin(labels, list(held_out))
    if unseen.all() or not unseen.any():
        raise InvalidInput(f"the split needs images of both held-out {tuple(held_out)} and other classes")
    fpr, tpr, _ = roc_curve(unseen, errors)
    threshold = threshold_at(errors[~unseen], percentile)
    return HeldOutResult(
        held_out=tuple(int(c) for c in held_out), auroc=float(roc_auc_score(unseen, errors)), fpr=fpr, tpr=tpr,
        threshold=threshold, detected=float((errors[unseen] > threshold).mean()),
        false_alarms=float((errors[~unseen] > threshold).mean()), n_unseen=int(unseen.sum()),
        n_seen=int((~unseen).sum()))


def probes(image: np.ndarray, seed: int = 0) -> dict[str, np.ndarray]:
    """Made-up inputs to score beside a real image (C, H, W): its negative, blank frames and noise.
    Useful because they fail differently: an inverted digit or a white frame is far from anything
    seen, while on MNIST an all-black frame is *easier* to reconstruct than any digit and scores low."""
    image = np.asarray(image, dtype=np.float32)
    return {
        "inverted image": 1.0 - image,
        "all white": np.ones_like(image),
        "all black": np.zeros_like(image),
        "uniform noise": np.random.default_rng(seed).random(image.shape, dtype=np.float32),
    }
