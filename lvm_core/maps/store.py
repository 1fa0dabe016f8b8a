"""Computed maps on disk: a map is computed once per (model content, split, N, method, parameters)
and survives a restart. Shipped models ship their default maps in checkpoints/projections/, so the
first map needs no computation; the rest go to the cache folder, which is kept under a size bound
(LVM_MAP_CACHE_MB, default 500 MB) by deleting the least recently used maps.

A map is a LatentMap: for N points of a split, their place on the map, label and reconstruction error.
"""
from __future__ import annotations

import io
import json
import os
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from lvm_core import settings

from lvm_core.storage.catalog import SHIPPED_DIR
from lvm_core.data.builtin import subset_indices
from lvm_core.errors import BrokenModel, InvalidInput
from lvm_core.storage.files import atomic_write_bytes
from lvm_core.maps.projection import DEFAULT_PARAMS, METHODS, OnProgress, project
from lvm_core.maps.trustworthiness import trustworthiness

PROJECTIONS_DIR = SHIPPED_DIR / "projections"   # the shipped models' default maps
# LVM_MAP_CACHE_MB's default of 500 (lvm_core.settings) holds ~100 maps of 10k points;
# a 70k-point map is ~1 MB compressed


@dataclass(frozen=True)
class MapKey:
    """Everything a map depends on. digest is the checkpoint's sha256 (its content, not its name)."""
    digest: str
    split: str
    n: int
    method: str
    dims: int = 2
    params: tuple = ()              # sorted (name, value) pairs, defaults filled in
    seed: int = 0

    @classmethod
    def make(cls, digest: str, split: str, n: int, method: str, dims: int = 2, params: dict | None = None,
             seed: int = 0) -> "MapKey":
        if method not in METHODS:
            raise InvalidInput(f"unknown projection {method!r}; choose from {', '.join(METHODS)}")
        full = {**DEFAULT_PARAMS[method], **(params or {})}
        return cls(digest, split, int(n), method, int(dims), tuple(sorted(full.items())), int(seed))

    @property
    def filename(self) -> str:
        params = [f"{k}{v:g}" if isinstance(v, float) else f"{k}{v}" for k, v in self.params]
        parts = [self.digest[:16], self.split, f"n{self.n}", f"{self.method}{self.dims}d", *params, f"s{self.seed}"]
        return "_".join(parts) + ".npz"


@dataclass(frozen=True)
class LatentMap:
    """N points of a split on a map. indices are positions in the split, so every array lines up with them."""
    embedding: np.ndarray           # (N, dims) float32
    indices: np.ndarray             # (N,) int64, sorted
    labels: np.ndarray              # (N,) int
    errors: np.ndarray              # (N,) float32 per-image reconstruction MSE
    trustworthiness: float
    seconds: float                  # time the projection took when it was computed
    source: str = "computed"        # "computed", "cache" (computed earlier) or "shipped"

    def __len__(self) -> int:
        return len(self.indices)


def compute_map(key: MapKey, codes: np.ndarray, labels: np.ndarray, errors: np.ndarray,
                progress: OnProgress | None = None) -> LatentMap:
    """codes (T, D), labels (T,), errors (T,) for a whole split of T images -> the map of key.n of them."""
    indices = subset_indices(len(codes), key.n, key.seed)
    if not np.isfinite(codes[indices]).all():
        raise BrokenModel("the model's codes contain NaN or infinite values (its weights are broken); "
                         "retrain it or pick another model")
    start = time.perf_counter()
    embedding = project(codes[indices], key.method, key.dims, key.seed, progress, **dict(key.params))
    seconds = time.perf_counter() - start
    if progress:
        progress(1.0, "measuring trustworthiness")
    trust = trustworthiness(codes[indices], embedding, seed=key.seed)
    return LatentMap(embedding, indices, np.asarray(labels)[indices], np.asarray(errors, np.float32)[indices],
                     trust, seconds)


class MapStore:
    """Maps on disk (.npz, no pickles) with a small in-memory LRU in front.

    Reads the shipped folder first, then the cache folder; writes only to the cache folder, which it
    keeps under max_bytes (None: no bound, for `python -m lvm_core project` writing shipped maps).
    One lock per key, so two sessions asking for the same new map compute it once."""

    def __init__(self, shipped_dir=PROJECTIONS_DIR, write_dir=None, memory_entries: int = 16,
                 max_bytes: int | None = -1):
        self.shipped_dir = Path(shipped_dir)
        self.write_dir = Path(write_dir) if write_dir else settings.cache_dir() / "projections"
        self.max_bytes = settings.map_cache_bytes() if max_bytes == -1 else max_bytes
        self._memory: OrderedDict[MapKey, LatentMap] = OrderedDict()
        self._memory_entries = memory_entries
        self._locks: dict[MapKey, threading.Lock] = {}
        self._guard = threading.Lock()

    def get(self, key: MapKey) -> LatentMap | None:
        """The stored map for key, or None."""
        with self._guard:
            if key in self._memory:
                self._memory.move_to_end(key)
                return self._memory[key]
        for folder, source in ((self.shipped_dir, "shipped"), (self.write_dir, "cache")):
            path = folder / key.filename
            if path.is_file():
                found = _read_map(path, source)
                if found is not None:
                    if source == "cache":
                        _touch(path)    # recently used: evicted last
                    self._remember(key, found)
                    return found
        return None

    def get_or_compute(self, key: MapKey, split_arrays: Callable[[], tuple], progress: OnProgress | None = None,
                       compute: Callable | None = None) -> LatentMap:
        """split_arrays() -> (codes, labels, errors) of the whole split; called only on a miss. compute: where
        a missing map is made, compute(key, split_arrays, progress, on_done) (a worker process,
        lvm_core.jobs.maps), which stores it through on_done; None: here, in this thread."""
        found = self.get(key)
        if found is not None:
            return found
        if compute is not None:
            return compute(key, split_arrays, progress, on_done=self.put)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            found = self.get(key)
            if found is None:
                found = compute_map(key, *split_arrays(), progress=progress)
                self.put(key, found)
        return found

    def put(self, key: MapKey, latent_map: LatentMap, folder: Path | None = None) -> Path:
        path = (folder or self.write_dir) / key.filename
        _write_map(path, key, latent_map)
        self._remember(key, latent_map)
        if self.max_bytes is not None and path.parent == self.write_dir:
            evict_oldest(self.write_dir, self.max_bytes, keep=path)
        return path

    def _remember(self, key: MapKey, latent_map: LatentMap) -> None:
        with self._guard:
            self._memory[key] = latent_map
            self._memory.move_to_end(key)
            while len(self._memory) > self._memory_entries:
                self._memory.popitem(last=False)


def evict_oldest(folder: Path, max_bytes: int, keep: Path | None = None) -> list[Path]:
    """Delete the least recently used maps (.npz, by modification time) in folder until the rest fit
    in max_bytes; never `keep` (the map just written). Returns what was deleted."""
    entries = []
    for path in folder.glob("*.npz"):
        try:
            stat = path.stat()
        except FileNotFoundError:   # another process evicted it first
            continue
        entries.append((stat.st_mtime_ns, stat.st_size, path))
    total, deleted = sum(size for _, size, _ in entries), []
    for _, size, path in sorted(entries):
        if total <= max_bytes:
            break
        if path != keep:
            path.unlink(missing_ok=True)
            total -= size
            deleted.append(path)
    return deleted


def _touch(path: Path) -> None:
    try:
        os.utime(path)
    except OSError:     # a read-only cache folder still serves its maps
        pass


def _write_map(path: Path, key: MapKey, m: LatentMap) -> None:
    """Atomic: a crash mid-write leaves no half file that a later read would trust."""
    labels = m.labels.astype(np.int16 if m.labels.max(initial=0) < 2 ** 15 else np.int64)
    buffer = io.BytesIO()
    # compressed: indices and labels shrink to almost nothing (shipped maps live in git)
    np.savez_compressed(buffer, embedding=m.embedding.astype(np.float32), indices=m.indices.astype(np.int32),
                        labels=labels, errors=m.errors.astype(np.float32),
                        trustworthiness=np.float64(m.trustworthiness), seconds=np.float64(m.seconds),
                        key=np.array(json.dumps(key.__dict__)))
    atomic_write_bytes(path, buffer.getvalue())


def _read_map(path: Path, source: str) -> LatentMap | None:
    """None for a damaged file (it is then recomputed and overwritten)."""
    try:
        with np.load(path, allow_pickle=False) as z:
            m = LatentMap(z["embedding"], z["indices"].astype(np.int64), z["labels"].astype(np.int64), z["errors"],
                          float(z["trustworthiness"]), float(z["seconds"]), source)
    except (OSError, KeyError, ValueError, EOFError):
        return None
    n = len(m.indices)
    if not (m.embedding.shape[0] == len(m.labels) == len(m.errors) == n):
        return None
    return m


def store_maps(store: MapStore, digest: str, split: str, n: int, methods, dims: int, encoded) -> list:
    """Compute and store one map per method for an encoded split (an inference.EncodedSplit); what
    `python -m lvm_core project` runs to make the shipped maps. Returns [(key, LatentMap, path)]."""
    out = []
    for method in methods:
        key = MapKey.make(digest, split, min(n, len(encoded.codes)), method, dims)
        latent_map = compute_map(key, encoded.codes, encoded.labels, encoded.errors)
        out.append((key, latent_map, store.put(key, latent_map)))
    return out
