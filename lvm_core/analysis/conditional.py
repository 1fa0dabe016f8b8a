"""A conditional model's two promises, in numbers (the CVAE page sections and benchmarks/cvae.py):

- **identity**: decode(z, y) draws class y. Scored by the dataset's shipped classifier (the LeNet of
  analysis/quality.py): the share of decodes it reads as the class asked for.
- **style**: the code z keeps what is not the class. Scored by the slant (factors/measure.py) measured on
  each source image and on its code decoded as class k: Spearman's rho over the images, for each k.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from lvm_core.factors.measure import slant
from lvm_core.generation.inference import decode


def every_class(model: nn.Module, codes: np.ndarray) -> np.ndarray:
    """codes (N, D) -> (N, K, H, W): each code decoded as each of the model's K classes ("same style, every class")."""
    codes = np.asarray(codes, np.float32)
    n, k = len(codes), model.config.n_classes
    images = decode(model, np.repeat(codes, k, axis=0), np.tile(np.arange(k), n))
    return images.reshape(n, k, *images.shape[1:])


def class_agreement(classifier, images: np.ndarray, wanted) -> np.ndarray:
    """(N,) bool: the classifier (analysis.quality.Classifier) reads images (N, H, W) as `wanted` (N,) or one class."""
    from lvm_core.analysis.quality import features_and_probs

    predicted = features_and_probs(classifier.net, images)[1].argmax(axis=1)
    return predicted == np.broadcast_to(np.asarray(wanted), predicted.shape)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rho of two (N,) arrays; 0 when either is constant."""
    from scipy.stats import spearmanr

    return float(spearmanr(a, b)[0]) if np.ptp(a) > 0 and np.ptp(b) > 0 else 0.0


@dataclass(frozen=True)
class StyleKept:
    accuracy: float                 # share of the N x K decodes the classifier reads as the class asked for
    class_accuracy: np.ndarray      # (K,) the same per class asked for
    slant_rho: np.ndarray           # (K,) Spearman of the sources' slant vs the slant of their decodes as class k
    n: int                          # source images

    @property
    def median_rho(self) -> float:
        return float(np.median(self.slant_rho))


def style_kept(model: nn.Module, codes: np.ndarray, source_slant: np.ndarray, classifier) -> StyleKept:
    """codes (N, D) (encoded from N images with their own classes), source_slant (N,) the slant measured on
    those images -> how well the rows decoded as every class keep the identity asked for and the slant."""
    rows = every_class(model, codes)
    n, k = rows.shape[:2]
    hits = np.stack([class_agreement(classifier, rows[:, c], c) for c in range(k)], axis=1)   # (N, K)
    rho = np.array([spearman(source_slant, slant(rows[:, c])) for c in range(k)])
    return StyleKept(float(hits.mean()), hits.mean(axis=0), rho, n)
