"""The generative pages' figures (Sliders, Compare, Interpolate): PCA places of the codes, the decoded
plane, code histograms against the prior, dimension importance. The AE/VAE pair is pair.py's; the
samples and their scores, samples.py's."""
from __future__ import annotations


import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.data.builtin import subset_indices
from lvm_core.generation.latent import dimension_importance, dimension_order, manifold_grid, slider_ranges
from lvm_core.maps.pca import PrincipalComponents, pca_map
from lvm_core.text import plain

from . import cache
from .plots import CLASS_COLOURS, PAIR_COLOURS

CODES_COLOUR, PRIOR_COLOUR = PAIR_COLOURS

MAP_POINTS = 2000       # dots on the small maps: enough to see the clusters, light enough to redraw per drag


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
                                   name=plain(class_names[c]) if 0 <= c < len(class_names) else str(c),
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
