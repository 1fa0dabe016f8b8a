"""Every dataset behind one name: the built-in ones (data/builtin.py) and your own images (data/own.py)
in one registry, DATASETS, and one loader, load_dataset."""
from __future__ import annotations

from collections.abc import Mapping

from lvm_core.data.builtin import BUILT_IN, DatasetInfo, ImageDataset, builtin_available, load_builtin
from lvm_core.data.own import OWN_DATASETS, OWN_INFO, load_own, register_declared, source_of
from lvm_core.errors import DatasetUnavailable


class DatasetRegistry(Mapping):
    """Dataset name -> DatasetInfo: the built-in ones, joined on first use by the datasets that
    datasets.toml ($LVM_DATASETS) declares, so every list of datasets (sidebar, Train page, CLI) shows
    them. Built when first read, never at import: importing lvm_core reads no file."""

    def __init__(self):
        self._problems: list[str] | None = None

    def _declare(self) -> None:
        if self._problems is None:
            self._problems = register_declared()

    def problems(self) -> list[str]:
        """One message per problem of the declarations file (the app shows them; never raises)."""
        self._declare()
        return self._problems

    def __getitem__(self, name: str) -> DatasetInfo:
        self._declare()
        return BUILT_IN[name] if name in BUILT_IN else OWN_INFO[name]

    def __iter__(self):
        self._declare()
        return iter([*BUILT_IN, *OWN_INFO])

    def __len__(self) -> int:
        self._declare()
        return len(BUILT_IN) + len(OWN_INFO)




DATASETS = DatasetRegistry()


def display_name(dataset: str) -> str:
    """"fashion-mnist" -> "Fashion-MNIST", for every place a dataset is named (the keys stay internal);
    your own datasets keep the name you gave them."""
    info = DATASETS.get(dataset)
    return info.short if info is not None and info.short else dataset


def load_dataset(name: str, split: str = "train", data_dir=None, download: bool = True) -> ImageDataset:
    """Load a dataset split into memory. Raises DatasetUnavailable with advice when it can't.
    name: a built-in dataset, or your own (a name declared in datasets.toml, or a path: data/own.py)."""
    if name not in DATASETS or name in OWN_DATASETS:
        source = source_of(name) if split in ("train", "test") else None
        if source is not None:
            return load_own(source, split)
    if name not in DATASETS:
        raise DatasetUnavailable(f"unknown dataset {name!r}; choose from {', '.join(DATASETS)}")
    if split not in ("train", "test"):
        raise DatasetUnavailable(f"unknown split {split!r}; choose train or test")
    return load_builtin(name, split, data_dir, download)


def is_available(name: str, data_dir=None) -> bool:
    """True when the dataset can be loaded without a download (never reads the images)."""
    if name in BUILT_IN:
        return builtin_available(name, data_dir)
    try:
        return source_of(name) is not None
    except DatasetUnavailable:
        return False
