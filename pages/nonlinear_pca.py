"""An autoencoder is a nonlinear PCA: reconstruction error against latent size, for both."""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lvm_app import cache
from lvm_app.plots import PAIR_COLOURS
from lvm_app.sidebar import current
from lvm_app.upload import STRIP_COLUMNS, strip
from lvm_core import LvmError
from lvm_core.data.datasets import display_name
from lvm_core.generation.inference import reconstruct, to_display
from lvm_core.maps.pca import fit_pca, pca_reconstruct
from lvm_core.analysis.sweep import load_sweep, sweep_checkpoints
from lvm_core.text import MESSAGE_LIMIT, markdown_plain

SHOWN = STRIP_COLUMNS

sel = current()
st.title("An autoencoder is a nonlinear PCA")
st.caption("PCA is the best *linear* code of size k: project onto k directions, map back. An autoencoder with a "
           "k-number bottleneck learns both maps; made linear and trained on squared error it would find PCA's "
           "subspace (Baldi & Hornik, 1989). Its nonlinearity lets it keep more of an image in the same number "
           "of code numbers; how much more at each size is measured below.")
try:
    sweep = load_sweep(sel.dataset)
except LvmError as exc:
    st.error(markdown_plain(exc, MESSAGE_LIMIT))
    st.stop()
if sweep is None:
    st.info(f"No latent-size sweep is shipped for {markdown_plain(display_name(sel.dataset))}. "
            "Train AEs of several latent sizes, then run "
            f"`python -m lvm_core sweep CKPT ... --out checkpoints/nonlinear_pca_{sel.dataset}.json`.")
    st.stop()

sizes = sweep["sizes"]
fig = go.Figure()
for (name, key), colour in zip((("PCA", "pca_mse"), (f"autoencoder ({sweep['ae_model']})", "ae_mse")), PAIR_COLOURS):
    fig.add_trace(go.Scatter(x=sizes, y=sweep[key], mode="lines+markers", name=name, line={"color": colour}))
fig.update_layout(xaxis=dict(type="log", tickvals=sizes, ticktext=[str(k) for k in sizes], title="latent size k"),
                  yaxis_title="test reconstruction error (per-pixel MSE)", height=380, margin=dict(t=10, b=10),
                  legend=dict(orientation="h", y=1.08))
st.plotly_chart(fig, key="sweep_curve")
ratios = [p / a for p, a in zip(sweep["pca_mse"], sweep["ae_mse"])]
peak = int(np.argmax(ratios))
said = (f"PCA's error is **{ratios[0]:.1f}×** the autoencoder's at k = {sizes[0]} and the gap grows with the "
        f"code size, to **{ratios[peak]:.1f}×** at k = {sizes[peak]}")
if peak < len(sizes) - 1:
    said += f"; at k = {sizes[-1]} it is **{ratios[-1]:.1f}×**"
    if ratios[-1] < 1:
        said += (": PCA wins there, since with that many components it is close to exact and this small AE, "
                 "trained briefly, is not")
st.write(f"{said}. Computed once over {sweep['n_test']:,} test images by `python -m lvm_core sweep` "
         f"({sweep['created'][:10]}).")


@st.cache_resource(show_spinner="Fitting PCA…", max_entries=4)
def _pca(dataset: str, k: int):
    return fit_pca(cache.dataset(dataset, "train").images, k)


size = st.select_slider("Latent size for the side-by-side", sizes, value=sizes[len(sizes) // 2], key="sweep_size")
test = cache.dataset(sel.dataset, "test")
images = test.images[:SHOWN]
rows = [to_display(images), pca_reconstruct(_pca(sel.dataset, max(sizes)), images, size)]
labels = ["original", f"PCA, {size} components"]
path = sweep_checkpoints(sweep).get(size)
if path is not None:
    ae = cache.open_model(path)
    rows.append(reconstruct(ae.model, images))
    labels.append(f"autoencoder, {size}-number code")
else:
    st.caption(f"The sweep's k = {size} autoencoder is not on disk, so only PCA is shown.")
st.image(strip(rows), caption="rows: " + " · ".join(labels))
errors = {lab: float(np.mean((rows[0] - r) ** 2)) for lab, r in zip(labels[1:], rows[1:])}
st.caption("Per-pixel MSE on these images: " + " · ".join(f"{lab} {e:.4f}" for lab, e in errors.items()))
