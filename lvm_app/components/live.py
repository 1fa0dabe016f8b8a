"""Python wrappers of the live-decoding components: one function each, returning what the browser reports
on release. Both degrade to None when components cannot run (the page then decodes on the server)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.generation.export import encode_array
from lvm_core.text import clean

from . import COMPONENTS_DIR, REPORT_CALLBACKS, component_js, decoder_data, handle_reports

_CSS = (COMPONENTS_DIR / "decoder" / "live.css").read_text()
_sliders = _scrubber = None
if hasattr(st, "components") and hasattr(st.components, "v2"):     # registered once, at import
    _sliders = st.components.v2.component("lvm_latent_sliders", js=component_js("decoder/sliders.js"), css=_CSS)
    _scrubber = st.components.v2.component("lvm_path_scrubber", js=component_js("decoder/scrubber.js"), css=_CSS)


def latent_sliders(ckpt: Checkpoint, start_code: np.ndarray, dims: list[dict], *, token: str, side: int,
                   key: str = "live_sliders", strip: int = 0, label: int | None = None,
                   every_class: bool = False) -> tuple[np.ndarray | None, int | None]:
    """Sliders over a code, redrawing decode(z) in the browser on every input event while dragging.

    start_code: (latent_dim,) where the sliders start (a new `token` moves them back to it);
    dims: [{"d": index, "lo", "hi", "step", "help", "label"}] in display order ("label" optional: the slider's
    name, e.g. "z5 · slant r = 0.81"); side: image size in CSS px; strip: images in each slider's strip (its
    low to its high end at the current code; 0: none). A conditional model gets a class picker (its class
    names, starting on `label`), and with every_class the current code drawn as every class in a row.
    Returns (the code (latent_dim,) at the last release, the class picked last), each None before the first
    release or pick (and where the component cannot run; check `live_decoding_enabled()` to choose the
    server-side path instead)."""
    if _sliders is None:
        return None, None
    data = {**decoder_data(ckpt), "token": token, "side": side, "code": [float(v) for v in start_code], "dims": dims}
    if strip:
        data["strip"] = int(strip)
    if ckpt.config.n_classes:
        data.update(classes=[clean(name) for name in ckpt.class_names], label=int(label or 0),   # textContent
                    every_class=bool(every_class), caption="decode(z, y), drawn in your browser")
    result = _sliders(key=f"{key}-{token}", data=data, default={"code": None, "label": None},
                      on_code_change=lambda: None, on_label_change=lambda: None, **REPORT_CALLBACKS)
    handle_reports(result)
    code = None if result.code is None else np.asarray(result.code, np.float32)
    return code, None if result.label is None else int(result.label)


def path_scrubber(models: dict[str, Checkpoint], paths: dict[str, np.ndarray], *, token: str, side: int,
                  key: str = "live_scrubber") -> float | None:
    """One slider t in [0, 1] along interpolation paths; each model's frame decodes live in the browser.

    models: {label: checkpoint}; paths: {label: (steps, latent_dim) codes from A to B}, the slider's stops.
    Returns t at the last release (None before one, or where the component cannot run)."""
    if _scrubber is None:
        return None
    data = {"token": token, "side": side, "models": [
        {"label": label, **decoder_data(ckpt), "path": encode_array(paths[label]), "steps": len(paths[label])}
        for label, ckpt in models.items()]}
    result = _scrubber(key=f"{key}-{token}", data=data, default={"t": None}, on_t_change=lambda: None,
                       **REPORT_CALLBACKS)
    handle_reports(result)
    return result.t
