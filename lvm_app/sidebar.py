"""The sidebar every page shares: dataset, model (shipped, yours, or uploaded), selected point."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import streamlit as st

from lvm_core import DATASETS, CheckpointError
from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.config import MAX_UPLOAD_BYTES, MAX_UPLOAD_MB
from lvm_core.jobs.fairness import owner_tag
from lvm_core.text import MESSAGE_LIMIT, markdown_plain

from . import cache, state
from .own_datasets import own_dataset_ok
from .routing import require_router

DEFAULT_DATASET = "mnist"
OFFLINE_DATASET = "digits"
# The model a dataset opens on: a VAE (its page shows samples from q(z|x)) trained on every class.
DEFAULT_MODELS = {"mnist": "mnist-vae-conv-32", "fashion-mnist": "fashion-vae-conv-32", "digits": "digits-vae-mlp-8"}


@dataclass
class Selection:
    ckpt: Checkpoint
    dataset: str
    split: str


def _default_dataset(options: list[str]) -> str:
    if DEFAULT_DATASET in options and cache.available(DEFAULT_DATASET):
        return DEFAULT_DATASET
    return OFFLINE_DATASET if OFFLINE_DATASET in options else options[0]


def render_sidebar() -> Selection | None:
    """Draw the shared sidebar and return what is selected (None when no model can be shown)."""
    entries = cache.models()
    datasets = [d for d in DATASETS if any(e.dataset == d for e in entries)] or [OFFLINE_DATASET]
    with st.sidebar:
        if "dataset" not in st.session_state:
            st.session_state.dataset = _default_dataset(datasets)
            if st.session_state.dataset != DEFAULT_DATASET:
                st.info("MNIST is not available offline: showing the bundled 8×8 digits models.")
        dataset = st.selectbox("Dataset", datasets, key="dataset", format_func=lambda d: DATASETS[d].title)
        if not cache.available(dataset):
            st.error(f"{markdown_plain(DATASETS[dataset].title)} is not downloaded and can't be fetched now. "
                     f"Pick '{OFFLINE_DATASET}', or set LVM_DATA_DIR to a folder that holds it.")
            return None
        if not own_dataset_ok(dataset):   # your own images: skipped files and errors shown here
            return None
        choices = [e for e in entries if e.dataset == dataset]
        upload = st.file_uploader("…or upload a checkpoint (.safetensors)", type=None, key="upload",
                                  help=f"An LVM Explorer checkpoint of up to {MAX_UPLOAD_MB} MB.")
        ckpt = _uploaded(upload, dataset) if upload is not None else None
        if ckpt is None:
            if not choices:
                st.warning("No model for this dataset yet: train one on the Train page.")
                return None
            paths = [str(e.path) for e in choices]
            default = _default_model(choices, DEFAULT_MODELS.get(dataset))
            previous = st.session_state.get(state.MODEL_PATH)
            if previous not in paths:
                st.session_state[state.MODEL_PATH] = paths[default]
                if previous and not Path(previous).exists():   # not another dataset's: deleted since listed
                    st.info(f"{markdown_plain(Path(previous).name)}: the model file is gone (deleted after it was "
                            f"listed); showing {markdown_plain(choices[default].name)}")
            path = st.selectbox("Model", paths, key=state.MODEL_PATH,
                                format_func=lambda p: model_label(choices[paths.index(p)]))
            try:
                ckpt = cache.open_model(path)
            except CheckpointError as exc:
                st.error(markdown_plain(exc, MESSAGE_LIMIT))
                return None
        split = st.radio("Split", cache.SPLITS, horizontal=True, key="split",
                         help="Which images to look at; 'all' is train then test (70,000 for MNIST).")
        _forget_selection_when_changed(dataset, split)
        st.caption(markdown_plain(ckpt.title, 200))
    return Selection(ckpt=ckpt, dataset=dataset, split=split)


def model_label(entry) -> str:
    """A catalog entry as the model pickers name it: a user model also says whose it is, for this session:
    "(yours)" only in the session that trained it, "(trained here)" in every other (and for a script's)."""
    if entry.shipped:
        return entry.label
    mine = bool(entry.trained_by) and entry.trained_by == owner_tag(state.session_owner(st.session_state))
    return f"{entry.label} ({'yours' if mine else 'trained here'})"


def _uploaded(upload, dataset: str) -> Checkpoint | None:
    """The uploaded checkpoint, or None after one line in the sidebar saying why it can't be used."""
    data, name = upload.getvalue(), markdown_plain(upload.name)     # the file's name is the user's text
    if len(data) > MAX_UPLOAD_BYTES:   # Streamlit's server.maxUploadSize refuses these first
        st.error(f"{name} is {len(data) / 2**20:.0f} MB; checkpoints up to {MAX_UPLOAD_MB} MB are accepted")
        return None
    try:
        ckpt = cache.checkpoint_from_bytes(hashlib.sha256(data).hexdigest(), data, upload.name)
    except CheckpointError as exc:
        st.error(markdown_plain(exc, MESSAGE_LIMIT))
        return None
    want = DATASETS[dataset]
    if tuple(ckpt.config.image_shape) != want.image_shape:
        _, h, w = ckpt.config.image_shape
        st.error(f"{name} is a model of {h}x{w} images; {markdown_plain(want.title)} has {want.image_shape[1]}x"
                 f"{want.image_shape[2]} images. Pick its dataset, or another file.")
        return None
    if ckpt.dataset != dataset:
        trained_on = DATASETS[ckpt.dataset].title if ckpt.dataset in DATASETS else repr(ckpt.dataset[:40])
        st.error(f"{name} was trained on {markdown_plain(trained_on)}, not {markdown_plain(want.title)}. "
                 "Pick its dataset, or another file.")
        return None
    return ckpt


def _default_model(choices, name: str | None) -> int:
    """Index of the named model, else of the first one trained on every class without noise, else 0."""
    named = [i for i, e in enumerate(choices) if e.name == name]
    plain = [i for i, e in enumerate(choices) if not e.excluded and not e.denoising]
    return (named or plain or [0])[0]


def _forget_selection_when_changed(dataset: str, split: str) -> None:
    """A selected index points into one split of one dataset; drop it when either changes."""
    if st.session_state.get(state.SELECTION_OF) != (dataset, split):
        st.session_state[state.SELECTION_OF] = (dataset, split)
        st.session_state[state.SELECTED] = None
        st.session_state.selected_indices = None


def current() -> Selection:
    """The selection made in the sidebar this run; stops the page with a message when there is none."""
    require_router()
    sel = st.session_state.get("selection")
    if sel is None:
        st.info("Choose a dataset and a model in the sidebar.")
        st.stop()
    return sel
