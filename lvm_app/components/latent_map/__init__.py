"""The latent map in the browser: plotly.js drawn by a components-v2 component, with a preview panel
that shows the hovered point's original and reconstruction (or, on invertible maps, decodes the
empty spot under the mouse) with no Streamlit rerun.

The JavaScript (frontend/index.js, the Streamlit glue, importing frontend/map.js, the map itself, which
the static lesson of lvm_core.lesson loads too) and the plotly.js partial bundle (frontend/vendor/, copied
from npm by `npm run build`, committed) are files served by the app's own server, not inline strings:
the bundle is 1.6 MB and an inline string travels with every rerun. Streamlit serves files of a
component that declares an asset folder: this package declares it in pyproject.toml
([tool.streamlit.component]), which Streamlit reads from the installed distribution (`pip install -e .`).
"""
from __future__ import annotations

import importlib.metadata
from functools import lru_cache
from pathlib import Path

import numpy as np
import streamlit as st

from lvm_core import settings
from lvm_core.generation.inference import to_display
from lvm_core.maps.payload import map_header, pack_map  # noqa: F401 - map_header: the pages call it from here
from lvm_core.maps.selection import is_region, selected_indices

DISTRIBUTION = "lvm_app"              # pyproject.toml's project name: Streamlit names components after it
NAME = f"{DISTRIBUTION}.latent_map"     # its asset folder is lvm_app/components/ (also serves decoder/decoder.js)
BUNDLE = Path(__file__).resolve().parent / "frontend" / "vendor" / "plotly-gl2d.min.js"


def available() -> bool:
    """True where the component can run: a real Streamlit server, which serves its files (AppTest's mock
    runtime serves nothing and has no browser), the package installed (Streamlit finds the component's
    files through the installed distribution: pyproject.toml's [tool.streamlit.component]), the plotly
    bundle present, LVM_LIVE_MAP not 0."""
    from streamlit.runtime import Runtime

    if not settings.enabled("LVM_LIVE_MAP") or not BUNDLE.exists() or not _installed() or not Runtime.exists():
        return False
    return type(Runtime.instance()) is Runtime


@lru_cache(maxsize=1)
def _installed() -> bool:
    try:
        importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


@lru_cache(maxsize=1)
def _mount():
    """The component's mount function; its files are found through the installed package's manifest."""
    return st.components.v2.component(NAME, js="latent_map/frontend/index.js", css="latent_map/frontend/style.css",
                                      isolate_styles=False)


@st.cache_resource(max_entries=8, show_spinner=False)
def payload(map_key: str, _latent_map, _codes: np.ndarray, _images, _recon: np.ndarray, header: dict) -> bytes:
    """The packed map (lvm_core.maps.payload) for map_key, built once per map and server process."""
    rows = _latent_map.indices
    return pack_map(_latent_map.embedding, rows, _latent_map.labels, _latent_map.errors, _codes[rows],
                    to_display(_images[rows]), _recon[rows], header["method"], header)


def latent_map(packed: bytes, map_key: str, view: dict, decoder: dict | None = None):
    """Draw a packed map. view: {"by": "class" | "error" | "dim", "dim", "title", "scale", "cmin", "cmax",
    "selected": dataset index or None}; decoder: lvm_app.components.decoder_data(ckpt), for decoding
    empty spots of invertible maps. Returns (selection, missing): selection is a new click or box/lasso
    selection shaped like st.plotly_chart's event ({"selection": {"points", "box", "lasso"}}) or None;
    missing is the digest of a decoder the browser lacks (pass it to resend_if_missing)."""
    mount = _mount()
    result = mount(key=map_key, data=packed, on_select_change=lambda: None)
    if result.select is not None:   # a click: the view below already carries the new selection
        view = {**view, "selected": _first_index(result.select, view.get("selected"))}
    view_result = mount(key=f"{map_key}-view", data={"map_key": map_key, **view, "decoder": decoder},
                        on_missing_change=lambda: None)
    return result.select, view_result.missing


def _first_index(event, current: int | None) -> int | None:
    """The clicked index of a selection event; current for a region or an empty selection."""
    picked = selected_indices(event)
    return int(picked[0]) if len(picked) and not is_region(event) else current
