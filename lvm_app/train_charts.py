"""The Train page's figures. A watched run is polled every second, so each figure is rebuilt only
when its data changed (a new epoch, a new bin of the step curve) and is otherwise reused, by every
session watching (st.cache_resource keyed by the run and what changed, the 64 newest kept): watching
a run must not take the CPU the run needs. graph_objects, not plotly express (~10x cheaper)."""
from __future__ import annotations

import math

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lvm_app.plots import CLASS_COLOURS, PAIR_COLOURS, log_axis
from lvm_core.jobs import Progress
from lvm_core.text import plain

MARGIN = dict(l=0, r=0, t=40, b=0)
FIGURES_KEPT = 64


def integer_ticks(fig: go.Figure, last: int) -> go.Figure:
    """Whole-number ticks on the x axis (epochs, steps): never 2.5."""
    return fig.update_xaxes(tickmode="linear", tick0=0, dtick=max(1, math.ceil(last / 10)))


def step_figure(job_id: str, curve: tuple[np.ndarray, np.ndarray], variational: bool) -> go.Figure:
    """Training loss per step, from the run's binned curve (a few hundred points at most)."""
    return _step_figure(job_id, len(curve[0]), float(curve[0][-1]), variational, curve)


@st.cache_resource(max_entries=FIGURES_KEPT, show_spinner=False)
def _step_figure(job_id: str, bins: int, last_step: float, variational: bool, _curve) -> go.Figure:
    fig = go.Figure(go.Scatter(x=_curve[0], y=_curve[1], mode="lines", name="train", line_color=PAIR_COLOURS[0]))
    fig.update_yaxes(**log_axis(_curve[1]) if variational else {"type": "linear"})
    fig.update_layout(title="Training loss per step", xaxis_title="step", height=230, margin=MARGIN)
    return fig.update_xaxes(tickformat="d")


def epoch_figures(job_id: str, history: list[dict], variational: bool) -> list[go.Figure]:
    """Each loss term per epoch, train against test, in two contrasting colours."""
    terms = {"recon": "Reconstruction", "kl": "KL to the prior"} if variational else {"recon": "Reconstruction (MSE)"}
    return [_epoch_figure(job_id, len(history), key, title, history) for key, title in terms.items()]


@st.cache_resource(max_entries=FIGURES_KEPT, show_spinner=False)
def _epoch_figure(job_id: str, epochs_done: int, key: str, title: str, _history: list[dict]) -> go.Figure:
    epochs = [r["epoch"] for r in _history]
    fig = go.Figure([go.Scatter(x=epochs, y=[r.get(prefix + key) for r in _history], mode="lines+markers",
                                name=split, line_color=colour)
                     for (split, prefix), colour in zip((("train", ""), ("test", "test_")), PAIR_COLOURS)])
    fig.update_layout(title=f"{title} per epoch", xaxis_title="epoch", height=260, margin=MARGIN)
    return integer_ticks(fig, max(epochs))


def snapshot_map_figure(job_id: str, progress: Progress, class_names, index: int) -> go.Figure:
    """One snapshot of the fixed test subset in the class colours of every other chart, on axes that
    fit every snapshot so far, so epochs compare."""
    return _snapshot_map_figure(job_id, len(progress.snapshots), index, progress, tuple(class_names))


@st.cache_resource(max_entries=FIGURES_KEPT, show_spinner=False)
def _snapshot_map_figure(job_id: str, snapshots: int, index: int, _progress: Progress, _class_names) -> go.Figure:
    snap, labels = _progress.snapshots[index], _progress.labels
    every = np.concatenate([s.points for s in _progress.snapshots])
    lo, hi = every.min(), every.max()
    pad = 0.05 * (hi - lo + 1e-6)
    fig = go.Figure([go.Scatter(x=snap.points[labels == k, 0], y=snap.points[labels == k, 1], mode="markers",
                                marker=dict(size=5, color=CLASS_COLOURS[k % len(CLASS_COLOURS)]),
                                name=plain(name))
                     for k, name in enumerate(_class_names)])
    fig.update_xaxes(range=[lo - pad, hi + pad]).update_yaxes(range=[lo - pad, hi + pad])
    title = f"Latent map after epoch {snap.epoch}" if snap.epoch else "Latent map before training"
    return fig.update_layout(title=title, height=420, margin=MARGIN)


def pca_verdict(metrics: dict, latent_dim: int, epochs_done: int, variational: bool) -> str | None:
    """Why a model reconstructs worse than PCA with as many components, in words; None when it doesn't."""
    if not metrics or metrics["mse"] <= metrics["pca_mse"]:
        return None
    reasons = []
    if epochs_done < 20:
        reasons.append(f"{epochs_done} epoch(s) are few: a nonlinear model needs more passes over the data than "
                       f"PCA, which is solved exactly in one step; train longer")
    if variational:
        reasons.append("a VAE also pays for a smooth latent space (the KL term) with blurrier reconstructions; "
                       "a lower β or a plain AE reconstructs better")
    reasons.append(f"PCA-{latent_dim} is the best any linear code of that size can do, so it is a strong baseline")
    return "Worse than PCA here: " + "; ".join(reasons) + "."
