"""A conditional model on the AE vs VAE page: z ~ N(0, I) drawn as the class you pick, and how often the
dataset's classifier reads the class asked for."""
from __future__ import annotations

import numpy as np
import streamlit as st

from lvm_core import CheckpointError
from lvm_core.analysis.conditional import class_agreement
from lvm_core.data.images import enlarge, make_grid
from lvm_core.generation.inference import decode
from lvm_core.generation.sampling import sample_normal
from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.text import markdown_plain

from . import cache

GRID = 64


@st.cache_data(show_spinner=False, max_entries=64)
def samples(digest: str, _ckpt: Checkpoint, label: int, seed: int, n: int = GRID) -> np.ndarray:
    """(n, H, W): z ~ N(0, I) of a seed (the same z for every class) decoded as class `label`."""
    return decode(_ckpt.model, sample_normal(n, _ckpt.config.latent_dim, seed), label)


def new_seed() -> None:
    st.session_state.cvae_seed = st.session_state.get("cvae_seed", 0) + 1


def conditional_samples(ckpt: Checkpoint) -> None:
    """A class picker and a grid of z ~ N(0, I) decoded as that class, with the classifier's agreement."""
    names = list(ckpt.class_names)
    seed = st.session_state.setdefault("cvae_seed", 0)
    st.subheader(f"Conditional samples: {markdown_plain(ckpt.title, 200)}")
    st.caption("The sidebar's model is a conditional VAE: its decoder is told the class y. Pick y and the same "
               "z ~ N(0, I) (this seed) are drawn as that class: z picks the style, y the class.")
    if st.session_state.get("cvae_class") not in range(len(names)):
        st.session_state.cvae_class = 0
    picker, button = st.columns([5, 1], vertical_alignment="bottom")
    label = picker.segmented_control("Class y", range(len(names)), key="cvae_class", required=True,
                                     format_func=lambda c: markdown_plain(names[c]))   # options are markdown
    button.button("🎲 New z", key="cvae_new_seed", on_click=new_seed, width="stretch")
    images = samples(ckpt.digest, ckpt, int(label), seed)
    left, right = st.columns([2, 3])
    left.image(enlarge(make_grid(images, ncols=8), 2), clamp=True, width="stretch", output_format="PNG")
    try:
        clf = cache.classifier(ckpt.dataset)
    except CheckpointError:   # a damaged classifier file: the grid still shows (the page's scores say why)
        clf = None
    if clf is not None:
        share = float(class_agreement(clf, images, int(label)).mean())
        right.markdown(f"**The classifier reads “{markdown_plain(names[int(label)])}” in {share:.0%}** of these "
                       f"{len(images)} samples (its LeNet, trained on the real images).")
    right.caption("Each cell keeps its z when you change the class: the same cell is the same style as another class.")
