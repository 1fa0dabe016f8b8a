"""Picture uploads and image strips shared by the application pages (anomalies, denoising)."""
from __future__ import annotations

import numpy as np
import streamlit as st

from lvm_core import ImageError
from lvm_core.data.images import ConvertedImage, enlarge, image_from_upload, make_grid
from lvm_core.text import MESSAGE_LIMIT, markdown_plain

DISPLAY_SIDE = 112  # pixels a side for one image on screen: 4x a 28x28 MNIST digit
# Images per row of a strip a class must read: each stays >= 64 px wide beside the sidebar at 1024x768
# (12 came out 47 px there); tests/test_browser_layout.py holds it.
STRIP_COLUMNS = 8


@st.cache_data(show_spinner=False, max_entries=16)
def _convert(data: bytes, dataset: str, name: str) -> ConvertedImage:
    return image_from_upload(data, dataset, name)


def uploaded_image(dataset: str, key: str) -> np.ndarray | None:
    """A picture uploader: returns the picture as one dataset image (1, H, W) in [0, 1], after
    showing how it was converted; None (with a one-line message for a bad file) otherwise."""
    upload = st.file_uploader("Upload a picture (PNG or JPEG, any size)", key=key)
    if upload is None:
        return None
    try:
        converted = _convert(upload.getvalue(), dataset, upload.name)
    except ImageError as exc:
        st.error(markdown_plain(exc, MESSAGE_LIMIT))   # it names the uploaded file
        return None
    if converted.inverted:
        st.info("Your picture was dark on light; the dataset's images are light on dark, so it was inverted.")
    with st.expander("How the picture was converted"):
        cols = st.columns(len(converted.steps))
        for col, (caption, image) in zip(cols, converted.steps):
            col.image(show(image), caption=caption, clamp=True)
    return converted.image


def show(image: np.ndarray, side: int = DISPLAY_SIDE) -> np.ndarray:
    """(H, W) or (H, W, 3) in [0, 1] enlarged by whole pixels to about `side` (never shrunk), for st.image."""
    return enlarge(np.clip(image, 0, 1), max(1, side // max(image.shape)))


def strip(rows: list[np.ndarray], side: int = 84) -> np.ndarray:
    """rows: equal-length lists of (H, W) or (H, W, 3) images -> one picture with one row of images
    per list, each image enlarged to about `side` pixels (the browser shrinks a strip wider than its
    column to fit: keep rows to STRIP_COLUMNS images)."""
    images = np.clip(np.concatenate([np.asarray(r) for r in rows]), 0, 1)
    return enlarge(make_grid(images, ncols=len(rows[0])), max(1, side // images.shape[2]))
