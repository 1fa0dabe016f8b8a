import math
import threading

import pytest
import torch

from lvm_core import ModelConfig, TrainConfig, TrainingDiverged, build_model, fit
from lvm_core.errors import NeedsLabels
from lvm_core.training import fit as training
from lvm_core.training.fit import LOSS_READ_EVERY, StepReport

from conftest import requires_mnist


def digits_model(kind="ae", seed=0):
    return build_model(ModelConfig(kind=kind, arch="mlp", image_shape=(1, 8, 8), latent_dim=4, hidden=(32,),
                                   n_classes=10 if kind == "cvae" else 0), seed=seed)


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


def test_fit_with_labels_trains_a_cvae_that_uses_the_class(digits):
    train, test = digits
    model = digits_model("cvae")
    result = fit(model, train.images, TrainConfig(epochs=6, batch_size=64, lr=3e-3), labels=train.labels,
                 test_images=test.images, test_labels=test.labels)
    h = result.history
    assert h[-1]["loss"] < h[0]["loss"] and {"recon", "kl", "test_recon", "test_kl"} <= set(h[0])
    # told the wrong class, the same code decodes to a worse reconstruction: the decoder reads the class
    from lvm_core.generation.inference import encode, reconstruction_error, decode

    codes = encode(model, test.images, test.labels)
    right = reconstruction_error(test.images, decode(model, codes, test.labels)).mean()
    wrong = reconstruction_error(test.images, decode(model, codes, (test.labels + 1) % 10)).mean()
    assert wrong > 1.5 * right


def test_a_conditional_model_without_labels_is_one_clear_error(digits):
    train, test = digits
    config = TrainConfig(epochs=1)
    with pytest.raises(NeedsLabels, match="needs each image's class to train on it: give fit\\(\\) the labels"):
        fit(digits_model("cvae"), train.images, config)
    with pytest.raises(NeedsLabels, match=f"one class from 0 to 9 per row \\({len(train)} rows\\)"):
        fit(digits_model("cvae"), train.images, config, labels=train.labels[:10])
    with pytest.raises(NeedsLabels, match="one class from 0 to 9"):
        fit(digits_model("cvae"), train.images, config, labels=train.labels + 10)
    with pytest.raises(NeedsLabels):       # the test split's labels too, before any step
        fit(digits_model("cvae"), train.images, config, labels=train.labels, test_images=test.images)


def test_labels_change_nothing_for_a_model_that_takes_no_class(digits):
    train, _ = digits
    config = TrainConfig(epochs=1, batch_size=64)
    plain, given = digits_model("vae"), digits_model("vae")
    fit(plain, train.images, config)
    fit(given, train.images, config, labels=train.labels)
    assert all(torch.equal(a, b) for a, b in zip(plain.state_dict().values(), given.state_dict().values()))


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


def test_nan_loss_stops_within_a_bounded_number_of_steps_and_keeps_the_last_good_epoch(digits):
    train, _ = digits
    model = digits_model()
    real_loss = model.loss
    calls = {"n": 0}
    steps_per_epoch = math.ceil(len(train) / 64)
    poisoned_call = steps_per_epoch + 7   # epoch 2, step 7

    def poisoned(x_in, x, generator=None):
        calls["n"] += 1
        parts = real_loss(x_in, x, generator)
        if calls["n"] >= poisoned_call:   # from here on every loss is NaN, as a diverged run's are
            parts["loss"] = parts["loss"] * float("nan")
        return parts

    model.loss = poisoned
    epochs = []
    with pytest.raises(TrainingDiverged, match="nan at epoch 2, step 7.*nothing was saved"):
        fit(model, train.images, TrainConfig(epochs=5, batch_size=64),
            on_epoch=lambda r: epochs.append({k: v.clone() for k, v in model.state_dict().items()}))
    assert calls["n"] - poisoned_call < LOSS_READ_EVERY, "the guard must stop the run within LOSS_READ_EVERY steps"
    assert len(epochs) == 1
    for k, v in model.state_dict().items():
        assert torch.equal(v, epochs[0][k]), "the model must be back at epoch 1's weights"


def test_a_huge_learning_rate_diverges(digits):
    train, _ = digits
    with pytest.raises(TrainingDiverged, match="learning rate"):
        fit(digits_model("vae"), train.images, TrainConfig(epochs=20, batch_size=64, lr=1e4))


def test_fused_adam_gives_the_losses_of_plain_adam(digits, monkeypatch):
    train, test = digits
    config = TrainConfig(epochs=3, batch_size=64, lr=3e-3)

    def run():
        model = digits_model("vae")
        return fit(model, train.images, config, test_images=test.images).history, model

    fused_history, fused = run()
    assert training.make_optimizer(fused, 1e-3, torch.device("cpu")).defaults["fused"]
    monkeypatch.setattr(training, "make_optimizer",
                        lambda model, lr, device: torch.optim.Adam(model.parameters(), lr=lr, foreach=False))
    plain_history, plain = run()
    for f, p in zip(fused_history, plain_history):
        assert f["loss"] == pytest.approx(p["loss"], rel=1e-4) \
            and f["test_loss"] == pytest.approx(p["test_loss"], rel=1e-4)
    for a, b in zip(fused.parameters(), plain.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4)


def test_step_reports_arrive_in_order_with_the_epoch_means(digits):
    train, _ = digits
    steps = []
    result = fit(digits_model(), train.images, TrainConfig(epochs=2, batch_size=16), on_step=steps.append)
    per_epoch = math.ceil(len(train) / 16)
    assert per_epoch > LOSS_READ_EVERY  # several bursts per epoch
    assert [(r.epoch, r.step) for r in steps] == [(e, s) for e in (1, 2) for s in range(1, per_epoch + 1)]
    sizes = [16] * (per_epoch - 1) + [len(train) - 16 * (per_epoch - 1)]
    first_epoch = sum(r.loss * b for r, b in zip(steps[:per_epoch], sizes)) / len(train)
    assert result.history[0]["loss"] == pytest.approx(first_epoch, rel=1e-6)


def test_sample_weights_draw_in_proportion_and_never_a_weight_zero_image(digits):
    train, _ = digits
    n = len(train)
    marked = train.images.clone()
    marked[::3] = 1.0                      # every third image: all white, and weight 0
    weights = torch.ones(n)
    weights[::3] = 0.0
    seen = []
    model = digits_model()
    real_loss = model.loss

    def watching(x_in, x, generator=None):
        seen.append(x.flatten(1).min(dim=1).values)
        return real_loss(x_in, x, generator)

    model.loss = watching
    fit(model, marked, TrainConfig(epochs=3, batch_size=64), sample_weights=weights)
    drawn = torch.cat(seen)
    assert len(drawn) == 3 * n and not (drawn == 1.0).any(), "an image of weight 0 was drawn"

    order = training.epoch_order(n, torch.Generator().manual_seed(0), torch.tensor([0.0, 1.0, 3.0]).repeat(n // 3))
    counts = torch.bincount(order % 3, minlength=3).float() / len(order)
    assert counts[0] == 0 and counts[2] / counts[1] == pytest.approx(3.0, rel=0.15)


@pytest.mark.parametrize("weights, message", [(torch.ones(5), "one weight per training image"),
                                              ("negative", "non-negative"), ("zeros", "not all zero")])
def test_bad_sample_weights_are_refused_before_training(digits, weights, message):
    train, _ = digits
    if weights == "negative":
        weights = -torch.ones(len(train))
    elif weights == "zeros":
        weights = torch.zeros(len(train))
    with pytest.raises(ValueError, match=message):
        fit(digits_model(), train.images, TrainConfig(epochs=1), sample_weights=weights)


def _weights(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_a_run_beside_another_gives_the_weights_it_gives_alone(digits):
    """Init, order, input noise and reparameterization all come from the run's own generators:
    another run training in another thread (and drawing from torch's global RNG) changes nothing."""
    train, test = digits
    config = TrainConfig(epochs=2, batch_size=32, seed=3, input_noise=0.2, threads=1)

    def run():
        model = digits_model("vae", seed=3)
        fit(model, train.images, config, test_images=test.images)
        return _weights(model)

    alone = run()
    other_started = threading.Event()
    done = threading.Event()

    def other():
        model = digits_model("vae", seed=9)
        other_started.set()
        while not done.is_set():
            torch.randn(100)      # a careless neighbour drawing from the global RNG
            fit(model, train.images, TrainConfig(epochs=1, batch_size=16, seed=9, input_noise=0.1, threads=1))

    thread = threading.Thread(target=other, daemon=True)
    thread.start()
    assert other_started.wait(60)
    try:
        beside = run()
    finally:
        done.set()
        thread.join(120)
    assert alone.keys() == beside.keys()
    for k in alone:
        assert torch.equal(alone[k], beside[k]), f"{k} differs when another run trains beside it"


def test_build_model_with_a_seed_gives_torchs_default_init_without_touching_the_global_rng():
    from lvm_core.models import MODEL_KINDS

    for config in (ModelConfig(kind="vae", image_shape=(1, 8, 8), latent_dim=4, hidden=(32,)),
                   ModelConfig(kind="ae", arch="conv", image_shape=(1, 8, 8), latent_dim=4, hidden=(8, 16))):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(5)
            reference = MODEL_KINDS[config.kind](config)
        state = torch.get_rng_state()
        built = build_model(config, seed=5)
        assert torch.equal(state, torch.get_rng_state()), "build_model(seed=) drew from the global RNG"
        for k, v in reference.state_dict().items():
            assert torch.equal(v, built.state_dict()[k]), k


def test_to_device_copies_only_when_the_device_differs():
    x = torch.rand(4, 3)
    assert training.to_device(x, torch.device("cpu")) is x
    meta = training.to_device(x, torch.device("meta"))
    assert meta.device.type == "meta" and meta.shape == x.shape


def test_an_unavailable_device_is_one_clear_message(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="no CUDA GPU"):
        training.resolve_device("cuda")
    assert training.resolve_device("cpu") == torch.device("cpu")


@requires_mnist
@pytest.mark.parametrize("arch,hidden", [("mlp", (256,)), ("conv", (16, 32))])
def test_one_or_two_threads_train_the_same_weights_bit_for_bit(arch, hidden):
    """What lets a run pick its thread count from the load: MNIST-sized layers (big enough for torch to
    split work across threads), one epoch with 1 and with 2 threads: bit for bit for an MLP (so its runs
    follow the free cores epoch by epoch), within 1e-4 for a conv model (whose runs keep their threads)."""
    from lvm_core import load_dataset

    images = load_dataset("mnist", "test").images[:2048]
    weights, before = [], torch.get_num_threads()
    try:
        for threads in (1, 2):
            model = build_model(ModelConfig(kind="vae", arch=arch, latent_dim=16, hidden=hidden), seed=0)
            fit(model, images, TrainConfig(epochs=1, batch_size=128, threads=threads))
            weights.append(torch.cat([p.detach().flatten() for p in model.parameters()]))
    finally:
        torch.set_num_threads(before)   # the rest of the session keeps its one thread
    if arch == "mlp":
        assert torch.equal(*weights)
    else:   # oneDNN's convolutions sum in a thread-dependent order: close, and a conv run keeps its threads
        assert torch.allclose(*weights, atol=1e-4) and not torch.isnan(weights[0]).any()
