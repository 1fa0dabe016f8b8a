"""Your own images as a dataset: a folder in torchvision's ImageFolder layout, or an .npz file.

A folder holds one subfolder per class (the subfolder's name is the class name), or images
directly (one unlabelled class). An .npz holds `images` (N, H, W) or (N, H, W, C), uint8 or float,
and optionally `labels` (N,) (integers or strings). Images are resized to a square side (28 by
default) and kept grey or colour (3 channels). A fixed, seeded 80/20 split per class gives
"train" and "test". Declared in a TOML file ($LVM_DATASETS, else datasets.toml in the project):

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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

try:
    import tomllib
except ModuleNotFoundError:      # Python 3.10: the same parser as a package
    import tomli as tomllib

from lvm_core import settings

from lvm_core.data.builtin import BUILT_IN, DatasetInfo, ImageDataset
from lvm_core.errors import DatasetUnavailable, FileRefused
from lvm_core.storage.files import read_bytes
from lvm_core.data.image_files import class_names, is_colour, read_folder, read_npz

DEFAULT_SIZE = 28
TEST_FRACTION = 0.2
SPLIT_SEED = 0

# Your datasets once registered (lvm_core.data.datasets.DATASETS lists them beside the built-in ones).
OWN_INFO: dict[str, DatasetInfo] = {}
OWN_DATASETS = OWN_INFO.keys()     # a live view: the names registered so far

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
    """$LVM_DATASETS, else datasets.toml in the project (lvm_core.settings)."""
    return settings.datasets_file()


def declared(path: Path | None = None) -> dict[str, OwnSource]:
    """The datasets a TOML file declares, by name. A missing file declares none."""
    path = Path(path or config_path())
    if not path.is_file():
        return {}
    try:
        table = tomllib.loads(read_bytes(path, 2**20, str(path)).decode("utf-8"))    # a few lines, never a pipe
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, FileRefused) as exc:
        raise DatasetUnavailable(f"{path} is not a valid TOML file: {exc}") from None
    out = {}
    for name, entry in table.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("path"), str):
            raise DatasetUnavailable(f"{path}: [{name}] needs a path = \"folder or file.npz\" line")
        if name in BUILT_IN:
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
    if (text in BUILT_IN or text in OWN_INFO or text in _declared_quietly()) and size is None:
        return text
    path = Path(text).expanduser()
    if path.is_dir() or (path.is_file() and path.suffix == ".npz"):
        name = path_name(path, size or DEFAULT_SIZE)
        source_of(name)  # registered: DATASETS now describes it
        return name
    if text in BUILT_IN or text in OWN_INFO:
        raise DatasetUnavailable(f"--image-size applies to your own images, not to the built-in {text}")
    raise DatasetUnavailable(f"unknown dataset {text!r}: give one of {', '.join([*BUILT_IN, *OWN_INFO])}, "
                             f"a folder of images or an .npz file")


def source_of(name: str) -> OwnSource | None:
    """The own dataset a name stands for (declared name or path), registered in OWN_INFO; None for
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
    """Make OWN_INFO (so DATASETS) describe an own dataset (title, class names, image shape) like a built-in one."""
    if not source.path.exists():
        raise DatasetUnavailable(f"{source.name}: {source.path} does not exist")
    classes = class_names(source.path)
    channels = 3 if (source.colour if source.colour is not None else is_colour(source.path)) else 1
    title = source.title or f"{Path(source.path).name} (your images, {source.size}×{source.size})"
    OWN_INFO[source.name] = DatasetInfo(title, classes, (channels, source.size, source.size), True)
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
    info = OWN_INFO[source.name]
    return ImageDataset(source.name, split, images[keep], labels[keep], info.class_names)


@functools.lru_cache(maxsize=8)
def _load_all(source: OwnSource) -> tuple[torch.Tensor, torch.Tensor]:
    channels = OWN_INFO[source.name].image_shape[0]
    problems: list[str] = []
    if source.path.is_dir():
        images, labels = read_folder(source.path, source.size, channels, problems)
    else:
        images, labels = read_npz(source.path, source.size, channels, problems)
    PROBLEMS[source.name] = problems
    if len(images) < 2:
        found = "no readable image" if len(images) == 0 else "only one readable image"
        raise DatasetUnavailable(f"{source.path} has {found}: a dataset needs at least 2 (one to train on, "
                                 f"one to test)" + (f"; {problems[0]}" if problems else ""))
    return images, labels



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
