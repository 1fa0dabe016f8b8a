"""Frozen configuration dataclasses. A ModelConfig is saved beside the weights so that
loading a checkpoint rebuilds exactly the model that was trained (as nanoGPT does).

Both validate every field on construction (types, arity, bounds, and a ModelConfig's parameter
count, from the model built on the meta device), so a checkpoint description or a Train-page setting that
would ask for gigabytes is refused before anything is allocated.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from numbers import Integral, Real

import torch

from lvm_core.errors import ConfigError
from lvm_core.models import ARCHS, MODEL_KINDS, is_conditional

# Bounds shared by checkpoint loading, the Train page and the CLI. Generous for this app's datasets
# (28x28 and 8x8 images, the shipped models have under 1M parameters), far below what hurts a server.
MAX_LATENT_DIM = 1024
MAX_HIDDEN = 8192                # units of an mlp layer, channels of a conv layer
MAX_LAYERS = 8
MAX_CHANNELS = 4
MAX_IMAGE_SIDE = 512
MAX_PARAMETERS = 20_000_000      # 80 MB of float32 weights
MAX_EPOCHS = 10_000
MAX_BATCH_SIZE = 65_536
MAX_DEBIAS_ALPHA = 10.0         # at 10 a handful of images take nearly all the weight
MAX_CLASSES = 1000               # a conditional model's classes; a checkpoint's class_names have the same bound
MAX_UPLOAD_MB = 10               # checkpoints and pictures; .streamlit/config.toml's server.maxUploadSize
MAX_UPLOAD_BYTES = MAX_UPLOAD_MB * 2**20


def whole_number(name: str, value, low: int, high: int) -> int:
    """value as an int when it is a whole number (not a bool, not 32.0) in [low, high]; else ConfigError."""
    if not isinstance(value, Integral) or isinstance(value, bool):
        raise ConfigError(f"{name} must be a whole number, not {_show(value)}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be from {low:,} to {high:,}, not {int(value):,}")
    return int(value)


def real_number(name: str, value, low: float, high: float) -> float:
    """value as a float when it is a finite number in [low, high]; else ConfigError."""
    if not isinstance(value, Real) or isinstance(value, bool) or not math.isfinite(value):
        raise ConfigError(f"{name} must be a number, not {_show(value)}")
    if not low <= value <= high:
        raise ConfigError(f"{name} must be from {low:g} to {high:g}, not {float(value):g}")
    return float(value)


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _sizes(name: str, value, count: tuple[int, int], low: int, high: int, item: str) -> tuple[int, ...]:
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or not hasattr(value, "__iter__"):
        raise ConfigError(f"{name} must be a list of whole numbers, not {_show(value)}")
    if not count[0] <= len(value) <= count[1]:
        want = str(count[0]) if count[0] == count[1] else f"{count[0]} to {count[1]}"
        raise ConfigError(f"{name} must have {want} numbers, not {len(value)}")
    return tuple(whole_number(item, v, low, high) for v in value)


def _choice(name: str, value, options) -> str:
    if not isinstance(value, str) or value not in options:
        raise ConfigError(f"unknown {name} {_show(value)}; choose from {', '.join(sorted(options))}")
    return value


@dataclass(frozen=True)
class ModelConfig:
    kind: str = "ae"                            # registry key: "ae", "vae" or "cvae"
    arch: str = "mlp"                           # "mlp" (fully connected) or "conv"
    image_shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W), taken from the dataset
    latent_dim: int = 32                        # size of the code z
    hidden: tuple[int, ...] = (128,)            # mlp: layer widths; conv: channels per stride-2 conv
    beta: float = 1.0                           # VAE only: weight of the KL term (beta-VAE)
    n_classes: int = 0                          # cvae: classes given to encoder and decoder as a one-hot;
                                                # 0 for ae and vae (absent from their saved configs)

    def __post_init__(self):

        _choice("model kind", self.kind, MODEL_KINDS)
        _choice("architecture", self.arch, ARCHS)
        # JSON round-trips give lists; keep the dataclass hashable and comparable.
        c, h, w = _sizes("image_shape (channels, height, width)", self.image_shape, (3, 3), 1, MAX_IMAGE_SIDE,
                         "an image side")
        if c > MAX_CHANNELS:
            raise ConfigError(f"images must have 1 to {MAX_CHANNELS} channels, not {c}")
        object.__setattr__(self, "image_shape", (c, h, w))
        object.__setattr__(self, "latent_dim", whole_number("latent_dim", self.latent_dim, 1, MAX_LATENT_DIM))
        object.__setattr__(self, "hidden", _sizes("hidden", self.hidden, (1, MAX_LAYERS), 1, MAX_HIDDEN,
                                                            "a hidden size"))
        object.__setattr__(self, "beta", real_number("beta", self.beta, 0.0, 1000.0))
        object.__setattr__(self, "n_classes", whole_number("n_classes", self.n_classes, 0, MAX_CLASSES))
        if is_conditional(self.kind) and self.n_classes < 1:
            raise ConfigError(f"a {self.kind} model needs its number of classes (n_classes of 1 or more)")
        if not is_conditional(self.kind) and self.n_classes:
            raise ConfigError(f"n_classes is for a conditional model; a {self.kind} model takes no class")
        if self.arch == "conv":
            step = 2 ** len(self.hidden)
            if h % step or w % step:
                raise ConfigError(
                    f"conv with {len(self.hidden)} stride-2 layers needs H and W divisible by {step}; "
                    f"image is {h}x{w}: use fewer conv layers"
                )
        n = parameter_count(self)
        if n > MAX_PARAMETERS:
            raise ConfigError(f"this model would have {n:,} parameters; at most {MAX_PARAMETERS:,} are allowed "
                              "(use smaller hidden sizes or a smaller latent size)")

    def to_dict(self) -> dict:
        """The config as JSON takes it; n_classes only where it is used, so an AE's or VAE's saved config
        is what it was before conditional models existed (and older versions still open it)."""
        d = asdict(self)
        if not d["n_classes"]:
            del d["n_classes"]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        if not isinstance(d, dict):
            raise ConfigError(f"the model config must be a JSON object, not {_show(d)}")
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ConfigError(f"unknown model config fields {sorted(map(str, unknown))}")
        return cls(**d)


def parameter_count(config: ModelConfig) -> int:
    """Weights and biases of the model a config describes, exactly: the model built on the meta device
    (shapes only, nothing allocated, however big)."""
    with torch.device("meta"):
        model = MODEL_KINDS[config.kind](config)
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 10
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0
    device: str = "auto"                        # auto | cpu | cuda | mps
    threads: int | None = None                  # CPU threads; None = lvm_core's measured default
    input_noise: float = 0.0                    # >0 trains a denoising AE: Gaussian noise std on inputs
    exclude_classes: tuple[int, ...] = field(default_factory=tuple)  # held out of training (anomaly demo)
    debias_alpha: float = 0.0                   # >0: sample images by 1/density^alpha of their codes
                                                # (factors/density.py)

    def __post_init__(self):
        set_ = lambda name, value: object.__setattr__(self, name, value)  # noqa: E731 - frozen dataclass
        set_("epochs", whole_number("epochs", self.epochs, 1, MAX_EPOCHS))
        set_("batch_size", whole_number("batch_size", self.batch_size, 1, MAX_BATCH_SIZE))
        set_("lr", real_number("lr", self.lr, 0.0, math.inf))   # a huge lr is a lesson (it diverges), not a danger
        if self.lr == 0:
            raise ConfigError("lr must be positive")
        set_("seed", whole_number("seed", self.seed, 0, 2**63 - 1))
        _choice("device", self.device, ("auto", "cpu", "cuda", "mps"))
        if self.threads is not None:
            set_("threads", whole_number("threads", self.threads, 1, 1024))
        set_("input_noise", real_number("input_noise", self.input_noise, 0.0, 100.0))
        set_("exclude_classes", _sizes("exclude_classes", self.exclude_classes, (0, 1000), 0, 999,
                                                 "an excluded class"))
        set_("debias_alpha", real_number("debias_alpha", self.debias_alpha, 0.0, MAX_DEBIAS_ALPHA))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        """Fields this version does not know are dropped (a newer version's checkpoint still opens)."""
        if not isinstance(d, dict):
            raise ConfigError(f"the training settings must be a JSON object, not {_show(d)}")
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def parse_sizes(text: str) -> tuple[int, ...]:
    """'256, 128' or '256 128' -> (256, 128): hidden sizes as a person types them."""
    try:
        sizes = tuple(int(s) for s in text.replace(",", " ").split())
    except ValueError:
        raise ConfigError("hidden sizes must be whole numbers such as '256' or '256, 128', "
                          f"not {_show(text)}") from None
    if not sizes:
        raise ConfigError("give at least one hidden size")
    return sizes
