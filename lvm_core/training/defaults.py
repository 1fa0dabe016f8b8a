"""A training run's defaults, in one place: hidden sizes when none are named (the CLI and the Train page),
and the Train page's starting settings per dataset. The other defaults are ModelConfig's and
TrainConfig's own; the bounds live there too (a config out of bounds is refused when it is made,
before anything is allocated)."""
from __future__ import annotations

from lvm_core.config import ModelConfig, TrainConfig

DEFAULT_HIDDEN = {"mlp": (128,), "conv": (32, 64)}   # the tutorial's 784-128-z; conv channels per stride-2 layer


def default_hidden(arch: str) -> tuple[int, ...]:
    """Hidden sizes when a run names none: MLP widths or conv channels."""
    return DEFAULT_HIDDEN[arch]


# On 28x28 images a 784-256-16 MLP VAE is a good model after 10 epochs, about half a minute on an
# idle 2-core machine (benchmarks/train_speed.py). The 8x8 digits (1,437 train images) train in a fraction of a
# second an epoch, so their default runs long enough for a class to watch the clusters form.
DEFAULT_RUNS = {
    "digits": dict(latent_dim=8, hidden=(64,), epochs=60, batch_size=64),
}
DEFAULT_RUN = dict(latent_dim=16, hidden=(256,), epochs=10, batch_size=128)


def default_configs(dataset: str, image_shape: tuple[int, int, int]) -> tuple[ModelConfig, TrainConfig]:
    """The Train page's starting settings for a dataset: an MLP VAE on the CPU, its threads chosen by
    the worker when the run starts (threads=None: the cores then free)."""
    d = DEFAULT_RUNS.get(dataset, DEFAULT_RUN)
    model = ModelConfig(kind="vae", arch="mlp", image_shape=image_shape, latent_dim=d["latent_dim"], hidden=d["hidden"])
    return model, TrainConfig(epochs=d["epochs"], batch_size=d["batch_size"], device="cpu")
