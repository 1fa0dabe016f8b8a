"""The Latent sliders page's pieces: what each slider moves (the measured factor it tracks most, its
correlation over the test codes), the sliders in order of how much they change the image, and a
conditional model's class: the picker of the server-side path and its "every class" row."""
from __future__ import annotations

import numpy as np
import streamlit as st

from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.factors.directions import tracked_factors
from lvm_core.factors.measure import FACTORS
from lvm_core.analysis.conditional import every_class
from lvm_core.generation.latent import dimension_effects
from lvm_core.text import clean

from . import cache
from . import hidden_factors as hf

STRIP = 7               # images in a slider's strip, from its low end to its high end


@st.cache_resource(show_spinner="Measuring what each latent dimension tracks (slant, thickness, …)…", max_entries=16)
def tracked(digest: str, _ckpt: Checkpoint) -> list[tuple[str, float]] | None:
    """[(factor, r)] per latent dimension: the factor (lvm_core.factors.measure) its test codes correlate with
    most, and Pearson's r. None for colour images, whose strokes the factors do not measure."""
    if _ckpt.config.image_shape[0] != 1:
        return None
    codes = cache.encoded(digest, _ckpt, "test").codes
    return tracked_factors(codes, hf.table(_ckpt.dataset, "test"))   # the table is measured once, kept on disk


def slider_label(d: int, factors: list[tuple[str, float]] | None) -> str:
    """"z5 · slant r = 0.81": the dimension and the factor it tracks most (just "z5" when none is known)."""
    if not factors or not factors[d][0]:
        return f"z{d}"
    name, r = factors[d]
    return f"z{d} · {FACTORS[name].title.lower()} r = {r:.2f}".replace("-", "−")


def by_effect(ckpt: Checkpoint, code: np.ndarray, lows: np.ndarray, highs: np.ndarray,
              label: int | None) -> tuple[list[int], np.ndarray]:
    """(dimensions, most change first; the change (D,)): the mean |pixel difference| between the two ends of
    each slider at `code` (lvm_core.generation.latent.dimension_effects)."""
    effects = dimension_effects(ckpt.model, code, lows, highs, label)
    return [int(d) for d in np.argsort(-effects, kind="stable")], effects


def class_picker(ckpt: Checkpoint, where, key: str, start: int) -> int:
    """The server-side path's class picker (the browser's sits inside the sliders component)."""
    names = list(ckpt.class_names)
    if st.session_state.get(key) not in range(len(names)):
        st.session_state[key] = int(start)
    return where.selectbox("Class y (the decoder is told it)", range(len(names)), key=key,
                           format_func=lambda c: clean(names[c]))


def every_class_row(ckpt: Checkpoint, code: np.ndarray) -> np.ndarray:
    """(K, H, W) the code (D,) decoded as each of the model's K classes: one style, every class."""
    return every_class(ckpt.model, np.asarray(code, np.float32)[None])[0]


EVERY_CLASS_TITLE = "Same style, every class"
EVERY_CLASS_CAPTION = ("One code z decoded with each class y in turn. The conditional VAE's decoder is told the "
                       "class, so z only has to hold the rest, the style (slant, thickness, width): a slanted, "
                       "thick 7 becomes a slanted, thick 0 … 9.")
