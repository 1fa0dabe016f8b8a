"""Sample quality: Fréchet distance, the shipped LeNet classifiers, scoring decoded samples."""
import numpy as np
import pytest
import torch

from conftest import ROOT
from lvm_core import CheckpointError
from lvm_core.analysis.quality import (Classifier, LeNet, classifier_path, feature_statistics, find_classifier,
                              frechet_distance, load_classifier, save_classifier, score_samples)

SHIPPED = sorted((ROOT / "checkpoints" / "classifiers").glob("*-lenet.safetensors"))


def _gaussian(n, d, shift=0.0, scale=1.0, seed=0):
    return shift + scale * np.random.default_rng(seed).standard_normal((n, d))


def test_frechet_of_identical_sets_is_zero():
    x = _gaussian(2000, 8)
    mu, sigma = feature_statistics(x)
    assert frechet_distance(mu, sigma, mu, sigma) == pytest.approx(0, abs=1e-6)


def test_frechet_grows_with_a_shift_and_matches_the_closed_form():
    mu, sigma = feature_statistics(_gaussian(20_000, 8))
    shifted = [frechet_distance(mu, sigma, *feature_statistics(_gaussian(20_000, 8, shift=s, seed=1)))
               for s in (0.0, 0.5, 2.0)]
    assert shifted[0] < 0.05 < shifted[1] < shifted[2]
    assert shifted[2] == pytest.approx(8 * 2.0 ** 2, rel=0.03)  # |mu1 - mu2|^2 = D * s^2
    # equal means, covariance 4I vs I: trace term D * (1 + 4 - 2 * 2) = D
    scaled = frechet_distance(mu, sigma, *feature_statistics(_gaussian(20_000, 8, scale=2.0, seed=2)))
    assert scaled == pytest.approx(8.0, rel=0.05)


def test_frechet_survives_singular_covariances():
    """Dead ReLU features give all-zero columns; the distance must stay finite and non-negative."""
    x = _gaussian(500, 6)
    x[:, :2] = 0.0
    y = _gaussian(500, 6, shift=1.0, seed=1)
    y[:, :2] = 0.0
    d = frechet_distance(*feature_statistics(x), *feature_statistics(y))
    assert np.isfinite(d) and d > 3


def test_feature_statistics_needs_two_samples():
    with pytest.raises(ValueError, match="at least 2"):
        feature_statistics(np.zeros((1, 4)))


def test_classifier_round_trips_without_pickle(tmp_path):
    net = LeNet((1, 8, 8)).eval()
    clf = Classifier(net=net, dataset="digits", class_names=tuple("0123456789"),
                     reference_mu=np.arange(84, dtype=np.float64), reference_sigma=np.eye(84),
                     metrics={"test_acc": 0.5})
    path = save_classifier(clf, tmp_path / "digits-lenet.safetensors")
    back = load_classifier(path)
    x = torch.rand(3, 1, 8, 8)
    torch.testing.assert_close(back.net(x), net(x))
    np.testing.assert_array_equal(back.reference_mu, clf.reference_mu)
    assert back.metrics == {"test_acc": 0.5} and back.image_shape == (1, 8, 8)
    assert find_classifier("digits", tmp_path).dataset == "digits"
    assert find_classifier("kmnist", tmp_path) is None


@pytest.mark.parametrize("content, why", [
    (b"", "not a classifier"),
    (b"\x80\x04K\x01.", "not a classifier"),   # a pickle
    (b"junkjunkjunkjunk", "not a classifier"),
])
def test_bad_classifier_files_give_one_clear_error(tmp_path, content, why):
    path = tmp_path / "x-lenet.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=why):
        load_classifier(path)
    with pytest.raises(CheckpointError, match="train-classifier"):
        load_classifier(tmp_path / "missing-lenet.safetensors")


def test_a_model_checkpoint_is_not_a_classifier():
    with pytest.raises(CheckpointError, match="not a classifier|format"):
        load_classifier(ROOT / "checkpoints" / "digits-vae-mlp-8.safetensors")


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.stem)
def test_shipped_classifier_loads_and_knows_its_test_set(path):
    from lvm_core.data.datasets import is_available, load_dataset

    clf = load_classifier(path)
    assert classifier_path(clf.dataset) == path
    assert clf.metrics["test_acc"] > 0.85
    assert clf.reference_sigma.shape == (84, 84)
    if not is_available(clf.dataset):
        pytest.skip(f"{clf.dataset} not in $LVM_DATA_DIR")
    test = load_dataset(clf.dataset, "test")
    real = score_samples(clf, test.images[:2000])
    noise = score_samples(clf, np.random.default_rng(0).random((2000,) + clf.image_shape[1:]))
    assert real.frechet < 5 and real.confidence > 0.8  # Fashion-MNIST: 88% test accuracy
    assert noise.frechet > 20 * max(real.frechet, 1.0) and noise.confidence < real.confidence


def test_all_three_classifiers_are_shipped():
    assert {p.stem for p in SHIPPED} >= {"mnist-lenet", "fashion-mnist-lenet", "digits-lenet"}


def test_score_samples_rejects_nan_and_wrong_sizes():
    clf = Classifier(net=LeNet((1, 8, 8)).eval(), dataset="digits", class_names=tuple("0123456789"),
                     reference_mu=np.zeros(84), reference_sigma=np.eye(84))
    with pytest.raises(ValueError, match="NaN"):
        score_samples(clf, np.full((4, 8, 8), np.nan))
    with pytest.raises(ValueError, match="8x8"):
        score_samples(clf, np.zeros((4, 28, 28)))


def test_a_diverging_classifier_run_raises_and_returns_nothing(digits):
    from lvm_core import TrainingDiverged
    from lvm_core.analysis.quality import train_classifier

    train, test = digits
    with pytest.raises(TrainingDiverged, match="epoch 1, step 2"):
        train_classifier(train, test, epochs=1, lr=float("inf"))


def test_training_the_classifier_leaves_torch_global_random_state_alone(digits):
    import torch

    from lvm_core.analysis.quality import train_classifier

    train, test = digits
    torch.manual_seed(123)
    before = torch.get_rng_state()
    train_classifier(train.subset(200), test.subset(50), epochs=1)
    assert torch.equal(torch.get_rng_state(), before)
