"""AE vs VAE: the same z ~ N(0, I) decoded by both. The AE compresses well but generates badly;
the VAE generates. Why, and the fix for the AE (sample where its codes are)."""
import numpy as np
import streamlit as st

from lvm_app import cache, generate
from lvm_app.sidebar import current
from lvm_core import CheckpointError
from lvm_core.images import enlarge, make_grid
from lvm_core.latent import dimension_importance, dimension_order

GRID = 64               # samples shown per grid (8 x 8)
HIST_DIMS = 4           # dimensions per model in the histograms

sel = current()
st.title("AE vs VAE: sampling")
st.caption("Both models squeeze an image into a code z and decode it back. Only the VAE is trained so that "
           "its codes fill N(0, I): decode random z ~ N(0, I) and see which one makes digits.")

ae, vae = generate.pick_pair(sel.dataset)
st.session_state.setdefault("sample_seed", 0)


def new_samples():
    st.session_state.sample_seed += 1


left, right, _ = st.columns([1, 1, 3], vertical_alignment="bottom")
left.button("🎲 New samples", key="new_samples", on_click=new_samples, width="stretch")
seed = right.number_input("Seed", 0, 10**6, key="sample_seed")

try:
    floor = generate.real_quality(sel.dataset)
except CheckpointError as exc:
    st.error(f"Sample quality cannot be scored: {exc}")
    floor = None
grids = [("AE", ae, "normal"), ("VAE", vae, "normal"), ("AE, the fix", ae, "gmm")]
for column, (title, ckpt, prior) in zip(st.columns(3), grids):
    with column:
        st.subheader(title)
        st.caption(generate.PRIORS[prior])
        images = generate.samples(ckpt.digest, ckpt, prior, int(seed))
        if not np.isfinite(images).all():
            st.error(f"{ckpt.name}: the decoder returned NaN; this checkpoint is broken.")
            continue
        st.image(enlarge(make_grid(images[:GRID], ncols=8), 2), clamp=True, width="stretch", output_format="PNG")
        scored = generate.quality(ckpt.digest, ckpt, prior, int(seed)) if floor is not None else None
        st.markdown(generate.quality_caption(scored, floor))
st.caption("Fréchet distance: between the samples and the train images in the feature space of a small "
           "classifier (LeNet) trained on this dataset; lower is closer. Confidence: its mean top class "
           "probability; scribbles that look like no class get less.")

st.header("Why: where the codes are vs where the samples come from")
codes = {"AE": cache.encoded(ae.digest, ae, "test").codes, "VAE": cache.encoded(vae.digest, vae, "test").codes}
dims = {name: dimension_order(dimension_importance(z))[:HIST_DIMS] for name, z in codes.items()}
st.plotly_chart(generate.prior_histograms(codes, dims), width="stretch")
norms = {name: float(np.linalg.norm(z, axis=1).mean()) for name, z in codes.items()}
st.markdown(
    f"The red curve is what z ~ N(0, I) draws from. The VAE's KL term pulls its codes towards it; nothing "
    f"pulls the AE's. Its codes have mean length **{norms['AE']:.1f}** (VAE **{norms['VAE']:.1f}**; "
    f"prior samples ≈ √{ae.config.latent_dim} = {np.sqrt(ae.config.latent_dim):.1f}), so most prior samples "
    "land where its decoder never saw a code. Dimensions shown: the most spread-out ones.")
st.markdown("**The fix for the AE:** fit a Gaussian mixture to its train codes and sample from that "
            "(third grid): the samples now land where the decoder has been.")
