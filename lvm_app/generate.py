"""The generative pages' shared pieces (Sliders, Compare, Interpolate): the AE/VAE pair picker,
cached samples and their quality scores, mixture samplers, PCA maps, and their figures."""
from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lvm_core import CheckpointError
from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.generation.inference import decode, encode
from lvm_core.data.builtin import subset_indices
from lvm_core.data.datasets import display_name
from lvm_core.generation.latent import dimension_importance, dimension_order, manifold_grid, slider_ranges
from lvm_core.maps.pca import PrincipalComponents, pca_map
from lvm_core.analysis.quality import Classifier, SampleQuality, find_classifier, score_samples
from lvm_core.generation.sampling import GaussianMixtureSampler, sample_normal

from . import cache
from .plots import CLASS_COLOURS, PAIR_COLOURS

CODES_COLOUR, PRIOR_COLOUR = PAIR_COLOURS

SCORE_N = 2000          # samples behind each Fréchet distance; a grid shows the first of them
MIXTURE_COMPONENTS = 10
MIXTURE_FIT_CODES = 10_000
MAP_POINTS = 2000       # dots on the small maps: enough to see the clusters, light enough to redraw per drag
PRIORS = {"normal": "z ~ N(0, I)", "gmm": f"z ~ {MIXTURE_COMPONENTS}-component mixture fitted to the codes"}


@st.cache_resource(show_spinner=False, max_entries=8)
def classifier(dataset: str) -> Classifier | None:
    """The shipped LeNet of a dataset; None when there is none. A damaged file raises CheckpointError."""
    return find_classifier(dataset)


@st.cache_resource(show_spinner="Fitting a Gaussian mixture to the model's train codes…", max_entries=8)
def mixture(digest: str, _ckpt: Checkpoint) -> GaussianMixtureSampler:
    """Fitted to the codes of MIXTURE_FIT_CODES random train images: 10k of MNIST's 60k encode and
    fit in a third of the time, and the samples look the same."""
    train = cache.dataset(_ckpt.dataset, "train")
    codes = encode(_ckpt.model, train.images[subset_indices(len(train), MIXTURE_FIT_CODES)])
    return GaussianMixtureSampler(MIXTURE_COMPONENTS, seed=0).fit(codes)


@st.cache_data(show_spinner=False, max_entries=32)
def codes(digest: str, _ckpt: Checkpoint, prior: str, seed: int) -> np.ndarray:
    """(SCORE_N, D) z from the prior ("normal") or the fitted mixture ("gmm"); a seed is one draw."""
    if prior == "gmm":
        return mixture(digest, _ckpt).sample(SCORE_N, seed)
    return sample_normal(SCORE_N, _ckpt.config.latent_dim, seed)


@st.cache_data(show_spinner=False, max_entries=32)
def samples(digest: str, _ckpt: Checkpoint, prior: str, seed: int, n: int = SCORE_N) -> np.ndarray:
    """(n, H, W) the first n of the seed's SCORE_N decoded samples: a grid decodes only what it shows."""
    return decode(_ckpt.model, codes(digest, _ckpt, prior, seed)[:n])


_SCORER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lvm-scorer")
_SCORES: dict[tuple, Future] = {}
_SCORES_LOCK = threading.Lock()
_SCORES_KEPT = 96


def quality_later(key: tuple, clf: Classifier, images: Callable[[], np.ndarray]) -> Future:
    """The score of images() (N, H, W), made once per key on a background thread: drawing and scoring
    2,000 samples takes seconds, so the grids show at once and the page polls for the number.
    The Future's result is a SampleQuality (ValueError for broken samples)."""
    with _SCORES_LOCK:
        future = _SCORES.get(key)
        if future is None or (future.done() and future.exception() is not None):
            future = _SCORES[key] = _SCORER.submit(lambda: score_samples(clf, images()))
            while len(_SCORES) > _SCORES_KEPT:      # oldest first: dicts keep insertion order
                _SCORES.pop(next(iter(_SCORES)))
        return future


def sample_quality_later(digest: str, ckpt: Checkpoint, clf: Classifier, prior: str, seed: int) -> Future:
    """The score of a seed's SCORE_N samples (the grid shows the first of them), decoded in the background."""
    z = codes(digest, ckpt, prior, seed)
    return quality_later((digest, prior, seed), clf, lambda: decode(ckpt.model, z))


NOUNS = {"fashion-mnist": "clothes", "kmnist": "characters"}


def verdict(prior: str, q: SampleQuality, scores: list[SampleQuality], dataset: str) -> str:
    """A grid's lesson in words ("noise → mush", "fitted prior → digits"): mush when its Fréchet distance
    is nearer the worst grid's than the best's on a log scale (above their geometric mean), and over twice
    the best (three grids of similar quality are all digits)."""
    source = "noise" if prior == "normal" else "fitted prior"
    best, worst = min(s.frechet for s in scores), max(s.frechet for s in scores)
    good = q.frechet <= max(2 * best, (best * worst) ** 0.5)
    return f"{source} → {NOUNS.get(dataset, 'digits') if good else 'mush'}"


def real_quality_later(dataset: str, clf: Classifier) -> Future:
    """The floor: SCORE_N real test images scored like the samples (a Fréchet distance over few
    samples is biased upwards, so the floor is measured with the same count), in the background."""
    images = cache.dataset(dataset, "test").images[:SCORE_N]
    return quality_later((dataset, "real test images"), clf, lambda: images)


def quality_caption(q: SampleQuality | None, floor: SampleQuality | None) -> str:
    if q is None:
        return ("No sample-quality score: no usable classifier for this dataset "
                "(make one with `python -m lvm_core train-classifier`).")
    floor_text = f" (real test images: {floor.frechet:.1f})" if floor is not None else ""
    return (f"**Fréchet distance {q.frechet:.0f}**{floor_text} · classifier confidence {q.confidence:.0%} "
            f"· over {q.n:,} samples")


def load(path) -> Checkpoint | None:
    try:
        return cache.open_model(path)
    except CheckpointError as exc:
        st.error(str(exc))
        return None


def _model_selectbox(where, label: str, options: list[str], key: str, default: str, format_func) -> str:
    """A select box of model paths whose choice survives a visit to another page (persist_state, as
    every page keeps its widgets); default when there is no choice yet or it is no longer offered."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default
    return where.selectbox(label, options, key=key, format_func=format_func, persist_state="session")


def pick_pair(dataset: str) -> tuple[Checkpoint, Checkpoint]:
    """An AE and a VAE of one dataset with the same latent size, chosen in two select boxes.
    Default: the like-for-like tutorial pair (mlp), else the first matching pair.
    Stops the page with a message when there is no such pair or one cannot be loaded."""
    entries = [e for e in cache.models() if e.dataset == dataset and not e.denoising and not e.excluded]
    aes = [e for e in entries if e.kind == "ae"]
    vaes = [e for e in entries if e.kind == "vae"]
    twins = [a for a in aes if any(v.latent_dim == a.latent_dim for v in vaes)]
    if not twins:
        st.warning(f"Comparing needs an AE and a VAE of {display_name(dataset)} with the same latent size; "
                   "train the missing one on the Train page.")
        st.stop()
    best = min(twins, key=lambda a: (a.arch != "mlp", not any(v.arch == a.arch and v.latent_dim == a.latent_dim
                                                              for v in vaes)))
    left, right = st.columns(2)
    by_path = {str(e.path): e for e in entries}
    label = lambda p: by_path[p].label  # noqa: E731
    ae_path = _model_selectbox(left, "Autoencoder", [str(e.path) for e in twins], "pair_ae", str(best.path), label)
    ae = by_path[ae_path]
    if st.session_state.get("pair_vae_for") != ae_path:    # a new AE: offer its own-shape VAE again
        st.session_state.pair_vae_for = ae_path
        st.session_state.pop("pair_vae", None)
    partners = [v for v in vaes if v.latent_dim == ae.latent_dim]
    default = next((v for v in partners if v.arch == ae.arch), partners[0])
    vae_path = _model_selectbox(right, "Variational autoencoder", [str(v.path) for v in partners], "pair_vae",
                               str(default.path), label)
    pair = load(ae_path), load(vae_path)
    if not all(pair):
        st.stop()
    return pair


@st.cache_resource(show_spinner=False, max_entries=16)
def pca_codes(digest: str, _ckpt: Checkpoint, split: str) -> tuple[PrincipalComponents, np.ndarray, np.ndarray]:
    """(map, places (n, 2), labels (n,)) for MAP_POINTS codes of a split, on a PCA map that can place new codes."""
    enc = cache.encoded(digest, _ckpt, split)
    rows = subset_indices(len(enc.codes), MAP_POINTS)
    fitted = pca_map(enc.codes)
    return fitted, fitted.place(enc.codes[rows]), enc.labels[rows]


def codes_figure(places: np.ndarray, labels: np.ndarray, class_names, height: int = 360,
               revision: str = "") -> go.Figure:
    """Codes as faint dots coloured by class; callers add their markers or paths on top.
    revision: a key of the dots (model, split); while it is unchanged, plotly.js skips redrawing them."""
    fig = go.Figure()
    for c in np.unique(labels):
        rows = labels == c
        fig.add_trace(go.Scattergl(x=places[rows, 0], y=places[rows, 1], mode="markers", hoverinfo="skip",
                                   name=class_names[c] if 0 <= c < len(class_names) else str(c),
                                   marker={"size": 4, "opacity": 0.35,
                                           "color": CLASS_COLOURS[int(c) % len(CLASS_COLOURS)]}))
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 10, "b": 0}, showlegend=False,
                      uirevision="keep", datarevision=revision or None)
    fig.update_xaxes(showticklabels=False)
    fig.update_yaxes(showticklabels=False, scaleanchor="x", scaleratio=1)
    return fig


def starred_codes_figure(key: str, revision: str, places: np.ndarray, labels: np.ndarray, class_names,
               where: np.ndarray) -> go.Figure:
    """A map with one ★ at where (2,), rebuilt only when revision changes: a slider drag moves the ★,
    a layout annotation, so neither Python (~20 ms to build the figure) nor plotly.js redraws the dots."""
    cached = st.session_state.get(key)
    if cached is None or cached[0] != revision:
        fig = codes_figure(places, labels, class_names, height=300, revision=revision)
        fig.add_annotation(x=0, y=0, text="★", showarrow=False, font={"size": 26, "color": "black"})
        cached = st.session_state[key] = (revision, fig)
    fig = cached[1]
    fig.layout.annotations[0].update(x=float(where[0]), y=float(where[1]))
    return fig


def prior_histograms(codes: dict[str, np.ndarray], dims: dict[str, list[int]], bins: int = 40,
                     height: int = 190) -> go.Figure:
    """One row per model: histograms of its codes along a few dimensions, each with the N(0, 1)
    density that z ~ N(0, I) draws from, all on one x-axis (so a spread far wider than the prior's
    shows as such). codes: name -> (N, D)."""
    from plotly.subplots import make_subplots

    ncols = max(len(d) for d in dims.values())
    picked = np.concatenate([z[:, dims[name]].ravel() for name, z in codes.items()])
    lo, hi = min(np.percentile(picked, 0.5), -3.5), max(np.percentile(picked, 99.5), 3.5)
    edges = np.linspace(lo, hi, bins + 1)
    grid = np.linspace(lo, hi, 200)
    fig = make_subplots(rows=len(codes), cols=ncols, horizontal_spacing=0.03, vertical_spacing=0.2,
                        subplot_titles=[f"{name}: z{d}" for name in codes for d in dims[name]])
    for r, (name, z) in enumerate(codes.items(), start=1):
        for c, d in enumerate(dims[name], start=1):
            density, _ = np.histogram(z[:, d], bins=edges, density=True)
            fig.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=density, marker_color=CODES_COLOUR,
                                 name="codes", showlegend=(r, c) == (1, 1)), row=r, col=c)
            fig.add_trace(go.Scatter(x=grid, y=np.exp(-grid ** 2 / 2) / np.sqrt(2 * np.pi), mode="lines",
                                     line={"color": PRIOR_COLOUR, "width": 3}, name="N(0, 1) prior",
                                     showlegend=(r, c) == (1, 1)), row=r, col=c)
    fig.update_layout(height=height * len(codes), bargap=0, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      legend={"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"})
    fig.update_xaxes(range=[lo, hi], matches="x")
    fig.update_yaxes(showticklabels=False)
    return fig


@st.cache_resource(show_spinner=False, max_entries=16)
def dimensions(digest: str, _ckpt: Checkpoint, split: str) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """(slider ranges (D, 2), importance (D,), dimension order, most important first) from a split's codes."""
    enc = cache.encoded(digest, _ckpt, split)
    importance = dimension_importance(enc.codes, enc.logvar)
    return slider_ranges(enc.codes), importance, dimension_order(importance)


def importance_figure(importance: np.ndarray, variational: bool) -> go.Figure:
    fig = go.Figure(go.Bar(x=[f"z{d}" for d in range(len(importance))], y=importance, marker_color="#636efa"))
    fig.update_layout(height=240, margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      yaxis_title="KL (nats)" if variational else "variance")
    return fig


@st.cache_data(show_spinner="Decoding the plane…", max_entries=16)
def plane(digest: str, _ckpt: Checkpoint, x_range: tuple, y_range: tuple, n: int,
          label: int | None = None) -> np.ndarray:
    return manifold_grid(_ckpt.model, x_range, y_range, n, label)


def manifold_figure(grid: np.ndarray, x_range, y_range, n: int, places: np.ndarray, labels: np.ndarray,
                    class_names, clicks: int = 60) -> go.Figure:
    """The decoded plane as the background of the latent plane, the data's codes on top, and an
    invisible clicks x clicks lattice of points so that a click anywhere selects a spot."""
    from PIL import Image

    from lvm_core.data.images import to_uint8

    fig = codes_figure(places, labels, class_names, height=640)
    # lattice points are tile centres: the picture reaches half a tile beyond them
    half_x, half_y = (x_range[1] - x_range[0]) / (2 * (n - 1)), (y_range[1] - y_range[0]) / (2 * (n - 1))
    fig.add_layout_image(source=Image.fromarray(to_uint8(grid)), xref="x", yref="y", x=x_range[0] - half_x,
                         y=y_range[1] + half_y, sizex=x_range[1] - x_range[0] + 2 * half_x,
                         sizey=y_range[1] - y_range[0] + 2 * half_y, sizing="stretch", layer="below")
    gx, gy = np.meshgrid(np.linspace(*x_range, clicks), np.linspace(*y_range, clicks))
    fig.add_trace(go.Scattergl(x=gx.ravel(), y=gy.ravel(), mode="markers", name="spot",
                               marker={"size": 8, "opacity": 0.0, "color": "white"},
                               hovertemplate="z = (%{x:.2f}, %{y:.2f})<extra>click to decode</extra>"))
    for trace in fig.data[:-1]:             # the codes: visible on the dark picture
        trace.marker.update(opacity=0.8, size=4)
    fig.update_xaxes(range=[x_range[0] - half_x, x_range[1] + half_x], showticklabels=True, title="z0",
                     showgrid=False, zeroline=False)
    fig.update_yaxes(range=[y_range[0] - half_y, y_range[1] + half_y], showticklabels=True, title="z1",
                     showgrid=False, zeroline=False)
    fig.update_layout(clickmode="event+select", dragmode="zoom")
    return fig
