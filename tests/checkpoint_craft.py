"""Crafted checkpoints for the hostile-input tests: a real file with its description or header edited."""
from __future__ import annotations

import json
import struct


def split(data: bytes) -> tuple[dict, bytes]:
    """A safetensors file -> (its JSON header, the tensor bytes after it)."""
    (n,) = struct.unpack("<Q", data[:8])
    return json.loads(data[8:8 + n]), data[8 + n:]


def join(header: dict, payload: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + payload


def with_description(data: bytes, edit) -> bytes:
    """The same file with edit(description) applied to its LVM Explorer description (a dict, in place)."""
    header, payload = split(data)
    meta = json.loads(header["__metadata__"]["lvm_explorer"])
    edit(meta)
    header["__metadata__"]["lvm_explorer"] = json.dumps(meta)
    return join(header, payload)


def with_model_config(data: bytes, **changes) -> bytes:
    return with_description(data, lambda meta: meta["model_config"].update(changes))
