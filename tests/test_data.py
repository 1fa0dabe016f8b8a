from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import requires_mnist
from lvm_core import DATASETS, DatasetUnavailable, load_dataset
from lvm_core.data import subset_indices


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
    from lvm_core.data import TORCHVISION_FILES, is_available

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

    code = ("import sys; from lvm_core.data import is_available; "
            "assert is_available('mnist'); assert 'torchvision' not in sys.modules, 'torchvision imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)


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
