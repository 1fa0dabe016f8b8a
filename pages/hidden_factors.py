"""Hidden factors: slant, thickness, size and ink measured on every image, found as directions in the
latent space, moved along, removed (debias), and the rare styles a density of the codes points at."""

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from lvm_app import cache, state
from lvm_app import hidden_factors as hf
from lvm_app.plots import PAIR_COLOURS, map_figure
from lvm_app.sidebar import current
from lvm_app.upload import STRIP_COLUMNS, show, strip
from lvm_core.factors.density import (DEFAULT_ALPHA, class_shares, effective_sample_size, rarest, resampling_weights,
                              weighted_histograms)
from lvm_core.factors.directions import STEPS, traverse
from lvm_core.factors.report import beta_sweep, spaced
from lvm_core.factors.measure import FACTORS, measure_factors
from lvm_core.maps.projection import DEFAULT_N
from lvm_core.text import clean, markdown_plain

GRID_DIGITS = 8

sel = current()
st.title("Hidden factors")
st.caption("Besides *which* digit, an image is caused by hidden factors: how slanted, how thick the pen, how big. "
           "Each is measured here from the pixels alone, then found as a direction in the latent space (mean code of "
           "the top fifth minus the bottom fifth), checked by decoding, moved along, and removed.")
ckpt = sel.ckpt
if ckpt.config.image_shape[0] != 1:
    st.info("Slant, pen thickness and the other factors are measured on grey images of strokes; this "
            f"model's dataset has {ckpt.config.image_shape[0]}-channel images. Pick a grey dataset.")
    st.stop()
enc = cache.encoded(ckpt.digest, ckpt, sel.split)
data = cache.dataset(sel.dataset, sel.split)
names = data.class_names
table = hf.table(sel.dataset, sel.split)
directions = hf.directions(ckpt.digest, ckpt, sel.split)

factor = st.radio("Factor", list(FACTORS), horizontal=True, key="factor_name", format_func=lambda f: FACTORS[f].title)
info = FACTORS[factor]
with st.expander("How each factor is measured"):
    st.markdown("\n".join(f"- **{f.title}** ({f.unit}): {f.definition}." for f in FACTORS.values()))
values = table[factor]
p20, p80 = np.percentile(values, [20, 80])
st.caption(f"{info.title} ({info.unit}) over the {len(values):,} {sel.split} images: median {np.median(values):.2f}, "
           f"20th–80th percentile {p20:.2f} … {p80:.2f}. Direction fitted on this split's codes.")
direction = directions[factor]
move_tab, remove_tab, rare_tab, probe_tab, scores_tab = st.tabs(
    ["Move along it", "Remove it (debias)", "Rare styles", "How readable (AE vs VAE)", "Scores (MIG · DCI · SAP)"])

with move_tab:
    chosen = st.session_state.get(state.SELECTED)
    if st.session_state.get("factors_index") is None or not 0 <= st.session_state.factors_index < len(data):
        st.session_state.factors_index = chosen if chosen is not None and 0 <= chosen < len(data) else 0
    left, right = st.columns([1, 2])
    index = left.number_input("Image (index in the split; a point picked on the map starts here)", 0, len(data) - 1,
                              key="factors_index")
    step = left.select_slider("Position along the factor (steps of its spread)", [float(s) for s in STEPS],
                              value=0.0, key="factor_step")
    walk = traverse(ckpt.model, enc.codes[index], direction, labels=enc.labels[index])   # a CVAE: its own class
    at = int(np.argmin(np.abs(STEPS - step)))
    left.image(show(walk.frames[at, 0], 196), caption=f"{step:+.1f} steps: {info.title.lower()} "
               f"{walk.values[at, 0]:.2f} {info.unit}", clamp=True)
    right.image(strip([list(walk.frames[:, 0])], side=84), clamp=True,
                caption="−2 … +2 steps: " + " · ".join(f"{v:.1f}" for v in walk.values[:, 0]) + f" {info.unit}")
    spread = spaced(len(data), GRID_DIGITS)
    grid = traverse(ckpt.model, enc.codes[spread], direction, labels=enc.labels[spread])
    right.image(strip([list(row) for row in grid.frames.transpose(1, 0, 2, 3)], side=56), clamp=True,
                caption=f"{GRID_DIGITS} digits moved together. Mean {info.title.lower()} per column: "
                        + " · ".join(f"{v:.1f}" for v in grid.mean) + f"; Spearman ρ of step vs mean {grid.rho:+.2f}.")
    if ckpt.config.latent_dim >= 2:
        method = "raw" if ckpt.config.latent_dim == 2 else "pca"
        latent_map = cache.latent_map(ckpt, sel.split, min(len(data), DEFAULT_N), method)
        st.plotly_chart(map_figure(latent_map, names, colour=values[latent_map.indices], colour_title=info.unit,
                                   colourscale="RdBu" if factor == "slant" else "Viridis", height=480),
                        key="factors_map")
        st.caption(f"{len(latent_map):,} codes ({method.upper()} map) coloured by the {info.title.lower()} measured on "
                   "each image: a smooth gradient across a cluster is the factor living inside the class.")

with remove_tab:
    idx, removal = hf.removal(ckpt.digest, ckpt, sel.split, factor)
    st.write(f"Every code is moved along the {info.title.lower()} direction until a linear probe reads the average "
             f"{info.title.lower()}, then decoded ({len(idx):,} images spread over the split).")
    a, b, c = st.columns(3)
    a.metric(f"Spread of {info.title.lower()} (std, {info.unit})", f"{removal.spread_after:.2f}",
             f"{removal.spread_ratio:.2f}× the reconstructions' {removal.spread_before:.2f}", delta_color="off")
    if removal.identity_kept is not None:
        b.metric("LeNet accuracy on the debiased decodes", f"{removal.accuracy_after:.1%}",
                 f"{removal.accuracy_before:.1%} on plain reconstructions", delta_color="off")
        c.metric("Identity kept", f"{removal.identity_kept:.1%}", help="accuracy after / accuracy before")
    show_n = STRIP_COLUMNS
    st.image(strip([data.images[idx[:show_n], 0].numpy(), removal.before[:show_n], removal.after[:show_n]]),
             caption=f"rows: original · reconstruction · {info.title.lower()} removed", clamp=True)
    before, after = measure_factors(removal.before)[factor], measure_factors(removal.after)[factor]
    hist = go.Figure([go.Histogram(x=before, name="reconstructions", opacity=0.6, marker_color=PAIR_COLOURS[0]),
                      go.Histogram(x=after, name=f"{info.title.lower()} removed", opacity=0.6,
                                   marker_color=PAIR_COLOURS[1])])
    hist.update_layout(barmode="overlay", height=280, xaxis_title=f"{info.title} ({info.unit})",
                       margin=dict(t=20, b=10))
    st.plotly_chart(hist, key="factors_removal_hist")
    # erases with both methods on train-fitted erasers (encodes train codes): only when asked
    if st.toggle("Compare with LEACE (least-squares concept erasure)", key="factors_leace"):
        st.dataframe(hf.erasure_frame(hf.erasure(ckpt.digest, ckpt, factor)).style.format("{:.3f}", na_rep="–"))
        st.caption(f"Both fitted on {hf.PROBE_TRAIN_N:,} train codes; the probe is a ridge regression refitted on "
                   f"the erased train codes and scored on the erased test codes ({hf.REMOVAL_N:,} test images "
                   "decoded). LEACE (Belrose et al., 2023) guarantees zero covariance with the factor: no linear "
                   "probe beats the mean.")

with rare_tab:
    log_p = hf.densities(ckpt.digest, ckpt, sel.split)
    st.write("A Gaussian mixture (10 components) fitted to the codes gives each image a latent density: where codes "
             "are sparse, the data under-represents a style (the DB-VAE idea).")
    per_row = min(STRIP_COLUMNS, len(log_p) // 3) or len(log_p)   # three full rows, even of a tiny split
    rare = rarest(log_p, 3 * per_row)
    st.image(strip([data.images[rare[i:i + per_row], 0].numpy() for i in range(0, len(rare), per_row)]), clamp=True,
             caption=f"the {len(rare)} rarest images, rarest first: "
             + ", ".join(f"#{i} {markdown_plain(names[enc.labels[i]])}" for i in rare[:8]) + "…")
    alpha = st.slider("α: resampling weight ∝ 1 / density^α (density per code number)", 0.0, 5.0, DEFAULT_ALPHA, 0.25,
                      key="factors_alpha")
    weights = resampling_weights(log_p, alpha)
    st.caption(f"Effective sample size {effective_sample_size(weights):,.0f} of {len(weights):,} images; the most "
               f"weighted image counts {weights.max() * len(weights):.1f}× an average one.")
    cols = st.columns(len(FACTORS))
    for col, (name, f) in zip(cols, FACTORS.items()):
        edges, share_before, share_after = weighted_histograms(table[name], weights)
        fig = go.Figure([go.Bar(x=edges[:-1], y=share_before, name="uniform", opacity=0.6,
                                marker_color=PAIR_COLOURS[0]),
                         go.Bar(x=edges[:-1], y=share_after, name=f"α = {alpha:g}", opacity=0.6,
                                marker_color=PAIR_COLOURS[1])])
        fig.update_layout(barmode="overlay", height=220, showlegend=name == "slant", title=f.title,
                          margin=dict(t=30, b=10, l=10, r=10), legend=dict(orientation="h"))
        col.plotly_chart(fig, key=f"factors_rare_{name}")
    share_before, share_after = class_shares(enc.labels, weights, len(names))
    st.bar_chart(pd.DataFrame({"uniform": share_before, f"α = {alpha:g}": share_after}, index=list(names)),
                 height=220, stack=False, color=list(PAIR_COLOURS))
    st.caption(f"Train with such weights: the Train page's *Re-weight rare styles (α)*, or `python -m lvm_core train "
               f"--dataset {sel.dataset} --debias-alpha {alpha:g} --out my-model.safetensors` (rarity measured with "
               "the shipped VAE of the dataset); both report the error on the rarest tenth of the test images.")

with probe_tab:
    others = [e for e in cache.models() if e.dataset == ckpt.dataset and e.arch == ckpt.config.arch
              and e.latent_dim == ckpt.config.latent_dim and not e.excluded and not e.denoising
              and e.kind != ckpt.config.kind]
    pair = [ckpt] + [cache.open_model(e.path) for e in others[:1]]
    # encodes the test split with both models: seconds to a minute, so only when asked
    if st.toggle("Fit the probes (" + " vs ".join(markdown_plain(c.name) for c in pair) + ")", key="factors_probes"):
        rows = {f"{c.config.kind.upper()}: {clean(c.name)}": hf.probes(c.digest, c) for c in pair}
        frame = pd.DataFrame(rows)
        frame.index = [FACTORS[k].title if k in FACTORS else "class (reference)" for k in frame.index]
        st.dataframe(frame.style.format("{:.3f}"))
    st.caption(f"Test-split R² of a ridge regression from the code to each factor, fitted on {hf.PROBE_TRAIN_N:,} "
               "train codes (class: one-hot labels, averaged over classes). 1 = read exactly by a straight line; "
               "0 = no better than the mean." + ("" if len(pair) > 1 else " No matching model of the other kind "
                                                  "(same dataset, architecture and code size) to compare with."))

with scores_tab:
    # encodes train and test codes and fits regressors: seconds, so only when asked
    if st.toggle("Score the codes (" + markdown_plain(ckpt.name) + ")", key="factors_scores"):
        report = hf.scores(ckpt.digest, ckpt)
        a, b, c, d = st.columns(4)
        a.metric("MIG", f"{report['mig']:.3f}")
        b.metric("DCI disentanglement", f"{report['dci']['disentanglement']:.3f}",
                 f"completeness {report['dci']['completeness']:.3f}", delta_color="off")
        c.metric("DCI informativeness", f"{report['dci']['informativeness']:.3f}")
        d.metric("SAP", f"{report['sap']:.3f}", f"recon MSE {report['reconstruction_mse']:.4f}", delta_color="off")
        matrix = st.radio("Matrix", list(hf.MATRICES), horizontal=True, key="factors_matrix",
                          format_func=hf.MATRICES.get)
        st.plotly_chart(hf.scores_heatmap(report, matrix), key="factors_scores_heatmap")
    sweep = beta_sweep()
    if sweep and st.toggle(f"β sweep: {len(sweep)} MNIST VAEs (MLP, 10-d codes)", key="factors_sweep"):
        st.plotly_chart(hf.sweep_figure(hf.sweep(tuple(sweep))), key="factors_sweep_chart")
        st.caption("A larger β buys disentanglement with reconstruction error (Higgins et al., 2017), if at all: "
                   "`python benchmarks/disentanglement.py` prints the same numbers.")
    st.caption("Against the measured factors and the label (1 = each factor held by one code dimension alone). "
               "These scores disagree with each other and cannot be judged without labels of the factors "
               "(Locatello et al., 2019): on the shipped MNIST models DCI ranks the conv AE above the MLP AE, MIG "
               "and SAP the other way round.")
