"""Your own images as a dataset: a folder in torchvision's ImageFolder layout, or an .npz file.

A folder holds one subfolder per class (the subfolder's name is the class name), or images
directly (one unlabelled class). An .npz holds `images` (N, H, W) or (N, H, W, C), uint8 or float,
and optionally `labels` (N,) (integers or strings). Images are resized to a square side (28 by
default) and kept grey or colour (3 channels). A fixed, seeded 80/20 split per class gives
"train" and "test". Declared in a TOML file ($LVM_DATASETS, else ./datasets.toml):

    [shapes]
    path = "/data/shapes"     # folder or .npz; relative paths are relative to the TOML file
    size = 32                 # optional, default 28
    colour = true             # optional, default: colour when the data is colour
    title = "My shapes"       # optional

or named by path on the command line (`--dataset path/to/folder`, `--image-size 32`): the dataset's
name is then the absolute path, with `@32` appended for sizes other than 28.
"""
from __future__ import annotations

import functools
import os
import tomllib
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .data import DATASETS, OWN_DATASETS, DatasetInfo, ImageDataset
from .errors import DatasetUnavailable

DEFAULT_SIZE = 28
TEST_FRACTION = 0.2
SPLIT_SEED = 0
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pbm"}
MAX_IMAGE_PIXELS = 50_000_000        # one picture; a bigger one is skipped before it is decoded
MAX_DATASET_BYTES = 4 * 2**30        # the float32 tensor of a whole dataset; checked before allocating
COLOUR_MODES = {"RGB", "RGBA", "RGBX", "P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "La"}

# Messages about files skipped or fixed while loading, per dataset name: shown by the CLI and the app.
PROBLEMS: dict[str, list[str]] = {}


@dataclass(frozen=True)
class OwnSource:
    name: str
    path: Path
    size: int = DEFAULT_SIZE
    colour: bool | None = None      # None: colour when the data is
    title: str = ""


def config_path() -> Path:
    """$LVM_DATASETS, else datasets.toml in the current folder."""
    return Path(os.environ.get("LVM_DATASETS") or "datasets.toml")


def declared(path: Path | None = None) -> dict[str, OwnSource]:
    """The datasets a TOML file declares, by name. A missing file declares none."""
    path = Path(path or config_path())
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError) as exc:
        raise DatasetUnavailable(f"{path} is not a valid TOML file: {exc}") from None
    out = {}
    for name, entry in table.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise DatasetUnavailable(f"{path}: [{name}] needs a path = \"folder or file.npz\" line")
        if name in DATASETS and name not in OWN_DATASETS:
            raise DatasetUnavailable(f"{path}: [{name}] is a built-in dataset's name; pick another")
        size, colour = entry.get("size", DEFAULT_SIZE), entry.get("colour")
        if not isinstance(size, int) or not 4 <= size <= 512:
            raise DatasetUnavailable(f"{path}: [{name}] size must be a whole number from 4 to 512, not {size!r}")
        if colour is not None and not isinstance(colour, bool):
            raise DatasetUnavailable(f"{path}: [{name}] colour must be true or false, not {colour!r}")
        where = Path(entry["path"]).expanduser()
        where = where if where.is_absolute() else path.resolve().parent / where
        out[name] = OwnSource(name, where.resolve(), size, colour, str(entry.get("title", "")))
    return out


def path_name(path, size: int = DEFAULT_SIZE) -> str:
    """The dataset name of a folder or .npz named on the command line (stored in checkpoints)."""
    for source in _declared_quietly().values():  # a declared path keeps its declared name
        if source.path == Path(path).resolve() and source.size == size:
            return source.name
    return str(Path(path).resolve()) + ("" if size == DEFAULT_SIZE else f"@{size}")


def dataset_name(text: str, size: int | None = None) -> str:
    """What --dataset names: a built-in or declared dataset, else a folder or .npz path (made absolute)."""
    if text in DATASETS and size is None:
        return text
    path = Path(text).expanduser()
    if path.is_dir() or (path.is_file() and path.suffix == ".npz"):
        name = path_name(path, size or DEFAULT_SIZE)
        source_of(name)  # registered: DATASETS now describes it
        return name
    if text in DATASETS:
        raise DatasetUnavailable(f"--image-size applies to your own images, not to the built-in {text}")
    raise DatasetUnavailable(f"unknown dataset {text!r}: give one of {', '.join(DATASETS)}, "
                             f"a folder of images or an .npz file")


def source_of(name: str) -> OwnSource | None:
    """The own dataset a name stands for (declared name or path), registered in DATASETS; None for
    names that are neither (built-in datasets, typos)."""
    if name in _OWN:
        return _OWN[name]
    source = _declared_quietly().get(name) or _from_path(name)
    if source is not None:
        register(source)
    return source


_OWN: dict[str, OwnSource] = {}


def report_problems(name: str) -> None:
    """Print the problems met loading an own dataset on stderr, one line each (the CLI's warnings)."""
    import sys

    for problem in PROBLEMS.get(name, []):
        sys.stderr.write(f"warning: {problem}\n")


def register(source: OwnSource) -> None:
    """Make DATASETS describe an own dataset (title, class names, image shape) like a built-in one."""
    classes = _class_names(source)
    channels = 3 if (source.colour if source.colour is not None else _looks_colour(source)) else 1
    title = source.title or f"{Path(source.path).name} (your images, {source.size}×{source.size})"
    DATASETS[source.name] = DatasetInfo(title, classes, (channels, source.size, source.size), True)
    OWN_DATASETS.add(source.name)
    _OWN[source.name] = source


def register_declared() -> list[str]:
    """Register every dataset of the TOML file; returns one message per problem (never raises: the
    app must open even with a broken file)."""
    problems = []
    try:
        sources = declared()
    except DatasetUnavailable as exc:
        return [str(exc)]
    for source in sources.values():
        try:
            register(source)
        except DatasetUnavailable as exc:
            problems.append(str(exc))
    return problems


def _declared_quietly() -> dict[str, OwnSource]:
    try:
        return declared()
    except DatasetUnavailable:
        return {}


def _from_path(name: str) -> OwnSource | None:
    text, _, size = name.rpartition("@") if "@" in name else (name, "", "")
    path = Path(text).expanduser()
    if not (path.is_dir() or (path.is_file() and path.suffix == ".npz")):
        return None
    if size and not (size.isdigit() and 4 <= int(size) <= 512):
        raise DatasetUnavailable(f"{name}: the size after @ must be a whole number from 4 to 512")
    return OwnSource(name, path.resolve(), int(size) if size else DEFAULT_SIZE)


def load_own(source: OwnSource, split: str) -> ImageDataset:
    """One split of an own dataset: images (N, C, S, S) float32 in [0, 1], labels (N,)."""
    images, labels = _load_all(source)
    test = _test_mask(labels)
    keep = torch.from_numpy(~test if split == "train" else test)
    info = DATASETS[source.name]
    return ImageDataset(source.name, split, images[keep], labels[keep], info.class_names)


@functools.lru_cache(maxsize=8)
def _load_all(source: OwnSource) -> tuple[torch.Tensor, torch.Tensor]:
    channels = DATASETS[source.name].image_shape[0]
    problems: list[str] = []
    if source.path.is_dir():
        images, labels = _read_folder(source.path, source.size, channels, problems)
    else:
        images, labels = _read_npz(source.path, source.size, channels, problems)
    PROBLEMS[source.name] = problems
    if len(images) < 2:
        found = "no readable image" if len(images) == 0 else "only one readable image"
        raise DatasetUnavailable(f"{source.path} has {found}: a dataset needs at least 2 (one to train on, "
                                 f"one to test)" + (f"; {problems[0]}" if problems else ""))
    return images, labels


# --- folders -----------------------------------------------------------------------------------

def _class_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _image_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and not p.name.startswith("."))


def _class_names(source: OwnSource) -> tuple[str, ...]:
    if not source.path.exists():
        raise DatasetUnavailable(f"{source.name}: {source.path} does not exist")
    if source.path.is_dir():
        folders = _class_folders(source.path)
        return tuple(p.name for p in folders) if folders else ("images",)
    labels = _npz_array(source.path, "labels", required=False)
    return tuple(str(v) for v in np.unique(labels)) if labels is not None else ("images",)


def _looks_colour(source: OwnSource) -> bool:
    """Colour when the first picture is (a folder) or the array has 3+ channels (an .npz)."""
    if source.path.is_dir():
        from PIL import Image

        for path in _image_files(source.path)[:20]:
            try:
                with Image.open(path) as img:
                    return img.mode in COLOUR_MODES
            except Exception:  # noqa: BLE001 - an unreadable file is reported when loading
                continue
        return False
    header = _npz_header(source.path, "images")
    return header is not None and len(header[0]) == 4 and header[0][3] >= 3


def _read_folder(root: Path, size: int, channels: int, problems: list[str]):
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
    """(S, S, C) uint8 and the original (w, h), or None with a message in problems."""
    from PIL import Image

    rel = path.relative_to(root)
    try:
        with Image.open(path) as img:
            if img.width * img.height > MAX_IMAGE_PIXELS:
                problems.append(f"skipped {rel}: {img.width}×{img.height} pixels is too big (limit "
                                f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels)")
                return None
            original = img.size
            img = img.convert("RGB" if channels == 3 else "L")
            if img.size != (size, size):
                img = img.resize((size, size), Image.Resampling.BILINEAR)
            array = np.asarray(img, dtype=np.uint8)
    except Exception as exc:  # noqa: BLE001 - Pillow raises many types for damaged files; skip the file
        problems.append(f"skipped {rel}: not a picture Pillow can read ({type(exc).__name__}: {exc})")
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


def _read_npz(path: Path, size: int, channels: int, problems: list[str]):
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


# --- shared --------------------------------------------------------------------------------------

def _check_bytes(where: Path, n: int, channels: int, side: int) -> None:
    need = n * channels * side * side * 4
    if need > MAX_DATASET_BYTES:
        raise DatasetUnavailable(f"{where}: {n} images of {channels}×{side}×{side} need {need / 2**30:.1f} GiB "
                                 f"of memory (limit {MAX_DATASET_BYTES / 2**30:.0f} GiB): use a smaller size")


def _to_tensor(images: np.ndarray) -> torch.Tensor:
    """(N, S, S, C) uint8 -> (N, C, S, S) float32 in [0, 1]."""
    return torch.from_numpy(images).permute(0, 3, 1, 2).float().div_(255.0).contiguous()


def _test_mask(labels: torch.Tensor) -> np.ndarray:
    """A fixed, seeded 80/20 split of each class (every class of 2+ images has a test image)."""
    labels = labels.numpy()
    rng = np.random.default_rng(SPLIT_SEED)
    test = np.zeros(len(labels), bool)
    for c in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == c))
        k = int(round(len(idx) * TEST_FRACTION))
        test[idx[:max(k, 1) if len(idx) >= 2 else k]] = True
    if not test.any():
        test[-1] = True
    if test.all():
        test[0] = False
    return test
