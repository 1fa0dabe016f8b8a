"""The built-in datasets (MNIST, Fashion-MNIST, KMNIST from torchvision's raw files; scikit-learn's 8x8
digits) as in-memory tensors: images (N, C, H, W) float32 in [0, 1] and labels (N,), and the types
every dataset shares. Training indexes these tensors directly; there is no per-image PIL transform.
lvm_core.data.datasets puts these and your own datasets (data/own.py) behind one registry.
"""
from __future__ import annotations

import functools
import math
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lvm_core import settings

from lvm_core.errors import DatasetUnavailable

DIGIT_NAMES = tuple(str(i) for i in range(10))
FASHION_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
KMNIST_NAMES = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")


@dataclass(frozen=True)
class ImageDataset:
    name: str
    split: str                      # "train" or "test"
    images: torch.Tensor            # (N, C, H, W) float32 in [0, 1]
    labels: torch.Tensor            # (N,) int64
    class_names: tuple[str, ...]

    def __len__(self) -> int:
        return self.images.shape[0]

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    def without_classes(self, classes) -> "ImageDataset":
        """The same split with some classes removed (models that never saw them, for anomalies)."""
        keep = ~torch.isin(self.labels, torch.as_tensor(list(classes), dtype=torch.long))
        return ImageDataset(self.name, self.split, self.images[keep], self.labels[keep], self.class_names)

    def subset(self, n: int | None, seed: int = 0) -> "ImageDataset":
        """n images drawn without replacement (all of them when n is None or too big), in dataset order."""
        if n is None or n >= len(self):
            return self
        idx = subset_indices(len(self), n, seed)
        return ImageDataset(self.name, self.split, self.images[idx], self.labels[idx], self.class_names)


def subset_indices(total: int, n: int, seed: int = 0) -> np.ndarray:
    """The same n of total points every time (sorted, int64): a fixed random sample, or all of them."""
    if n >= total:
        return np.arange(total)
    return np.sort(np.random.default_rng(seed).choice(total, size=n, replace=False))


@dataclass(frozen=True)
class DatasetInfo:
    title: str                      # what it is, for a picker: "Fashion-MNIST clothing"
    class_names: tuple[str, ...]
    image_shape: tuple[int, int, int]
    offline: bool                   # ships with a package: never needs a download
    short: str = ""                 # its name as people write it, in sentences: "Fashion-MNIST" ("": the key)


BUILT_IN: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo("MNIST handwritten digits", DIGIT_NAMES, (1, 28, 28), False, "MNIST"),
    "fashion-mnist": DatasetInfo("Fashion-MNIST clothing", FASHION_NAMES, (1, 28, 28), False, "Fashion-MNIST"),
    "kmnist": DatasetInfo("Kuzushiji-MNIST (cursive Japanese)", KMNIST_NAMES, (1, 28, 28), False, "KMNIST"),
    "digits": DatasetInfo("scikit-learn 8x8 digits (offline)", DIGIT_NAMES, (1, 8, 8), True, "digits (8x8)"),
}




DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0


def default_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """--data-dir, else $LVM_DATA_DIR, else data/ in the project (lvm_core.settings)."""
    return settings.data_dir(data_dir)


def load_builtin(name: str, split: str, data_dir=None, download: bool = True) -> ImageDataset:
    """One split of a built-in dataset (name in BUILT_IN, split "train" or "test")."""
    root = default_data_dir(data_dir).resolve()
    images, labels = _load_arrays(name, split, str(root), download)
    return ImageDataset(name, split, images, labels, BUILT_IN[name].class_names)


# Where torchvision keeps each dataset's files: <root>/<folder>/raw/<file> (uncompressed).
TORCHVISION_FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "kmnist": "KMNIST"}
TORCHVISION_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                     "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def builtin_available(name: str, data_dir=None) -> bool:
    """True when a built-in dataset loads without a download: offline, or its files are where torchvision
    looks. Reads nothing and never imports torchvision (2 s here): the app asks on every new session."""
    if BUILT_IN[name].offline:
        return True
    raw = default_data_dir(data_dir).resolve() / TORCHVISION_FOLDERS[name] / "raw"
    return all((raw / f).is_file() and (raw / f).stat().st_size > 0 for f in TORCHVISION_FILES)


@functools.lru_cache(maxsize=8)
def _load_arrays(name: str, split: str, root: str, download: bool) -> tuple[torch.Tensor, torch.Tensor]:
    if name == "digits":
        return _load_digits(split)
    if not builtin_available(name, root):
        _download(name, root, download)
    raw = Path(root) / TORCHVISION_FOLDERS[name] / "raw"
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(raw / f"{prefix}-images-idx3-ubyte", name, ndim=3)
    labels = read_idx(raw / f"{prefix}-labels-idx1-ubyte", name, ndim=1)
    if len(images) != len(labels) or images.shape[1:] != BUILT_IN[name].image_shape[1:]:
        raise DatasetUnavailable(f"{name}'s {split} files do not match ({len(images)} images of "
                                 f"{'x'.join(map(str, images.shape[1:]))}, {len(labels)} labels): {_REFETCH}")
    # The same float32 values as torchvision's ds.data.float() / 255, without its 2-5 s import.
    return images.unsqueeze(1).float().div_(255.0), labels.long()


_REFETCH = "delete the dataset's raw folder and download it again"


def read_idx(path: Path, name: str, ndim: int) -> torch.Tensor:
    """One of torchvision's raw MNIST-layout files (IDX: 2 zero bytes, type 0x08 = unsigned byte,
    the number of dimensions, each dimension as a big-endian uint32, then the bytes) as a uint8
    tensor. These files are the decoded split already: reading them costs ~0.1 s, so there is no
    second cached copy. Every header field is checked before anything is allocated."""
    header_size = 4 + 4 * ndim
    with open(path, "rb") as f:
        header = f.read(header_size)
        if len(header) != header_size or header[:4] != bytes([0, 0, 0x08, ndim]):
            raise DatasetUnavailable(f"{name}: {path.name} is not a {ndim}-d IDX file of bytes: {_REFETCH}")
        dims = struct.unpack(f">{ndim}I", header[4:])
        size = os.fstat(f.fileno()).st_size - header_size
        if math.prod(dims) != size:
            raise DatasetUnavailable(f"{name}: {path.name} holds {size} bytes of data, its header "
                                     f"announces {math.prod(dims)}: {_REFETCH}")
        data = np.fromfile(f, dtype=np.uint8, count=size)
    return torch.from_numpy(data).reshape(dims)


def _download(name: str, root: str, download: bool) -> None:
    """torchvision's download into root (it writes the raw files read_idx reads), or the reason it can't."""
    if not download:
        raise DatasetUnavailable(_missing_message(name, root))
    from torchvision import datasets

    cls = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST, "kmnist": datasets.KMNIST}[name]
    try:
        cls(root, train=False, download=True)  # fetches and unpacks both splits' files
    except Exception as exc:  # network errors come in many types (URLError, OSError, ...)
        raise DatasetUnavailable(_missing_message(name, root, exc)) from None


def _missing_message(name: str, root: str, exc: Exception | None = None) -> str:
    why = f" and could not be downloaded ({type(exc).__name__})" if exc else ""
    return (f"{name} is not in {root}{why}: connect to the internet once to download it, "
            f"or point --data-dir / LVM_DATA_DIR at a folder that holds it, "
            f"or use the offline dataset 'digits'.")


def _load_digits(split: str) -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    images = (bunch.images / 16.0).astype(np.float32)[:, None]  # pixel values are 0..16
    idx_train, idx_test = train_test_split(np.arange(len(images)), test_size=DIGITS_TEST_FRACTION,
                                           random_state=DIGITS_SPLIT_SEED, stratify=bunch.target)
    idx = np.sort(idx_train if split == "train" else idx_test)
    return torch.from_numpy(images[idx]), torch.from_numpy(bunch.target[idx]).long()
