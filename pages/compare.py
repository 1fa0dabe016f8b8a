"""AE vs VAE: the same z ~ N(0, I) decoded by both. The AE compresses well but generates badly;
the VAE generates. Why, and the fix for the AE (sample where its codes are)."""
import numpy as np
import streamlit as st

from lvm_app import cache, generate, pair, samples
from lvm_app.conditional import conditional_samples
from lvm_app.sidebar import current
from lvm_core import CheckpointError
from lvm_core.data.images import enlarge, make_grid
from lvm_core.generation.latent import dimension_importance, dimension_order
from lvm_core.text import MESSAGE_LIMIT, markdown_plain
from lvm_core.models import is_conditional

GRID = 64               # samples shown per grid (8 x 8)
HIST_DIMS = 4           # dimensions per model in the histograms
POLL_S = 0.5            # how often the grids' fragment looks for finished scores
MAX_SEED = 10**6

sel = current()
st.title("AE vs VAE: sampling")
st.caption("Both models squeeze an image into a code z and decode it back. Only the VAE is trained so that "
           "its codes fill N(0, I): decode random z ~ N(0, I) and see which one makes digits.")
if is_conditional(sel.ckpt.model):
    conditional_samples(sel.ckpt)
    st.divider()

ae, vae = pair.pick_pair(sel.dataset)
st.session_state.setdefault("drawn", (0, 0))        # (how many times the seed changed, the seed)


def seed_key() -> str:
    """The Seed input's key, new for every change: a message from an earlier input can be told apart, and
    no input inherits an earlier one's value."""
    return f"sample_seed_{st.session_state.drawn[0]}"


def draw(seed: int):
    st.session_state.drawn = (st.session_state.drawn[0] + 1, seed % (MAX_SEED + 1))


def new_samples(shown: int):
    # The seed after the one on screen, not +1 on the session's: under fast reruns the click's callback
    # was seen to run twice (the seed went up by 2); this way a click counts once.
    draw(shown + 1)


def typed_seed(key: str):
    # Only the input on screen counts: the scores' polling rerun can leave the browser before a click's
    # answer arrives, carrying the previous input's value, which must not undo the click.
    if key == seed_key():
        draw(int(st.session_state[key]))


try:
    clf = cache.classifier(sel.dataset)
except CheckpointError as exc:
    st.error(f"Sample quality cannot be scored: {markdown_plain(exc, MESSAGE_LIMIT)}")
    clf = None
GRIDS = [("AE", ae, "normal"), ("VAE", vae, "normal"), ("AE, the fix", ae, "gmm")]


def scoring(drawn: list, seed: int) -> list:
    """Futures of the floor's and each grid's SampleQuality (None where a grid cannot be scored)."""
    if clf is None:
        return [None] * (1 + len(GRIDS))
    futures = [samples.real_quality_later(sel.dataset, clf)]
    futures += [samples.sample_quality_later(ckpt.digest, ckpt, clf, prior, seed) if images is not None else None
                for (_, ckpt, prior), images in zip(GRIDS, drawn)]
    return futures


def result(future):
    """A finished score, or None while it is being made or when it failed."""
    return future.result() if future is not None and future.done() and future.exception() is None else None


def show_scores(drawn: list, seed: int, waiting: bool):
    """Each grid's verdict and score as they come. While one is missing this fragment reruns every
    POLL_S (only it); the run that finds them all redraws the page once, so that the timer stops."""
    futures = scoring(drawn, seed)
    floor, *scores = map(result, futures)
    ready = [q for q in scores if q is not None]
    for column, (_, _, prior), images, q, future in zip(st.columns(3), GRIDS, drawn, scores, futures[1:]):
        if images is None:
            continue
        if clf is None:
            column.markdown(samples.quality_caption(None, None))
        elif failed := next((f.exception() for f in (futures[0], future) if f.done() and f.exception()), None):
            column.error(f"Sample quality cannot be scored: {failed}")
        elif q is None or floor is None:
            column.caption(":material/hourglass_top: scoring 2,000 samples…")
        else:
            column.markdown(f"**{samples.verdict(prior, q, ready, sel.dataset)}** · "
                            + samples.quality_caption(q, floor))
    if waiting and all(f is None or f.done() for f in futures):
        st.rerun()


def sample_grids():
    """The button, the seed and the three grids: a fragment, so a click redraws only this (the grids
    decode their 64 samples at once; the scores come from the background scorer)."""
    left, right, _ = st.columns([1, 1, 3], vertical_alignment="bottom")
    seed, key = st.session_state.drawn[1], seed_key()
    left.button("New samples", icon=":material/casino:", key="new_samples", on_click=new_samples, args=(seed,),
                width="stretch")
    right.number_input("Seed", 0, MAX_SEED, seed, key=key, on_change=typed_seed, args=(key,))
    drawn = []
    for column, (title, ckpt, prior) in zip(st.columns(3), GRIDS):
        with column:
            st.subheader(title)
            st.caption(samples.PRIORS[prior])
            images = samples.samples(ckpt.digest, ckpt, prior, seed, GRID)
            if not np.isfinite(images).all():
                st.error(f"{markdown_plain(ckpt.name)}: the decoder returned NaN; this checkpoint is broken.")
                images = None
            else:
                st.image(enlarge(make_grid(images, ncols=8), 2), clamp=True, width="stretch", output_format="PNG")
            drawn.append(images)
    waiting = any(f is not None and not f.done() for f in scoring(drawn, seed))
    st.fragment(show_scores, run_every=POLL_S if waiting else None)(drawn, seed, waiting)


samples_tab, why_tab = st.tabs(["Samples", "Why: where the codes are vs where the samples come from"])
with samples_tab:
    st.fragment(sample_grids)()
    st.caption("Fréchet distance: between the samples and the train images in the feature space of a small "
               "classifier (LeNet) trained on this dataset; lower is closer. Confidence: its mean top class "
               "probability; scribbles that look like no class get less.")
    st.markdown("**Why the fixed AE can beat the VAE:** the AE's decoder is trained only to reconstruct, so "
                "where it has seen codes it draws sharp digits. The VAE pays for its filled-in N(0, I) with "
                "blurrier images (its KL term blurs codes of neighbouring digits together). Once the AE is "
                "sampled where its codes are (the mixture, fitted after training), its sharper digits sit "
                "closer to the real ones. What the VAE offers is a prior you can sample with nothing "
                "fitted afterwards.")

with why_tab:
    codes = {"AE": cache.encoded(ae.digest, ae, "test").codes, "VAE": cache.encoded(vae.digest, vae, "test").codes}
    dims = {name: dimension_order(dimension_importance(z))[:HIST_DIMS] for name, z in codes.items()}
    norms = {name: float(np.linalg.norm(z, axis=1).mean()) for name, z in codes.items()}
    st.markdown(
        f"The orange curve is what z ~ N(0, I) draws from; the blue bars are where the codes of test images "
        f"are (one x-axis for all). The VAE's KL term pulls its codes towards the curve; nothing pulls the "
        f"AE's. Its codes have mean length **{norms['AE']:.1f}** (VAE **{norms['VAE']:.1f}**; prior samples ≈ "
        f"√{ae.config.latent_dim} = {np.sqrt(ae.config.latent_dim):.1f}), so most prior samples land where "
        "its decoder never saw a code. Dimensions shown: the most spread-out ones.")
    st.plotly_chart(generate.prior_histograms(codes, dims), width="stretch")
    st.markdown("**The fix for the AE:** fit a Gaussian mixture to its train codes and sample from that "
                "(third grid): the samples now land where the decoder has been.")
