"""lvm_core.generation.export: the browser payload and the ONNX file decode exactly what model.decode does."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from lvm_core import ModelConfig, build_model, save_checkpoint
from lvm_core.storage.checkpoints import load_checkpoint
from lvm_core.generation.export import (ExportError, build_payload, decode_array, decoder_payload, encode_array,
                                        export_onnx,
                             payload_bytes, run_payload)
from lvm_core.models import ARCHS, MODEL_KINDS, is_conditional

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "checkpoints").glob("*.safetensors"))
SHAPES = {"grey 8x8": (1, 8, 8), "RGB 8x8": (3, 8, 8)}


def small_model(kind: str, arch: str, image_shape=(1, 8, 8)) -> nn.Module:
    hidden = (16, 8) if arch == "conv" else (32, 16)     # two layers: every op appears more than once
    model = build_model(ModelConfig(kind=kind, arch=arch, image_shape=image_shape, latent_dim=3, hidden=hidden,
                                    n_classes=10 if is_conditional(kind) else 0), seed=0)
    with torch.no_grad():                               # nonzero biases, so a dropped bias shows
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=torch.Generator().manual_seed(p.numel())))
    return model.eval()


def classes(model: nn.Module, n: int) -> np.ndarray | None:
    """A conditional model's classes for n codes (each class in turn from 3: not all class 0); None for others."""
    return (np.arange(3, 3 + n) % model.config.n_classes) if is_conditional(model) else None


def torch_decode(model: nn.Module, z: np.ndarray, y: np.ndarray | None = None) -> np.ndarray:
    with torch.no_grad():
        given = () if y is None else (torch.from_numpy(y),)
        return model.decode(torch.from_numpy(z), *given).numpy()


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("kind", sorted(MODEL_KINDS))
def test_payload_decodes_like_torch(kind, arch, shape):
    model = small_model(kind, arch, shape)
    z = np.random.default_rng(0).normal(0, 2, (6, 3)).astype(np.float32)
    payload = json.loads(json.dumps(build_payload(model, "d")))       # what the browser receives
    assert payload["image_shape"] == list(shape) and payload["latent_dim"] == 3
    assert [layer["op"] for layer in payload["layers"]][-1] == "sigmoid"
    assert payload.get("n_classes", 0) == (10 if is_conditional(kind) else 0)
    y = classes(model, 6)
    got = run_payload(payload, z, y)
    assert got.shape == (6, *shape)
    np.testing.assert_allclose(got, torch_decode(model, z, y), atol=1e-5, rtol=0)


def test_conditional_payload_needs_the_class_and_draws_each_class_differently():
    model = small_model("cvae", "mlp")
    payload = build_payload(model)
    z = np.zeros((2, 3), np.float32)
    with pytest.raises(ExportError, match="class"):
        run_payload(payload, z)
    first, second = run_payload(payload, z, 1), run_payload(payload, z, 2)
    np.testing.assert_allclose(first, torch_decode(model, z, np.array([1, 1])), atol=1e-5, rtol=0)
    assert np.abs(first - second).max() > 1e-3           # the one-hot reaches the first layer


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_payloads_decode_like_torch(path):
    ckpt = load_checkpoint(path)
    z = np.random.default_rng(1).normal(0, 1.5, (4, ckpt.config.latent_dim)).astype(np.float32)
    y = classes(ckpt.model, 4)
    np.testing.assert_allclose(run_payload(decoder_payload(ckpt), z, y), torch_decode(ckpt.model, z, y),
                               atol=1e-5, rtol=0)


def test_payload_is_cached_by_digest_and_sized():
    ckpt = load_checkpoint(SHIPPED[0])
    first = decoder_payload(ckpt)
    assert decoder_payload(load_checkpoint(SHIPPED[0])) is first      # same content, same digest: built once
    assert first["digest"] == ckpt.digest
    weights = sum(p.numel() for p in ckpt.model.decoder.parameters()) * 4
    assert weights < payload_bytes(first) < weights * 4 / 3 + 4096     # base64 float32 plus a small header


def test_arrays_round_trip_as_float32():
    a = np.arange(12, dtype=np.float64).reshape(3, 4) / 7
    np.testing.assert_array_equal(decode_array(encode_array(a), (3, 4)), a.astype(np.float32))


def test_unsupported_layer_is_a_clear_error():
    model = small_model("ae", "mlp")
    model.decoder[1] = nn.Tanh()
    with pytest.raises(ExportError, match="Tanh"):
        build_payload(model)


@pytest.mark.parametrize("arch", sorted(ARCHS))
@pytest.mark.parametrize("kind", sorted(MODEL_KINDS))
def test_onnx_decodes_like_torch(kind, arch, tmp_path):
    ort = pytest.importorskip("onnxruntime")
    model = small_model(kind, arch)
    ckpt = load_checkpoint(save_checkpoint(tmp_path / "m.safetensors", model, dataset="digits",
                                           class_names=[str(i) for i in range(10)]))
    out = export_onnx(ckpt, tmp_path / "decoder.onnx")
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    for batch in (1, 5):                                               # the batch axis is dynamic
        z = np.random.default_rng(batch).normal(0, 2, (batch, 3)).astype(np.float32)
        y = classes(ckpt.model, batch)
        feeds = {"z": z} if y is None else {"z": z, "y": np.eye(10, dtype=np.float32)[y]}   # y: one-hot
        (image,) = session.run(["image"], feeds)
        np.testing.assert_allclose(image, torch_decode(ckpt.model, z, y), atol=1e-5, rtol=0)


def test_cli_export_writes_onnx_and_rejects_bad_files(tmp_path, capsys):
    pytest.importorskip("onnxscript")
    from lvm_core.cli.main import main

    assert main(["export", str(SHIPPED[0]), "--out", str(tmp_path / "decoder.onnx")]) == 0
    assert (tmp_path / "decoder.onnx").stat().st_size > 1000
    assert "input z (batch, 8)" in capsys.readouterr().out
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 3)
    assert main(["export", str(tmp_path / "junk.safetensors"), "--out", str(tmp_path / "x.onnx")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "truncated" in err and not (tmp_path / "x.onnx").exists()
