"""Caches of the Hidden factors page, keyed by a checkpoint's content (its sha256) and the split:
measured factors, directions, removals, densities and probes are computed once, never on a click."""
from __future__ import annotations

import numpy as np
import streamlit as st

from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.factors.density import log_density
from lvm_core.factors.directions import FactorDirection, Removal, fit_directions, probe_table, remove_factor
from lvm_core.factors.report import erasure_rows, scores_report, spaced
from lvm_core.factors.measure import split_factors
from lvm_core.generation.inference import encode

from . import cache

REMOVAL_N = 2000     # images debiased on the page (evenly spaced over the split): a few seconds, not a minute
PROBE_TRAIN_N = 5000  # train images the page's probes are fitted on


@st.cache_resource(show_spinner="Measuring slant, thickness, size and ink of every image…", max_entries=8)
def table(dataset: str, split: str) -> dict[str, np.ndarray]:
    """{factor: (N,)} of a split (also kept on disk by lvm_core.factors.measure.split_factors)."""
    return split_factors(dataset, split, cache.dataset(dataset, split).images)


@st.cache_resource(show_spinner="Finding each factor's direction in the latent space…", max_entries=16)
def directions(digest: str, _ckpt: Checkpoint, split: str) -> dict[str, FactorDirection]:
    return fit_directions(cache.encoded(digest, _ckpt, split).codes, table(_ckpt.dataset, split))


@st.cache_resource(show_spinner="Removing the factor and decoding…", max_entries=16)
def removal(digest: str, _ckpt: Checkpoint, split: str, factor: str) -> tuple[np.ndarray, Removal]:
    """(indices into the split, the Removal of those images' codes)."""
    enc = cache.encoded(digest, _ckpt, split)
    idx = spaced(len(enc.codes), REMOVAL_N)
    result = remove_factor(_ckpt.model, enc.codes[idx], directions(digest, _ckpt, split)[factor], enc.labels[idx],
                           cache.classifier(_ckpt.dataset))
    return idx, result


@st.cache_resource(show_spinner="Fitting a density to the codes…", max_entries=16)
def densities(digest: str, _ckpt: Checkpoint, split: str) -> np.ndarray:
    """(N,) log density of each code of the split under a Gaussian mixture of the split's codes."""
    return log_density(cache.encoded(digest, _ckpt, split).codes)


@st.cache_resource(show_spinner="Fitting ridge probes on train codes, scoring them on test codes…", max_entries=8)
def probes(digest: str, _ckpt: Checkpoint) -> dict[str, float]:
    """{factor or "class": test-split R^2} of ridge probes fitted on PROBE_TRAIN_N train codes."""
    train = cache.dataset(_ckpt.dataset, "train")
    idx = spaced(len(train), PROBE_TRAIN_N)
    train_table = split_factors(_ckpt.dataset, "train", train.images[idx])   # 5,000 measured, not all 60,000
    enc = cache.encoded(digest, _ckpt, "test")
    codes = encode(_ckpt.model, train.images[idx], train.labels[idx])    # labels: a CVAE encodes x given y
    return probe_table(codes, train_table, train.labels.numpy()[idx], enc.codes, table(_ckpt.dataset, "test"),
                       enc.labels)


@st.cache_resource(show_spinner="Scoring the codes: MIG, DCI, SAP against every factor and the label…", max_entries=8)
def scores(digest: str, _ckpt: Checkpoint) -> dict:
    """lvm_core.factors.report.scores_report on PROBE_TRAIN_N train codes and every test code."""
    return scores_report(_ckpt.model, cache.dataset(_ckpt.dataset, "train"), cache.dataset(_ckpt.dataset, "test"),
                         PROBE_TRAIN_N)


@st.cache_resource(show_spinner="Erasing the factor two ways and decoding…", max_entries=16)
def erasure(digest: str, _ckpt: Checkpoint, factor: str) -> list[dict]:
    """Mean-difference and LEACE erasure of one factor (lvm_core.factors.report.erasure_rows), fitted on
    PROBE_TRAIN_N train codes, REMOVAL_N test images decoded."""
    return erasure_rows(_ckpt.model, cache.dataset(_ckpt.dataset, "train"), cache.dataset(_ckpt.dataset, "test"),
                        (factor,), classifier=cache.classifier(_ckpt.dataset), train_n=PROBE_TRAIN_N,
                        decode_n=REMOVAL_N)


MATRICES = {"mi": "mutual information (nats): MIG", "importance": "importance (share of |ridge coefficient|): DCI",
            "sap_matrix": "one-dimension R² / label accuracy: SAP"}


def scores_heatmap(report: dict, matrix: str):
    """Plotly heatmap of one (D, K) matrix of a scores report: code dimensions down, factors across."""
    import plotly.graph_objects as go

    values = np.asarray(report[matrix])
    fig = go.Figure(go.Heatmap(z=values, x=report["factors"], y=[f"z{j}" for j in range(len(values))],
                               colorscale="Blues", colorbar=dict(title=matrix.split("_")[0])))
    fig.update_layout(height=max(260, 18 * len(values) + 80), margin=dict(t=20, b=10),
                      yaxis=dict(autorange="reversed", title="code dimension"), xaxis_title="factor")
    return fig


def erasure_frame(rows: list[dict]):
    """A table of erasure rows (lvm_core.factors.erasure.compare_erasure), one column per method."""
    import pandas as pd

    fields = {"probe_r2_before": "probe R² before", "probe_r2_after": "probe R² after (refitted)",
              "spread_before": "spread on reconstructions", "spread_after": "spread after erasure",
              "accuracy_before": "LeNet accuracy, reconstructions", "accuracy_after": "LeNet accuracy, erased",
              "identity_kept": "identity kept"}
    return pd.DataFrame({r["method"]: {label: r[key] for key, label in fields.items()} for r in rows})


@st.cache_resource(show_spinner="Scoring the β-sweep VAEs…", max_entries=2)
def sweep(paths: tuple) -> list[tuple[float, dict]]:
    """[(β, scores_report)] of the β-sweep checkpoints (lvm_core.factors.report.beta_sweep), on MNIST."""
    return [(beta, scores(ckpt.digest, ckpt)) for beta, ckpt in ((b, cache.open_model(p)) for b, p in paths)]


def sweep_figure(rows: list[tuple[float, dict]]):
    """MIG and DCI disentanglement against reconstruction error, one point per β."""
    import plotly.graph_objects as go

    mse = [r["reconstruction_mse"] for _, r in rows]
    text = [f"β = {b:g}" for b, _ in rows]
    fig = go.Figure([go.Scatter(x=mse, y=[r["mig"] for _, r in rows], name="MIG", mode="lines+markers+text",
                                text=text, textposition="top center"),
                     go.Scatter(x=mse, y=[r["dci"]["disentanglement"] for _, r in rows], name="DCI disentanglement",
                                mode="lines+markers")])
    fig.update_layout(height=320, margin=dict(t=20, b=10), xaxis_title="reconstruction error (MSE per pixel, test)",
                      yaxis_title="score", legend=dict(orientation="h"))
    return fig
