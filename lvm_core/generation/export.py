"""A model's decoder outside PyTorch: a JSON layer list the browser runs, and an ONNX file.

The browser form (`decoder_payload`) is the decoder's layers in order (linear, relu,
conv_transpose, sigmoid) with float32 weights as base64; lvm_app/components/decoder/decoder.js
runs it with typed-array kernels. It is cached by the checkpoint's digest, so a page builds it
once per model, and a session sends it once per model (the component remembers it by digest).
A conditional decoder's payload also says `n_classes`: its first layer takes [z, one-hot(y)]
(latent_dim + n_classes numbers), and the runtime appends the one-hot of the class it is given.
"""
from __future__ import annotations

import base64
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lvm_core.errors import LvmError

FORMAT = "lvm-decoder/1"
_CACHE_SIZE = 32


class ExportError(LvmError):
    """A decoder with a layer the browser runtime or the ONNX exporter cannot run."""


def encode_array(a) -> str:
    """float32 little-endian bytes of an array (any shape, C order) as base64: how arrays reach the browser."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()).decode("ascii")


def decode_array(text: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
    """The inverse of encode_array."""
    a = np.frombuffer(base64.b64decode(text), dtype="<f4")
    return a.reshape(shape) if shape is not None else a


def _weights(layer: nn.Module) -> tuple[str, str]:
    return encode_array(layer.weight.detach().cpu().numpy()), encode_array(layer.bias.detach().cpu().numpy())


def decoder_layers(decoder: nn.Module, latent_dim: int) -> list[dict]:
    """The decoder body (logits) as a flat list of layer dicts; shapes are tracked per sample.

    Linear weights are (out, in), row-major; ConvTranspose2d weights (in_ch, out_ch, k, k), as PyTorch
    stores them. Raises ExportError on any layer the kernels do not implement."""
    shape: tuple[int, ...] = (latent_dim,)
    layers: list[dict] = []
    for module in (decoder if isinstance(decoder, nn.Sequential) else [decoder]):
        if isinstance(module, nn.Linear):
            if module.bias is None or shape[-1] != module.in_features or len(shape) != 1:
                raise ExportError(f"unsupported Linear layer {module} on input shape {shape}")
            weight, bias = _weights(module)
            layers.append({"op": "linear", "in": module.in_features, "out": module.out_features,
                           "weight": weight, "bias": bias})
            shape = (module.out_features,)
        elif isinstance(module, nn.ReLU):
            layers.append({"op": "relu"})
        elif isinstance(module, nn.Unflatten):
            shape = tuple(module.unflattened_size)     # memory order is unchanged: no layer needed
        elif isinstance(module, nn.Flatten):
            shape = (int(np.prod(shape)),)
        elif isinstance(module, nn.ConvTranspose2d):
            layers.append(_conv_transpose(module, shape))
            shape = (module.out_channels, *layers[-1]["out_hw"])
        else:
            raise ExportError(f"the browser decoder cannot run a {type(module).__name__} layer")
    return layers


def _conv_transpose(conv: nn.ConvTranspose2d, shape: tuple[int, ...]) -> dict:
    if (len(shape) != 3 or shape[0] != conv.in_channels or conv.groups != 1 or conv.bias is None
            or conv.dilation != (1, 1) or conv.output_padding != (0, 0) or conv.padding_mode != "zeros"
            or conv.kernel_size[0] != conv.kernel_size[1] or conv.stride[0] != conv.stride[1]
            or conv.padding[0] != conv.padding[1]):
        raise ExportError(f"unsupported ConvTranspose2d layer {conv} on input shape {shape}")
    k, s, p = conv.kernel_size[0], conv.stride[0], conv.padding[0]
    h, w = shape[1], shape[2]
    out_hw = [(h - 1) * s - 2 * p + k, (w - 1) * s - 2 * p + k]
    weight, bias = _weights(conv)
    return {"op": "conv_transpose", "in_channels": conv.in_channels, "out_channels": conv.out_channels,
            "kernel": k, "stride": s, "padding": p, "in_hw": [h, w], "out_hw": out_hw,
            "weight": weight, "bias": bias}


def build_payload(model: nn.Module, digest: str = "") -> dict:
    """JSON-ready description of model.decode: z (latent_dim,) -> image (C*H*W,) in [0, 1], C-H-W order
    (a conditional model: [z, one-hot(y)] -> image; "n_classes" only then, so other payloads are unchanged)."""
    config = model.config
    n_classes = int(getattr(config, "n_classes", 0))
    layers = decoder_layers(model.decoder, config.latent_dim + n_classes) + [{"op": "sigmoid"}]
    payload = {"format": FORMAT, "digest": digest, "latent_dim": int(config.latent_dim),
               "image_shape": [int(d) for d in config.image_shape], "layers": layers}
    return payload | ({"n_classes": n_classes} if n_classes else {})


_payloads: OrderedDict[str, dict] = OrderedDict()
_lock = threading.Lock()


def decoder_payload(ckpt) -> dict:
    """build_payload of a Checkpoint, cached by its digest (the same dict object each time: do not mutate).

    Weights are base64 float32; `payload_bytes(p)` is what it costs to send."""
    with _lock:
        if ckpt.digest and ckpt.digest in _payloads:
            _payloads.move_to_end(ckpt.digest)
            return _payloads[ckpt.digest]
    payload = build_payload(ckpt.model, ckpt.digest)
    if ckpt.digest:
        with _lock:
            _payloads[ckpt.digest] = payload
            while len(_payloads) > _CACHE_SIZE:
                _payloads.popitem(last=False)
    return payload


def payload_bytes(payload: dict) -> int:
    """Bytes of the payload as JSON (what goes over the websocket)."""
    import json

    return len(json.dumps(payload, separators=(",", ":")))


def run_payload(payload: dict, z, y=None) -> np.ndarray:
    """Reference NumPy interpreter of a payload (float64 accumulation, as decoder.js does).
    z: (B, latent_dim), y: (B,) classes or one class (a conditional payload only) -> images (B, C, H, W).
    For tests and for checking an exported file."""
    x = np.atleast_2d(np.asarray(z, dtype=np.float64))
    if payload.get("n_classes"):
        if y is None:
            raise ExportError("this decoder is conditional: give the class y of each code")
        classes = np.broadcast_to(np.asarray(y, dtype=int), (len(x),))
        x = np.concatenate([x, np.eye(payload["n_classes"])[classes]], axis=1)
    for layer in payload["layers"]:
        op = layer["op"]
        if op == "linear":
            weight = decode_array(layer["weight"], (layer["out"], layer["in"])).astype(np.float64)
            x = x.reshape(len(x), -1) @ weight.T + decode_array(layer["bias"])
        elif op == "relu":
            x = np.maximum(x, 0)
        elif op == "sigmoid":
            x = 1 / (1 + np.exp(-x))
        elif op == "conv_transpose":
            x = _np_conv_transpose(x, layer)
        x = x.astype(np.float32).astype(np.float64)     # float32 between layers, like the browser
    return x.reshape(len(x), *payload["image_shape"]).astype(np.float32)


def _np_conv_transpose(x: np.ndarray, layer: dict) -> np.ndarray:
    cin, cout, k, s, p = (layer[n] for n in ("in_channels", "out_channels", "kernel", "stride", "padding"))
    (h, w), (oh, ow) = layer["in_hw"], layer["out_hw"]
    weight = decode_array(layer["weight"], (cin, cout, k, k)).astype(np.float64)
    x = x.reshape(len(x), cin, h, w)
    full = np.zeros((len(x), cout, (h - 1) * s + k, (w - 1) * s + k))
    for ky in range(k):
        for kx in range(k):
            full[:, :, ky:ky + (h - 1) * s + 1:s, kx:kx + (w - 1) * s + 1:s] += np.einsum(
                "bihw,io->bohw", x, weight[:, :, ky, kx])
    out = full[:, :, p:p + oh, p:p + ow] + decode_array(layer["bias"])[None, :, None, None]
    return out.reshape(len(x), -1)


class _Decode(nn.Module):
    """model.decode as a module's forward, for torch.onnx.export."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z)


class _DecodeGiven(_Decode):
    """A conditional model's decode(z, y), y (B, n_classes) one-hot: an ONNX graph takes no integer classes."""

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.model.decode(z, y)


def export_onnx(ckpt, out) -> Path:
    """Write model.decode as ONNX: input "z" (batch, latent_dim) -> output "image" (batch, C, H, W) in [0, 1];
    a conditional model also takes "y" (batch, n_classes), the one-hot class. The batch axis is dynamic.
    Needs the `onnx` and `onnxscript` packages (requirements.txt)."""
    out = Path(out)
    try:
        import onnxscript  # noqa: F401  (the dynamo exporter imports it lazily; fail here with a clear message)
    except ImportError:
        raise ExportError("ONNX export needs the onnx and onnxscript packages: pip install onnx onnxscript") from None
    from lvm_core.storage.files import atomic_write_bytes

    z = torch.zeros(2, ckpt.config.latent_dim)
    k = int(getattr(ckpt.config, "n_classes", 0))
    inputs, names = ((z,), ["z"]) if not k else ((z, torch.eye(k)[[0, min(1, k - 1)]]), ["z", "y"])
    batch = torch.export.Dim("batch", min=1)
    with torch.no_grad():
        program = torch.onnx.export((_DecodeGiven if k else _Decode)(ckpt.model).eval(), inputs, input_names=names,
                                    output_names=["image"],
                                    dynamic_shapes=tuple({0: batch} for _ in inputs), dynamo=True, verbose=False)
    atomic_write_bytes(out, program.model_proto.SerializeToString())
    return out
