"""The generative pages' AE/VAE pair: two select boxes over the models of one dataset."""
from __future__ import annotations

import streamlit as st

from lvm_core import CheckpointError
from lvm_core.data.datasets import display_name
from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.text import MESSAGE_LIMIT, markdown_plain

from . import cache
from .sidebar import model_label


def load(path) -> Checkpoint | None:
    try:
        return cache.open_model(path)
    except CheckpointError as exc:
        st.error(markdown_plain(exc, MESSAGE_LIMIT))
        return None


def _model_selectbox(where, label: str, options: list[str], key: str, default: str, format_func) -> str:
    """A select box of model paths whose choice survives a visit to another page (persist_state, as
    every page keeps its widgets); default when there is no choice yet or it is no longer offered."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default
    return where.selectbox(label, options, key=key, format_func=format_func, persist_state="session")


def pick_pair(dataset: str) -> tuple[Checkpoint, Checkpoint]:
    """An AE and a VAE of one dataset with the same latent size, chosen in two select boxes.
    Default: the like-for-like tutorial pair (mlp), else the first matching pair.
    Stops the page with a message when there is no such pair or one cannot be loaded."""
    entries = [e for e in cache.models() if e.dataset == dataset and not e.denoising and not e.excluded]
    aes = [e for e in entries if e.kind == "ae"]
    vaes = [e for e in entries if e.kind == "vae"]
    twins = [a for a in aes if any(v.latent_dim == a.latent_dim for v in vaes)]
    if not twins:
        st.warning(f"Comparing needs an AE and a VAE of {markdown_plain(display_name(dataset))} with the same latent "
                   "size; train the missing one on the Train page.")
        st.stop()
    best = min(twins, key=lambda a: (a.arch != "mlp", not any(v.arch == a.arch and v.latent_dim == a.latent_dim
                                                              for v in vaes)))
    left, right = st.columns(2)
    by_path = {str(e.path): e for e in entries}
    label = lambda p: model_label(by_path[p])  # noqa: E731
    ae_path = _model_selectbox(left, "Autoencoder", [str(e.path) for e in twins], "pair_ae", str(best.path), label)
    ae = by_path[ae_path]
    if st.session_state.get("pair_vae_for") != ae_path:    # a new AE: offer its own-shape VAE again
        st.session_state.pair_vae_for = ae_path
        st.session_state.pop("pair_vae", None)
    partners = [v for v in vaes if v.latent_dim == ae.latent_dim]
    default = next((v for v in partners if v.arch == ae.arch), partners[0])
    vae_path = _model_selectbox(right, "Variational autoencoder", [str(v.path) for v in partners], "pair_vae",
                               str(default.path), label)
    pair = load(ae_path), load(vae_path)
    if not all(pair):
        st.stop()
    return pair
