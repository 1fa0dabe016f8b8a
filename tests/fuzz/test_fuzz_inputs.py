"""Seeded mutation fuzzing of the two doors hostile files come through: the checkpoint loader and the
picture-upload conversion. Thousands of mutated real files (header, JSON description, tensor bytes;
PNG/JPEG/TIFF/GIF/BMP/WebP/DDS bytes): each must load or raise the project's own error, never
anything else, within a bounded time and without the process's memory growing without bound.

A fixed seed makes every run try the same files; a failure prints the seed and the case number, and
`mutated_checkpoint(seed, case)` / `mutated_picture(seed, case)` rebuild the file that broke it."""
from __future__ import annotations

import io
import json
import random
import resource
import struct
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from lvm_core import CheckpointError, ImageError, load_checkpoint
from lvm_core.data.images import image_from_upload

from checkpoint_craft import join, split

SEED = 20240612
CHECKPOINT_CASES = 2500
PICTURE_CASES = 1500
SECONDS_PER_FILE = 10.0        # a hang guard, far above the milliseconds a file takes: not a speed target
RSS_GROWTH_MB = 600            # peak RSS growth over the whole loop: no file may allocate without bound
SHIPPED = Path(__file__).resolve().parents[2] / "checkpoints"

ODD_VALUES = [0, -1, 1, 2**31, 2**63, -2**63, 10**30, 1e308, 32.0, float("nan"), True, None, "", "x" * 1000,
              [], [1, 2, 3], [[1]], {}, {"a": 1}, [50_000_000], [1, 1_000_000, 1_000_000], [1, 28, 28],
              [1, 8, 8], [8, 8], [1, 1, 8, 8], "vae", "conv", "lvm-explorer/1"]


def _flip_bytes(rng: random.Random, data: bytes, start: int, end: int) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if end > start:
            out[rng.randrange(start, end)] = rng.randrange(256)
    return bytes(out)


def _mutate_json(rng: random.Random, value, depth: int = 0):
    """value with one field somewhere replaced, dropped or added."""
    if isinstance(value, dict) and value and depth < 3 and rng.random() < 0.6:
        key = rng.choice(list(value))
        return {**value, key: _mutate_json(rng, value[key], depth + 1)}
    if isinstance(value, dict) and value and rng.random() < 0.3:
        return {k: v for k, v in value.items() if k != rng.choice(list(value))}
    if isinstance(value, list) and value and depth < 3 and rng.random() < 0.5:
        i = rng.randrange(len(value))
        return value[:i] + [_mutate_json(rng, value[i], depth + 1)] + value[i + 1:]
    return rng.choice(ODD_VALUES + [[[[[[]]]]] * 3, "[" * 5000])


def mutated_checkpoint(rng: random.Random, original: bytes) -> bytes:
    header, payload = split(original)
    (n,) = struct.unpack("<Q", original[:8])
    kind = rng.randrange(8)
    if kind == 0:    # the description's JSON, structurally
        meta = json.loads(header["__metadata__"]["lvm_explorer"])
        header["__metadata__"]["lvm_explorer"] = json.dumps(_mutate_json(rng, meta))
        return join(header, payload)
    if kind == 1:    # a tensor entry: dtype, shape or offsets
        name = rng.choice([k for k in header if k != "__metadata__"])
        field = rng.choice(["dtype", "shape", "data_offsets"])
        header[name][field] = rng.choice([["F16"], "F64", "I64", "BOOL", "F32", [0], [2**40], [-1, 3],
                                          [0, 2**62], [10**9, 10**9], header[name][field][::-1]])
        return join(header, payload)
    if kind == 2:    # the length prefix
        return struct.pack("<Q", rng.choice([0, 1, n - 1, n + 1, 2**63, 3964090575782016240, len(original)])) \
            + original[8:]
    if kind == 3:    # raw bytes of the header
        return _flip_bytes(rng, original, 8, 8 + n)
    if kind == 4:    # raw bytes of the weights (NaN and inf patterns included)
        out = bytearray(_flip_bytes(rng, original, 8 + n, len(original)))
        if rng.random() < 0.5:
            at = rng.randrange(8 + n, len(original) - 4)
            out[at:at + 4] = rng.choice([b"\x00\x00\xc0\x7f", b"\x00\x00\x80\x7f", b"\xff\xff\x7f\x7f"])
        return bytes(out)
    if kind == 5:    # cut short or padded
        return original[:rng.randrange(len(original))] if rng.random() < 0.7 \
            else original + bytes(rng.randrange(1, 999))
    if kind == 6:    # a foreign file wearing the name
        return rng.choice([b"PK\x03\x04" + bytes(64), b"\x80\x04\x95" + bytes(64), b"", b"\x00" * 7,
                           json.dumps({"__metadata__": {}}).encode()])
    return _flip_bytes(rng, original, 0, len(original))


def _pictures() -> list[bytes]:
    """Small real files of every format and mode the conversion handles."""
    rng = np.random.default_rng(0)
    gray = (rng.random((24, 20)) * 255).astype(np.uint8)
    files = []
    for mode, fmt in [("L", "PNG"), ("RGB", "PNG"), ("RGBA", "PNG"), ("P", "PNG"), ("1", "PNG"), ("I;16", "PNG"),
                      ("L", "JPEG"), ("RGB", "JPEG"), ("CMYK", "JPEG"), ("L", "TIFF"), ("F", "TIFF"), ("RGB", "TIFF"),
                      ("P", "GIF"), ("RGB", "BMP"), ("RGBA", "WEBP"), ("RGBA", "DDS"), ("L", "PPM"), ("RGBA", "ICO")]:
        img = Image.fromarray(gray).convert(mode) if mode != "I;16" else Image.fromarray(gray.astype(np.uint16) * 250)
        buf = io.BytesIO()
        img.save(buf, fmt)
        files.append(buf.getvalue())
    return files


def mutated_picture(rng: random.Random, original: bytes) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:    # the header, where sizes, modes and tags live
        return _flip_bytes(rng, original, 0, min(len(original), 200))
    if kind == 1:    # an aligned 16- or 32-bit header field (a size, a flag word, a tag) set to an extreme
        out = bytearray(original)
        width = rng.choice([2, 4])
        at = rng.randrange(0, max(1, min(len(original), 200) - width)) // width * width
        value = rng.choice([0, 1, 3, 0x40, 0x80000, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF, 4000]) % 256 ** width
        out[at:at + width] = value.to_bytes(width, rng.choice(["little", "big"]))
        return bytes(out)
    if kind == 2:
        return original[:rng.randrange(len(original))]
    if kind == 3:    # a chunk repeated or moved
        a, b = sorted(rng.randrange(len(original)) for _ in range(2))
        return original[:b] + original[a:b] + original[b:]
    return _flip_bytes(rng, original, 0, len(original))


def _run(cases: int, make, load, allowed: type[Exception]) -> tuple[int, int]:
    """(loaded, refused); fails on any other exception, a slow file, or unbounded memory."""
    rng = random.Random(SEED)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    loaded = refused = 0
    for case in range(cases):
        data = make(rng)
        start = time.process_time()
        try:
            load(data)
            loaded += 1
        except allowed as exc:
            text = str(exc)
            assert "\n" not in text and len(text) < 400, f"case {case}: message not one short line: {text!r}"
            refused += 1
        except BaseException as exc:  # noqa: BLE001 - the point of the test
            pytest.fail(f"seed {SEED} case {case}: {type(exc).__name__}: {exc}"[:500])
        took = time.process_time() - start
        assert took < SECONDS_PER_FILE, f"seed {SEED} case {case}: {took:.1f} s of CPU for one file"
    growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before
    assert growth < RSS_GROWTH_MB, f"peak memory grew by {growth:.0f} MB"
    return loaded, refused


def test_mutated_checkpoints_load_or_raise_checkpoint_error():
    originals = [(SHIPPED / name).read_bytes()
                 for name in ("digits-vae-mlp-8.safetensors", "digits-ae-mlp-8.safetensors")]
    loaded, refused = _run(CHECKPOINT_CASES, lambda rng: mutated_checkpoint(rng, rng.choice(originals)),
                           lambda data: load_checkpoint(data, name="fuzz.safetensors"), CheckpointError)
    assert refused > CHECKPOINT_CASES // 2 and loaded > 0   # the mutations reach past the first check


def test_mutated_pictures_convert_or_raise_image_error():
    originals = _pictures()
    loaded, refused = _run(PICTURE_CASES, lambda rng: mutated_picture(rng, rng.choice(originals)),
                           lambda data: image_from_upload(data, "digits", "fuzz.png"), ImageError)
    assert refused > PICTURE_CASES // 10 and loaded > PICTURE_CASES // 10
