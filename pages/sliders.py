"""Latent sliders: edit a code one number at a time and watch the decoded image change."""
import numpy as np
import streamlit as st

from lvm_app import cache, generate
from lvm_app.sidebar import current
from lvm_core.images import enlarge
from lvm_core.inference import decode
from lvm_core.latent import random_code
from lvm_core.models import is_variational

MAX_SLIDERS = 12        # more than this and the most important come first, with a picker for the rest
IMAGE_SIDE = 224
STARTS = {"selected": "Selected point", "mean": "Mean code", "random": "Random draw"}

sel = current()
ckpt = sel.ckpt
latent_dim = ckpt.config.latent_dim
scale = max(1, IMAGE_SIDE // ckpt.config.image_shape[1])   # whole pixels: crisp, not blurred
variational = is_variational(ckpt.model)
enc = cache.encoded(ckpt.digest, ckpt, sel.split)
st.title("Latent sliders")
if not np.isfinite(enc.codes).all():
    st.error(f"{ckpt.name}: the encoder returns NaN codes for some images; this checkpoint is broken.")
    st.stop()
ranges, importance, order = generate.dimensions(ckpt.digest, ckpt, sel.split)
st.caption(f"One slider per latent dimension of {ckpt.title}; each spans the 1st to 99th percentile of the "
           f"{sel.split} codes along it. Most {'used (KL to the prior)' if variational else 'spread-out'} first.")

selected = st.session_state.get("selected_index")
has_selected = selected is not None and 0 <= int(selected) < len(enc.codes)
st.session_state.setdefault("slider_seed", 0)
if st.session_state.get("slider_start") not in STARTS:
    st.session_state.slider_start = "selected" if has_selected else "mean"


def randomize():
    st.session_state.slider_seed += 1
    st.session_state.slider_start = "random"
    st.session_state.slider_token = None    # new start: sliders move to it


def reset():
    st.session_state.slider_token = None


left, middle, right = st.columns([4, 1, 1], vertical_alignment="bottom")
start = left.radio("Start from", list(STARTS), key="slider_start", format_func=STARTS.get, horizontal=True,
                   on_change=reset)
middle.button("↺ Reset", on_click=reset, width="stretch", key="slider_reset")
right.button("🎲 Randomize", on_click=randomize, width="stretch", key="slider_randomize")
if start == "selected" and not has_selected:
    st.info("No point is selected: click one on the Latent space map. Starting from the mean code.")
    start = "mean"
if start == "selected":
    start_code = enc.codes[int(selected)]
elif start == "mean":
    start_code = enc.codes.mean(axis=0)
else:
    start_code = random_code(enc.codes, st.session_state.slider_seed, variational)
start_code = start_code.astype(np.float32)
# A start outside the data's 1-99% box (a rare image, a prior draw) widens that slider instead of being clipped.
lows, highs = np.minimum(ranges[:, 0], start_code), np.maximum(ranges[:, 1], start_code)

shown = order[:MAX_SLIDERS]
if latent_dim > MAX_SLIDERS:
    extra = st.multiselect(f"More dimensions (the {MAX_SLIDERS} most important are shown)", order[MAX_SLIDERS:],
                           key=f"slider_extra_{ckpt.digest[:12]}", format_func=lambda d: f"z{d}")
    shown = shown + extra

# Slider keys carry a token of (model, split, start): a new start gets new sliders at the start code,
# so no slider ever holds a value outside its (new) range.
token = f"{ckpt.digest[:12]}-{sel.split}-{start}-{st.session_state.slider_seed}-{selected if start == 'selected' else ''}"
if st.session_state.get("slider_token") != token:
    for d in range(latent_dim):
        st.session_state[f"z{d}-{token}"] = float(start_code[d])
    st.session_state.slider_token = token


@st.fragment
def editor():
    """Only this part reruns on a drag: read the sliders, decode one image, move the marker."""
    z = start_code.copy()
    controls, view = st.columns([3, 2])
    with controls:
        columns = st.columns(2)
        for i, d in enumerate(shown):
            lo, hi = float(lows[d]), float(highs[d])
            z[d] = columns[i % 2].slider(f"z{d}", lo, hi, key=f"z{d}-{token}", step=(hi - lo) / 200,
                                         format="%.2f", help=f"{'KL' if variational else 'variance'} "
                                                             f"{importance[d]:.3g}")
    image = decode(ckpt.model, z)[0]
    with view:
        st.image(enlarge(image, scale), clamp=True, output_format="PNG",
                 caption="decode(z)")
        fitted, places, labels = generate.pca_codes(ckpt.digest, ckpt, sel.split)
        fig = generate.starred_codes_figure("slider_map_figure", f"{ckpt.digest}-{sel.split}", places, labels,
                                            ckpt.class_names, fitted.place(z))
        st.plotly_chart(fig, width="stretch", key="slider_map")
        st.caption("Your code (★) on a PCA map of the codes: PCA is a fixed linear function, so it can place "
                   "any new code. t-SNE cannot (its map has no function for points it was not fitted on); "
                   "UMAP could, with its approximate transform.")


editor()

st.subheader("KL to the prior per dimension" if variational else "Spread of the codes per dimension")
st.caption("Dimensions with KL ≈ 0 are unused: the VAE sends no information through them, and their "
           "sliders change nothing." if variational else
           "An AE has no prior, so a dimension's importance here is how much its codes vary.")
st.plotly_chart(generate.importance_figure(importance, variational), width="stretch")

if latent_dim == 2:
    @st.fragment
    def decoded_plane():
        st.header("The decoded plane")
        st.caption("Every spot of the latent plane decoded (the classic manifold picture), with this split's "
                   "codes on top. Click anywhere to decode that spot.")
        n = st.slider("Images per side", 8, 30, 16, key="plane_n")
        x_range, y_range = tuple(map(float, ranges[0])), tuple(map(float, ranges[1]))
        grid = generate.plane(ckpt.digest, ckpt, x_range, y_range, n)
        _, places, labels = generate.pca_codes(ckpt.digest, ckpt, sel.split)
        fig = generate.manifold_figure(grid, x_range, y_range, n, places, labels, ckpt.class_names)
        plot, picked = st.columns([3, 1])
        event = plot.plotly_chart(fig, on_select="rerun", selection_mode="points", key="plane_chart",
                                  width="stretch")
        points = (event or {}).get("selection", {}).get("points", [])
        if points:
            spot = np.array([points[0]["x"], points[0]["y"]], np.float32)
            picked.image(enlarge(decode(ckpt.model, spot)[0], scale), output_format="PNG",
                         clamp=True, caption=f"z = ({spot[0]:.2f}, {spot[1]:.2f})")
        else:
            picked.info("Click a spot of the plane.")

    decoded_plane()
