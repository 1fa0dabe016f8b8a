"""Interpolation: walk from one image's code to another's and decode every step, AE above VAE."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lvm_app import cache, generate, pair, state
from lvm_app.components import FALLBACK_NOTE, fallback_reason
from lvm_app.components.live import path_scrubber
from lvm_app.sidebar import current
from lvm_core.data.images import enlarge, make_grid
from lvm_core.generation.inference import decode, to_display
from lvm_core.generation.latent import contrasting_pair, gif_bytes, interpolate
from lvm_core.generation.sampling import INTERPOLATIONS
from lvm_core.text import file_stem, markdown_plain

FRAME_SIDE = 84         # display size of each frame, in whole pixels
SCRUB_STOPS = 101       # the scrubber's stops along the path (t = 0, 0.01, ..., 1)
SCRUB_SIDE = 196        # scrubber frames, CSS px


@st.cache_data(show_spinner="Finding a pair where the AE and the VAE differ…", max_entries=16)
def default_pair(ae_digest: str, vae_digest: str, split: str, _pair) -> tuple[int, int]:
    """The opening pair (#15): the two images whose walks differ most between the AE and the VAE."""
    ae, vae = _pair
    encoded = [cache.encoded(c.digest, c, split) for c in _pair]
    return contrasting_pair(ae.model, vae.model, encoded[0].codes, encoded[1].codes, encoded[0].labels)

sel = current()
st.title("Interpolation")
st.caption("Encode two images, walk along a path between their codes, decode each step. A smooth, "
           "plausible walk means the space between codes is filled with images the decoder knows.")
pair = pair.pick_pair(sel.dataset)
data = cache.dataset(sel.dataset, sel.split)
tile = max(1, FRAME_SIDE // data.images.shape[-1])
n = len(data)
selected = st.session_state.get(state.SELECTED)
if st.session_state.get("interp_a") is None or not 0 <= st.session_state.interp_a < n:
    if selected is not None and 0 <= int(selected) < n:
        st.session_state.interp_a = int(selected)
    else:
        st.session_state.interp_a, st.session_state.interp_b = default_pair(pair[0].digest, pair[1].digest,
                                                                            sel.split, pair)
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
        st.error(f"{markdown_plain(ckpt.name)}: the model returns NaN for these images; this checkpoint is broken.")
        st.stop()

for column, i in zip(st.columns([1, 1, 6])[:2], (a, b)):
    column.image(enlarge(to_display(data.images[i:i + 1])[0], tile),
                 caption=f"#{i} ({markdown_plain(data.class_names[data.labels[i]])})",
                 output_format="PNG")
for name, ckpt in zip(frames, pair):
    st.markdown(f"**{name}** · {markdown_plain(ckpt.title, 200)}")
    st.image(enlarge(make_grid(frames[name], ncols=steps), tile), clamp=True, width="stretch", output_format="PNG")

st.subheader("Scrub along the path")
no_live = fallback_reason(*pair)
models = dict(zip(("AE", "VAE"), pair))
stops = {name: interpolate(paths[name][0], paths[name][-1], SCRUB_STOPS, method) for name in paths}
if no_live:
    st.caption(FALLBACK_NOTE.format(no_live))
    t = st.slider("Position on the path (A → B)", 0.0, 1.0, 0.5, 0.01, key="interp_t")
    at = round(t * (SCRUB_STOPS - 1))
    for column, name in zip(st.columns([1, 1, 3])[:2], stops):
        column.image(enlarge(decode(models[name].model, stops[name][at])[0], tile * 2), clamp=True,
                     output_format="PNG", caption=f"{name}, t = {t:.2f}")
else:
    st.caption("Drag, or press Play: each frame is decoded in your browser as the slider moves (AE left, VAE right).")
    path_scrubber(models, stops, token=f"{a}-{b}-{method}-{pair[0].digest[:8]}-{pair[1].digest[:8]}",
                  side=SCRUB_SIDE)

# one GIF, AE above VAE, so both walks play side by side
stacked = np.concatenate([frames["AE"], np.ones_like(frames["AE"][:, :1]), frames["VAE"]], axis=1)
st.download_button("Download as GIF (AE above VAE)", gif_bytes(stacked, scale=tile * 2), icon=":material/download:",
                   file_name=f"interpolation-{file_stem(sel.dataset)}-{a}-{b}-{method}.gif", mime="image/gif",
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
