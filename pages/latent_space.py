"""Latent Space: every image of a split as one point, placed by its code; click a point to look inside it."""
import numpy as np
import streamlit as st

from lvm_app import cache, plots, state
from lvm_app.components import decoder_data, resend_if_missing
from lvm_app.components import latent_map as live_map
from lvm_app.exports import map_download_button
from lvm_app.links import sync_url
from lvm_app.sidebar import current
from lvm_app.upload import show, strip
from lvm_core import LvmError
from lvm_core.generation.inference import to_display
from lvm_core.generation.latent import dimension_importance, dimension_order
from lvm_core.models import is_conditional, is_variational
from lvm_core.maps.projection import (DEFAULT_N, DEFAULT_PARAMS, METHOD_CAPTIONS, METHODS, available_methods,
                                  default_method)
from lvm_core.maps.payload import INVERTIBLE, colour_range
from lvm_core.maps.selection import is_region, point_view, selected_indices, selection_csv
from lvm_core.text import MESSAGE_LIMIT, file_stem, markdown_plain

N_CHOICES = (1_000, 2_000, 5_000, 10_000, 20_000, 30_000, 60_000)
COLOURS = ("class", "reconstruction error", "one latent dimension")
GALLERY_MAX = 64
GALLERY_SIDE = 84          # px per thumbnail: readable from the back of a room
sel = current()
ckpt = sel.ckpt
latent_dim = ckpt.config.latent_dim
conditional = is_conditional(ckpt.model)
st.title("Latent space")
if conditional:
    st.info("**A conditional VAE:** the class is given to the decoder, so the code need not hold it: the classes "
            "mix. The condition y tells the decoder which class to draw, so the code z keeps only the style "
            "(slant, thickness, width), and one z decodes to any class (Latent sliders: *Same style, every class*).")

total = cache.split_size(sel.dataset, sel.split)
n_options = [n for n in N_CHOICES if n < total] + [total]
if st.session_state.get(state.MAP_N) not in n_options:
    st.session_state[state.MAP_N] = min(n_options, key=lambda n: abs(n - DEFAULT_N))
with st.container(horizontal=True, vertical_alignment="bottom"):
    if len(n_options) > 1:   # a split of a few hundred images has one choice: no lone dot of a slider
        n = st.select_slider("Points on the map", n_options, key=state.MAP_N, format_func=lambda v: f"{v:,}",
                             width=180)
    else:
        n = n_options[0]
    three_d = st.toggle("3-D", key=state.MAP_3D, disabled=latent_dim < 3, help="Needs a code of 3 or more numbers.")
    dims = 3 if three_d and latent_dim >= 3 else 2
    methods = available_methods(latent_dim, dims)
    if (st.session_state.get("map_method_for", ckpt.digest) != ckpt.digest
            or st.session_state.get(state.MAP_METHOD) not in methods):
        # another model: its t-SNE/UMAP map is shown only when stored (computed only when asked for)
        stored = lambda m: cache.has_map(ckpt, sel.split, n, m, dims)  # noqa: E731
        st.session_state[state.MAP_METHOD] = default_method(latent_dim, stored, st.session_state.get(state.MAP_METHOD),
                                                            dims)
    st.session_state.map_method_for = ckpt.digest
    method = st.radio("Projection", methods, key=state.MAP_METHOD, format_func=METHODS.get, horizontal=True)
    colour_by = st.selectbox("Colour by", COLOURS, key=state.MAP_COLOUR, width=170)

    params = {}
    if method in ("tsne", "umap"):
        with st.popover(f"{METHODS[method]} settings"):
            if method == "tsne":
                params["perplexity"] = st.slider("Perplexity (neighbours each point attends to)", 5.0, 100.0,
                                                 DEFAULT_PARAMS["tsne"]["perplexity"], 5.0)
            else:
                params["n_neighbors"] = st.slider("Neighbours (local vs global structure)", 5, 100,
                                                  DEFAULT_PARAMS["umap"]["n_neighbors"])
                params["min_dist"] = st.slider("Minimum distance (how tightly points pack)", 0.0, 0.99,
                                               DEFAULT_PARAMS["umap"]["min_dist"], 0.05)

bar = st.empty()
try:
    if method == "umap" and not cache.map_worker().warmed_up.is_set():
        bar.info("UMAP's compiled code is being built (once per server start); a stored map shows at once.")
    latent_map = cache.latent_map(ckpt, sel.split, n, method, dims, params,
                                  progress=lambda frac, text: bar.progress(frac, text=text))
except (LvmError, ValueError) as exc:
    bar.empty()
    st.error(f"Cannot draw this map: {markdown_plain(exc, MESSAGE_LIMIT)}")
    st.stop()
bar.empty()


def colour_view() -> dict:
    """How to colour the map: {"by": "class" | "error" | "dim", "dim", "title", "scale", "cmin", "cmax"}."""
    if colour_by == COLOURS[1]:
        lo, hi = colour_range(latent_map.errors)
        return {"by": "error", "title": "error", "scale": "Viridis", "cmin": lo, "cmax": hi}
    if colour_by == COLOURS[2]:
        enc = cache.encoded(ckpt.digest, ckpt, sel.split)
        if st.session_state.get("map_colour_dim_of") != ckpt.digest:   # start on the most used dimension
            st.session_state.map_colour_dim_of = ckpt.digest
            st.session_state.map_colour_dim = dimension_order(dimension_importance(enc.codes, enc.logvar))[0]
        dim = st.number_input("Latent dimension", 0, latent_dim - 1, key="map_colour_dim",
                              help="Starts on the most used one: highest KL for a VAE, highest variance for an AE.")
        lo, hi = colour_range(enc.codes[latent_map.indices, dim], centred=True)
        return {"by": "dim", "dim": int(dim), "title": f"z{dim}", "scale": "RdBu", "cmin": lo, "cmax": hi}
    return {"by": "class"}


def colour_values(view: dict) -> np.ndarray | None:
    """The (N,) values a view colours the map by, None for classes."""
    if view["by"] == "error":
        return latent_map.errors
    if view["by"] == "dim":
        return cache.encoded(ckpt.digest, ckpt, sel.split).codes[latent_map.indices, view["dim"]]
    return None


def show_point(index: int) -> None:
    """Original, reconstruction, |difference|, nearest codes and (VAE) samples from q(z|x) for one image."""
    enc = cache.encoded(ckpt.digest, ckpt, sel.split)
    data = cache.dataset(sel.dataset, sel.split)
    view = point_view(ckpt.model, data.images, enc.labels, enc.codes, enc.recon, index)
    st.markdown(f"**Point {view.index}** · class **{markdown_plain(data.class_names[view.label])}** · "
                f"reconstruction error (MSE) **{view.error:.4f}**")
    cols = st.columns(3)
    cols[0].image(show(view.image), caption="original x", output_format="PNG")
    cols[1].image(show(view.recon), caption="reconstruction x̂", output_format="PNG")
    cols[2].image(show(plots.heat(view.difference)), caption="|x − x̂| (white = off by 1)", output_format="PNG")
    st.image(strip([view.neighbour_images]), output_format="PNG",
             caption="Nearest codes in latent space: similar codes, similar images")
    if view.posterior_samples is not None:
        st.image(strip([view.posterior_samples]), output_format="PNG",
                 caption="Decodes of z drawn from q(z|x): the VAE encodes a cloud of codes, not one point")


def show_gallery(indices: np.ndarray) -> None:
    """The selected images over their reconstructions, and a CSV of indices, labels and codes."""
    enc = cache.encoded(ckpt.digest, ckpt, sel.split)
    data = cache.dataset(sel.dataset, sel.split)
    shown = indices[:GALLERY_MAX]
    more = f" · the first {len(shown)} shown" if len(shown) < len(indices) else ""
    st.markdown(f"**{len(indices):,} points selected**{more}")
    counts = np.bincount(enc.labels[indices], minlength=len(data.class_names))
    st.caption("By class: " + ", ".join(f"{markdown_plain(data.class_names[c])} ×{k}"
                                        for c, k in enumerate(counts) if k))
    cols = min(len(shown), 4)
    for start in range(0, len(shown), cols):
        rows = shown[start:start + cols]
        st.image(strip([to_display(data.images[rows])], side=GALLERY_SIDE), output_format="PNG",
                 caption="original" if start == 0 else None)
        st.image(strip([enc.recon[rows]], side=GALLERY_SIDE), output_format="PNG",
                 caption="reconstruction" if start == 0 else None)
    csv = selection_csv(indices, enc.labels, data.class_names, enc.errors, enc.codes)
    st.download_button("Download indices, labels and codes (CSV)", csv, mime="text/csv",
                       file_name=f"{file_stem(ckpt.name)}-selection.csv")


def select(event) -> None:
    """Store a click (one index) or a region (many) in session_state, where every page can read it."""
    picked = selected_indices(event)
    if len(picked) and is_region(event):
        st.session_state.selected_indices = picked
    else:   # a click, or a cleared selection: the gallery closes
        st.session_state.selected_indices = None
        if len(picked):
            st.session_state[state.SELECTED] = int(picked[0])


def remember(event, chart: str) -> None:
    """st.plotly_chart returns its last event on every rerun: act on a new one only."""
    picked = selected_indices(event)
    signature = (chart, tuple(picked.tolist()), is_region(event))
    last = st.session_state.get("map_last_event")
    st.session_state.map_last_event = signature
    if last is None or last[0] != chart or last == signature:
        return   # a chart's first draw, or its last event again
    select(event)


def draw_map(chart: str, view: dict, live: bool) -> None:
    """The map, drawn in the browser (hover preview, no rerun) or, where that cannot run, by st.plotly_chart."""
    selected = st.session_state.get(state.SELECTED)
    if live:
        header = live_map.map_header(chart, method, METHODS[method], ckpt.class_names, len(latent_map), ckpt.digest)
        enc = cache.encoded(ckpt.digest, ckpt, sel.split)
        packed = live_map.payload(chart, latent_map, enc.codes, cache.dataset(sel.dataset, sel.split).images,
                                  enc.recon, header)
        # a conditional decoder needs a class to decode empty space: that spot has none, so no decoder is sent
        walkable = method in INVERTIBLE and not conditional
        event, missing = live_map.latent_map(packed, chart, {**view, "selected": selected},
                                             decoder_data(ckpt) if walkable else None)
        resend_if_missing(missing)
        if event is not None:
            select(event)
        return
    values = colour_values(view)
    fig = plots.map_figure(latent_map, ckpt.class_names, values, view.get("title", ""), view.get("scale", "Viridis"),
                           revision=f"{ckpt.digest}{sel.split}{n}{method}{dims}")
    if values is not None:
        fig.update_layout(coloraxis={"cmin": view["cmin"], "cmax": view["cmax"]})
    if dims == 2:
        plots.ring(fig, latent_map, selected)
    event = st.plotly_chart(fig, on_select="rerun", selection_mode=("points", "box", "lasso"), key=chart,
                            config={"scrollZoom": True, "displaylogo": False})
    remember(event, chart)


def _typed_index() -> None:
    st.session_state[state.SELECTED] = st.session_state.point_box
    st.session_state.selected_indices = None


@st.fragment
def explorer() -> None:
    """The map and what is selected on it. A fragment: a click reruns only this, not the whole page."""
    view = colour_view()
    live = dims == 2 and live_map.available()
    walk = "; empty space is decoded live" if method in INVERTIBLE and not conditional else ""
    st.caption(plots.MAP_INSTRUCTIONS["3d" if dims == 3 else "live" if live else "plotly"].format(walk=walk))
    if not live and dims == 2:
        st.caption("Server-drawn map (the live map needs a browser): hover shows text; click for images.")
    chart = "-".join(["map", ckpt.digest[:12], sel.split, str(n), method, str(dims),
                      *(f"{k}{v:g}" for k, v in sorted(params.items()))])
    draw_map(chart, view, live)
    took = f"; took {latent_map.seconds:.1f} s" if latent_map.source == "computed" else ""
    source = {"shipped": "shipped with the model", "cache": "stored", "computed": "computed now"}[latent_map.source]
    st.caption(f"{METHODS[method]}, {len(latent_map):,} points ({source}{took}). "
               f"Trustworthiness **{latent_map.trustworthiness:.3f}**: how many of each point's 5 nearest "
               "neighbours on the map are near it in latent space too (1 = all). " + METHOD_CAPTIONS[method] +
               f" Each dot is one {sel.dataset} image, placed by its code z ({latent_dim} numbers). "
               + ("This encoder was given each image's class, and its decoder is too: clusters here would be "
                  "style, not class." if conditional else
                  "The encoder never saw a label: when the colours (classes) form clusters, the model found them "
                  "alone."))
    sync_url()   # a click reruns only this fragment: the link in the address bar follows it
    region = st.session_state.get("selected_indices")
    if region is not None and len(region):
        show_gallery(np.asarray(region))
        return
    index = st.session_state.get(state.SELECTED)
    if index is not None and not 0 <= index < total:
        index = st.session_state[state.SELECTED] = None
    st.session_state.point_box = index
    st.number_input("Point (index in the split)", 0, total - 1, None, key="point_box", on_change=_typed_index,
                    placeholder="click a point on the map, or type an index", width=320)
    if index is not None:
        show_point(int(index))


explorer()
map_download_button(ckpt, sel.dataset, sel.split, latent_map)
if is_variational(ckpt.model):
    st.caption("For a VAE the map shows each image's mean code; the samples under a clicked point show how "
               "far its posterior spreads.")
