"""Caches of the Hidden factors page, keyed by a checkpoint's content (its sha256) and the split:
measured factors, directions, removals, densities and probes are computed once, never on a click."""
from __future__ import annotations

import numpy as np
import streamlit as st

from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.factors.density import log_density
from lvm_core.factors.directions import FactorDirection, Removal, fit_directions, probe_table, remove_factor
from lvm_core.factors.report import spaced
from lvm_core.factors.measure import split_factors
from lvm_core.generation.inference import encode
from lvm_core.analysis.quality import find_classifier

from . import cache

REMOVAL_N = 2000     # images debiased on the page (evenly spaced over the split): a few seconds, not a minute
PROBE_TRAIN_N = 5000  # train images the page's probes are fitted on


@st.cache_resource(show_spinner="Measuring slant, thickness, size and ink of every image…", max_entries=8)
def table(dataset: str, split: str) -> dict[str, np.ndarray]:
    """{factor: (N,)} of a split (also kept on disk by lvm_core.factors.measure.split_factors)."""
    return split_factors(dataset, split, cache.dataset(dataset, split).images)


@st.cache_resource(show_spinner="Finding each factor's direction in the latent space…", max_entries=16)
def directions(digest: str, _ckpt: Checkpoint, split: str) -> dict[str, FactorDirection]:
    return fit_directions(cache.encoded(digest, _ckpt, split).codes, table(_ckpt.dataset, split))


@st.cache_resource(show_spinner=False, max_entries=4)
def classifier(dataset: str):
    return find_classifier(dataset)


@st.cache_resource(show_spinner="Removing the factor and decoding…", max_entries=16)
def removal(digest: str, _ckpt: Checkpoint, split: str, factor: str) -> tuple[np.ndarray, Removal]:
    """(indices into the split, the Removal of those images' codes)."""
    enc = cache.encoded(digest, _ckpt, split)
    idx = spaced(len(enc.codes), REMOVAL_N)
    result = remove_factor(_ckpt.model, enc.codes[idx], directions(digest, _ckpt, split)[factor], enc.labels[idx],
                           classifier(_ckpt.dataset))
    return idx, result


@st.cache_resource(show_spinner="Fitting a density to the codes…", max_entries=16)
def densities(digest: str, _ckpt: Checkpoint, split: str) -> np.ndarray:
    """(N,) log density of each code of the split under a Gaussian mixture of the split's codes."""
    return log_density(cache.encoded(digest, _ckpt, split).codes)


@st.cache_resource(show_spinner="Fitting ridge probes on train codes, scoring them on test codes…", max_entries=8)
def probes(digest: str, _ckpt: Checkpoint) -> dict[str, float]:
    """{factor or "class": test-split R^2} of ridge probes fitted on PROBE_TRAIN_N train codes."""
    train = cache.dataset(_ckpt.dataset, "train")
    idx = spaced(len(train), PROBE_TRAIN_N)
    train_table = split_factors(_ckpt.dataset, "train", train.images[idx])   # 5,000 measured, not all 60,000
    enc = cache.encoded(digest, _ckpt, "test")
    codes = encode(_ckpt.model, train.images[idx], train.labels[idx])    # labels: a CVAE encodes x given y
    return probe_table(codes, train_table, train.labels.numpy()[idx], enc.codes, table(_ckpt.dataset, "test"),
                       enc.labels)
