"""Caches keyed by a checkpoint's content (its sha256), so nothing is recomputed on a click.

Models, datasets and encoded splits live in memory (st.cache_resource); maps (projections) also on
disk (lvm_core.maps.store.MapStore), so they survive a restart. A background thread started once
per server process, right after the first page is drawn, loads the default dataset, encodes the
default model and starts the map worker process (lvm_core.jobs.maps), which compiles UMAP.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

import streamlit as st
import torch

from lvm_core import CheckpointError, DatasetUnavailable, load_checkpoint, load_dataset, settings
from lvm_core.storage.catalog import list_models
from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.data.builtin import ImageDataset, default_data_dir
from lvm_core.data.datasets import is_available
from lvm_core.generation.inference import EncodedSplit, encode_split
from lvm_core.maps.store import LatentMap, MapKey, MapStore
from lvm_core.jobs.maps import MapWorker
from lvm_core.maps.projection import SLOW_METHODS, OnProgress
from lvm_core.analysis.quality import Classifier, find_classifier
from lvm_core.models.memory import check_checkpoint

SPLITS = ("test", "train", "all")   # "all" = train then test: index i < len(train) is train image i
# Known split sizes, so the page can offer N before a dataset is loaded (the first map needs no dataset).
SPLIT_SIZES = {name: {"train": 60_000, "test": 10_000} for name in ("mnist", "fashion-mnist", "kmnist")}

log = logging.getLogger(__name__)


def open_model(path) -> Checkpoint:
    """The checkpoint at path (shipped or a user's), loaded once per file version and shared by every
    session. Raises CheckpointError (one line, the file's name only) when the file was deleted or
    damaged after it was listed; the router shows it in place of the page when a page does not."""
    path = Path(path)
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        raise CheckpointError(f"{path.name}: the model file is gone (deleted after it was listed); "
                              "pick another model") from None
    return _checkpoint_from_path(str(path), mtime_ns)


@st.cache_resource(show_spinner=False, max_entries=32)
def _checkpoint_from_path(path: str, mtime_ns: int) -> Checkpoint:
    """mtime_ns keys the cache so a retrained file is reloaded."""
    return _fits(load_checkpoint(path))


@st.cache_resource(show_spinner=False, max_entries=8)
def checkpoint_from_bytes(digest: str, _data: bytes, name: str) -> Checkpoint:
    return _fits(load_checkpoint(_data, name=name))


def _fits(ckpt: Checkpoint) -> Checkpoint:
    """A model whose one-image forward pass alone would exceed the server's memory budget is refused before
    any page encodes with it (a small file can describe huge activations: lvm_core.models.memory)."""
    return check_checkpoint(ckpt)


def dataset(name: str, split: str) -> ImageDataset:
    """split: "train", "test", or "all" (train then test); one copy in memory, shared by every session."""
    splits = _splits(name)
    if split in splits.loaded:
        return splits.loaded[split]
    with st.spinner("Loading dataset…"):
        return splits.get(split)


class _Splits:
    """A dataset's splits, loaded when first asked for. Once "all" is asked for, train and test become
    views into its one tensor and their own copies are dropped: MNIST stays 220 MB, not 440 MB."""

    def __init__(self, name: str):
        self.name, self.lock, self.loaded = name, threading.Lock(), {}

    def get(self, split: str) -> ImageDataset:
        with self.lock:
            if split not in self.loaded and split != "all":
                self.loaded[split] = load_dataset(self.name, split)
            elif split not in self.loaded:
                train, test = (self.loaded.get(s) or load_dataset(self.name, s) for s in ("train", "test"))
                images, labels, n = (torch.cat([train.images, test.images]), torch.cat([train.labels, test.labels]),
                                     len(train))
                self.loaded = {"all": ImageDataset(self.name, "all", images, labels, train.class_names),
                               "train": ImageDataset(self.name, "train", images[:n], labels[:n], train.class_names),
                               "test": ImageDataset(self.name, "test", images[n:], labels[n:], train.class_names)}
            return self.loaded[split]


@st.cache_resource(show_spinner=False, max_entries=8)
def _splits(name: str) -> _Splits:
    return _Splits(name)


def available(name: str) -> bool:
    """True when the dataset is on disk, or has just been downloaded (a failed try is not repeated
    for 10 minutes, so an offline server does not retry on every page)."""
    return is_available(name) or _downloaded(name, str(default_data_dir()))


@st.cache_data(ttl=600, show_spinner="Downloading the dataset (once; MNIST is about 12 MB)…")
def _downloaded(name: str, data_dir: str) -> bool:
    try:
        load_dataset(name, "train", data_dir), load_dataset(name, "test", data_dir)
    except DatasetUnavailable:
        return False
    return True


def split_size(name: str, split: str) -> int:
    """Number of images in a split, without loading it when the size is known."""
    sizes = SPLIT_SIZES.get(name)
    if sizes:
        return sum(sizes.values()) if split == "all" else sizes[split]
    return len(dataset(name, split))


@st.cache_resource(show_spinner="Encoding the dataset…", max_entries=16)
def encoded(digest: str, _ckpt: Checkpoint, split: str) -> EncodedSplit:
    """Codes, reconstructions and errors for a whole split, once per model content and split."""
    data = dataset(_ckpt.dataset, split)
    return encode_split(_ckpt.model, data.images, data.labels)   # raises CheckpointError for NaN/inf codes


@st.cache_resource(show_spinner=False, max_entries=8)
def classifier(dataset: str) -> Classifier | None:
    """The shipped LeNet of a dataset (sample quality, identity kept); None when there is none. A damaged
    file raises CheckpointError."""
    return find_classifier(dataset)


def models():
    """Shipped and user models, listed again whenever a folder's contents change (its modification time: a
    model saved, renamed or deleted), so a model trained in another tab is listed on the next page."""
    return _models(*(_folder_version(folder) for folder in (settings.SHIPPED_DIR, settings.models_dir())))


def _folder_version(folder: Path) -> tuple[str, int]:
    try:
        return str(folder), folder.stat().st_mtime_ns
    except OSError:     # no user models folder yet
        return str(folder), 0


@st.cache_data(ttl=60, max_entries=8, show_spinner=False)   # the TTL: for file systems whose times are coarse
def _models(shipped: tuple[str, int], user: tuple[str, int]):
    return list_models([shipped[0], user[0]])


models.clear = _models.clear   # after a save or a delete the page lists again at once, whatever the clock says


@st.cache_resource(show_spinner=False)
def map_store() -> MapStore:
    return MapStore()


def latent_map(ckpt: Checkpoint, split: str, n: int, method: str, dims: int = 2, params: dict | None = None,
               progress: OnProgress | None = None) -> LatentMap:
    """The map of n points of a split: from memory, from disk (shipped or computed before), or computed now.
    Encodes the split only when the map has to be computed."""
    key = MapKey.make(ckpt.digest, split, n, method, dims, params)

    def split_arrays():
        enc = encoded(ckpt.digest, ckpt, split)
        return enc.codes, enc.labels, enc.errors

    worker = map_worker() if method in SLOW_METHODS else None   # PCA and raw axes take milliseconds: here
    return map_store().get_or_compute(key, split_arrays, progress, worker.compute if worker else None)


@st.cache_resource(show_spinner=False)
def map_worker() -> MapWorker:
    """The one process that computes t-SNE and UMAP maps for every session (and compiles UMAP at start)."""
    return MapWorker(warm_umap=warm_up_enabled())


def has_map(ckpt: Checkpoint, split: str, n: int, method: str, dims: int = 2) -> bool:
    """True when this map (default parameters) is in memory or on disk: showing it needs no computation."""
    return map_store().get(MapKey.make(ckpt.digest, split, n, method, dims)) is not None


def warm_up_enabled() -> bool:
    """Off under pytest (tests stay fast and quiet) and with LVM_WARM_UP=0."""
    return settings.enabled("LVM_WARM_UP") and "pytest" not in sys.modules


@st.cache_resource(show_spinner=False)
def start_warm_up(_dataset_name: str, _split: str, _model_path: str | None) -> threading.Thread | None:
    """Once per server process (the arguments are not part of the cache key): a daemon thread that
    loads and encodes what the first page needs, and starts the map worker process, which compiles UMAP
    (30-75 s of numba, cold) outside the server process, so no user's click waits for it."""
    if not warm_up_enabled():
        return None
    # umap imports pandas; a page thread's Plotly figure imports it too, to check every value it
    # validates. Imported by both threads at once, a lock cycle left pandas half-initialised on one of
    # them ("partially initialized module 'pandas' has no attribute 'Series'" on the Train page).
    # Imported here first, in the first session's thread, it is whole before the warm-up starts.
    import pandas  # noqa: F401
    thread = threading.Thread(target=_warm_up, args=(_dataset_name, _split, _model_path), name="lvm-warm-up",
                              daemon=True)
    thread.start()
    return thread


WARM_UP_DONE = "LVM Explorer: background warm-up done"   # printed to stderr; benchmarks wait for it


def _warm_up(dataset_name: str, split: str, model_path: str | None) -> None:
    start = time.perf_counter()
    try:
        map_worker().start()    # first: its UMAP compilation runs beside the loading below, in another process
        dataset(dataset_name, split)
        if model_path:
            ckpt = open_model(model_path)
            encoded(ckpt.digest, ckpt, split)
        map_worker().warmed_up.wait()
    except Exception:  # a warm-up failure must never take the app down; the page will say what is wrong
        log.exception("background warm-up failed")
    print(f"{WARM_UP_DONE} in {time.perf_counter() - start:.0f} s (dataset, encoding, UMAP)", file=sys.stderr,
          flush=True)
