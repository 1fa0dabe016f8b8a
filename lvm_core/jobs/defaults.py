"""The Train page's starting settings per dataset, and the bounds a run must fit in before anything
is allocated (a typo such as hidden size 100000000 gets a sentence, not the allocator's message)."""
from __future__ import annotations

import torch

from ..config import ModelConfig, TrainConfig
from ..errors import LvmError

# On 28x28 images a 784-256-16 MLP VAE is a good model after 10 epochs, about a minute on one CPU
# thread (benchmarks/train_jobs.py). The 8x8 digits (1,437 train images) train in a fraction of a
# second an epoch, so their default runs long enough for a class to watch the clusters form.
DEFAULT_RUNS = {
    "digits": dict(latent_dim=8, hidden=(64,), epochs=60, batch_size=64),
}
DEFAULT_RUN = dict(latent_dim=16, hidden=(256,), epochs=10, batch_size=128)

# Bounds of a run started from the page: far above what a class needs, far below what hurts the server.
MAX_LATENT = 256
MAX_HIDDEN = 4096
MAX_LAYERS = 4
MAX_PARAMETERS = 20_000_000     # ~80 MB of float32 weights, ~320 MB with Adam's state and gradients
MAX_EPOCHS = 1000
MAX_BATCH = 4096


def default_configs(dataset: str, image_shape: tuple[int, int, int]) -> tuple[ModelConfig, TrainConfig]:
    """The Train page's starting settings for a dataset: an MLP VAE, one CPU thread."""
    d = DEFAULT_RUNS.get(dataset, DEFAULT_RUN)
    model = ModelConfig(kind="vae", arch="mlp", image_shape=image_shape, latent_dim=d["latent_dim"], hidden=d["hidden"])
    return model, TrainConfig(epochs=d["epochs"], batch_size=d["batch_size"], device="cpu", threads=1)


def check_run_size(model_config: ModelConfig, train_config: TrainConfig) -> None:
    """Raise LvmError with one sentence when a run is larger than the bounds above."""
    layers = "conv channels" if model_config.arch == "conv" else "hidden sizes"
    if model_config.latent_dim > MAX_LATENT:
        raise LvmError(f"latent size {model_config.latent_dim} is too large: at most {MAX_LATENT}")
    if len(model_config.hidden) > MAX_LAYERS:
        raise LvmError(f"{len(model_config.hidden)} {layers} given: at most {MAX_LAYERS} layers")
    if max(model_config.hidden) > MAX_HIDDEN:
        raise LvmError(f"{layers} of {max(model_config.hidden)} are too large: at most {MAX_HIDDEN} each")
    if train_config.epochs > MAX_EPOCHS:
        raise LvmError(f"{train_config.epochs} epochs are too many: at most {MAX_EPOCHS}")
    if train_config.batch_size > MAX_BATCH:
        raise LvmError(f"batch size {train_config.batch_size} is too large: at most {MAX_BATCH}")
    n = parameter_count(model_config)
    if n > MAX_PARAMETERS:
        raise LvmError(f"this model would have {n / 1e6:.0f} million parameters: at most "
                       f"{MAX_PARAMETERS // 1_000_000} million (use smaller {layers})")


def parameter_count(model_config: ModelConfig) -> int:
    """Parameters of the model a config describes, counted on torch's meta device (nothing allocated)."""
    from ..models import build_model

    with torch.device("meta"):
        return sum(p.numel() for p in build_model(model_config).parameters())
