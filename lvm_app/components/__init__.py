"""Custom Streamlit components (components v2) that decode in the browser; README.md says how to add one.

Each component's JavaScript is this folder's files concatenated into one ES module string (Streamlit
serves it inline from the app's own server: no CDN, no build step). decoder/decoder.js comes first and
defines the global LvmDecoder; the component's own file ends with `export default function`.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import streamlit as st

from lvm_core import settings
from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.generation.export import decoder_payload

COMPONENTS_DIR = Path(__file__).resolve().parent
_SENT = "_lvm_decoders_sent"          # session_state: digests whose weights this session's browser holds
_FAILED = "_lvm_live_failed"          # session_state: why the browser could not decode (then: server side)


@lru_cache(maxsize=None)
def component_js(*files: str) -> str:
    """The module source of a component: decoder/decoder.js, then `files` (paths relative to this folder)."""
    return "\n".join((COMPONENTS_DIR / f).read_text() for f in ("decoder/decoder.js", *files))


def live_decoding_enabled() -> bool:
    """False with LVM_LIVE_DECODING=0 (server-side decoding everywhere) or without components v2."""
    if not settings.enabled("LVM_LIVE_DECODING"):
        return False
    try:
        from streamlit.components import v2  # noqa: F401
    except ImportError:
        return False
    return True


def decoder_data(ckpt: Checkpoint) -> dict:
    """The decoder part of a component's data: {"digest", "payload"}. The payload (weights) is sent the
    first time this session shows this model, and None after that: the browser keeps decoders by digest.
    A browser that lacks it (a reloaded tab keeps its session) asks again; see handle_reports."""
    sent = st.session_state.setdefault(_SENT, set())
    payload = None if ckpt.digest in sent else decoder_payload(ckpt)
    sent.add(ckpt.digest)
    return {"digest": ckpt.digest, "payload": payload}


def resend_if_missing(missing: str | None) -> None:
    """Call with a component's "missing" trigger value: the browser did not have that digest's decoder,
    so forget that it was sent and rerun (the next data carries the weights)."""
    if missing:
        st.session_state.setdefault(_SENT, set()).discard(missing)
        st.rerun()     # rare (a reloaded tab), so the whole page is fine


# Mount a decoding component with **REPORT_CALLBACKS, then call handle_reports(result).
REPORT_CALLBACKS = {"on_missing_change": lambda: None, "on_failed_change": lambda: None}


def handle_reports(result) -> None:
    """Act on a component's two reports (trigger values; mount it with **REPORT_CALLBACKS):
    "missing": the browser lacks that digest's decoder (a reloaded tab): forget it was sent, rerun to resend;
    "failed": the browser could not run the decoder: this session falls back to server-side decoding."""
    resend_if_missing(result.missing)
    if result.failed:
        st.session_state[_FAILED] = f"the browser could not run the decoder: {result.failed}"
        st.rerun()


FALLBACK_NOTE = "Live decoding is off ({}): the image is decoded on the server after each change."


def fallback_reason(*ckpts: Checkpoint) -> str | None:
    """Why these models cannot be decoded in the browser (for FALLBACK_NOTE), or None when they can."""
    if not live_decoding_enabled():
        return "LVM_LIVE_DECODING=0, or this Streamlit has no components v2"
    if st.session_state.get(_FAILED):
        return st.session_state[_FAILED]
    from lvm_core.generation.export import ExportError

    for ckpt in ckpts:
        try:
            decoder_payload(ckpt)
        except ExportError as exc:
            return f"{ckpt.name or 'this model'}: {exc}"
    return None
