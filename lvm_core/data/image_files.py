"""Pictures and arrays on disk -> images (N, C, S, S) float32 in [0, 1]: a folder in torchvision's
ImageFolder layout (read with Pillow) or an .npz (read without unpickling). Each problem (an
unreadable file, mixed sizes, an empty class folder) is appended to `problems` as one sentence and
the good files still load; sizes are checked before anything big is allocated."""
from __future__ import annotations

import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import torch

from lvm_core.data.pictures import open_picture
from lvm_core.errors import DatasetUnavailable, FileRefused, ImageError
from lvm_core.storage.files import read_bytes

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm"}
MAX_IMAGE_PIXELS = 50_000_000        # one picture; a bigger one is skipped before it is decoded
MAX_PICTURE_BYTES = 64 * 2**20       # one picture file; a bigger one is skipped unread
MAX_DATASET_BYTES = 4 * 2**30        # the float32 tensor of a whole dataset; checked before allocating
COLOUR_MODES = {"RGB", "RGBA", "RGBX", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "La"}


# --- folders -----------------------------------------------------------------------------------

def _class_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and not p.name.startswith("."))


def class_names(path: Path) -> tuple[str, ...]:
    """A folder's class subfolders (sorted, as ImageFolder), an .npz's sorted label values, else ("images",)."""
    if path.is_dir():
        folders = _class_folders(path)
        return tuple(p.name for p in folders) if folders else ("images",)
    labels = _npz_array(path, "labels", required=False)
    return tuple(str(v) for v in np.unique(labels)) if labels is not None else ("images",)


def is_colour(path: Path) -> bool:
    """Colour when the first readable picture is (a folder) or the array has 3+ channels (an .npz)."""
    if path.is_dir():
        from PIL import Image

        for file in _image_files(path)[:20]:
            try:
                with Image.open(file) as img:
                    return img.mode in COLOUR_MODES
            except Exception:  # noqa: BLE001 - an unreadable file is reported when loading
                continue
        return False
    header = _npz_header(path, "images")
    return header is not None and len(header[0]) == 4 and header[0][3] >= 3


def read_folder(root: Path, size: int, channels: int, problems: list[str]):
    folders = _class_folders(root)
    files = [(f, c) for c, folder in enumerate(folders) for f in _image_files(folder)] if folders \
        else [(f, 0) for f in _image_files(root)]
    for folder in folders:
        if not _image_files(folder):
            problems.append(f"class folder {folder.name!r} holds no images")
    _check_bytes(root, len(files), channels, size)
    pixels, labels, sizes = [], [], Counter()
    for path, label in files:
        picture = _read_picture(path, size, channels, problems, root)
        if picture is not None:
            array, original = picture
            pixels.append(array)
            labels.append(label)
            sizes[original] += 1
    if len(sizes) > 1:
        common, count = sizes.most_common(1)[0]
        problems.append(f"{len(pixels) - count} of {len(pixels)} images are not {common[0]}×{common[1]} like the "
                        f"rest (mixed sizes): every image was resized to {size}×{size}")
    images = np.stack(pixels) if pixels else np.zeros((0, size, size, channels), np.uint8)
    return _to_tensor(images), torch.tensor(labels, dtype=torch.long)


def _read_picture(path: Path, size: int, channels: int, problems: list[str], root: Path):
    """(S, S, C) uint8 and the original (w, h), or None with a message in problems (data/pictures.py's
    rules, at this module's limits)."""
    from PIL import Image

    def square(img):
        img = img.convert("RGB" if channels == 3 else "L")
        if img.size != (size, size):
            img = img.resize((size, size), Image.Resampling.BILINEAR)
        return np.asarray(img, dtype=np.uint8)

    rel = path.relative_to(root)
    try:
        data = read_bytes(path, MAX_PICTURE_BYTES, str(rel))   # never read a huge file only to refuse it
        array, original, _ = open_picture(data, str(rel), square, max_bytes=MAX_PICTURE_BYTES,
                                          max_pixels=MAX_IMAGE_PIXELS, draft_side=2 * size)
    except (ImageError, FileRefused, OSError) as exc:
        problems.append(f"skipped {rel}: {exc}")
        return None
    return (array[..., None] if channels == 1 else array), original


# --- .npz --------------------------------------------------------------------------------------

def _npz_header(path: Path, key: str) -> tuple[tuple[int, ...], np.dtype] | None:
    """Shape and dtype of one array of an .npz, read from its header without loading it."""
    try:
        with zipfile.ZipFile(path) as z, z.open(f"{key}.npy") as f:
            version = np.lib.format.read_magic(f)
            read = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read(f)
            return shape, dtype
    except KeyError:
        return None
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise DatasetUnavailable(f"{path} is not a readable .npz file ({exc})") from None


def _npz_array(path: Path, key: str, required: bool = True) -> np.ndarray | None:
    header = _npz_header(path, key)
    if header is None:
        if required:
            raise DatasetUnavailable(f"{path} has no '{key}' array (expected images (N, H, W) or (N, H, W, C))")
        return None
    try:
        with np.load(path, allow_pickle=False) as z:  # never unpickle: object arrays are refused
            return z[key]
    except (ValueError, OSError, zipfile.BadZipFile) as exc:
        raise DatasetUnavailable(f"{path}: '{key}' cannot be read without unpickling ({exc})") from None


def read_npz(path: Path, size: int, channels: int, problems: list[str]):
    if _npz_header(path, "images") is None:
        raise DatasetUnavailable(f"{path} has no 'images' array (expected images (N, H, W) or (N, H, W, C))")
    shape, dtype = _npz_header(path, "images")
    if len(shape) not in (3, 4) or (len(shape) == 4 and shape[3] not in (1, 3, 4)):
        raise DatasetUnavailable(f"{path}: images must be (N, H, W) or (N, H, W, C) with C 1, 3 or 4, not {shape}")
    if dtype.kind not in "uif":
        raise DatasetUnavailable(f"{path}: images must be numbers (uint8 or float), not {dtype}")
    _check_bytes(path, shape[0], channels, max(size, shape[1], shape[2]))
    array = _npz_array(path, "images")
    x = torch.from_numpy(np.ascontiguousarray(array)).float()
    x = x[..., None] if x.ndim == 3 else x[..., :3]
    if len(x) == 0:
        return x.permute(0, 3, 1, 2), torch.zeros(0, dtype=torch.long)
    top, low = float(x.max()), float(x.min())
    if dtype.kind != "f" or top > 1.0:  # 0..255 pixels
        if top > 255 or low < 0:
            problems.append(f"{path.name}: pixel values outside 0..255 were clipped")
        x = x.clamp(0, 255) / 255.0
    elif low < 0:
        problems.append(f"{path.name}: pixel values below 0 were clipped (floats are read as 0..1)")
        x = x.clamp(0, 1)
    x = x.permute(0, 3, 1, 2)
    x = x.mean(1, keepdim=True) if channels == 1 else (x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x)
    if x.shape[-2:] != (size, size):
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear", antialias=True,
                                            align_corners=False).clamp_(0, 1)
    labels = _npz_array(path, "labels", required=False)
    if labels is not None and labels.shape != (len(x),):
        problems.append(f"{path.name}: labels has shape {labels.shape}, not ({len(x)},): ignored (one class)")
        labels = None
    codes = np.unique(labels, return_inverse=True)[1] if labels is not None else np.zeros(len(x), np.int64)
    return x.contiguous(), torch.from_numpy(codes.astype(np.int64).reshape(-1))


# --- both --------------------------------------------------------------------------------------

def _check_bytes(where: Path, n: int, channels: int, side: int) -> None:
    need = n * channels * side * side * 4
    if need > MAX_DATASET_BYTES:
        raise DatasetUnavailable(f"{where}: {n} images of {channels}×{side}×{side} need {need / 2**30:.1f} GiB "
                                 f"of memory (limit {MAX_DATASET_BYTES / 2**30:.0f} GiB): use a smaller size")


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    """(N, S, S, C) uint8 -> (N, C, S, S) float32 in [0, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0).contiguous()
