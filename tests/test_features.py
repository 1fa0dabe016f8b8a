"""Latent codes as features: the accuracy table and the codes download."""
from __future__ import annotations

import io

import numpy as np
import pytest

from lvm_core import load_checkpoint
from lvm_core.storage.catalog import SHIPPED_DIR
from lvm_core.analysis.features import codes_csv, feature_table, logreg_accuracy


def test_feature_table_on_digits_has_a_row_per_representation(digits):
    train, test = digits
    models = {name: load_checkpoint(SHIPPED_DIR / f"digits-{name.lower()}-mlp-8.safetensors").model
              for name in ("AE", "VAE")}
    rows = feature_table(train, test, models, n_train=None, n_test=None)
    assert [(r.name, r.dims) for r in rows] == [("raw pixels", 64), ("PCA", 8), ("AE", 8), ("VAE", 8)]
    by_name = {r.name: r for r in rows}
    assert by_name["raw pixels"].knn5 > 0.95  # sklearn's 8x8 digits are easy for 5-NN on pixels
    for r in rows:
        assert 0.8 < r.knn5 <= 1 and 0.8 < r.logreg <= 1, r
        # Accuracies are fractions of the 360 test images: a real score, not a placeholder.
        assert (r.knn5 * len(test)) == pytest.approx(round(r.knn5 * len(test)))


def test_logreg_separates_separable_data_and_not_noise():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 5))
    y = (x[:, 0] > 0).astype(int)
    assert logreg_accuracy(x[:300], y[:300], x[300:], y[300:]) > 0.95
    noise = rng.integers(0, 2, 400)
    assert logreg_accuracy(x[:300], noise[:300], x[300:], noise[300:]) < 0.7


def test_codes_csv_round_trips():
    codes = np.array([[0.5, -1.25], [3.0, 1e-7]], dtype=np.float32)
    data = codes_csv(codes, np.array([7, 2]))
    assert data.decode().splitlines()[0] == "index,label,z0,z1"
    back = np.loadtxt(io.BytesIO(data), delimiter=",", skiprows=1)
    assert back[:, :2].tolist() == [[0, 7], [1, 2]]
    assert np.allclose(back[:, 2:], codes, rtol=1e-6)
