"""A latent map packed for the browser: every point's place, class, code, original and reconstruction
in one binary blob, so hovering can show any point's images with no server round-trip.

Layout (little-endian): b"LVMP", uint32 header length, a UTF-8 JSON header, then the zlib-deflated
body (the browser inflates it with DecompressionStream("deflate")). header["sections"] lists each
array of the body: {"name", "dtype" ("float32" | "int32" | "uint8"), "shape", "offset"}, offsets
multiples of 4 so the browser views them as typed arrays without copying.

Sections: xy (N, 2) map coordinates; labels (N,); indices (N,) positions in the split (what
customdata holds); errors (N,); colour (N,) when coloured by a value; codes (N, D); originals and
recons (N, H, W) or (N, H, W, 3) uint8 (0..255); and for maps that can be inverted, mean (D,) and components (2, D),
so a spot (x, y) of the map decodes as z = mean + [x, y] @ components.
"""
from __future__ import annotations

import hashlib
import json
import struct
import zlib

import numpy as np

from lvm_core.data.images import to_uint8
from lvm_core.text import clean, plain

MAGIC = b"LVMP"
INVERTIBLE = ("raw", "pca")   # t-SNE and UMAP have no function from a spot of the map back to a code


def class_colours() -> list[str]:
    """Class c gets colour c, the same on every page and in the static lesson (plotly's palettes)."""
    from plotly.colors import qualitative

    return qualitative.Plotly + qualitative.Dark24


def marker_size(n: int) -> float:
    """Smaller dots as the map fills up, so 70,000 points still show structure."""
    return 6.0 if n <= 2_000 else 4.0 if n <= 10_000 else 3.0 if n <= 30_000 else 2.0


def map_header(map_key: str, method: str, method_name: str, class_names, n: int, model_digest: str) -> dict:
    """The JSON part of a packed map that the browser needs besides the arrays (pack_map's header). Class
    names are the model file's text: class_names for textContent (text.clean), class_labels for plotly.js's
    trace names, where tags render (text.plain)."""
    return {"key": map_key, "method": method, "method_name": method_name,
            "class_names": [clean(c) for c in class_names], "class_labels": [plain(c) for c in class_names],
            "class_colours": class_colours(), "marker_size": marker_size(n), "model_digest": model_digest}


def linear_inverse(codes: np.ndarray, embedding: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """codes (N, D), their 2-D linear map embedding (N, 2) -> mean (D,), components (2, D) with
    codes ~= mean + embedding @ components. Fitted by least squares, so it holds for any linear map
    (a PCA map whatever its signs, the raw plane of a 2-d model) and needs nothing but the map."""
    design = np.column_stack([np.asarray(embedding, np.float64), np.ones(len(embedding))])
    solution, *_ = np.linalg.lstsq(design, np.asarray(codes, np.float64), rcond=None)
    return solution[2].astype(np.float32), solution[:2].astype(np.float32)


def colour_range(values: np.ndarray, centred: bool = False) -> tuple[float, float]:
    """(cmin, cmax) for colouring a map by values (N,): the 1st..99th percentile, so a few outliers do not
    squeeze every other point into one colour; centred: symmetric about 0 (a code dimension)."""
    if centred:
        spread = float(np.percentile(np.abs(values), 99)) or 1.0
        return -spread, spread
    lo, hi = np.nanpercentile(values, [1, 99])
    return float(lo), float(max(hi, lo + 1e-9))


def _sections(arrays: dict[str, np.ndarray]) -> tuple[list[dict], bytes]:
    """Concatenate arrays, each padded to 4 bytes, and say where each one is."""
    sections, parts, offset = [], [], 0
    for name, array in arrays.items():
        data = np.ascontiguousarray(array).tobytes()
        sections.append({"name": name, "dtype": str(array.dtype), "shape": list(array.shape), "offset": offset})
        pad = -len(data) % 4
        parts.append(data + b"\0" * pad)
        offset += len(data) + pad
    return sections, b"".join(parts)


def pack_map(embedding: np.ndarray, indices: np.ndarray, labels: np.ndarray, errors: np.ndarray,
             codes: np.ndarray, originals: np.ndarray, recons: np.ndarray, method: str,
             header: dict | None = None, colour: np.ndarray | None = None, level: int = 1) -> bytes:
    """One map as bytes for the browser. embedding (N, 2); indices, labels, errors (N,); codes (N, D) of
    those N points; originals and recons (N, H, W) or (N, H, W, 3) in [0, 1]; colour (N,) values or None (by class).
    header: extra JSON fields (class names, colours, titles...). zlib level 1: 10x faster than level 6
    on MNIST and within 10% of its size (mostly zero pixels)."""
    embedding = np.asarray(embedding, np.float32)
    if embedding.ndim != 2 or embedding.shape[1] != 2:
        raise ValueError(f"the browser map draws 2-D maps; this embedding is {embedding.shape}")
    arrays = {"xy": embedding, "indices": np.asarray(indices, np.int32), "labels": np.asarray(labels, np.int32),
              "errors": np.asarray(errors, np.float32), "codes": np.asarray(codes, np.float32),
              "originals": to_uint8(originals), "recons": to_uint8(recons)}
    if colour is not None:
        arrays["colour"] = np.asarray(colour, np.float32)
    invertible = method in INVERTIBLE
    if invertible:
        arrays["mean"], arrays["components"] = linear_inverse(codes, embedding)
    sections, body = _sections(arrays)
    digest = hashlib.sha256(body).hexdigest()[:16]
    meta = {**(header or {}), "n": len(embedding), "height": int(originals.shape[1]), "width": int(originals.shape[2]),
            "channels": int(originals.shape[3]) if originals.ndim == 4 else 1, "latent_dim": int(codes.shape[1]),
            "method": method, "invertible": invertible, "digest": digest,
            "sections": sections}
    text = json.dumps(meta).encode()
    return MAGIC + struct.pack("<I", len(text)) + text + zlib.compress(body, level)


def unpack_map(blob: bytes) -> tuple[dict, dict[str, np.ndarray]]:
    """pack_map's inverse (the browser does the same in JavaScript): (header, {name: array})."""
    if blob[:4] != MAGIC:
        raise ValueError("not a packed map")
    (length,) = struct.unpack("<I", blob[4:8])
    header = json.loads(blob[8:8 + length])
    body = zlib.decompress(blob[8 + length:])
    arrays = {}
    for s in header["sections"]:
        count = int(np.prod(s["shape"]))
        arrays[s["name"]] = np.frombuffer(body, s["dtype"], count, s["offset"]).reshape(s["shape"])
    return header, arrays
