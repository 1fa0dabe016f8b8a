"""Keyboard shortcuts (components v2): keys.js listens to keydown on the whole document and acts on a table
of bindings from Python; the tour's arrows come back as a trigger value, other keys press a button or tell
a component (see keys.js). Nothing is drawn."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

KEY = "lvm_keys"
# The empty element out of the page's flow (no gap), but laid out: Streamlit does not start a component whose
# element is display: none. A style-only st.html takes no room either.
_HIDE = f"<style>.st-key-{KEY} {{ position: absolute; width: 1px; height: 1px; overflow: hidden; }}</style>"
# No decoder runtime needed, so not component_js (which prepends decoder.js): the file alone, inline.
_keys = None
if hasattr(st, "components") and hasattr(st.components, "v2"):     # registered once, at import
    _keys = st.components.v2.component("lvm_keys", js=(Path(__file__).parent / "keys.js").read_text())


def keyboard(bindings: dict[str, dict]) -> str | None:
    """Listen for the keys in bindings ({KeyboardEvent.key: {"send": value} | {"click": widget key} |
    {"event": DOM event name}}). Returns the "send" value of the key pressed since the last run, else None
    (always None where components v2 cannot run, such as AppTest)."""
    if _keys is None or not bindings:
        return None
    st.html(_HIDE)
    # "pressed" is a trigger value: it holds a key for the one run it causes. No default= for it: Streamlit
    # takes a name given a default for a state value, and the trigger never reached Python (seen in Chromium).
    result = _keys(key=KEY, data={"keys": bindings}, on_pressed_change=lambda: None)
    return result.pressed
