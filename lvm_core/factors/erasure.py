"""Erasing a factor from codes, two ways, measured the same way.

- "mean-difference": the factor's direction (lvm_core.factors.directions): codes moved along the
  attribute vector until the fitted ridge probe reads the mean. It is exact only when the attribute
  vector is parallel to the codes' covariance with the factor (Gaussian codes, a linear factor);
  otherwise a probe fitted afresh on the moved codes still reads part of the factor.
- "leace": LEAst-squares Concept Erasure (Belrose et al., 2023), from the `concept-erasure` package: the
  smallest (in the codes' own metric) affine change after which the codes have zero covariance with
  the factor, so *no* linear regressor does better than the mean on the codes it was fitted on.

Both are fitted on train codes and applied to test codes; `compare_erasure` reports, for one method, a
fresh ridge probe's test R^2 before / after, the factor's spread measured on the decodes, and the
shipped classifier's accuracy on them (identity kept), through directions.remove_factor.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lvm_core.errors import InvalidInput
from lvm_core.factors.directions import fit_direction, probe_r2, remove_factor

METHODS = ("mean-difference", "leace")


@dataclass(frozen=True)
class LeaceErasure:
    """A fitted LEACE eraser for one factor, with the `factor` / `remove` a FactorDirection has."""
    factor: str
    eraser: object              # concept_erasure.LeaceEraser

    def remove(self, codes: np.ndarray) -> np.ndarray:
        """codes (N, D) -> (N, D) with the factor linearly erased."""
        import torch

        with torch.no_grad():
            return self.eraser(torch.as_tensor(np.asarray(codes, np.float64))).numpy().astype(np.float32)


def fit_leace(codes: np.ndarray, values: np.ndarray, factor: str = "") -> LeaceErasure:
    """codes (N, D), values (N,) or (N, K) -> the LEACE eraser fitted on them."""
    import warnings

    import torch
    with warnings.catch_warnings():   # the package's import calls torch.jit.script, deprecated in torch 2.14
        warnings.simplefilter("ignore", FutureWarning)
        from concept_erasure import LeaceEraser

    values = np.asarray(values, np.float64).reshape(len(values), -1)
    # standardised: the eraser depends only on the factor's span, but the package drops directions whose
    # whitened cross-covariance is below 0.01, which in raw units (degrees, pixels) would be arbitrary
    values = (values - values.mean(axis=0)) / np.where(values.std(axis=0) > 0, values.std(axis=0), 1.0)
    eraser = LeaceEraser.fit(torch.as_tensor(np.asarray(codes, np.float64)), torch.as_tensor(values))
    return LeaceErasure(factor, eraser)


def fit_eraser(method: str, codes: np.ndarray, values: np.ndarray, factor: str = ""):
    """The fitted eraser of a method ("mean-difference" or "leace"): anything with .factor and .remove(codes)."""
    if method == "leace":
        return fit_leace(codes, values, factor)
    if method == "mean-difference":
        return fit_direction(codes, values, factor)
    raise InvalidInput(f"unknown erasure method {method!r}; choose from {', '.join(METHODS)}")


def compare_erasure(model, method: str, factor: str, train_codes, train_values, test_codes, test_values,
                    decode_idx=None, labels=None, classifier=None) -> dict:
    """One method's erasure of one factor, fitted on train codes (N, D) / values (N,), scored on test:
    {"method", "factor", "probe_r2_before", "probe_r2_after" (a ridge refitted on the erased train codes,
    scored on the erased test codes), "spread_before", "spread_after", "spread_ratio", "accuracy_before",
    "accuracy_after", "identity_kept"}; the decodes are of test_codes[decode_idx] (all when None),
    labels (N,) those images' labels."""
    eraser = fit_eraser(method, train_codes, train_values, factor)
    erased_train, erased_test = eraser.remove(train_codes), eraser.remove(test_codes)
    idx = np.arange(len(test_codes)) if decode_idx is None else np.asarray(decode_idx)
    removal = remove_factor(model, np.asarray(test_codes)[idx], eraser,
                            None if labels is None else np.asarray(labels)[idx], classifier)
    return {"method": method, "factor": factor,
            "probe_r2_before": probe_r2(train_codes, train_values, test_codes, test_values),
            "probe_r2_after": probe_r2(erased_train, train_values, erased_test, test_values),
            "spread_before": removal.spread_before, "spread_after": removal.spread_after,
            "spread_ratio": removal.spread_ratio, "accuracy_before": removal.accuracy_before,
            "accuracy_after": removal.accuracy_after, "identity_kept": removal.identity_kept}
