import numpy as np
import pytest

from lvm_core import ModelConfig, TrainConfig, build_model, fit
from lvm_core.metrics import evaluate, knn_accuracy, pca_mse


def test_pca_mse_falls_with_more_components(digits):
    train, test = digits
    errors = [pca_mse(train.images, test.images, k) for k in (2, 8, 32)]
    assert errors[0] > errors[1] > errors[2] > 0


def test_knn_accuracy_on_separable_codes():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(3), 50)
    codes = rng.normal(size=(150, 2)) * 0.1 + labels[:, None] * 5
    assert knn_accuracy(codes, labels, codes + 0.01, labels) == 1.0
    assert knn_accuracy(codes, labels, rng.normal(size=(150, 2)), labels) < 0.8


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_evaluate_reports_the_named_metrics(digits, kind):
    train, test = digits
    model = build_model(ModelConfig(kind=kind, image_shape=(1, 8, 8), latent_dim=8, hidden=(64,)))
    untrained = evaluate(model, train, test)
    fit(model, train.images, TrainConfig(epochs=15, batch_size=64, lr=3e-3))
    m = evaluate(model, train, test)
    assert {"mse", "knn5_acc", "pca_mse"} <= set(m)
    assert ("neg_elbo" in m) == (kind == "vae")
    assert m["mse"] < untrained["mse"] / 2
    assert m["knn5_acc"] > 0.8
