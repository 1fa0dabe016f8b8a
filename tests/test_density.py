"""Latent density, rare images, debiased sampling weights and fit(sample_weights=...)."""
import numpy as np
import pytest
import torch

from lvm_core.factors.density import (class_shares, effective_sample_size, log_density, rare_mask, rarest,
                              resampling_weights, weighted_histograms)


def clustered_codes():
    """400 codes in a tight cluster plus 4 isolated ones (indices 400..403)."""
    rng = np.random.default_rng(0)
    return np.vstack([rng.normal(0, 0.3, (400, 2)), [[4, 4], [-4, 4], [4, -4], [-4, -4]]])


def test_weights_sum_to_one_and_favour_isolated_codes():
    log_p = log_density(clustered_codes(), components=2)
    w = resampling_weights(log_p, alpha=1.0)
    assert w.sum() == pytest.approx(1.0) and (w > 0).all()
    assert w[400:].min() > w[:400].max()
    assert set(rarest(log_p, 4)) == {400, 401, 402, 403}
    assert rare_mask(log_p, 0.01).sum() == 4


def test_alpha_zero_is_uniform_and_alpha_shrinks_the_effective_sample():
    log_p = log_density(clustered_codes(), components=2)
    np.testing.assert_allclose(resampling_weights(log_p, 0.0), 1 / len(log_p))
    assert effective_sample_size(resampling_weights(log_p, 0.0)) == pytest.approx(len(log_p))
    assert effective_sample_size(resampling_weights(log_p, 1.0)) < effective_sample_size(resampling_weights(log_p, 0.3))
    with pytest.raises(ValueError):
        resampling_weights(log_p, -1)


def test_histograms_and_class_shares_before_and_after_sum_to_one():
    values, labels = np.arange(10.0), np.array([0] * 8 + [1] * 2)
    w = np.array([0.01] * 8 + [0.46] * 2)
    _, before, after = weighted_histograms(values, w, bins=5)
    assert before.sum() == pytest.approx(1) and after.sum() == pytest.approx(1) and after[-1] > before[-1]
    b, a = class_shares(labels, w, 3)
    np.testing.assert_allclose(b, [0.8, 0.2, 0]) and np.testing.assert_allclose(a, [0.08, 0.92, 0])


def test_fit_with_sample_weights_trains_only_on_weighted_images(digits):
    from lvm_core import ModelConfig, TrainConfig, build_model, fit

    train, _ = digits
    weights = torch.zeros(len(train))
    weights[:10] = 1.0
    config = ModelConfig(kind="ae", image_shape=(1, 8, 8), latent_dim=4, hidden=(16,))
    model = build_model(config, seed=0)
    seen = []
    original = model.loss
    model.loss = lambda x_in, x, **kw: (seen.append(x.clone()), original(x_in, x, **kw))[1]
    fit(model, train.images, TrainConfig(epochs=1, batch_size=64), sample_weights=weights)
    batches = torch.cat(seen)
    assert len(batches) == len(train)
    allowed = train.images[:10].flatten(1)
    assert all((allowed == row).all(1).any() for row in batches.flatten(1))
    with pytest.raises(ValueError):
        fit(build_model(config), train.images, TrainConfig(epochs=1), sample_weights=torch.ones(3))


def test_debias_split_weights_the_train_split_and_marks_the_test_splits_rare_decile_from_one_fit(monkeypatch):
    from lvm_core.factors import density
    from lvm_core.generation import inference

    train, test = clustered_codes(), np.vstack([np.zeros((18, 2)), [[5, 5], [-5, -5]]])
    # the "model" is the identity: its codes are the images (N, 2); encode is what debias_split calls
    monkeypatch.setattr(inference, "encode", lambda model, images, labels=None: np.asarray(images))
    fits = []
    real = density.log_density
    monkeypatch.setattr(density, "log_density", lambda *a, **kw: (fits.append(1), real(*a, components=2, **kw))[1])
    weights, rare = density.debias_split(None, torch.from_numpy(train), torch.from_numpy(test), alpha=1.0)
    assert len(fits) == 1                                   # one mixture for both splits
    assert weights.shape == (len(train),) and float(weights.sum()) == pytest.approx(1.0)
    assert weights[400:].min() > weights[:400].max()        # the isolated train codes weigh most
    assert rare.shape == (len(test),) and rare.sum() == 2 and rare[-2:].all()   # the rarest tenth of 20
    np.testing.assert_allclose(weights.numpy(), resampling_weights(real(train, components=2), 1.0))
