"""Interpolation: walk from one image's code to another's and decode every step, AE above VAE."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lvm_app import cache, generate
from lvm_app.sidebar import current
from lvm_core.images import enlarge, make_grid
from lvm_core.inference import decode
from lvm_core.latent import gif_bytes, interpolate
from lvm_core.sampling import INTERPOLATIONS

FRAME_SIDE = 84         # display size of each frame, in whole pixels

sel = current()
st.title("Interpolation")
st.caption("Encode two images, walk along a path between their codes, decode each step. A smooth, "
           "plausible walk means the space between codes is filled with images the decoder knows.")
pair = generate.pick_pair(sel.dataset)
data = cache.dataset(sel.dataset, sel.split)
tile = max(1, FRAME_SIDE // data.images.shape[-1])
n = len(data)
selected = st.session_state.get("selected_index")
if st.session_state.get("interp_a") is None or not 0 <= st.session_state.interp_a < n:
    st.session_state.interp_a = int(selected) if selected is not None and 0 <= int(selected) < n else 0
if st.session_state.get("interp_b") is None or not 0 <= st.session_state.interp_b < n:
    labels = data.labels.numpy()
    st.session_state.interp_b = int(np.flatnonzero(labels != labels[st.session_state.interp_a])[0])

a_col, b_col, how_col, steps_col = st.columns([1, 1, 2, 2])
a = a_col.number_input(f"From image # ({sel.split})", 0, n - 1, key="interp_a",
                       help="Defaults to the point selected on the Latent space map.")
b = b_col.number_input(f"To image # ({sel.split})", 0, n - 1, key="interp_b")
method = how_col.radio("Path", list(INTERPOLATIONS), horizontal=True, key="interp_method",
                       help="Spherical keeps the code's length changing evenly, on the shell where "
                            "N(0, I) puts its samples; a straight line cuts through the middle.")
steps = steps_col.slider("Steps", 3, 16, 10, key="interp_steps")

frames, paths = {}, {}
for name, ckpt in zip(("AE", "VAE"), pair):
    codes = cache.encoded(ckpt.digest, ckpt, sel.split).codes
    paths[name] = interpolate(codes[a], codes[b], steps, method)
    frames[name] = decode(ckpt.model, paths[name])
    if not np.isfinite(frames[name]).all():
        st.error(f"{ckpt.name}: the model returns NaN for these images; this checkpoint is broken.")
        st.stop()

for column, i in zip(st.columns([1, 1, 6])[:2], (a, b)):
    column.image(enlarge(data.images[i, 0].numpy(), tile), caption=f"#{i} ({data.class_names[data.labels[i]]})",
                 output_format="PNG")
for name, ckpt in zip(frames, pair):
    st.markdown(f"**{name}** · {ckpt.title}")
    st.image(enlarge(make_grid(frames[name], ncols=steps), tile), clamp=True, width="stretch", output_format="PNG")

# one GIF, AE above VAE, so both walks play side by side
stacked = np.concatenate([frames["AE"], np.ones_like(frames["AE"][:, :1]), frames["VAE"]], axis=1)
st.download_button("⬇ Download as GIF (AE above VAE)", gif_bytes(stacked, scale=tile * 2),
                   file_name=f"interpolation-{sel.dataset}-{a}-{b}-{method}.gif", mime="image/gif",
                   key="interp_gif", on_click="ignore")

st.subheader("The path on each model's latent map")
for column, (name, ckpt) in zip(st.columns(2), zip(frames, pair)):
    fitted, places, labels = generate.pca_codes(ckpt.digest, ckpt, sel.split)
    fig = generate.codes_figure(places, labels, ckpt.class_names)
    walk = fitted.place(paths[name])
    fig.add_trace(go.Scatter(x=walk[:, 0], y=walk[:, 1], mode="lines+markers", name="path",
                             line={"color": "black", "width": 2}, marker={"size": 7, "color": "black"}))
    column.markdown(f"**{name}**")
    column.plotly_chart(fig, width="stretch", key=f"interp_map_{name}")
st.caption("Maps are PCA of each model's codes, which places the path's codes exactly (t-SNE could not). "
           "A spherical path is a curve in the full latent space; its shadow on the map may look bent.")
