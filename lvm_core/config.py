"""Frozen configuration dataclasses. A ModelConfig is saved beside the weights so that
loading a checkpoint rebuilds exactly the model that was trained (as nanoGPT does)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields


@dataclass(frozen=True)
class ModelConfig:
    kind: str = "ae"                            # registry key: "ae" or "vae"
    arch: str = "mlp"                           # "mlp" (fully connected) or "conv"
    image_shape: tuple[int, int, int] = (1, 28, 28)  # (C, H, W), taken from the dataset
    latent_dim: int = 32                        # size of the code z
    hidden: tuple[int, ...] = (128,)            # mlp: layer widths; conv: channels per stride-2 conv
    beta: float = 1.0                           # VAE only: weight of the KL term (beta-VAE)

    def __post_init__(self):
        from .models import MODEL_KINDS, ARCHS  # late import: models import this module

        if self.kind not in MODEL_KINDS:
            raise ValueError(f"unknown model kind {self.kind!r}; choose from {sorted(MODEL_KINDS)}")
        if self.arch not in ARCHS:
            raise ValueError(f"unknown architecture {self.arch!r}; choose from {sorted(ARCHS)}")
        if self.latent_dim < 1:
            raise ValueError("latent_dim must be at least 1")
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError("hidden needs at least one positive size")
        if self.beta < 0:
            raise ValueError("beta must be >= 0")
        # JSON round-trips give lists; keep the dataclass hashable and comparable.
        object.__setattr__(self, "image_shape", tuple(int(s) for s in self.image_shape))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.arch == "conv":
            _, h, w = self.image_shape
            step = 2 ** len(self.hidden)
            if h % step or w % step:
                raise ValueError(
                    f"conv with {len(self.hidden)} stride-2 layers needs H and W divisible by {step}; "
                    f"image is {h}x{w}: use fewer conv layers"
                )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "ModelConfig":
        names = {f.name for f in fields(cls)}
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown model config fields {sorted(unknown)}")
        return cls(**d)


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

    def __post_init__(self):
        if self.epochs < 1:
            raise ValueError("epochs must be at least 1")
        if self.batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        if not self.lr > 0:
            raise ValueError("lr must be positive")
        if self.input_noise < 0:
            raise ValueError("input_noise must be >= 0")
        if self.device not in ("auto", "cpu", "cuda", "mps"):
            raise ValueError(f"unknown device {self.device!r}; choose auto, cpu, cuda or mps")
        object.__setattr__(self, "exclude_classes", tuple(int(c) for c in self.exclude_classes))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "TrainConfig":
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})


def parse_sizes(text: str) -> tuple[int, ...]:
    """'256, 128' or '256 128' -> (256, 128): hidden sizes as a person types them."""
    try:
        sizes = tuple(int(s) for s in text.replace(",", " ").split())
    except ValueError:
        raise ValueError(f"hidden sizes must be whole numbers such as '256' or '256, 128', not {text!r}") from None
    if not sizes:
        raise ValueError("give at least one hidden size")
    return sizes
