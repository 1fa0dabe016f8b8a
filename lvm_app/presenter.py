"""Presenter mode: the app as a class sees it on a projector (?present=1, or the toggle in the sidebar and in
the tour bar). The sidebar starts collapsed, type and images are larger, Streamlit's own menus are hidden, and
a few keys drive the pages: r draws new samples on AE vs VAE, space plays the Interpolation scrubber (the
tour's arrows work in both modes: lvm_app.tour)."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from .links import PRESENT_STATE

_CSS = Path(__file__).with_name("presenter.css")
# What a key does on a page in presenter mode (lvm_app/components/keys: "click" presses the button of that
# widget key, "event" is heard by a component). The keys name the pages' own controls: one implementation.
PAGE_KEYS = {
    "compare": {"r": {"click": "new_samples"}},                 # pages/compare.py's New samples button
    "interpolate": {" ": {"event": "lvm-scrubber-play"}},      # decoder/scrubber.js plays its slider
}


def on() -> bool:
    """Whether this session presents."""
    return bool(st.session_state.get(PRESENT_STATE))


def page_style() -> None:
    """Call once per run after lvm_app.links.apply_link (a link's ?present=1 is then in the session) and
    before the sidebar: the sidebar collapsed while presenting, and the presenter's styles."""
    presenting = on()
    st.set_page_config(initial_sidebar_state="collapsed" if presenting else "auto")
    if presenting:
        st.html(_CSS)


def page_keys(page_path: str) -> dict[str, dict]:
    """The presenter's keys on the page with this URL path (none outside presenter mode: space scrolls)."""
    return PAGE_KEYS.get(page_path, {}) if on() else {}


def toggle(where: str) -> None:
    """The mode's switch. Several can be on screen (sidebar, tour bar): each has its own widget key and
    writes the one session value, which each shows."""
    key = f"presenter_toggle_{where}"
    st.session_state[key] = on()
    st.toggle("Presenter mode", key=key, on_change=_switch, args=(key,),
              help="For a projector: large type and images, the sidebar folded away, no developer menus. "
                   "Keys: → / ← tour steps, r new samples (AE vs VAE), space plays the interpolation.")


def _switch(key: str) -> None:
    st.session_state[PRESENT_STATE] = st.session_state[key]
