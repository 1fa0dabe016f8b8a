"""The sidebar's notes on datasets of your own images (lvm_core/own_data.py): problems in
datasets.toml, files that were skipped, and a dataset that cannot be read at all."""
from __future__ import annotations

import streamlit as st

from lvm_core import LvmError
from lvm_core.data.datasets import DATASETS
from lvm_core.data.own import OWN_DATASETS
from lvm_core.data.own import PROBLEMS
from lvm_core.text import MESSAGE_LIMIT, markdown_plain

from . import cache


def own_dataset_ok(dataset: str) -> bool:
    """Show what went wrong reading the datasets you declared; False when `dataset` cannot be shown."""
    for problem in DATASETS.problems():
        st.warning(markdown_plain(problem, MESSAGE_LIMIT))    # file and folder names: the user's text
    if dataset not in OWN_DATASETS:
        return True
    try:
        cache.dataset(dataset, "train")   # loads (once) and records skipped files
    except LvmError as exc:
        st.error(markdown_plain(exc, MESSAGE_LIMIT))
        return False
    problems = PROBLEMS.get(dataset) or []
    if problems:
        with st.expander(f"{len(problems)} problem{'s' * (len(problems) > 1)} reading these images"):
            for problem in problems:
                st.caption(markdown_plain(problem, MESSAGE_LIMIT))
    return True
