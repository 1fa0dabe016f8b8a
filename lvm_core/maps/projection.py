"""2-D and 3-D maps of latent codes: PCA, t-SNE (openTSNE), UMAP, or the raw axes of a 2-d latent.

How faithful a map is lives in maps/trustworthiness.py; computed maps are kept on disk by maps/store.py.
"""
from __future__ import annotations

import threading
from typing import Callable

import numpy as np

from lvm_core.errors import InvalidInput
from lvm_core.maps.pca import pca_map

METHODS = {"pca": "PCA", "tsne": "t-SNE", "umap": "UMAP", "raw": "raw axes (2-d latent)"}
# What each map keeps, in a sentence a class can read (shown under the map).
METHOD_CAPTIONS = {
    "pca": "PCA keeps the two (or three) directions of largest variance of the codes: a linear view, "
           "so far-apart clusters stay far apart but may overlap.",
    "tsne": "t-SNE keeps each point's nearest neighbours close; distances between clusters and "
            "cluster sizes mean little.",
    "umap": "UMAP keeps nearest neighbours close and keeps more of the large-scale layout than t-SNE.",
    "raw": "With a 2-d code there is nothing to project: these are the code's own two axes, z0 and z1.",
}
SLOW_METHODS = ("tsne", "umap")     # computed only when asked for (or shipped): a minute or more at 10k points
DEFAULT_PARAMS = {
    "pca": {},
    # openTSNE defaults except fewer iterations: with PCA initialisation and FFT gradients, 125 + 375
    # iterations reach the same trustworthiness as sklearn's 1000 (benchmarks/projection_speed.py).
    "tsne": {"perplexity": 30.0, "early_exaggeration_iter": 125, "n_iter": 375},
    "umap": {"n_neighbors": 15, "min_dist": 0.1},
    "raw": {},
}
DEFAULT_N = 10_000
EXACT_NEIGHBOURS_BELOW = 1000   # openTSNE's own rule: exact neighbours below this many points, Annoy above

OnProgress = Callable[[float, str], None]   # (fraction done in [0, 1], what is happening)


def available_methods(latent_dim: int, dims: int = 2) -> list[str]:
    """Methods that can draw a dims-D map of latent_dim-d codes (raw axes only when they are the map)."""
    if latent_dim < dims:
        return ["raw"] if latent_dim == dims else []
    return [m for m in METHODS if m != "raw" or latent_dim == dims]


def default_method(latent_dim: int, stored: Callable[[str], bool], current: str | None = None, dims: int = 2) -> str:
    """The map to show for a model just picked: the current choice when it costs nothing (PCA, raw
    axes, or a map already stored for this model); else a 2-d code's own axes; else a stored t-SNE
    or UMAP map (shipped models ship them); else PCA, which is instant. t-SNE and UMAP are never
    computed for a model (an upload, a new run) until the user asks for them."""
    if current in available_methods(latent_dim, dims) and (current not in SLOW_METHODS or stored(current)):
        return current
    if latent_dim == dims:
        return "raw"
    return next((m for m in SLOW_METHODS if stored(m)), "pca")


def project(codes: np.ndarray, method: str, dims: int = 2, seed: int = 0, progress: OnProgress | None = None,
            **params) -> np.ndarray:
    """codes (N, D) -> map coordinates (N, dims) float32. params override DEFAULT_PARAMS[method]."""
    if method not in METHODS:
        raise InvalidInput(f"unknown projection {method!r}; choose from {', '.join(METHODS)}")
    codes = np.ascontiguousarray(codes, dtype=np.float32)
    n, latent_dim = codes.shape
    if method not in available_methods(latent_dim, dims):
        raise InvalidInput(f"{METHODS[method]} cannot draw a {dims}-D map of {latent_dim}-d codes")
    params = {**DEFAULT_PARAMS[method], **params}
    if method == "raw":
        return codes[:, :dims].copy()
    if method == "pca":
        return pca_map(codes, dims).place(codes)
    if method == "tsne":
        return _tsne(codes, dims, seed, progress, **params)
    return _umap(codes, dims, seed, progress, **params)


def _tsne(codes, dims, seed, progress, perplexity, early_exaggeration_iter, n_iter) -> np.ndarray:
    from openTSNE import TSNE, affinity, nearest_neighbors

    perplexity = min(float(perplexity), (len(codes) - 1) / 3)   # openTSNE needs 3*perplexity < N
    total, done = early_exaggeration_iter + n_iter, [0]

    def callback(iteration, error, embedding):
        done[0] += 10
        if progress:
            progress(min(done[0] / total, 1.0), f"t-SNE: iteration {min(done[0], total)} of {total}")

    if progress:
        progress(0.0, "t-SNE: finding neighbours")
    # The neighbour index is built here, as openTSNE's "auto" would pick it for dense Euclidean codes,
    # and handed over: left to choose, openTSNE imports pynndescent only to ask whether it is installed
    # (60-75 s of numba compilation cold, 7 s warm) and then uses Annoy anyway.
    index = nearest_neighbors.Sklearn if len(codes) < EXACT_NEIGHBOURS_BELOW else nearest_neighbors.Annoy
    knn = index(codes, k=min(len(codes) - 1, int(3 * perplexity)), metric="euclidean", n_jobs=1, random_state=seed)
    affinities = affinity.MultiscaleMixture(perplexities=perplexity, knn_index=knn, n_jobs=1, random_state=seed)
    # FFT gradients win in 2-D from about 10k points ("auto"); their grid has a fixed cost that
    # dominates small maps, and grows cubically in 3-D, so Barnes-Hut there.
    tsne = TSNE(n_components=dims, perplexity=perplexity, initialization="pca", random_state=seed,
                early_exaggeration_iter=early_exaggeration_iter, n_iter=n_iter, n_jobs=1,
                negative_gradient_method="auto" if dims == 2 else "bh",
                callbacks=callback, callbacks_every_iters=10)
    return np.asarray(tsne.fit(codes, affinities=affinities), dtype=np.float32)


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


