"""The latent map in the browser: plotly.js drawn by a components-v2 component, with a preview panel
that shows the hovered point's original and reconstruction (or, on invertible maps, decodes the
empty spot under the mouse) with no Streamlit rerun.

The JavaScript (frontend/index.js, the Streamlit glue, importing frontend/map.js, the map itself, which
the static lesson of lvm_core.lesson loads too) and the plotly.js partial bundle (frontend/vendor/, copied
from npm by `npm run build`, committed) are files served by the app's own server, not inline strings:
the bundle is 1.6 MB and an inline string travels with every rerun. Streamlit serves files of a
component that declares an asset folder; an installed package declares it in pyproject.toml, and
this app, which is not installed, declares the same thing at run time (_mount).
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import streamlit as st

from lvm_core.inference import to_display
from lvm_core.map_payload import map_header, pack_map  # noqa: F401 - map_header: the pages call it from here
from lvm_core.selection import is_region, selected_indices

NAME = "lvm_app.latent_map"
PACKAGE_ROOT = Path(__file__).resolve().parent.parent.parent    # lvm_app/
ASSET_DIR = "components"                                          # also serves decoder/decoder.js
BUNDLE = PACKAGE_ROOT / ASSET_DIR / "latent_map" / "frontend" / "vendor" / "plotly-gl2d.min.js"
_mounts: dict[int, object] = {}


def available() -> bool:
    """True where the component can run: a real Streamlit server, which serves its files (AppTest's
    mock runtime serves nothing and has no browser), the plotly bundle present, LVM_LIVE_MAP not 0."""
    from streamlit.runtime import Runtime

    if os.environ.get("LVM_LIVE_MAP", "1") == "0" or not BUNDLE.exists() or not Runtime.exists():
        return False
    return type(Runtime.instance()) is Runtime


def _mount():
    """The component's mount function, registered once per runtime with its asset folder."""
    from streamlit.components.v2.manifest_scanner import ComponentConfig, ComponentManifest
    from streamlit.runtime import Runtime

    manager = Runtime.instance().bidi_component_registry
    if id(manager) not in _mounts:
        package, name = NAME.split(".")
        manifest = ComponentManifest(name=package, version="1", components=[ComponentConfig(name, ASSET_DIR)])
        manager.register_from_manifest(manifest, PACKAGE_ROOT)
        _mounts[id(manager)] = st.components.v2.component(
            NAME, js="latent_map/frontend/index.js", css="latent_map/frontend/style.css", isolate_styles=False)
    return _mounts[id(manager)]


@st.cache_resource(max_entries=8, show_spinner=False)
def payload(map_key: str, _latent_map, _codes: np.ndarray, _images, _recon: np.ndarray, header: dict) -> bytes:
    """The packed map (lvm_core.map_payload) for map_key, built once per map and server process."""
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
