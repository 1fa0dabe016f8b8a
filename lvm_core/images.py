"""Image helpers: grids for display and files, and turning an uploaded picture into a dataset image."""
from __future__ import annotations

import io
import math

import numpy as np

from .errors import ImageError

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UPLOAD_PIXELS = 50_000_000


def make_grid(images: np.ndarray, ncols: int | None = None, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """images (N, H, W) in [0, 1] -> one (rows*(H+pad)-pad, cols*(W+pad)-pad) image."""
    images = np.asarray(images)
    n, h, w = images.shape
    ncols = ncols or math.ceil(math.sqrt(n))
    nrows = math.ceil(n / ncols)
    grid = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad), pad_value, dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, ncols)
        grid[r * (h + pad): r * (h + pad) + h, c * (w + pad): c * (w + pad) + w] = img
    return grid


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def save_grid_png(images: np.ndarray, path, scale: int = 2) -> None:
    from PIL import Image

    grid = to_uint8(make_grid(images))
    Image.fromarray(grid).resize((grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST).save(path)
