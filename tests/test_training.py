import math

import pytest
import torch

from lvm_core import ModelConfig, TrainConfig, TrainingDiverged, build_model, fit
from lvm_core.training import StepReport


def digits_model(kind="ae", seed=0):
    return build_model(ModelConfig(kind=kind, arch="mlp", image_shape=(1, 8, 8), latent_dim=4, hidden=(32,)), seed=seed)


@pytest.mark.parametrize("kind", ["ae", "vae"])
def test_fit_reduces_loss_and_records_history(digits, kind):
    train, test = digits
    steps = []
    result = fit(digits_model(kind), train.images, TrainConfig(epochs=4, batch_size=64, lr=3e-3),
                 test_images=test.images, on_step=steps.append)
    h = result.history
    assert [r["epoch"] for r in h] == [1, 2, 3, 4] and result.epochs_completed == 4 and not result.stopped
    assert h[-1]["loss"] < h[0]["loss"] and h[-1]["test_loss"] < h[0]["test_loss"]
    if kind == "vae":
        assert {"recon", "kl", "test_recon", "test_kl"} <= set(h[0])
    assert len(steps) == 4 * math.ceil(len(train) / 64)
    assert isinstance(steps[0], StepReport) and steps[-1].step == steps[-1].steps_per_epoch


def test_same_seed_same_weights(digits):
    train, _ = digits
    def run(seed):
        m = digits_model("vae")
        fit(m, train.images, TrainConfig(epochs=2, batch_size=64, seed=seed, input_noise=0.1))
        return torch.cat([p.flatten() for p in m.parameters()])
    a, b, c = run(0), run(0), run(1)
    assert torch.equal(a, b)
    assert not torch.equal(a, c)


def test_stop_flag_keeps_last_completed_epoch(digits):
    train, _ = digits
    snapshots = []
    model = digits_model()
    calls = {"n": 0}
    steps_per_epoch = math.ceil(len(train) / 64)

    def on_epoch(record):
        snapshots.append({k: v.clone() for k, v in model.state_dict().items()})

    def should_stop():
        calls["n"] += 1
        return calls["n"] > steps_per_epoch + 3  # stop 3 steps into epoch 2

    result = fit(model, train.images, TrainConfig(epochs=5, batch_size=64), on_epoch=on_epoch, should_stop=should_stop)
    assert result.stopped and result.epochs_completed == 1 and len(result.history) == 1
    for k, v in model.state_dict().items():
        assert torch.equal(v, snapshots[0][k]), "the model must hold epoch 1's weights, not a half epoch"


def test_nan_loss_stops_with_a_clear_message(digits):
    train, _ = digits
    model = digits_model()
    real_loss = model.loss
    calls = {"n": 0}

    def poisoned(x_in, x):
        calls["n"] += 1
        parts = real_loss(x_in, x)
        if calls["n"] == 30:
            parts["loss"] = parts["loss"] * float("nan")
        return parts

    model.loss = poisoned
    before = {k: v.clone() for k, v in model.state_dict().items()}
    with pytest.raises(TrainingDiverged, match="nan.*epoch 2.*nothing was saved"):
        fit(model, train.images, TrainConfig(epochs=5, batch_size=64))
    assert all(torch.isfinite(v).all() for v in model.state_dict().values())
    assert any(not torch.equal(v, before[k]) for k, v in model.state_dict().items()), "epoch 1 was kept"


def test_a_huge_learning_rate_diverges(digits):
    train, _ = digits
    with pytest.raises(TrainingDiverged, match="learning rate"):
        fit(digits_model("vae"), train.images, TrainConfig(epochs=20, batch_size=64, lr=1e4))
