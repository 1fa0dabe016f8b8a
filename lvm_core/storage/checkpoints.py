"""One file per model, safe to load: a safetensors file whose header metadata holds the config,
training settings, dataset, class names, metrics, history and library versions as JSON.

Loading parses JSON and raw tensors only; nothing in the file can run code. Any
other file (a PyTorch pickle, a truncated download, weights of another shape) raises
CheckpointError naming the file and the problem.
"""
from __future__ import annotations

import hashlib
import json
import platform
import struct
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import torch
from torch import nn

from lvm_core.config import MAX_PARAMETERS, ModelConfig, TrainConfig
from lvm_core.errors import CheckpointError, FileRefused
from lvm_core.storage.files import atomic_write_bytes, open_regular, read_bytes
from lvm_core.models import build_model

FORMAT = "lvm-explorer/1"
SUFFIX = ".safetensors"


@dataclass
class Checkpoint:
    model: nn.Module                    # in eval mode, on the CPU
    config: ModelConfig
    dataset: str
    class_names: tuple[str, ...]
    train_config: TrainConfig | None = None
    metrics: dict = field(default_factory=dict)
    history: list = field(default_factory=list)
    versions: dict = field(default_factory=dict)
    name: str = ""
    created: str = ""
    trained_by: str = ""                # the owner tag of the session that trained it (fairness.owner_tag), or ""
    digest: str = ""                    # sha256 of the file's bytes: a cache key for its content
    path: Path | None = None

    @property
    def title(self) -> str:
        c = self.config
        noisy = " denoising" if self.train_config and self.train_config.input_noise > 0 else ""
        return f"{c.kind.upper()}{noisy} {c.arch} z={c.latent_dim} on {self.dataset}"


def _versions() -> dict:
    from lvm_core.version import __version__

    return {"lvm_core": __version__, "torch": torch.__version__, "python": platform.python_version()}


def checkpoint_bytes(model: nn.Module, *, dataset: str, class_names, train_config: TrainConfig | None = None,
                     metrics: dict | None = None, history: list | None = None, name: str = "",
                     trained_by: str = "") -> bytes:
    """Serialise a model and everything needed to rebuild and describe it (trained_by: Checkpoint's)."""
    from safetensors.torch import save

    meta = {
        "format": FORMAT,
        "name": name,
        "model_config": model.config.to_dict(),
        "train_config": train_config.to_dict() if train_config else None,
        "dataset": dataset,
        "class_names": list(class_names),
        "metrics": metrics or {},
        "history": history or [],
        "versions": _versions(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "trained_by": trained_by,
    }
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    return save(tensors, metadata={"lvm_explorer": json.dumps(meta)})


def save_checkpoint(path, model: nn.Module, **kwargs) -> Path:
    """Write atomically (temp file + rename): a crash mid-save leaves any previous file intact."""
    path = Path(path)
    data = checkpoint_bytes(model, **kwargs)
    atomic_write_bytes(path, data)
    return path


MAX_HEADER_BYTES = 4 * 2**20       # the JSON header: tensor offsets and the description (history included)
MAX_FILE_BYTES = MAX_PARAMETERS * 4 + MAX_HEADER_BYTES + 8


def load_checkpoint(source, name: str | None = None) -> Checkpoint:
    """Load from a path or from raw bytes (an upload). `name` labels the file in error messages
    (default: the file's name, never its folder: messages reach users of a shared server).

    The whole description is validated (ModelConfig's bounds included) before the model is built,
    so a small file cannot make the server allocate gigabytes; every failure is a CheckpointError."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data, label, path = bytes(source), name or "uploaded file", None
    else:
        path = Path(source)
        label = name or path.name
        try:   # a regular file only (a named pipe would block, /dev/zero never ends), its size checked first
            data = read_bytes(path, MAX_FILE_BYTES, label, limit="any model this app builds")
        except FileRefused as exc:
            raise CheckpointError(str(exc)) from None
    if len(data) > MAX_FILE_BYTES:
        raise CheckpointError(f"{label}: the file is {len(data) / 2**20:,.0f} MB, more than any model this app "
                              f"builds ({MAX_FILE_BYTES / 2**20:,.0f} MB)")
    meta = _read_metadata(data, label)
    try:
        config = ModelConfig.from_dict(meta.get("model_config"))
        train_config = TrainConfig.from_dict(meta["train_config"]) if meta.get("train_config") is not None else None
        described = _description(meta)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{label}: the checkpoint's description is invalid ({exc})") from None
    if config.n_classes and config.n_classes != len(described["class_names"]):
        raise CheckpointError(f"{label}: a model of {config.n_classes} classes, but the file names "
                              f"{len(described['class_names'])} classes")

    from safetensors.torch import load

    try:
        state = load(data)
    except Exception as exc:  # safetensors raises its own error type for damaged payloads
        raise CheckpointError(f"{label}: the weights are damaged ({_first_line(exc)})") from None
    if any(not t.is_floating_point() for t in state.values()):
        raise CheckpointError(f"{label}: the weights are not floating-point numbers")
    model = build_model(config)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()
        detail = " ".join(line.strip() for line in first[:3])
        raise CheckpointError(f"{label}: the weights do not match the saved model config ({detail[:300]})") from None
    if not all(torch.isfinite(t).all() for t in state.values()):
        raise CheckpointError(f"{label}: the weights contain NaN or infinite values (the run that made it "
                              "diverged); the model cannot be used: retrain it")
    model.eval()
    described["name"] = described["name"] or (path.stem if path else "")
    return Checkpoint(model=model, config=config, train_config=train_config, **described,
                      digest=hashlib.sha256(data).hexdigest(), path=path)


def _description(meta: dict) -> dict:
    """The description's other fields, each checked for its type (ValueError naming the field)."""
    def typed(key, kind, default):
        value = meta.get(key, default)
        if value is None:
            value = default
        if not isinstance(value, kind) or isinstance(value, bool):
            raise ValueError(f"{key} must be a {_JSON_NAMES[kind]}, not {type(value).__name__}")
        return value

    class_names = typed("class_names", list, None) if "class_names" in meta else None
    if class_names is None or not 1 <= len(class_names) <= 1000 or not all(isinstance(c, str) for c in class_names):
        raise ValueError("class_names must be a list of 1 to 1000 names")
    history = typed("history", list, [])
    if not all(isinstance(row, dict) for row in history):
        raise ValueError("history must be a list of objects")
    metrics = typed("metrics", dict, {})
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()):
        raise ValueError("metrics must map names to numbers")
    return dict(dataset=typed("dataset", str, None), class_names=tuple(class_names), metrics=dict(metrics),
                history=list(history), versions=dict(typed("versions", dict, {})),
                name=typed("name", str, ""), created=typed("created", str, ""),
                trained_by=typed("trained_by", str, ""))


_JSON_NAMES = {str: "string", list: "list", dict: "JSON object"}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:200]


def _read_metadata(data: bytes, label: str) -> dict:
    """Parse the safetensors header: 8-byte little-endian length, then a JSON object.

    The header is tried first: its length's low byte can be anything (0x80, 'P'), so a file is
    only called a pickle once it has failed to parse as safetensors."""
    (n,) = struct.unpack("<Q", data[:8]) if len(data) >= 8 else (None,)
    try:
        if n is None or n > min(len(data) - 8, MAX_HEADER_BYTES):
            raise ValueError
        header = json.loads(data[8:8 + n])
    except (ValueError, UnicodeDecodeError, RecursionError):
        if data[:2] == b"PK" or (data[:1] == b"\x80" and data[1:2] in b"\x02\x03\x04\x05"):
            raise CheckpointError(
                f"{label}: this is a PyTorch pickle (torch.save) file, not an LVM Explorer checkpoint; "
                "pickles can run code when loaded, so they are never opened") from None
        if n is None:
            raise CheckpointError(f"{label}: the file is empty or truncated ({len(data)} bytes)") from None
        if n > len(data) - 8:
            raise CheckpointError(f"{label}: the file is truncated or not a checkpoint "
                                  "(it ends before its header does)") from None
        raise CheckpointError(f"{label}: not a checkpoint (its header is not readable)") from None
    try:
        meta = json.loads(header["__metadata__"]["lvm_explorer"])
    except (ValueError, KeyError, TypeError, RecursionError):
        raise CheckpointError(f"{label}: not an LVM Explorer checkpoint "
                              "(no LVM Explorer description in the file)") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        fmt = meta.get("format") if isinstance(meta, dict) else type(meta).__name__
        raise CheckpointError(f"{label}: unsupported checkpoint format {str(fmt)[:40]!r}; this version reads {FORMAT}")
    return meta


def read_description(path) -> dict:
    """The JSON description of a checkpoint file, reading only its header (no weights)."""
    path = Path(path)
    try:
        with open_regular(path) as f:     # a named pipe named *.safetensors in a models folder must not hang
            head = f.read(8)
            n = struct.unpack("<Q", head)[0] if len(head) == 8 else 0
            data = head + (f.read(n) if 0 < n <= MAX_HEADER_BYTES else b"")
    except FileRefused as exc:
        raise CheckpointError(str(exc)) from None
    return _read_metadata(data, path.name)


def check_image_shape(ckpt: Checkpoint, image_shape: tuple[int, ...], dataset: str = "the dataset") -> None:
    """Raise CheckpointError when a model cannot take a dataset's images."""
    if tuple(ckpt.config.image_shape) != tuple(image_shape):
        _, h, w = ckpt.config.image_shape
        raise CheckpointError(f"{ckpt.name or 'this checkpoint'} expects {h}x{w} images, "
                              f"but {dataset} has {image_shape[-2]}x{image_shape[-1]}")


def resave_bytes(ckpt: Checkpoint, **changes) -> bytes:
    """A loaded checkpoint as a file's bytes again, with `changes` (name, metrics...) to its description."""
    kept = dict(dataset=ckpt.dataset, class_names=ckpt.class_names, train_config=ckpt.train_config,
                metrics=ckpt.metrics, history=ckpt.history, name=ckpt.name, trained_by=ckpt.trained_by)
    return checkpoint_bytes(ckpt.model, **{**kept, **changes})


def update_metrics(path, metrics: dict) -> Path:
    """Rewrite a checkpoint with new metrics, atomically, keeping everything else."""
    ckpt = load_checkpoint(path)
    return atomic_write_bytes(path, resave_bytes(ckpt, metrics={**ckpt.metrics, **metrics}))
