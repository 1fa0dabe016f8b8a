"""Disentanglement scores of a model's codes against the measured factors and the label: MIG, DCI, SAP.

Each score asks how far single code dimensions hold single factors, in its own way, so they disagree
with each other, and none can be judged without the factors' labels (Locatello et al., 2019):
- MIG (Chen et al., 2018): every code dimension and every continuous factor are discretised into 20
  equal-width bins; per factor, the mutual information of its top two dimensions, their gap divided by
  the factor's entropy, averaged over factors.
- DCI (Eastwood & Williams, 2018), with a *linear* importance (not gradient boosting: seconds, not
  minutes, on 32-d codes): per factor a ridge regression on standardised codes (the label: one-hot, one
  ridge per class); importance = |coefficient| (summed over classes). Disentanglement: 1 - entropy of
  each dimension's importance over factors, weighted by the dimension's share; completeness: 1 - entropy
  of each factor's importance over dimensions; informativeness: test R^2 (label: test accuracy), averaged.
- SAP (Kumar et al., 2018): per factor and dimension, the test R^2 of a straight line from that one
  dimension (continuous factors) or the test accuracy of the majority label in each of the dimension's 20
  bins (the label); the gap between the top two dimensions, averaged over factors.
Every function takes train and test codes (N, D) and {factor: (N,)} tables in which "label" is discrete.
"""
from __future__ import annotations

import numpy as np

BINS = 20
DISCRETE = ("label",)   # factors compared as classes, not as numbers
RIDGE_ALPHA = 1.0


def discretise(values: np.ndarray, bins: int = BINS) -> np.ndarray:
    """(N,) or (N, D) -> the same shape of ints in [0, bins): equal-width bins over each column's range."""
    values = np.asarray(values, np.float64)
    flat = values.reshape(len(values), -1)
    lo, hi = flat.min(axis=0), flat.max(axis=0)
    width = np.where(hi > lo, (hi - lo) / bins, 1.0)
    return np.clip(((flat - lo) / width).astype(int), 0, bins - 1).reshape(values.shape)


def _as_classes(name: str, values: np.ndarray) -> np.ndarray:
    return np.asarray(values, int) if name in DISCRETE else discretise(values)


def mig(codes: np.ndarray, table: dict[str, np.ndarray]) -> tuple[float, np.ndarray]:
    """(MIG, (D, K) mutual information in nats of each code dimension with each factor)."""
    from sklearn.metrics import mutual_info_score

    binned = discretise(codes)
    mi = np.zeros((binned.shape[1], len(table)))
    gaps = []
    for k, (name, values) in enumerate(table.items()):
        classes = _as_classes(name, values)
        mi[:, k] = [mutual_info_score(classes, binned[:, j]) for j in range(binned.shape[1])]
        entropy = mutual_info_score(classes, classes)
        top = np.sort(mi[:, k])[::-1]
        second = top[1] if len(top) > 1 else 0.0
        gaps.append((top[0] - second) / entropy if entropy > 0 else 0.0)
    return float(np.mean(gaps)), mi


def _standardise(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std > 1e-12, std, 1.0)
    return (train - mean) / std, (test - mean) / std


def _entropy_score(weights: np.ndarray, axis: int) -> np.ndarray:
    """1 - entropy (base: the axis' length) of weights normalised along axis; 1 = all on one entry."""
    n = weights.shape[axis]
    p = weights / np.maximum(weights.sum(axis=axis, keepdims=True), 1e-12)
    logs = np.log(np.where(p > 0, p, 1.0)) / np.log(n) if n > 1 else np.zeros_like(p)
    return 1.0 + (p * logs).sum(axis=axis)


def dci(train_codes, train_table: dict, test_codes, test_table: dict) -> tuple[dict[str, float], np.ndarray]:
    """({"disentanglement", "completeness", "informativeness"}, (D, K) importance of each dimension
    for each factor, each column summing to 1)."""
    from sklearn.linear_model import Ridge

    x_train, x_test = _standardise(np.asarray(train_codes, np.float64), np.asarray(test_codes, np.float64))
    importance = np.zeros((x_train.shape[1], len(train_table)))
    informative = []
    for k, name in enumerate(train_table):
        y_train, y_test = np.asarray(train_table[name]), np.asarray(test_table[name])
        if name in DISCRETE:
            classes = np.unique(np.concatenate([y_train, y_test]))
            ridge = Ridge(alpha=RIDGE_ALPHA).fit(x_train, (y_train[:, None] == classes).astype(float))
            importance[:, k] = np.abs(ridge.coef_).sum(axis=0)
            informative.append(float((classes[ridge.predict(x_test).argmax(axis=1)] == y_test).mean()))
        else:
            scale = y_train.std() or 1.0
            ridge = Ridge(alpha=RIDGE_ALPHA).fit(x_train, y_train / scale)
            importance[:, k] = np.abs(ridge.coef_)
            informative.append(max(0.0, float(ridge.score(x_test, y_test / scale))))
    importance /= np.maximum(importance.sum(axis=0, keepdims=True), 1e-12)
    share = importance.sum(axis=1) / max(importance.sum(), 1e-12)
    scores = {"disentanglement": float((share * _entropy_score(importance, axis=1)).sum()),
              "completeness": float(_entropy_score(importance, axis=0).mean()),
              "informativeness": float(np.mean(informative))}
    return scores, importance


def _bin_accuracy(train_dim, train_labels, test_dim, test_labels) -> float:
    """Test accuracy of predicting the majority train label of each of a dimension's BINS bins."""
    lo, hi = train_dim.min(), train_dim.max()
    width = (hi - lo) / BINS if hi > lo else 1.0
    to_bin = lambda v: np.clip(((v - lo) / width).astype(int), 0, BINS - 1)
    labels = np.asarray(train_labels, int)
    counts = np.zeros((BINS, labels.max() + 1))
    np.add.at(counts, (to_bin(train_dim), labels), 1)
    majority = counts.argmax(axis=1)
    return float((majority[to_bin(test_dim)] == np.asarray(test_labels)).mean())


def _line_r2(train_dim, train_values, test_dim, test_values) -> float:
    slope, intercept = np.polyfit(train_dim, train_values, 1) if np.ptp(train_dim) > 0 else (0.0, train_values.mean())
    residual = ((test_values - (slope * test_dim + intercept)) ** 2).sum()
    total = ((test_values - test_values.mean()) ** 2).sum()
    return max(0.0, 1.0 - residual / total) if total > 0 else 0.0


def sap(train_codes, train_table: dict, test_codes, test_table: dict) -> tuple[float, np.ndarray]:
    """(SAP, (D, K) per-dimension score: test R^2 of a line, or the label's test accuracy from bins)."""
    train_codes, test_codes = np.asarray(train_codes, np.float64), np.asarray(test_codes, np.float64)
    score = np.zeros((train_codes.shape[1], len(train_table)))
    for k, name in enumerate(train_table):
        fit = _bin_accuracy if name in DISCRETE else _line_r2
        y_train, y_test = np.asarray(train_table[name], np.float64), np.asarray(test_table[name], np.float64)
        score[:, k] = [fit(train_codes[:, j], y_train, test_codes[:, j], y_test) for j in range(score.shape[0])]
    top = np.sort(score, axis=0)[::-1]
    gaps = top[0] - (top[1] if len(top) > 1 else 0.0)
    return float(gaps.mean()), score


def disentanglement_scores(train_codes, train_table: dict, test_codes, test_table: dict) -> dict:
    """{"mig", "dci": {...}, "sap", "factors": [names], "mi": (D, K), "importance": (D, K), "sap_matrix":
    (D, K)} as lists, ready for JSON. MIG is measured on the test codes; DCI and SAP fit on train, score on test.
    A factor that never varies (digits' 8x8 height) has nothing to find and is left out."""
    kept = [k for k in train_table if np.ptp(train_table[k]) > 0 and np.ptp(test_table[k]) > 0]
    train_table, test_table = {k: train_table[k] for k in kept}, {k: test_table[k] for k in kept}
    mig_score, mi = mig(test_codes, test_table)
    dci_scores, importance = dci(train_codes, train_table, test_codes, test_table)
    sap_score, sap_matrix = sap(train_codes, train_table, test_codes, test_table)
    return {"mig": mig_score, "dci": dci_scores, "sap": sap_score, "factors": list(train_table),
            "mi": mi.tolist(), "importance": importance.tolist(), "sap_matrix": sap_matrix.tolist()}


def known_answer_codes(n: int = 4000, rotate: bool = False, seed: int = 0) -> tuple[np.ndarray, dict]:
    """Synthetic (codes (n, 6), {factor: (n,)}) where the answer is known: five independent uniform factors
    and a 10-class label, each copied into its own code dimension (plus a little noise). Scores near 1;
    `rotate`: the same codes under a random rotation, every dimension a mixture of every factor (scores low)."""
    from lvm_core.factors.measure import FACTORS

    rng = np.random.default_rng(seed)
    table = {name: rng.uniform(0, 1, n) for name in FACTORS}
    table["label"] = rng.integers(0, 10, n)
    codes = np.stack([(v - v.mean()) / v.std() for v in table.values()], axis=1)
    codes = codes + 0.01 * rng.standard_normal(codes.shape)
    if rotate:
        q, r = np.linalg.qr(rng.standard_normal((codes.shape[1],) * 2))
        codes = codes @ (q * np.sign(np.diag(r)))
    return codes.astype(np.float32), table
