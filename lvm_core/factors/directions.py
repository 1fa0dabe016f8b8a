"""Factor directions in a model's latent space: move along them, read them, remove them.

A factor's direction is its attribute vector: the mean code of the images in the factor's top
quintile minus that of the bottom quintile (White, 2016; Larsen et al., 2016), normalised. It is
checked by decoding: codes moved along it must decode to images whose measured factor moves too
(`traverse`). A ridge probe's coefficient vector is *not* used to move codes: it reads the factor well
but decodes to almost no change (it leans on directions the decoder ignores). The probe is used to
*remove* a factor: codes are moved along the attribute vector until the probe reads the dataset
mean: the LEACE idea (Belrose et al., 2023), exact when the attribute vector is parallel to the codes'
covariance with the factor; lvm_core.factors.erasure has LEACE itself, with its guarantee.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from torch import nn

from lvm_core.errors import InvalidInput
from lvm_core.factors.measure import measure_factors
from lvm_core.generation.inference import decode

QUINTILE = 0.2
STEPS = np.linspace(-2.0, 2.0, 9)   # filmstrip positions, in steps of the codes' spread along the direction
RIDGE_ALPHA = 1.0


@dataclass(frozen=True)
class FactorDirection:
    factor: str
    unit: np.ndarray            # (D,) attribute vector, unit length, pointing towards larger values
    probe: np.ndarray           # (D,) ridge coefficients: probe(z) = probe . (z - mean_code) + mean_value
    mean_code: np.ndarray       # (D,) mean of the codes it was fitted on
    mean_value: float           # mean of the factor on those images
    step: float                 # std of the codes' coordinate along unit: one filmstrip step

    def move(self, codes: np.ndarray, steps=STEPS) -> np.ndarray:
        """codes (N, D) or (D,) -> (S, N, D) or (S, D): each code moved by steps[s] * step along unit."""
        codes = np.asarray(codes, np.float32)
        shift = np.asarray(steps, np.float32)[:, None] * np.float32(self.step) * self.unit.astype(np.float32)
        return codes[None] + (shift[:, None] if codes.ndim == 2 else shift)

    def read(self, codes: np.ndarray) -> np.ndarray:
        """codes (N, D) -> (N,) the probe's linear reading of the factor."""
        return (np.asarray(codes, np.float64) - self.mean_code) @ self.probe + self.mean_value

    def remove(self, codes: np.ndarray) -> np.ndarray:
        """codes (N, D) -> (N, D) moved along unit until the probe reads the dataset mean."""
        codes = np.asarray(codes, np.float64)
        gain = float(self.unit @ self.probe)   # how much the probe's reading changes per unit along `unit`
        if abs(gain) <= 1e-3 * np.linalg.norm(self.probe):   # the probe cannot see this direction: nothing to undo
            return codes.astype(np.float32)
        shift = (codes - self.mean_code) @ self.probe / gain
        return (codes - shift[:, None] * self.unit).astype(np.float32)


def fit_direction(codes: np.ndarray, values: np.ndarray, factor: str = "", quantile: float = QUINTILE,
                  alpha: float = RIDGE_ALPHA) -> FactorDirection:
    """codes (N, D), values (N,) -> the factor's direction: top-quantile mean code minus bottom-quantile."""
    from sklearn.linear_model import Ridge

    codes, values = np.asarray(codes, np.float64), np.asarray(values, np.float64)
    if len(codes) != len(values) or len(codes) < 10:
        raise InvalidInput("a factor direction needs at least 10 codes, each with its measured value")
    lo, hi = np.quantile(values, [quantile, 1 - quantile])
    top, bottom = values >= hi, values <= lo
    if hi <= lo:   # most images share one value (MNIST's height): split at the mean instead
        top, bottom = values > values.mean(), values <= values.mean()
    diff = codes[top].mean(axis=0) - codes[bottom].mean(axis=0) if top.any() and bottom.any() else 0 * codes[0]
    norm = np.linalg.norm(diff)
    # a factor that never varies has no direction: moving along it and removing it change nothing
    unit = diff / norm if norm > 1e-12 else np.zeros_like(diff)
    mean = codes.mean(axis=0)
    probe = Ridge(alpha=alpha).fit(codes - mean, values).coef_
    return FactorDirection(factor, unit, probe, mean, float(values.mean()), float(((codes - mean) @ unit).std()))


def fit_directions(codes: np.ndarray, table: dict[str, np.ndarray]) -> dict[str, FactorDirection]:
    """One direction per factor of a measured table (lvm_core.factors.measure.measure_factors)."""
    return {name: fit_direction(codes, values, name) for name, values in table.items()}


@dataclass(frozen=True)
class Traversal:
    steps: np.ndarray           # (S,) positions, in steps
    frames: np.ndarray          # (S, N, H, W) decodes
    values: np.ndarray          # (S, N) the factor measured on each decode
    rho: float                  # Spearman correlation of step and mean measured value (1 = always rises)

    @property
    def mean(self) -> np.ndarray:
        return self.values.mean(axis=1)


def traverse(model: nn.Module, codes: np.ndarray, direction: FactorDirection, steps=STEPS,
             labels=None) -> Traversal:
    """Decode codes (N, D) moved along a direction and measure the factor on every frame
    (labels (N,) or one class: what a conditional model draws each code as)."""
    from scipy.stats import spearmanr

    moved = direction.move(np.atleast_2d(codes), steps)
    s, n, d = moved.shape
    classes = None if labels is None else np.tile(np.broadcast_to(np.asarray(labels), (n,)), s)
    frames = decode(model, moved.reshape(s * n, d), classes)
    values = measure_factors(frames)[direction.factor].reshape(s, n)
    mean = values.mean(axis=1)
    rho = float(spearmanr(steps, mean)[0]) if np.ptp(mean) > 0 else 0.0
    return Traversal(np.asarray(steps), frames.reshape(s, n, *frames.shape[1:]), values, rho)


def tracked_factors(codes: np.ndarray, table: dict[str, np.ndarray]) -> list[tuple[str, float]]:
    """For each latent dimension of codes (N, D), the measured factor it tracks most and their Pearson r
    over the N images (table: {factor: (N,)}, measure_factors'): [(factor, r)] * D, the largest |r| per
    dimension. A constant dimension or factor correlates with nothing (r = 0)."""
    codes = np.asarray(codes, np.float64)
    z = codes - codes.mean(axis=0)
    z_norm = np.linalg.norm(z, axis=0)
    best: list[tuple[str, float]] = [("", 0.0)] * codes.shape[1]
    for name, values in table.items():
        v = np.asarray(values, np.float64) - np.mean(values)
        scale = z_norm * np.linalg.norm(v)
        r = np.divide(v @ z, scale, out=np.zeros(codes.shape[1]), where=scale > 1e-12)
        best = [(name, float(r[d])) if abs(r[d]) > abs(best[d][1]) else best[d] for d in range(codes.shape[1])]
    return best


def probe_r2(train_codes, train_targets, test_codes, test_targets, alpha: float = RIDGE_ALPHA) -> float:
    """R^2 on the test codes of a ridge regression fitted on the train codes. Targets (N,) or (N, K)
    (one-hot classes: R^2 averaged over the classes)."""
    from sklearn.linear_model import Ridge

    model = Ridge(alpha=alpha).fit(train_codes, train_targets)
    return float(model.score(test_codes, test_targets))


def one_hot(labels: np.ndarray, n_classes: int | None = None) -> np.ndarray:
    labels = np.asarray(labels, int)
    return np.eye(n_classes or labels.max() + 1, dtype=np.float32)[labels]


def probe_table(train_codes, train_table: dict, train_labels, test_codes, test_table: dict, test_labels) -> dict:
    """{factor or "class": test R^2 of a ridge probe}: how linearly each factor is readable from codes.
    The class row (one-hot labels) is the reference: what the codes are known to hold."""
    k = int(max(np.max(train_labels), np.max(test_labels))) + 1
    rows = {name: probe_r2(train_codes, train_table[name], test_codes, test_table[name]) for name in train_table}
    rows["class"] = probe_r2(train_codes, one_hot(train_labels, k), test_codes, one_hot(test_labels, k))
    return rows


@dataclass(frozen=True)
class Removal:
    codes: np.ndarray           # (N, D) the codes with the factor removed
    before: np.ndarray          # (N, H, W) decodes of the plain codes (reconstructions)
    after: np.ndarray           # (N, H, W) decodes of the debiased codes
    spread_before: float        # std of the factor measured on `before`
    spread_after: float         # ... on `after`
    accuracy_before: float | None = None   # classifier accuracy on `before` (None: no classifier)
    accuracy_after: float | None = None

    @property
    def spread_ratio(self) -> float:
        return self.spread_after / self.spread_before if self.spread_before > 0 else 1.0

    @property
    def identity_kept(self) -> float | None:
        """Classifier accuracy on the debiased decodes as a fraction of its accuracy on reconstructions."""
        if self.accuracy_before is None or not self.accuracy_before:
            return None
        return self.accuracy_after / self.accuracy_before


def remove_factor(model: nn.Module, codes: np.ndarray, direction: FactorDirection, labels=None,
                  classifier=None) -> Removal:
    """Decode codes (N, D) before and after removing a factor; measure its spread on both and, given a
    classifier (lvm_core.analysis.quality.Classifier) and labels (N,), how much identity survives."""
    from lvm_core.analysis.quality import features_and_probs

    debiased = direction.remove(codes)
    before, after = decode(model, codes, labels), decode(model, debiased, labels)   # labels: a CVAE's classes
    spread = [float(measure_factors(x)[direction.factor].std()) for x in (before, after)]
    accuracy = [None, None]
    if classifier is not None and labels is not None:
        labels = np.asarray(labels)
        accuracy = [float((features_and_probs(classifier.net, x)[1].argmax(axis=1) == labels).mean())
                    for x in (before, after)]
    return Removal(debiased, before, after, spread[0], spread[1], accuracy[0], accuracy[1])
