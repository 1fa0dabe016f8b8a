"""Anomalies: an autoencoder reconstructs what it was trained on, so an image it reconstructs
badly is one unlike its training data."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st
import torch

from lvm_app import cache, state
from lvm_app.plots import PAIR_COLOURS, log_axis, map_figure
from lvm_app.sidebar import current
from lvm_app.upload import STRIP_COLUMNS, strip, uploaded_image
from lvm_core.analysis.anomaly import (DEFAULT_PERCENTILE, anomaly_scores, held_out_roc, most_anomalous, probes,
                                       threshold_at)
from lvm_core.data.datasets import display_name
from lvm_core.generation.inference import to_display
from lvm_core.maps.projection import DEFAULT_N, METHODS
from lvm_core.text import clean, markdown_plain
from lvm_core.models import is_conditional

sel = current()
ckpt = sel.ckpt
st.title("Anomaly detection")
st.caption("An autoencoder learns to reconstruct what it was trained on, so its reconstruction error "
           "(per-pixel MSE) scores how unusual an image is: images unlike the training data come back worse.")


enc = cache.encoded(ckpt.digest, ckpt, sel.split)
data = cache.dataset(sel.dataset, sel.split)
names = data.class_names
images_of = "train and test" if sel.split == "all" else sel.split  # "the 70,000 train and test images"
scores_tab, unseen_tab, yours_tab = st.tabs(["Scores", "A class it never saw", "Score an image"])

with scores_tab:
    pct = st.slider("Threshold: percentile of this split's errors", 90.0, 99.9, DEFAULT_PERCENTILE, 0.1,
                    key="anomaly_percentile")
    threshold = threshold_at(enc.errors, pct)
    flagged = enc.errors > threshold
    counts, edges = np.histogram(enc.errors, bins=80)
    fig = go.Figure(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=counts, width=np.diff(edges), marker_color=PAIR_COLOURS[0],
                           hovertemplate="error %{x:.4f}: %{y:,} images<extra></extra>"))
    fig.add_vline(x=threshold, line_dash="dash", line_color=PAIR_COLOURS[1],
                  annotation_text=f"threshold {threshold:.4f}")
    fig.update_layout(xaxis_title="reconstruction error (per-pixel MSE)", yaxis_title="images (log scale)",
                      yaxis=log_axis(counts), height=280, margin=dict(t=30, b=10), bargap=0)
    st.plotly_chart(fig, key="anomaly_histogram")
    st.write(f"**{int(flagged.sum())}** of the {len(flagged):,} {images_of} images score above the threshold.")

    n = st.slider("Most anomalous images to show", 4, 24, STRIP_COLUMNS, key="anomaly_n")
    top = most_anomalous(enc.errors, n)
    originals = to_display(data.images[top])
    st.image(strip([originals, enc.recon[top], np.abs(originals - enc.recon[top])]),
             caption="rows: original · reconstruction · |difference|")
    st.caption(" · ".join(f"#{i} {markdown_plain(names[enc.labels[i]])}: {enc.errors[i]:.3f}" for i in top))

    st.subheader("Where the anomalies sit in the latent space")
    if ckpt.config.latent_dim < 2:
        st.caption("A 1-d latent has no 2-D map.")
    else:
        method = "raw" if ckpt.config.latent_dim == 2 else "pca"
        latent_map = cache.latent_map(ckpt, sel.split, min(len(data), DEFAULT_N), method)
        fig = map_figure(latent_map, names, colour=np.log10(latent_map.errors + 1e-8), colour_title="log10 error",
                         colourscale="Inferno", height=480)
        hot = latent_map.errors > threshold
        fig.add_trace(go.Scattergl(x=latent_map.embedding[hot, 0], y=latent_map.embedding[hot, 1], mode="markers",
                                   hoverinfo="skip", showlegend=False,
                                   marker=dict(size=10, symbol="circle-open", color="#00a0ff")))
        st.plotly_chart(fig, key="anomaly_map")
        st.caption(f"{len(latent_map):,} codes ({METHODS[method]}) coloured by reconstruction error; circled: above "
                   "the threshold. Hover for index, class and error.")

with unseen_tab:
    held = [e for e in cache.models() if e.dataset == sel.dataset and e.excluded]
    if not held:
        st.info("No model of this dataset was trained without a class. Train one with e.g. "
                f"`python -m lvm_core train --dataset {sel.dataset} --exclude-class 7 "
                "--out user_models/no7.safetensors`.")
    else:
        classes = held[0].excluded
        sizes = sorted({e.latent_dim for e in held if e.excluded == classes})
        size = sizes[0] if len(sizes) == 1 else st.radio(
            "Code size", sizes, horizontal=True, key="anomaly_heldout_size", format_func=lambda k: f"{k} numbers",
            help="A tighter bottleneck generalises less, so it reconstructs the unseen class worse.")
        pair = [e for e in held if e.excluded == classes and e.latent_dim == size]
        unseen_names = ", ".join(f"“{markdown_plain(names[c])}”" for c in classes)
        st.write(f"These models were trained on the {markdown_plain(display_name(sel.dataset))} train split "
                 f"**without** {unseen_names}. "
                 "On the test split, does reconstruction error pick out the class they never saw?")
        test = cache.dataset(sel.dataset, "test")
        roc, rows = go.Figure(), []
        cols = st.columns(len(pair))
        for col, entry in zip(cols, pair):
            model_ckpt = cache.open_model(entry.path)
            held_enc = cache.encoded(model_ckpt.digest, model_ckpt, "test")
            result = held_out_roc(held_enc.errors, held_enc.labels, classes)
            roc.add_trace(go.Scatter(x=result.fpr, y=result.tpr, name=f"{entry.kind.upper()}: AUROC {result.auroc:.3f}",
                                     line_color=PAIR_COLOURS[len(rows) % 2]))
            col.metric(f"{entry.label}: AUROC", f"{result.auroc:.3f}")
            col.caption(f"At the {DEFAULT_PERCENTILE:g}th percentile of the seen classes' errors "
                        f"({result.threshold:.4f}): {result.detected:.0%} of {result.n_unseen} unseen images "
                        f"flagged, {result.false_alarms:.1%} false alarms on {result.n_seen:,} seen ones.")
            rows.append(held_enc.recon)
        roc.add_trace(go.Scatter(x=[0, 1], y=[0, 1], name="chance (AUROC 0.5)", line=dict(dash="dot", color="grey")))
        roc.update_layout(height=380, xaxis_title="false-positive rate (seen classes flagged)",
                          yaxis_title="true-positive rate (unseen class flagged)", margin=dict(t=10, b=10))
        st.plotly_chart(roc, key="anomaly_roc")
        unseen_idx = np.flatnonzero(np.isin(test.labels.numpy(), classes))[:STRIP_COLUMNS]
        st.image(strip([to_display(test.images[unseen_idx])] + [r[unseen_idx] for r in rows]),
                 caption="rows: unseen test images · " + " · ".join(f"{e.kind.upper()}'s reconstruction" for e in pair))
        st.caption("The model draws what it knows: an unseen digit comes back as the nearest thing it was "
                   "trained on. AUROC 1 would rank every unseen image above every seen one; 0.5 is chance.")

with yours_tab:
    # opens on a built-in example (the image selected on the map, else the first): something to score at once
    source = st.radio("Image", ["a test image", "an inverted test image", "all white", "all black",
                                "uniform noise", "upload a picture"], horizontal=True, key="anomaly_source")
    index = st.session_state.get(state.SELECTED)
    index = index if index is not None and 0 <= index < len(data) else 0
    if source == "upload a picture":
        image = uploaded_image(sel.dataset, key="anomaly_upload")
    else:
        example = data.images[index].numpy()
        image = example if source == "a test image" else \
            probes(example)[source.replace("an inverted test image", "inverted image")]
    label = None
    if is_conditional(ckpt.model):   # a CVAE reconstructs x given its class: the class is part of the question
        label = st.selectbox("Score it as class (a conditional model reconstructs an image given its class)",
                             range(len(names)), index=int(enc.labels[index]), key="anomaly_class",
                             format_func=lambda c: clean(names[c]))
    if image is not None:
        score, recon = anomaly_scores(ckpt.model, torch.from_numpy(image)[None], label)
        rank = float((enc.errors < score[0]).mean())
        verdict = "**anomalous**" if score[0] > threshold else "normal"
        left, right = st.columns(2)
        shown = to_display(image[None])[0]
        left.image(strip([[shown, recon[0], np.abs(shown - recon[0])]], side=112),
                   caption="image · reconstruction · |difference|")
        right.metric("Reconstruction error", f"{score[0]:.4f}", f"{score[0] / threshold:.1f}× the threshold",
                     delta_color="inverse")
        right.write(f"{verdict}: it scores above {rank:.1%} of the {images_of} images "
                    f"(threshold {threshold:.4f}, the {pct:g}th percentile, set on the Scores tab).")
        if source == "all black":
            right.caption("A blank frame is easy to reconstruct, so it scores low: reconstruction error flags what "
                          "the model cannot draw, not everything it has never seen.")
