"""Encoder and decoder bodies shared by every model kind, one builder per architecture."""
from __future__ import annotations

import math

from torch import nn


def mlp_encoder_parts(image_shape: tuple[int, int, int], hidden: tuple[int, ...], out_dim: int,
                      extra_in: int = 0) -> tuple[list[nn.Module], list[nn.Module]]:
    """(trunk, head): the trunk flattens (B, C, H, W) -> (B, C*H*W); the head's first layer takes those
    features plus `extra_in` more (a conditional model's one-hot class), -> (B, out_dim)."""
    layers: list[nn.Module] = []
    width = math.prod(image_shape) + extra_in
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, out_dim))
    return [nn.Flatten()], layers


def mlp_encoder(image_shape: tuple[int, int, int], hidden: tuple[int, ...], out_dim: int) -> nn.Module:
    """(B, C, H, W) -> (B, out_dim). hidden=(128,) with out_dim=32 is the tutorial's 784-128-32."""
    trunk, head = mlp_encoder_parts(image_shape, hidden, out_dim)
    return nn.Sequential(*trunk, *head)   # one flat Sequential: the state-dict keys of every saved model


def mlp_decoder(image_shape: tuple[int, int, int], hidden: tuple[int, ...], latent_dim: int) -> nn.Module:
    """(B, latent_dim) -> logits (B, C, H, W); the mirror image of mlp_encoder."""
    layers: list[nn.Module] = []
    width = latent_dim
    for h in reversed(hidden):
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers += [nn.Linear(width, math.prod(image_shape)), nn.Unflatten(1, image_shape)]
    return nn.Sequential(*layers)


CONV_DENSE = 256  # width of the dense layer between the convs and the code: cheap capacity on a CPU


def conv_encoder_parts(image_shape: tuple[int, int, int], hidden: tuple[int, ...], out_dim: int,
                       extra_in: int = 0) -> tuple[list[nn.Module], list[nn.Module]]:
    """(trunk, head): the trunk's stride-2 4x4 convs halve H and W once per entry of hidden (the channel
    counts), then flatten; the head is a dense layer whose input also takes `extra_in` more numbers.
    No BatchNorm: it cost 40% of CPU time for little gain."""
    c, h, w = image_shape
    trunk: list[nn.Module] = []
    for ch in hidden:
        trunk += [nn.Conv2d(c, ch, 4, stride=2, padding=1), nn.ReLU()]
        c, h, w = ch, h // 2, w // 2
    trunk.append(nn.Flatten())
    return trunk, [nn.Linear(c * h * w + extra_in, CONV_DENSE), nn.ReLU(), nn.Linear(CONV_DENSE, out_dim)]


def conv_encoder(image_shape: tuple[int, int, int], hidden: tuple[int, ...], out_dim: int) -> nn.Module:
    """(B, C, H, W) -> (B, out_dim): conv_encoder_parts' trunk and head as one Sequential."""
    trunk, head = conv_encoder_parts(image_shape, hidden, out_dim)
    return nn.Sequential(*trunk, *head)


def conv_decoder(image_shape: tuple[int, int, int], hidden: tuple[int, ...], latent_dim: int) -> nn.Module:
    """(B, latent_dim) -> logits (B, C, H, W); transposed convs undo conv_encoder's strides."""
    c_out, h, w = image_shape
    scale = 2 ** len(hidden)
    top = (hidden[-1], h // scale, w // scale)
    layers: list[nn.Module] = [nn.Linear(latent_dim, CONV_DENSE), nn.ReLU(),
                               nn.Linear(CONV_DENSE, math.prod(top)), nn.ReLU(), nn.Unflatten(1, top)]
    channels = list(reversed(hidden)) + [c_out]
    for i, (c_in, c_next) in enumerate(zip(channels[:-1], channels[1:])):
        layers.append(nn.ConvTranspose2d(c_in, c_next, 4, stride=2, padding=1))
        if i < len(channels) - 2:  # no activation on the output logits
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


ARCHS = {
    "mlp": (mlp_encoder, mlp_decoder),
    "conv": (conv_encoder, conv_decoder),
}
# The encoders split where a conditional model joins its class to the image's features (models/cvae.py).
ENCODER_PARTS = {"mlp": mlp_encoder_parts, "conv": conv_encoder_parts}
