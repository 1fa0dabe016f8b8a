"""Denoising: an AE trained to turn noisy inputs into clean images, beside a plain AE of the same shape."""

import numpy as np
import streamlit as st
import torch

from lvm_app import cache, state
from lvm_app.sidebar import current
from lvm_app.upload import show, uploaded_image
from lvm_core.storage.catalog import find_model
from lvm_core.data.datasets import display_name
from lvm_core.analysis.denoising import LEVELS, NOISES, denoise_one, denoise_scores
from lvm_core.text import markdown_plain

SUMMARY_IMAGES = 500

sel = current()
st.title("Denoising")
st.caption("A denoising autoencoder sees a corrupted image and is trained to output the clean one, so it "
           "learns what digits look like rather than how to copy pixels. A plain AE copies the noise along.")

entries = cache.models()
dae = next((e for e in entries if e.dataset == sel.dataset and e.kind == "ae" and e.denoising and not e.excluded), None)
plain = find_model(sel.dataset, "ae", dae.arch, dae.latent_dim, entries=entries) if dae else None
if dae is None or plain is None:
    st.info("This page needs a denoising AE and a plain AE of the same shape for "
            f"{markdown_plain(display_name(sel.dataset))}. Train one with "
            f"`python -m lvm_core train --dataset {sel.dataset} --noise 0.3 --out user_models/dae.safetensors`.")
    st.stop()
ckpts = {name: cache.open_model(e.path)
         for name, e in (("plain AE", plain), ("denoising AE", dae))}
models = {name: c.model for name, c in ckpts.items()}
trained_noise = ckpts["denoising AE"].train_config.input_noise
st.caption(f"Models: {markdown_plain(plain.label)} ({markdown_plain(plain.name)}) and {markdown_plain(dae.label)} "
           f"({markdown_plain(dae.name)}), whatever the sidebar's model.")

data = cache.dataset(sel.dataset, sel.split)
source = st.radio("Image", ["selected point", "random", "upload"], horizontal=True, key="denoise_source")
clean = None
if source == "upload":
    image = uploaded_image(sel.dataset, key="denoise_upload")
    clean = None if image is None else torch.from_numpy(image)[None]
else:
    if source == "random":
        if st.button("Another random image", key="denoise_another") or "denoise_draw" not in st.session_state:
            st.session_state.denoise_draw = st.session_state.get("denoise_draw", -1) + 1
        index = int(np.random.default_rng(st.session_state.denoise_draw).integers(len(data)))
    else:
        index = st.session_state.get(state.SELECTED)
        if index is None or not 0 <= index < len(data):
            st.caption("No point selected on the Latent space page: showing image 0.")
            index = 0
    clean = data.images[index:index + 1]
    st.caption(f"{sel.split} image #{index}, a “{markdown_plain(data.class_names[int(data.labels[index])])}”")

left, middle, right = st.columns(3)
noise = left.selectbox("Noise", list(NOISES), key="denoise_noise")
label, default = LEVELS[noise]
level = middle.slider(f"Level: {label}", 0.0, 1.0, default, 0.05, key=f"denoise_level_{noise}")
seed = int(right.number_input("Noise seed", 0, 9999, 0, key="denoise_seed"))

if clean is not None:
    for col, row in zip(st.columns(4), denoise_one(clean, models, noise, level, seed)):
        col.image(show(row.image, 140), caption=row.name)
        psnr = "∞ (unchanged)" if row.psnr == float("inf") else f"{row.psnr:.1f} dB"
        col.write("reference" if row.name == "clean" else f"PSNR **{psnr}** · SSIM **{row.ssim:.3f}**")


@st.cache_data(show_spinner=f"Scoring {SUMMARY_IMAGES} test images…", max_entries=32)
def _summary(digests: tuple[str, ...], _models: dict, dataset: str, noise: str, level: float, seed: int) -> list[dict]:
    test = cache.dataset(dataset, "test").images[:SUMMARY_IMAGES]
    rows = []
    for name, model in {"noisy input": None, **_models}.items():
        psnr, ssim = denoise_scores(model, test, noise, level, seed)
        rows.append({"output": name, "PSNR (dB)": round(psnr, 2), "mean SSIM": round(ssim, 3)})
    return rows


st.subheader(f"Over the first {SUMMARY_IMAGES} test images")
st.dataframe(_summary(tuple(c.digest for c in ckpts.values()), models, sel.dataset, noise, level, seed),
             hide_index=True)
st.caption(f"The denoising AE was trained with Gaussian noise of standard deviation {trained_noise:g} on its inputs; "
           "the other noises show how far that carries. PSNR (of the pooled error) and SSIM (mean per image) are "
           "scikit-image's, against the clean images; higher is better.")
