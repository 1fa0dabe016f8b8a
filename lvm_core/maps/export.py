"""A latent map as files other tools open: TensorFlow's standalone Embedding Projector
(projector.tensorflow.org, or a self-hosted copy) and a table for pandas and Embedding Atlas.

    tensors.tsv            one code per line, tab-separated (the projector's "Load" dialog takes it)
    metadata.tsv           index, label, class, error per point; a header row because it has several
                           columns (the projector reads a single-column file without one)
    sprite.png             image i in cell i of a square grid, row by row, blank cells padding the end
    projector_config.json  ties the three together, for a projector served beside the files
    map.parquet            index, label, class, error, x, y[, z], z0..z{D-1}: pandas.read_parquet, or
                           `embedding-atlas map.parquet --x x --y y`

Row i of every file is the same image.
"""
from __future__ import annotations

import io
import json
import math
import re
import zipfile
from pathlib import Path

import numpy as np
import torch

from lvm_core.storage.files import atomic_write_bytes
from lvm_core.data.images import to_uint8
from lvm_core.generation.inference import to_display
from lvm_core.text import LIMIT, cell, clean

SPRITE_MAX_SIDE = 8192      # the projector refuses bigger sprites (WebGL texture size)


def metadata_tsv(columns: dict[str, list]) -> str:
    """The projector's metadata rules: one column -> values only, no header; several -> a header row. Each
    value a text.cell (a tab or newline in a class name would add a column or a row; a leading = a formula)."""
    names = list(columns)
    rows = zip(*columns.values())
    lines = ([] if len(names) == 1 else ["\t".join(names)]) + ["\t".join(str(cell(v)) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def tensor_tsv(codes: np.ndarray) -> str:
    return "\n".join("\t".join(f"{v:.6g}" for v in row) for row in np.asarray(codes, np.float64)) + "\n"


def sprite(images: torch.Tensor) -> tuple[np.ndarray, int]:
    """images (N, C, H, W) in [0, 1] -> (sprite (S, S) or (S, S, 3) uint8, cell side). Cells are
    ceil(sqrt(N)) a side, image i at row i // side, column i % side; shrunk when the sprite would
    pass SPRITE_MAX_SIDE pixels."""
    n, _, h, w = images.shape
    per_side = max(1, math.ceil(math.sqrt(n)))
    cell = min(max(h, w), SPRITE_MAX_SIDE // per_side)
    if (h, w) != (cell, cell):
        images = torch.nn.functional.interpolate(images.float(), size=(cell, cell), mode="bilinear",
                                                 antialias=True, align_corners=False)
    shown = to_display(images)
    grid = np.zeros((per_side * cell, per_side * cell) + shown.shape[3:], np.uint8)
    for i, image in enumerate(to_uint8(shown)):
        r, c = divmod(i, per_side)
        grid[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = image
    return grid, cell


def map_files(codes: np.ndarray, labels: np.ndarray, class_names, errors: np.ndarray, embedding: np.ndarray,
              indices: np.ndarray, images: torch.Tensor, name: str = "map") -> dict[str, bytes]:
    """The export's files by name, for N points: codes (N, D), labels (N,), errors (N,), embedding
    (N, 2 or 3) map positions, indices (N,) positions in the split, images (N, C, H, W)."""
    import pandas as pd
    from PIL import Image

    labels = np.asarray(labels).astype(int)
    shown = [clean(name, LIMIT) for name in class_names]    # the user's text (metadata_tsv adds cell's guard)
    classes = [shown[c] if 0 <= c < len(shown) else str(c) for c in labels]
    grid, cell = sprite(images)
    png = io.BytesIO()
    Image.fromarray(grid).save(png, format="PNG")
    meta = {"index": np.asarray(indices).tolist(), "label": labels.tolist(), "class": classes,
            "error": [f"{e:.6g}" for e in np.asarray(errors, np.float64)]}
    config = {"embeddings": [{"tensorName": clean(name), "tensorShape": list(codes.shape), "tensorPath": "tensors.tsv",
                              "metadataPath": "metadata.tsv",
                              "sprite": {"imagePath": "sprite.png", "singleImageDim": [cell, cell]}}]}
    table = pd.DataFrame({"index": np.asarray(indices, np.int64), "label": labels, "class": classes,
                          "error": np.asarray(errors, np.float32)})
    for axis, values in zip("xyz", np.asarray(embedding, np.float32).T):
        table[axis] = values
    for j in range(codes.shape[1]):
        table[f"z{j}"] = np.asarray(codes[:, j], np.float32)
    parquet = io.BytesIO()
    table.to_parquet(parquet, index=False)
    return {"tensors.tsv": tensor_tsv(codes).encode(), "metadata.tsv": metadata_tsv(meta).encode(),
            "sprite.png": png.getvalue(), "projector_config.json": json.dumps(config, indent=1).encode(),
            "map.parquet": parquet.getvalue()}


def split_map_files(latent_map, encoded, images: torch.Tensor, class_names, name: str = "map") -> dict[str, bytes]:
    """map_files for the points of a LatentMap of a split, with that split's EncodedSplit and images."""
    rows = latent_map.indices
    return map_files(encoded.codes[rows], latent_map.labels, class_names, latent_map.errors, latent_map.embedding,
                     rows, images[torch.as_tensor(rows)], name=name)


def write_files(out_dir, files: dict[str, bytes]) -> list[Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return [atomic_write_bytes(out / name, data) for name, data in files.items()]


def plain_name(name: str, fallback: str = "map") -> str:
    """A file name with no folder part: a checkpoint's name (an uploaded file's, so anyone's) may hold
    '../' or '/', which a zip entry would carry out of the folder it is unpacked in."""
    plain = re.sub(r"[^A-Za-z0-9._ -]+", "-", name).strip(" .-")
    return plain or fallback


def plain_path(name: str) -> str:
    """A relative path of plain names ("assets/map.js"): no '..', no leading '/'."""
    parts = [plain_name(part, "") for part in name.replace("\\", "/").split("/")]
    return "/".join(p for p in parts if p) or "file"


def zip_bytes(files: dict[str, bytes], folder: str = "map") -> bytes:
    """The files in one .zip (inside `folder`/), for a download button. Every entry is folder/name with
    made plain (plain_name, plain_path): unpacking never writes outside the folder."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in files.items():
            z.writestr(f"{plain_name(folder)}/{plain_path(name)}", data)
    return buffer.getvalue()
