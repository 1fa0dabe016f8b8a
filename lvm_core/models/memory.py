"""How much memory a described model needs for a batch, from its layers' shapes on the meta device
(nothing allocated, however wide the model), so a run or a checkpoint that would not fit is refused
before any tensor exists.

Weights, their gradients and Adam's two moments are four copies of the parameters (one for inference);
4 bytes per float32."""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
from torch import nn

from lvm_core import settings
from lvm_core.config import ModelConfig
from lvm_core.errors import CheckpointError, InvalidInput
from lvm_core.models import MODEL_KINDS, is_conditional

FLOAT_BYTES = 4
VIEWS = (nn.Flatten, nn.Unflatten)        # share their input's memory
CONVS = (nn.Conv2d, nn.ConvTranspose2d)


class ModelTooBig(InvalidInput):
    """A model and batch size whose activations would not fit in LVM_MODEL_MEMORY_MB."""


@dataclass(frozen=True)
class MemoryEstimate:
    activation_bytes: int        # the batch's own memory at its peak (input, activations, their gradients)
    weight_bytes: int            # parameters (x4 for training: gradients and Adam's moments)
    biggest_layer: str           # the layer with the largest output, e.g. "encoder.0 (Conv2d)"
    biggest_bytes: int           # its output for the batch

    @property
    def total_bytes(self) -> int:
        return self.activation_bytes + self.weight_bytes


@dataclass(frozen=True)
class Layer:
    name: str               # e.g. "encoder.0 (Conv2d)"; "output" for the model's own last step (its sigmoid)
    floats: int             # its output per image
    kind: type


@functools.lru_cache(maxsize=64)     # configs are frozen: one meta pass per model described
def layer_outputs(config) -> tuple[int, list[Layer], int]:
    """(input floats per image, the layers' outputs in forward order, parameters) of config's model,
    computed on the meta device."""
    with torch.device("meta"):
        model = MODEL_KINDS[config.kind](config)
        layers: list[Layer] = []
        last = []

        def record(module, args, out, name):
            layers.append(Layer(f"{name} ({type(module).__name__})", out[0].numel(), type(module)))
            last[:] = [out]
        leaves = [(name, m) for name, m in model.named_modules() if not list(m.children()) and not isinstance(m, VIEWS)]
        hooks = [module.register_forward_hook(lambda m, a, out, name=name: record(m, a, out, name))
                 for name, module in leaves]
        x = torch.empty(1, *config.image_shape)
        with torch.no_grad():   # a conditional model takes a class too (its one-hot is a few numbers more)
            out = model(x, torch.zeros(1, dtype=torch.long)) if is_conditional(model) else model(x)
        for hook in hooks:
            hook.remove()
        if not last or out is not last[0]:   # decode's sigmoid is a function, not a layer: a tensor all the same
            layers.append(Layer("output", out[0].numel(), torch.Tensor))
    return math.prod(config.image_shape), layers, sum(p.numel() for p in model.parameters())


def estimate(config, batch_size: int, training: bool) -> MemoryEstimate:
    """Peak memory of config's model on a batch of batch_size images, forward (training=False) or a
    training step (forward + backward + Adam). Measured within 25% (tests/test_memory.py).

    Inference: the input, plus the largest (layer input, layer output) pair alive together; oneDNN copies
    a conv's input and output into its blocked layout and back, so a conv's pair counts twice.
    Training: the input and every output kept for backward (a pre-activation is not: ReLU and the output
    sigmoid keep their own outputs), plus the largest pair again for the gradients flowing back."""
    input_floats, layers, parameters = layer_outputs(config)
    sizes = [input_floats] + [layer.floats for layer in layers]
    kinds = [None] + [layer.kind for layer in layers]
    pairs = [(a + b) * (2 if ka in CONVS or kb in CONVS else 1)
             for a, b, ka, kb in zip(sizes[:-1], sizes[1:], kinds[:-1], kinds[1:])]
    if training:
        kept = [layer.floats for layer, following in zip(layers, layers[1:] + [None])
                if following is None or following.kind not in (nn.ReLU, torch.Tensor)]
        per_image = input_floats + sum(kept) + max(a + b for a, b in zip(sizes[:-1], sizes[1:]))
    else:
        per_image = input_floats + max(pairs)
    biggest = max(layers, key=lambda layer: layer.floats)
    return MemoryEstimate(activation_bytes=per_image * batch_size * FLOAT_BYTES,
                          weight_bytes=parameters * FLOAT_BYTES * (4 if training else 1),
                          biggest_layer=biggest.name, biggest_bytes=biggest.floats * batch_size * FLOAT_BYTES)


def budget_bytes() -> int:
    return int(settings.number("LVM_MODEL_MEMORY_MB", 1) * 2 ** 20)


def check_fits(config, batch_size: int, training: bool, what: str = "this model") -> MemoryEstimate:
    """Raise ModelTooBig (one line, naming the biggest layer) when the estimate exceeds LVM_MODEL_MEMORY_MB."""
    found = estimate(config, batch_size, training)
    budget = budget_bytes()
    if found.total_bytes > budget:
        mb = 2 ** 20
        raise ModelTooBig(f"{what} would need about {found.total_bytes / mb:,.0f} MB for a batch of {batch_size} "
                          f"({'training' if training else 'inference'}), more than this server's "
                          f"{budget / mb:,.0f} MB (LVM_MODEL_MEMORY_MB); its biggest layer, {found.biggest_layer}, "
                          f"outputs {found.biggest_bytes / mb:,.0f} MB: use fewer channels or a smaller batch")
    return found


def check_checkpoint(ckpt, name: str | None = None):
    """ckpt (a loaded Checkpoint) when its one-image forward pass fits LVM_MODEL_MEMORY_MB; else CheckpointError:
    a small file can describe huge activations, so it is a bad file, refused before anything encodes with it."""
    try:
        check_fits(ckpt.config, 1, training=False, what=name or ckpt.name or "this model")
    except ModelTooBig as exc:
        raise CheckpointError(str(exc)) from None
    return ckpt


def batch_that_fits(config, largest: int, training: bool = False) -> int:
    """The largest batch size <= largest whose estimate fits in LVM_MODEL_MEMORY_MB (at least 1)."""
    one = estimate(config, 1, training)
    room = budget_bytes() - one.weight_bytes
    return max(1, min(largest, room // max(one.activation_bytes, 1)))


def warm_up() -> None:
    """A first meta-device pass of a small conv model: torch loads its meta kernels once per process (~3 s)."""
    layer_outputs(ModelConfig(kind="ae", arch="conv", image_shape=(1, 8, 8), latent_dim=2, hidden=(4,)))
