"""Latent sliders: edit a code one number at a time and watch the decoded image change. Each slider says
the factor it tracks most and shows a strip from its low to its high end; a conditional model's sliders
have a class picker beside them and draw the code as every class."""
import numpy as np
import plotly.graph_objects as go
import streamlit as st

from lvm_app import cache, generate, state
from lvm_app import sliders as sl
from lvm_app.components import FALLBACK_NOTE, fallback_reason
from lvm_app.links import linked_start, show_code
from lvm_app.components.live import latent_sliders
from lvm_app.sidebar import current
from lvm_app.upload import strip
from lvm_core.data.images import enlarge
from lvm_core.generation.inference import decode
from lvm_core.generation.latent import random_code
from lvm_core.models import is_conditional, is_variational
from lvm_core.text import markdown_plain

MAX_SLIDERS = 12        # more than this and the most important come first, with a picker for the rest
IMAGE_SIDE = 224
STARTS = {"selected": "Selected point", "mean": "Mean code", "random": "Random draw"}

sel = current()
ckpt = sel.ckpt
latent_dim = ckpt.config.latent_dim
scale = max(1, IMAGE_SIDE // ckpt.config.image_shape[1])   # whole pixels: crisp, not blurred
variational, conditional = is_variational(ckpt.model), is_conditional(ckpt.model)
enc = cache.encoded(ckpt.digest, ckpt, sel.split)
st.title("Latent sliders")
if not np.isfinite(enc.codes).all():
    st.error(f"{markdown_plain(ckpt.name)}: the encoder returns NaN codes for some images; this checkpoint is broken.")
    st.stop()
ranges, importance, _ = generate.dimensions(ckpt.digest, ckpt, sel.split)
tracked = sl.tracked(ckpt.digest, ckpt)
no_live = fallback_reason(ckpt)
st.caption(f"One slider per latent dimension of {markdown_plain(ckpt.title, 200)}; each spans the 1st to 99th "
           f"percentile of the {sel.split} codes along it, and is sorted by how much it changes the image (mean "
           "|Δ pixel| between its two ends). " + ("Its name says the factor it tracks most: Pearson's r between "
                                                  "that number and the factor measured on each test image. "
                                                  if tracked else "")
           + ("" if no_live else f"Under each, {sl.STRIP} decodes from its low end to its high end, the other "
                                  "numbers as they are now."))
if conditional:
    st.caption("A conditional VAE: the decoder is also told the class y (pick it beside the sliders), so the code "
               "z only has to hold the style.")

selected = st.session_state.get(state.SELECTED)
has_selected = selected is not None and 0 <= int(selected) < len(enc.codes)
st.session_state.setdefault("slider_seed", 0)
if st.session_state.get("slider_start") not in STARTS:
    st.session_state.slider_start = "selected" if has_selected else "mean"


def randomize():
    st.session_state.slider_seed += 1
    st.session_state.slider_start = "random"
    st.session_state.slider_token = None    # new start: sliders move to it
    st.session_state[state.LINK_CODE] = None


def reset():
    st.session_state.slider_token = None
    st.session_state[state.LINK_CODE] = None       # a linked code was the start until now


left, middle, right = st.columns([4, 1, 1], vertical_alignment="bottom")
start = left.radio("Start from", list(STARTS), key="slider_start", format_func=STARTS.get, horizontal=True,
                   on_change=reset)
middle.button("Reset", icon=":material/restart_alt:", on_click=reset, width="stretch", key="slider_reset")
right.button("Randomize", icon=":material/casino:", on_click=randomize, width="stretch", key="slider_randomize")
if start == "selected" and not has_selected:
    st.info("No point is selected: click one on the Latent space map. Starting from the mean code.")
    start = "mean"
start_label = int(enc.labels[int(selected)]) if start == "selected" else 0   # a CVAE draws the image's own class
if start == "selected":
    start_code = enc.codes[int(selected)]
elif start == "mean":
    start_code = enc.codes.mean(axis=0)
else:
    start_code = random_code(enc.codes, st.session_state.slider_seed, variational)
start_code, linked = linked_start(start_code.astype(np.float32))   # a link's ?code=... starts the sliders
# A start outside the data's 1-99% box (a rare image, a prior draw) widens that slider instead of being clipped.
lows, highs = np.minimum(ranges[:, 0], start_code), np.maximum(ranges[:, 1], start_code)
order, effects = sl.by_effect(ckpt, start_code, lows, highs, start_label)

shown = [0, 1] if latent_dim == 2 else order[:MAX_SLIDERS]    # a plane reads z0 (x), z1 (y)
if latent_dim > MAX_SLIDERS:
    extra = st.multiselect(f"More dimensions (the {MAX_SLIDERS} that change the image most are shown)",
                           order[MAX_SLIDERS:],
                           key=f"slider_extra_{ckpt.digest[:12]}", format_func=lambda d: f"z{d}")
    shown = shown + extra

# Slider keys carry a token of (model, split, start): a new start gets new sliders at the start code,
# so no slider ever holds a value outside its (new) range.
token = (f"{ckpt.digest[:12]}-{sel.split}-{start}-{st.session_state.slider_seed}-"
         f"{selected if start == 'selected' else ''}{linked}")
if st.session_state.get("slider_token") != token:
    for d in range(latent_dim):
        st.session_state[f"z{d}-{token}"] = float(start_code[d])
    st.session_state.slider_token = token




def helped(d: int) -> str:
    return f"{'KL' if variational else 'variance'} {importance[d]:.3g}; mean |Δ pixel| end to end {effects[d]:.3f}"


def server_sliders() -> np.ndarray:
    """The fallback: Streamlit sliders, one server-side decode per release."""
    z = start_code.copy()
    columns = st.columns(2)
    for i, d in enumerate(shown):
        lo, hi = float(lows[d]), float(highs[d])
        z[d] = columns[i % 2].slider(sl.slider_label(d, tracked), lo, hi, key=f"z{d}-{token}", step=(hi - lo) / 200,
                                     format="%.2f", help=helped(d))
    return z


def marked_plane(z: np.ndarray, label: int):
    """The decoded 2-d plane at the top (#15): the sliders' code (star) and the clicked spot (x) marked on it;
    a toggle hides the data's dots that cover the tiles. A click decodes that spot."""
    st.subheader("The decoded plane")
    st.caption("Every spot of the latent plane decoded (the classic manifold picture). ★ is the sliders' code, "
               "✕ the spot you clicked; click anywhere to decode that spot.")
    n_col, dots_col = st.columns([3, 2], vertical_alignment="bottom")
    n = n_col.slider("Images per side", 8, 30, 16, key="plane_n")
    dots = dots_col.toggle("Show the data's codes", value=True, key="plane_dots",
                           help="The dots cover the digit tiles; hide them to see the decoded plane.")
    x_range, y_range = tuple(map(float, ranges[0])), tuple(map(float, ranges[1]))
    grid = generate.plane(ckpt.digest, ckpt, x_range, y_range, n, label)
    _, places, labels = generate.pca_codes(ckpt.digest, ckpt, sel.split)
    fig = generate.manifold_figure(grid, x_range, y_range, n, places, labels, ckpt.class_names)
    for trace in fig.data[:-1]:
        trace.visible = dots
    # The click of the last run, read before drawing so that the figure marks it (the chart keeps its event
    # in session_state under its key); each model remembers its own spot.
    points = ((st.session_state.get(f"plane_chart-{ckpt.digest[:12]}") or {}).get("selection")
              or {}).get("points") or []
    if points:
        st.session_state[f"plane_spot-{ckpt.digest}"] = (float(points[0]["x"]), float(points[0]["y"]))
    spot = st.session_state.get(f"plane_spot-{ckpt.digest}")
    for name, at, symbol, color in (("sliders' code", z, "star", "gold"), ("clicked spot", spot, "x", "#ff4b4b")):
        if at is not None:
            fig.add_trace(go.Scatter(x=[at[0]], y=[at[1]], mode="markers", name=name, hoverinfo="skip",
                                     marker={"symbol": symbol, "size": 18, "color": color,
                                             "line": {"color": "black", "width": 1.5}}))
    plot, picked = st.columns([3, 1])
    plot.plotly_chart(fig, on_select="rerun", selection_mode="points", key=f"plane_chart-{ckpt.digest[:12]}",
                      width="stretch")
    if spot is not None:
        picked.image(enlarge(decode(ckpt.model, np.array(spot, np.float32), label)[0], scale), output_format="PNG",
                     clamp=True, caption=f"z = ({spot[0]:.2f}, {spot[1]:.2f})")
    else:
        picked.info("Click a spot of the plane.")


@st.fragment
def editor():
    """Reruns alone on a release: the browser already drew every frame of the drag (live decoding);
    this part moves the star on the map (and on the plane), or decodes on the server in the fallback."""
    plane_slot = st.container() if latent_dim == 2 else None      # on top, filled once z is known
    label = start_label
    if no_live:
        st.caption(FALLBACK_NOTE.format(no_live))
        controls, view = st.columns([3, 2])
        with controls:
            z = server_sliders()
        if conditional:
            label = sl.class_picker(ckpt, view, f"slider_class-{token}", start_label)
        view.image(enlarge(decode(ckpt.model, z, label)[0], scale), clamp=True, output_format="PNG",
                   caption="decode(z, y)" if conditional else "decode(z)")
        if conditional:
            st.subheader(sl.EVERY_CLASS_TITLE)
            st.image(strip([sl.every_class_row(ckpt, z)], side=84), clamp=True, output_format="PNG",
                     caption=" · ".join(markdown_plain(name) for name in ckpt.class_names))
    else:
        dims = [{"d": int(d), "lo": float(lows[d]), "hi": float(highs[d]), "step": float(highs[d] - lows[d]) / 200,
                 "help": helped(d), "label": sl.slider_label(d, tracked)} for d in shown]
        if conditional:
            st.markdown(f"**{sl.EVERY_CLASS_TITLE}** (below the sliders) · {sl.EVERY_CLASS_CAPTION}")
        released, picked = latent_sliders(ckpt, start_code, dims, token=token, side=IMAGE_SIDE, strip=sl.STRIP,
                                          label=start_label, every_class=conditional)
        z = start_code if released is None else released
        label = start_label if picked is None else picked
        view = st.container()
    show_code(z)
    if plane_slot is not None:
        with plane_slot:
            marked_plane(z, label)
        return
    with view:
        fitted, places, labels = generate.pca_codes(ckpt.digest, ckpt, sel.split)
        fig = generate.starred_codes_figure("slider_map_figure", f"{ckpt.digest}-{sel.split}", places, labels,
                                            ckpt.class_names, fitted.place(z))
        st.plotly_chart(fig, width="stretch", key="slider_map")
        st.caption("Your code (★, as of the last release) on a PCA map of the codes: PCA is a fixed linear "
                   "function, so it can place any new code. t-SNE cannot (its map has no function for points it "
                   "was not fitted on); UMAP could, with its approximate transform.")


editor()

st.subheader("KL to the prior per dimension" if variational else "Spread of the codes per dimension")
st.caption("Dimensions with KL ≈ 0 are unused: the VAE sends no information through them, and their "
           "sliders change nothing." if variational else
           "An AE has no prior, so a dimension's importance here is how much its codes vary.")
st.plotly_chart(generate.importance_figure(importance, variational), width="stretch")
