from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import requires_mnist
from lvm_core import DATASETS, DatasetUnavailable, load_dataset
from lvm_core.data.builtin import subset_indices


def test_digits_split_is_fixed_and_disjoint(digits):
    train, test = digits
    assert train.images.shape[1:] == (1, 8, 8) and test.images.shape[1:] == (1, 8, 8)
    assert len(train) + len(test) == 1797 and len(test) == 360
    assert 0 <= train.images.min() and train.images.max() <= 1 and train.images.dtype == torch.float32
    assert set(test.labels.tolist()) == set(range(10))
    again = load_dataset("digits", "test")
    assert torch.equal(again.images, test.images)
    flat = lambda d: {tuple(r) for r in d.images.flatten(1).tolist()}  # noqa: E731
    assert len(flat(train) & flat(test)) < 5  # a few digits are pixel-identical duplicates in the data itself


@requires_mnist
def test_mnist_from_torchvision_layout():
    test = load_dataset("mnist", "test")
    assert test.images.shape == (10000, 1, 28, 28) and test.labels.shape == (10000,)
    assert test.class_names == DATASETS["mnist"].class_names
    assert abs(test.images.mean().item() - 0.1325) < 0.002


def test_missing_dataset_offline_is_one_clear_sentence(tmp_path):
    with pytest.raises(DatasetUnavailable) as info:
        load_dataset("kmnist", "test", data_dir=tmp_path, download=False)
    msg = str(info.value)
    assert "kmnist" in msg and "digits" in msg and "LVM_DATA_DIR" in msg and "\n" not in msg


def test_without_classes(digits):
    train, _ = digits
    kept = train.without_classes([7])
    assert 7 not in kept.labels.tolist() and len(kept) == (train.labels != 7).sum().item()


def test_unknown_dataset():
    with pytest.raises(DatasetUnavailable, match="unknown dataset"):
        load_dataset("cifar", "test")


def test_is_available_finds_torchvision_files_and_nothing_else(tmp_path):
    from lvm_core.data.builtin import TORCHVISION_FILES
    from lvm_core.data.datasets import is_available

    assert is_available("digits", data_dir=tmp_path) and not is_available("cifar", data_dir=tmp_path)
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    for name in TORCHVISION_FILES[:-1]:
        (raw / name).write_bytes(b"\0" * 16)
    assert not is_available("fashion-mnist", data_dir=tmp_path)   # one file missing
    (raw / TORCHVISION_FILES[-1]).write_bytes(b"")
    assert not is_available("fashion-mnist", data_dir=tmp_path)   # one file empty
    (raw / TORCHVISION_FILES[-1]).write_bytes(b"\0" * 16)
    assert is_available("fashion-mnist", data_dir=tmp_path) and not is_available("mnist", data_dir=tmp_path)


@requires_mnist
def test_is_available_neither_reads_the_data_nor_imports_torchvision():
    """The sidebar asks on every new session: the answer must cost a few stat calls, not a 2 s import."""
    import subprocess
    import sys

    code = ("import sys; from lvm_core.data.datasets import is_available; "
            "assert is_available('mnist'); assert 'torchvision' not in sys.modules, 'torchvision imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


@requires_mnist
@pytest.mark.parametrize("split", ["train", "test"])
def test_raw_files_read_as_torchvision_reads_them(split):
    from torchvision import datasets

    from lvm_core.data.builtin import _load_arrays, default_data_dir

    root = str(default_data_dir().resolve())
    images, labels = _load_arrays("mnist", split, root, False)
    reference = datasets.MNIST(root, train=split == "train", download=False)
    assert torch.equal(images, reference.data.unsqueeze(1).float().div_(255.0))
    assert torch.equal(labels, reference.targets.long()) and labels.dtype == torch.int64


def _fake_mnist(root: Path, n: int = 5, images_body: bytes | None = None, image_header: bytes | None = None) -> Path:
    import struct

    from lvm_core.data.builtin import TORCHVISION_FILES

    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name in TORCHVISION_FILES:
        if "images" in name:
            header = image_header if image_header is not None else struct.pack(">4B3I", 0, 0, 8, 3, n, 28, 28)
            body = images_body if images_body is not None \
                else bytes(range(256)) * (n * 784 // 256) + bytes(n * 784 % 256)
        else:
            header, body = struct.pack(">4BI", 0, 0, 8, 1, n), bytes(range(n))
        (raw / name).write_bytes(header + body)
    return raw


def test_a_small_raw_split_round_trips(tmp_path):
    _fake_mnist(tmp_path, n=5)
    data = load_dataset("mnist", "test", data_dir=tmp_path, download=False)
    assert data.images.shape == (5, 1, 28, 28) and data.labels.tolist() == [0, 1, 2, 3, 4]
    assert data.images.flatten()[255].item() == 1.0 and data.images.flatten()[1].item() == pytest.approx(1 / 255)


@pytest.mark.parametrize("damage, message", [
    ({"images_body": bytes(5 * 784 - 1)}, "header announces"),                       # truncated
    ({"images_body": bytes(5 * 784 + 1)}, "header announces"),                       # trailing bytes
    ({"image_header": b"\x00\x00\x0d\x03" + bytes(12)}, "not a 3-d IDX file"),       # floats, not bytes
    ({"image_header": b"PK\x03\x04" + bytes(12)}, "not a 3-d IDX file"),             # another format
    ({"image_header": b"\x00\x00\x08\x03\xff\xff\xff\xff" + bytes(8)}, "header announces"),  # absurd size
])
def test_a_damaged_raw_file_is_one_clear_message_and_allocates_nothing(tmp_path, damage, message):
    _fake_mnist(tmp_path, n=5, **damage)
    with pytest.raises(DatasetUnavailable, match=message) as info:
        load_dataset("mnist", "train", data_dir=tmp_path, download=False)
    assert "download it again" in str(info.value) and "\n" not in str(info.value)
    assert str(tmp_path) not in str(info.value), "no server paths in the message"


def test_images_of_the_wrong_size_are_refused(tmp_path):
    import struct

    _fake_mnist(tmp_path, n=2, image_header=struct.pack(">4B3I", 0, 0, 8, 3, 2, 14, 56), images_body=bytes(2 * 784))
    with pytest.raises(DatasetUnavailable, match="do not match"):
        load_dataset("mnist", "train", data_dir=tmp_path, download=False)


def test_subset_is_fixed_sorted_and_all_when_n_covers_the_split():
    a, b = subset_indices(1000, 100), subset_indices(1000, 100)
    np.testing.assert_array_equal(a, b)
    assert len(np.unique(a)) == 100 and np.all(np.diff(a) > 0)
    np.testing.assert_array_equal(subset_indices(50, 100), np.arange(50))


def test_dataset_subsets_are_seeded_in_dataset_order_and_capped(digits):
    train, _ = digits
    a, b = train.subset(100, seed=1), train.subset(100, seed=1)
    assert len(a) == 100 and np.array_equal(a.labels.numpy(), b.labels.numpy())
    assert not np.array_equal(train.subset(100, seed=2).labels.numpy(), a.labels.numpy())
    rows = subset_indices(len(train), 100, seed=1)
    assert torch.equal(a.images, train.images[rows])
    assert train.subset(None) is train and train.subset(10**6) is train


def test_datasets_are_shown_by_the_names_people_write():
    from lvm_core.data.datasets import display_name

    assert [display_name(d) for d in ("mnist", "fashion-mnist", "kmnist", "digits")] == \
        ["MNIST", "Fashion-MNIST", "KMNIST", "digits (8x8)"]
    assert display_name("my-photos") == "my-photos"
