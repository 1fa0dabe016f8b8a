"""Download buttons that hand the app's results to other tools."""
from __future__ import annotations

import streamlit as st

from lvm_core.lesson.export import lesson_zip
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


def lesson_download_button(ae, vae, dataset: str) -> None:
    """A button that downloads the static lesson of an AE / VAE pair (lvm_core.lesson.export: the map, the
    sliders, the samples, the scrubber and the tour's text, decoded in the browser): a .zip to unpack and
    open anywhere, with no server. Built only when the button is clicked."""
    def build() -> bytes:
        return lesson_zip(ae, vae, cache.dataset(dataset, "test"))

    st.download_button("Download the lesson (a folder that runs in any browser, no server)", data=build,
                       on_click="ignore", file_name=f"lvm-lesson-{file_stem(dataset)}.zip", mime="application/zip",
                       key="lesson_export", icon=":material/download:",
                       help="Unzip it and open index.html: the map with its reconstructions, the latent sliders, "
                            "AE vs VAE samples and the path between two digits, all decoded in the browser "
                            "(10.7 MB for the MNIST MLP pair on 10,000 test points).")
