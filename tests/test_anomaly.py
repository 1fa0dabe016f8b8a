"""Anomaly scores: reconstruction error, a percentile threshold, and the held-out-class ROC."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from lvm_core import load_checkpoint
from lvm_core.analysis.anomaly import (DEFAULT_PERCENTILE, anomaly_scores, held_out_roc, most_anomalous,
                              probes, threshold_at)
from lvm_core.storage.catalog import SHIPPED_DIR

from conftest import requires_mnist


@pytest.mark.parametrize("name", ["digits-ae-mlp-8", "digits-vae-mlp-8"])
def test_inverted_and_white_images_score_above_the_pages_threshold(name, digits):
    ckpt = load_checkpoint(SHIPPED_DIR / f"{name}.safetensors")
    _, test = digits
    errors, recon = anomaly_scores(ckpt.model, test.images)
    assert errors.shape == (len(test),) and recon.shape == (len(test), 8, 8)
    threshold = threshold_at(errors, DEFAULT_PERCENTILE)  # what the Anomalies page uses by default
    assert (errors > threshold).mean() == pytest.approx(0.01, abs=0.005)
    inverted, _ = anomaly_scores(ckpt.model, 1 - test.images[:50])
    assert (inverted > threshold).all()
    for probe in ("all white", "uniform noise"):
        image = probes(test.images[0].numpy())[probe]
        assert anomaly_scores(ckpt.model, torch.from_numpy(image)[None])[0][0] > threshold, probe


@requires_mnist
def test_on_mnist_inverted_digits_are_flagged_but_a_black_frame_is_not():
    """The limit the page states: reconstruction error flags what the model cannot draw, and an
    empty frame is easy to draw."""
    from lvm_core import load_dataset

    ckpt = load_checkpoint(SHIPPED_DIR / "mnist-ae-mlp-32-no7.safetensors")
    test = load_dataset("mnist", "test")
    errors, _ = anomaly_scores(ckpt.model, test.images[:2000])
    threshold = threshold_at(errors)
    assert (anomaly_scores(ckpt.model, 1 - test.images[:100])[0] > threshold).all()
    black = anomaly_scores(ckpt.model, torch.zeros(1, 1, 28, 28))[0][0]
    assert black < np.percentile(errors, 1)


def test_threshold_and_ranking():
    errors = np.arange(1000, dtype=float)
    assert threshold_at(errors, 99) == pytest.approx(989.01)
    assert most_anomalous(errors, 3).tolist() == [999, 998, 997]
    assert most_anomalous(np.array([0.1, 0.5, 0.5, 0.2]), 2).tolist() == [1, 2]  # ties keep data order


def test_held_out_roc_ranks_a_separable_class_perfectly_and_noise_at_chance():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 100)
    errors = rng.random(1000) + (labels == 7) * 2.0
    result = held_out_roc(errors, labels, [7])
    assert result.auroc == 1.0 and result.detected == 1.0
    assert result.n_unseen == 100 and result.n_seen == 900
    assert result.false_alarms == pytest.approx(0.01, abs=0.002)  # the threshold is set on seen classes only
    assert result.threshold == pytest.approx(np.percentile(errors[labels != 7], 99))
    assert result.fpr[0] == 0 and result.tpr[-1] == 1

    chance = held_out_roc(rng.random(1000), labels, [7])
    assert 0.4 < chance.auroc < 0.6
    with pytest.raises(ValueError, match="both"):
        held_out_roc(errors, labels, [11])

