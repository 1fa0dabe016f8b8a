"""Download buttons that hand the app's results to other tools."""
from __future__ import annotations

import streamlit as st

from lvm_core.maps.export import split_map_files, zip_bytes
from lvm_core.text import file_stem

from . import cache


def map_download_button(ckpt, dataset: str, split: str, latent_map) -> None:
    """A button that downloads the shown map as a .zip: Embedding Projector files (codes, metadata,
    sprite, config) and a Parquet table. The zip is built only when the button is clicked."""
    def build() -> bytes:
        data = cache.dataset(dataset, split)
        enc = cache.encoded(ckpt.digest, ckpt, split)
        return zip_bytes(split_map_files(latent_map, enc, data.images, data.class_names, name=ckpt.name),
                         folder=f"{file_stem(ckpt.name)}-{split}-map")

    st.download_button("Download this map (Embedding Projector, Parquet)", data=build, on_click="ignore",
                       file_name=f"{file_stem(ckpt.name)}-{split}-map.zip", mime="application/zip", key="map_export",
                       help="Codes, labels and a sprite for projector.tensorflow.org (Load), and map.parquet "
                            "with index, label, error, x, y and the code for pandas or Embedding Atlas.")
