import numpy as np
import pytest
import torch

from lvm_core import ModelConfig, TrainConfig, build_model, fit
from lvm_core.analysis.metrics import KNN_TEST_QUERIES, evaluate, knn_accuracy, knn_queries, pca_mse


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


def test_knn_queries_are_a_fixed_subset_of_a_large_split_and_all_of_a_small_one():
    assert list(knn_queries(KNN_TEST_QUERIES)) == list(range(KNN_TEST_QUERIES))
    big = knn_queries(10_000)
    assert len(big) == len(set(big)) == KNN_TEST_QUERIES and (np.diff(big) > 0).all() and big[-1] < 10_000
    assert (knn_queries(10_000) == big).all()     # the same images for every model
    assert big[-1] > 9_000 and big[0] < 1_000      # spread over the split, not its first rows


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


@pytest.mark.parametrize("dims, classes", [(2, 3), (16, 10), (24, 10)])
def test_knn_accuracy_equals_scikit_learns(dims, classes, monkeypatch):
    """Blocks smaller than the data, ties in the vote, labels that are not 0..n-1: same answer."""
    from sklearn.neighbors import KNeighborsClassifier

    from lvm_core.analysis import metrics

    monkeypatch.setattr(metrics, "KNN_BLOCK", 97)
    monkeypatch.setattr(metrics, "KNN_QUERIES", 31)
    rng = np.random.default_rng(dims)
    labels = rng.integers(0, classes, 700) * 7 + 3
    codes = rng.normal(size=(700, dims)).astype(np.float32) + labels[:, None] * 0.05 + 40
    queries = rng.normal(size=(300, dims)).astype(np.float32) + 40 + rng.integers(0, classes, (300, 1)) * 0.35
    query_labels = rng.integers(0, classes, 300) * 7 + 3
    for k in (4, 5):  # k = 4 makes 2-2 ties
        ours = knn_accuracy(codes, labels, queries, query_labels, k=k)
        expected = KNeighborsClassifier(n_neighbors=k).fit(codes, labels).score(queries, query_labels)
        assert ours == expected


def test_blocked_neighbours_are_the_exact_ones(monkeypatch):
    from scipy.spatial import cKDTree

    from lvm_core.analysis import metrics

    monkeypatch.setattr(metrics, "KNN_BLOCK", 64)
    rng = np.random.default_rng(1)
    train = rng.normal(size=(500, 40)) * 30 + 1000   # far from the origin: float32 alone would mis-rank
    test = train[rng.integers(0, 500, 90)] + rng.normal(size=(90, 40))
    found = metrics._blocked_neighbours(torch.as_tensor(train), torch.as_tensor(test), 5).numpy()
    np.testing.assert_array_equal(found, cKDTree(train).query(test, k=5)[1])
