"""Image helpers: grids for display and files, and turning an uploaded picture into a dataset image."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lvm_core.config import MAX_UPLOAD_BYTES  # the server's upload limit (.streamlit/config.toml)
from lvm_core.data.pictures import open_picture

MAX_UPLOAD_PIXELS = 16_000_000  # 4000x4000: at most 64 MB decoded (RGBA), checked before decoding


def make_grid(images: np.ndarray, ncols: int | None = None, pad: int = 1, pad_value: float = 1.0) -> np.ndarray:
    """images (N, H, W) or colour (N, H, W, C) in [0, 1] -> one (rows*(H+pad)-pad, cols*(W+pad)-pad[, C])
    image: torchvision's make_grid, less the outer border it adds (tiles meet the picture's edge, as the
    pages show them)."""
    import torch
    from torchvision.utils import make_grid as torchvision_grid

    images = np.asarray(images, dtype=np.float32)
    ncols = ncols or math.ceil(math.sqrt(len(images)))
    tiles = torch.from_numpy(images)
    tiles = tiles[:, None] if tiles.ndim == 3 else tiles.permute(0, 3, 1, 2)
    grid = torchvision_grid(tiles, nrow=ncols, padding=pad, pad_value=pad_value)
    grid = grid[:, pad:grid.shape[1] - pad, pad:grid.shape[2] - pad]
    return grid[0].numpy() if images.ndim == 3 else grid.permute(1, 2, 0).numpy()


def to_uint8(image: np.ndarray) -> np.ndarray:
    return (np.clip(image, 0, 1) * 255).round().astype(np.uint8)


def enlarge(image: np.ndarray, factor: int) -> np.ndarray:
    """Repeat each pixel factor x factor times: a crisp big picture of a 28x28 image, where a
    browser's smooth upscaling would blur it."""
    return np.repeat(np.repeat(np.asarray(image), factor, axis=0), factor, axis=1)


MAX_GRID_PIXELS = 40_000_000    # a PNG grid: drawing it takes ~25 bytes a pixel (float copies, 3 channels)


def grid_pixels(n: int, height: int, width: int, scale: int = 2, pad: int = 1) -> int:
    """The pixels of grid_png's picture of n images of height x width: what it costs, known before drawing."""
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols) if n else 0
    return (rows * (height + pad) - pad) * (cols * (width + pad) - pad) * scale * scale


def grid_png(images: np.ndarray, scale: int = 2) -> bytes:
    """images (N, H, W) in [0, 1] -> a PNG of their grid, each pixel scale x scale (torchvision's save_image).
    InvalidInput when the picture would pass MAX_GRID_PIXELS (a grid of that many images is no picture)."""
    import io

    import torch
    from torchvision.utils import save_image

    from lvm_core.errors import InvalidInput

    pixels = grid_pixels(len(images), images.shape[1], images.shape[2], scale)
    if pixels > MAX_GRID_PIXELS:
        raise InvalidInput(f"a grid of {len(images):,} images is {pixels / 1e6:,.0f} megapixels (at most "
                           f"{MAX_GRID_PIXELS / 1e6:,.0f}): ask for fewer images")

    grid = torch.from_numpy(enlarge(make_grid(images), scale))
    buffer = io.BytesIO()
    save_image(grid.expand(3, -1, -1), buffer, format="png")   # 3 channels: save_image cannot write 1
    return buffer.getvalue()


# --- uploads: any picture -> one dataset image -------------------------------------------------

WORK_SIDE = 1024    # big pictures are shrunk to this first: a 4000x4000 upload converts in well under a second
STEP_SIDE = 256     # the conversion steps are returned at most this big, for display
INK = 0.2           # after the contrast stretch, pixels above this count as ink when cropping
FILL = {"mnist": 20 / 28}  # MNIST centres each digit's 20x20 box in 28x28; other datasets fill the frame


@dataclass(frozen=True)
class ConvertedImage:
    image: np.ndarray                           # (C, H, W) float32 in [0, 1]: the dataset's shape and range
    steps: list[tuple[str, np.ndarray]]         # (caption, (h, w) float32 in [0, 1]) in the order applied
    inverted: bool                              # a dark-on-light picture was turned light-on-dark


def image_from_upload(data: bytes, dataset: str = "mnist", name: str = "the upload") -> ConvertedImage:
    """Turn uploaded bytes (PNG, JPEG or anything Pillow reads; any size, colour mode or bit depth)
    into one image shaped like `dataset`'s, returning each conversion step for display.

    MNIST-like datasets are light ink on a black background, so a dark-on-light picture (a photo
    of a digit on paper) is inverted; the ink is then stretched to full range, cropped, centred
    and resized. Raises ImageError for empty, huge or unreadable files.
    """
    from lvm_core.data.datasets import DATASETS

    channels, h, w = DATASETS[dataset].image_shape
    if channels == 3:  # your own colour images: no ink to find, only a resize
        from PIL import Image

        def resized_rgb(img):
            return np.asarray(_shrink(img).convert("RGB").resize((w, h), Image.Resampling.BILINEAR), np.float32) / 255.0

        rgb, size, mode = _read_picture(data, name, resized_rgb)
        return ConvertedImage(image=rgb.transpose(2, 0, 1).copy(), inverted=False,
                              steps=[(f"the {size[0]}×{size[1]} {mode} picture resized to {h}×{w}", rgb)])
    (gray, how), size, mode = _read_picture(data, name, lambda img: _grayscale(_shrink(img)))
    steps = [(f"grayscale of the {size[0]}×{size[1]} {mode} picture{how}", _thumb(gray))]
    background = float(np.median(_border(gray)))
    inverted = background > 0.5
    if inverted:
        gray = 1.0 - gray
        background = 1.0 - background
        steps.append(("inverted: it was dark on light, the dataset is light on dark", _thumb(gray)))
    peak = float(np.percentile(gray, 99.5))
    if peak - background > 0.05:
        if background > 0.02 or peak < 0.98:
            gray = np.clip((gray - background) / (peak - background), 0, 1)
            steps.append(("contrast stretched: background to 0, ink to 1", _thumb(gray)))
        gray = _crop_to_ink(gray, FILL.get(dataset, 1.0))
        steps.append(("cropped to the ink and centred in a square", _thumb(gray)))
    else:
        steps.append(("no ink found (a blank picture): kept as it is", _thumb(gray)))
    image = np.clip(_resize(gray, h, w), 0, 1).astype(np.float32)
    steps.append((f"resized to {h}×{w}: what the model sees", image))
    return ConvertedImage(image=image[None], steps=steps, inverted=inverted)


def _read_picture(data: bytes, name: str, convert):
    """(convert(the decoded upload), its size, its mode): data/pictures.py's rules at the upload limits."""
    return open_picture(data, name, convert, max_bytes=MAX_UPLOAD_BYTES, max_pixels=MAX_UPLOAD_PIXELS,
                        draft_side=WORK_SIDE)


def _shrink(img):
    """Box-average a big picture to at most about WORK_SIDE pixels a side, in Pillow, before any
    float copy is made: a 4000x4000 upload then converts in a fraction of a second."""
    factor = math.ceil(max(img.size) / WORK_SIDE)
    if factor <= 1:
        return img
    if img.mode in ("1", "P"):  # modes Image.reduce does not take
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    elif img.mode.startswith("I;16"):
        img = img.convert("I")  # same values, in a mode reduce takes
    return img.reduce(factor)


def _grayscale(img) -> tuple[np.ndarray, str]:
    """Any Pillow mode -> (h, w) float32 in [0, 1], and a note on how."""
    if img.mode.startswith("I") or img.mode == "F":  # 16/32-bit integer or float pixels
        a = np.asarray(img, dtype=np.float64)
        a[~np.isfinite(a)] = 0.0   # float TIFFs can hold NaN or infinity: treated as background
        top = float(a.max())
        # The file does not say how many bits were used (10- and 12-bit sensors save 16-bit PNGs),
        # so take the smallest usual range that holds the brightest pixel.
        ranges = ([1.0] if img.mode == "F" else []) + [255.0, 1023.0, 4095.0, 16383.0, 65535.0]
        peak = next((r for r in ranges if top <= r), max(top, 1.0))
        return np.clip(a / peak, 0, 1).astype(np.float32), f" (scaled from 0..{peak:g})"
    if img.mode == "P":
        img = img.convert("RGBA" if "transparency" in img.info else "RGB")
    if "A" in img.getbands() or "a" in img.getbands():
        rgba = np.asarray(img.convert("RGBA"), dtype=np.float32) / 255.0
        lum = rgba[..., :3] @ np.array([0.299, 0.587, 0.114], np.float32)  # ITU-R 601, as Pillow's "L"
        alpha = rgba[..., 3]
        # Transparent pixels get the colour that contrasts with the drawn ones, so both dark strokes
        # and light strokes on a transparent background survive.
        ink_is_light = float((lum * alpha).sum()) > 0.5 * float(alpha.sum())
        back = 0.0 if ink_is_light else 1.0
        note = f" (transparency filled with {'black' if back == 0 else 'white'})" if alpha.min() < 1 else ""
        return lum * alpha + back * (1 - alpha), note
    if img.mode not in ("L", "RGB", "1"):
        img = img.convert("RGB")  # CMYK, YCbCr, LAB...
    return np.asarray(img.convert("L"), dtype=np.float32) / 255.0, ""


def _border(gray: np.ndarray) -> np.ndarray:
    """The outermost ring of pixels: where the background is on a picture of one object."""
    return np.concatenate([gray[0], gray[-1], gray[:, 0], gray[:, -1]])


def _crop_to_ink(gray: np.ndarray, fill: float) -> np.ndarray:
    """Crop to the ink's bounding box and pad it into a square whose side the ink fills by `fill`."""
    rows, cols = np.nonzero(gray > INK)
    if rows.size == 0:
        return gray
    ink = gray[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    side = int(np.ceil(max(ink.shape) / fill))
    square = np.zeros((side, side), np.float32)
    top, left = (side - ink.shape[0]) // 2, (side - ink.shape[1]) // 2
    square[top:top + ink.shape[0], left:left + ink.shape[1]] = ink
    return square


def _resize(gray: np.ndarray, h: int, w: int) -> np.ndarray:
    """Antialiased resize of a float image (Pillow's filters widen with the scale factor)."""
    from PIL import Image

    out = Image.fromarray(gray.astype(np.float32)).resize((w, h), Image.Resampling.BILINEAR)
    return np.asarray(out, dtype=np.float32)


def _thumb(gray: np.ndarray) -> np.ndarray:
    side = max(gray.shape)
    if side <= STEP_SIDE:
        return gray.astype(np.float32)
    scale = STEP_SIDE / side
    return _resize(gray, max(1, round(gray.shape[0] * scale)), max(1, round(gray.shape[1] * scale)))
