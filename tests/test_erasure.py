"""LEACE erasure: after it no linear probe reads the factor (R^2 ~ 0) and the codes have zero
covariance with it; measured on decodes like the mean-difference removal."""
import numpy as np
import pytest

from lvm_core.factors.directions import probe_r2
from lvm_core.factors.erasure import compare_erasure, fit_eraser


def correlated(n=4000, seed=0):
    """Codes (n, 6) whose factor is spread over three correlated dimensions."""
    rng = np.random.default_rng(seed)
    mixing = rng.standard_normal((6, 6))
    codes = rng.standard_normal((n, 6)) @ mixing
    values = codes[:, 0] - 2 * codes[:, 1] + 0.5 * codes[:, 2] + 0.3 * rng.standard_normal(n)
    return codes, values


def test_leace_leaves_no_linear_probe_above_chance_on_train_or_test():
    codes, values = correlated()
    eraser = fit_eraser("leace", codes[:3000], values[:3000], "toy")
    erased = eraser.remove(codes)
    assert probe_r2(codes[:3000], values[:3000], codes[3000:], values[3000:]) > 0.9   # readable before
    assert probe_r2(erased[:3000], values[:3000], erased[3000:], values[3000:]) < 0.02
    cov = np.cov(np.column_stack([erased[:3000], values[:3000]]), rowvar=False)[:-1, -1]
    np.testing.assert_allclose(cov, 0, atol=1e-4)   # the guarantee itself: zero covariance with the factor
    assert np.abs(erased - codes).mean() < np.abs(codes).mean()   # a small edit, not a wipe


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="leace"):
        fit_eraser("pca", np.zeros((20, 2)), np.zeros(20))


def test_compare_erasure_on_the_digits_vae_reaches_the_guarantee_and_keeps_identity():
    from conftest import ROOT
    from lvm_core import load_checkpoint, load_dataset
    from lvm_core.analysis.quality import find_classifier
    from lvm_core.factors.measure import measure_factors
    from lvm_core.generation.inference import encode

    ckpt = load_checkpoint(ROOT / "checkpoints" / "digits-vae-mlp-8.safetensors")
    train, test = load_dataset("digits", "train"), load_dataset("digits", "test")
    train_codes, test_codes = encode(ckpt.model, train.images), encode(ckpt.model, test.images)
    rows = {m: compare_erasure(ckpt.model, m, "slant", train_codes, measure_factors(train.images)["slant"],
                               test_codes, measure_factors(test.images)["slant"], labels=test.labels.numpy(),
                               classifier=find_classifier("digits"))
            for m in ("mean-difference", "leace")}
    assert rows["leace"]["probe_r2_before"] > 0.3 and rows["leace"]["probe_r2_after"] < 0.05
    assert rows["leace"]["spread_ratio"] < 1
    assert rows["leace"]["identity_kept"] is None or rows["leace"]["identity_kept"] > 0.7
