"""Caches keyed by a checkpoint's content (its sha256), so nothing is recomputed on a click."""
from __future__ import annotations

import streamlit as st

from lvm_core import load_checkpoint, load_dataset
from lvm_core.catalog import list_models
from lvm_core.checkpoints import Checkpoint
from lvm_core.inference import EncodedSplit, encode_split


@st.cache_resource(show_spinner=False, max_entries=32)
def checkpoint_from_path(path: str, mtime_ns: int) -> Checkpoint:
    """mtime_ns keys the cache so a retrained file is reloaded."""
    return load_checkpoint(path)


@st.cache_resource(show_spinner=False, max_entries=8)
def checkpoint_from_bytes(digest: str, _data: bytes, name: str) -> Checkpoint:
    return load_checkpoint(_data, name=name)


@st.cache_resource(show_spinner="Loading dataset…", max_entries=8)
def dataset(name: str, split: str):
    return load_dataset(name, split)


@st.cache_resource(show_spinner="Encoding the dataset…", max_entries=16)
def encoded(digest: str, _ckpt: Checkpoint, split: str) -> EncodedSplit:
    """Codes, reconstructions and errors for a whole split, once per model content and split."""
    data = dataset(_ckpt.dataset, split)
    return encode_split(_ckpt.model, data.images, data.labels)


@st.cache_data(ttl=5, show_spinner=False)
def models():
    """Shipped and user models; a short TTL so a model trained in another tab appears soon."""
    return list_models()
