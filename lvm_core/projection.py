"""2-D and 3-D maps of latent codes: PCA, t-SNE (openTSNE), UMAP, or the raw axes of a 2-d latent;
how faithful a map is (trustworthiness); and a disk cache so a map is computed once per
(model content, split, N, method, parameters) and survives a restart.

A map is a LatentMap: for N points of a split, their place on the map, label and reconstruction
error. Shipped models ship their default maps in checkpoints/projections/, so the first map
needs no computation.
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

from .catalog import SHIPPED_DIR
from .data import subset_indices
from .files import atomic_write_bytes
from .pca import pca_map

ROOT = Path(__file__).resolve().parent.parent
PROJECTIONS_DIR = SHIPPED_DIR / "projections"   # the shipped models' default maps
METHODS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP", "raw": "raw axes (2-d latent)"}
DEFAULT_PARAMS = {
    "pca": {},
    # openTSNE defaults except fewer iterations: with PCA initialisation and FFT gradients, 125 + 375
    # iterations reach the same trustworthiness as sklearn's 1000 (benchmarks/projection_speed.py).
    "tsne": {"perplexity": 30.0, "early_exaggeration_iter": 125, "n_iter": 375},
    "umap": {"n_neighbors": 15, "min_dist": 0.1},
    "raw": {},
}
DEFAULT_N = 10_000
TRUST_NEIGHBOURS = 5        # sklearn's default k for trustworthiness
TRUST_SAMPLE = 2000         # above this many points, estimated on this many query points (std ~0.0003 at 10k)

Progress = Callable[[float, str], None]   # (fraction done in [0, 1], what is happening)


def cache_dir() -> Path:
    """$LVM_CACHE_DIR, else .cache/ in the repository: where computed maps (and numba's compiled code) go."""
    return Path(os.environ.get("LVM_CACHE_DIR") or ROOT / ".cache")


# UMAP's numba functions compile on first use (30-75 s here); cache=True functions keep their compiled
# code in this folder so later processes start warm. Must be set before numba is imported.
os.environ.setdefault("NUMBA_CACHE_DIR", str(ROOT / ".cache" / "numba"))


def available_methods(latent_dim: int, dims: int = 2) -> list[str]:
    """Methods that can draw a dims-D map of latent_dim-d codes (raw axes only when they are the map)."""
    if latent_dim < dims:
        return ["raw"] if latent_dim == dims else []
    return [m for m in METHODS if m != "raw" or latent_dim == dims]


def default_method(latent_dim: int, stored: Callable[[str], bool]) -> str:
    """The first map to show: a 2-d code's own axes; else a t-SNE or UMAP map already stored (shipped
    models ship them); else PCA, which is instant, until the user asks for more."""
    if latent_dim == 2:
        return "raw"
    return next((m for m in ("tsne", "umap") if stored(m)), "pca")


def project(codes: np.ndarray, method: str, dims: int = 2, seed: int = 0, progress: Progress | None = None,
            **params) -> np.ndarray:
    """codes (N, D) -> map coordinates (N, dims) float32. params override DEFAULT_PARAMS[method]."""
    if method not in METHODS:
        raise ValueError(f"unknown projection {method!r}; choose from {', '.join(METHODS)}")
    codes = np.ascontiguousarray(codes, dtype=np.float32)
    n, latent_dim = codes.shape
    if method not in available_methods(latent_dim, dims):
        raise ValueError(f"{METHODS[method]} cannot draw a {dims}-D map of {latent_dim}-d codes")
    params = {**DEFAULT_PARAMS[method], **params}
    if method == "raw":
        return codes[:, :dims].copy()
    if method == "pca":
        return pca_map(codes, dims).place(codes)
    if method == "tsne":
        return _tsne(codes, dims, seed, progress, **params)
    return _umap(codes, dims, seed, progress, **params)


def _tsne(codes, dims, seed, progress, perplexity, early_exaggeration_iter, n_iter) -> np.ndarray:
    from openTSNE import TSNE, affinity

    # openTSNE imports pynndescent just to ask whether it is installed: 60-75 s of numba compilation
    # cold, 7 s warm. For dense Euclidean codes it then picks Annoy anyway, so answer without the import.
    if affinity.is_package_installed.__name__ != "_without_pynndescent":
        real = affinity.is_package_installed

        def _without_pynndescent(name):
            return name != "pynndescent" and real(name)

        affinity.is_package_installed = _without_pynndescent

    perplexity = min(float(perplexity), (len(codes) - 1) / 3)   # openTSNE needs 3*perplexity < N
    total, done = early_exaggeration_iter + n_iter, [0]

    def callback(iteration, error, embedding):
        done[0] += 10
        if progress:
            progress(min(done[0] / total, 1.0), f"t-SNE: iteration {min(done[0], total)} of {total}")

    # FFT gradients win in 2-D from about 10k points ("auto"); their grid has a fixed cost that
    # dominates small maps, and grows cubically in 3-D, so Barnes-Hut there.
    tsne = TSNE(n_components=dims, perplexity=perplexity, initialization="pca", random_state=seed,
                early_exaggeration_iter=early_exaggeration_iter, n_iter=n_iter, n_jobs=1,
                negative_gradient_method="auto" if dims == 2 else "bh",
                callbacks=callback, callbacks_every_iters=10)
    if progress:
        progress(0.0, "t-SNE: finding neighbours")
    return np.asarray(tsne.fit(codes), dtype=np.float32)


def _umap(codes, dims, seed, progress, n_neighbors, min_dist, n_epochs=None) -> np.ndarray:
    if progress:
        progress(0.0, "UMAP: finding neighbours and laying out the graph")
    import umap

    n_neighbors = int(min(n_neighbors, len(codes) - 1))
    # A fixed random_state makes the map reproducible (and single-threaded, which this shared machine wants).
    reducer = umap.UMAP(n_components=dims, n_neighbors=n_neighbors, min_dist=float(min_dist),
                        random_state=seed, n_jobs=1, n_epochs=n_epochs)
    return reducer.fit_transform(codes).astype(np.float32)


_umap_warm = threading.Event()
UMAP_EXACT_BELOW = 4096   # UMAP finds neighbours exactly below this many points, with NN-descent above


def warm_up_umap() -> None:
    """Compile UMAP's numba code (30-75 s cold) on small problems that take both of its neighbour
    searches and both map sizes, so that no user waits for it. Idempotent; for a background thread."""
    if _umap_warm.is_set():
        return
    rng = np.random.default_rng(0)
    for n, dims in ((64, 3), (UMAP_EXACT_BELOW + 100, 2)):
        _umap(rng.normal(size=(n, 4)).astype(np.float32), dims, 0, None, n_neighbors=5, min_dist=0.1, n_epochs=5)
    _umap_warm.set()


def umap_is_warm() -> bool:
    return _umap_warm.is_set()


def trustworthiness(codes: np.ndarray, embedding: np.ndarray, n_neighbors: int = TRUST_NEIGHBOURS,
                    sample: int = TRUST_SAMPLE, seed: int = 0) -> float:
    """sklearn's trustworthiness (1 = every map neighbour is a true neighbour in latent space).

    codes (N, D), embedding (N, d). Up to `sample` points: sklearn.manifold.trustworthiness itself.
    Above: the same sum over `sample` random query points, each ranked against all N points (the exact
    statistic is a mean over points, so this is an unbiased estimate; sklearn's N x N distance matrix
    would not fit in memory at 70k)."""
    codes = np.asarray(codes, dtype=np.float64)
    embedding = np.asarray(embedding, dtype=np.float64)
    n, k = len(codes), n_neighbors
    if n <= sample:
        from sklearn.manifold import trustworthiness as sk_trustworthiness

        return float(sk_trustworthiness(codes, embedding, n_neighbors=k))
    queries = np.random.default_rng(seed).choice(n, size=sample, replace=False)
    return 1.0 - _rank_penalty(codes, embedding, queries, k) / sample * 2.0 / (k * (2.0 * n - 3.0 * k - 1.0))


def _rank_penalty(codes, embedding, queries, k, chunk: int = 64) -> float:
    """Sum over queries i and their k map neighbours j of max(0, rank of j among i's latent neighbours - k)."""
    penalty = 0.0
    for start in range(0, len(queries), chunk):
        rows = queries[start:start + chunk]
        d_latent = _squared_distances(codes[rows], codes)
        d_map = _squared_distances(embedding[rows], embedding)
        d_latent[np.arange(len(rows)), rows] = np.inf   # a point is not its own neighbour
        d_map[np.arange(len(rows)), rows] = np.inf
        map_neighbours = np.argpartition(d_map, k, axis=1)[:, :k]                  # (c, k)
        d_to_neighbours = np.take_along_axis(d_latent, map_neighbours, axis=1)      # (c, k)
        ranks = (d_latent[:, None, :] < d_to_neighbours[:, :, None]).sum(-1) + 1   # (c, k), 1 = nearest
        penalty += np.maximum(ranks - k, 0).sum()
    return penalty


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(m, D), (n, D) -> (m, n); ranks only need an order-preserving distance."""
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)


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
            raise ValueError(f"unknown projection {method!r}; choose from {', '.join(METHODS)}")
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
                progress: Progress | None = None) -> LatentMap:
    """codes (T, D), labels (T,), errors (T,) for a whole split of T images -> the map of key.n of them."""
    indices = subset_indices(len(codes), key.n, key.seed)
    if not np.isfinite(codes[indices]).all():
        raise ValueError("the model's codes contain NaN or infinite values (its weights are broken); "
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

    Reads the shipped folder first, then the cache folder; writes only to the cache folder.
    One lock per key, so two sessions asking for the same new map compute it once."""

    def __init__(self, shipped_dir=PROJECTIONS_DIR, write_dir=None, memory_entries: int = 16):
        self.shipped_dir = Path(shipped_dir)
        self.write_dir = Path(write_dir) if write_dir else cache_dir() / "projections"
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
                    self._remember(key, found)
                    return found
        return None

    def get_or_compute(self, key: MapKey, split_arrays: Callable[[], tuple], progress: Progress | None = None,
                       ) -> LatentMap:
        """split_arrays() -> (codes, labels, errors) of the whole split; called only on a miss."""
        found = self.get(key)
        if found is not None:
            return found
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
        return path

    def _remember(self, key: MapKey, latent_map: LatentMap) -> None:
        with self._guard:
            self._memory[key] = latent_map
            self._memory.move_to_end(key)
            while len(self._memory) > self._memory_entries:
                self._memory.popitem(last=False)


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
