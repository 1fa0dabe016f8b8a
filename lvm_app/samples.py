"""The AE vs VAE page's samples: codes drawn from a prior (N(0, I) or a mixture fitted to the model's
codes), decoded, and scored on a background thread (Fréchet distance, classifier confidence) with a
verdict in words."""
from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable

import numpy as np
import streamlit as st

from lvm_core.analysis.quality import Classifier, SampleQuality, score_samples
from lvm_core.data.builtin import subset_indices
from lvm_core.generation.inference import decode, encode
from lvm_core.generation.sampling import GaussianMixtureSampler, sample_normal
from lvm_core.storage.checkpoints import Checkpoint

from . import cache

SCORE_N = 2000          # samples behind each Fréchet distance; a grid shows the first of them
MIXTURE_COMPONENTS = 10
MIXTURE_FIT_CODES = 10_000
PRIORS = {"normal": "z ~ N(0, I)", "gmm": f"z ~ {MIXTURE_COMPONENTS}-component mixture fitted to the codes"}


@st.cache_resource(show_spinner="Fitting a Gaussian mixture to the model's train codes…", max_entries=8)
def mixture(digest: str, _ckpt: Checkpoint) -> GaussianMixtureSampler:
    """Fitted to the codes of MIXTURE_FIT_CODES random train images: 10k of MNIST's 60k encode and
    fit in a third of the time, and the samples look the same."""
    train = cache.dataset(_ckpt.dataset, "train")
    codes = encode(_ckpt.model, train.images[subset_indices(len(train), MIXTURE_FIT_CODES)])
    return GaussianMixtureSampler(MIXTURE_COMPONENTS, seed=0).fit(codes)


@st.cache_data(show_spinner=False, max_entries=32)
def codes(digest: str, _ckpt: Checkpoint, prior: str, seed: int) -> np.ndarray:
    """(SCORE_N, D) z from the prior ("normal") or the fitted mixture ("gmm"); a seed is one draw."""
    if prior == "gmm":
        return mixture(digest, _ckpt).sample(SCORE_N, seed)
    return sample_normal(SCORE_N, _ckpt.config.latent_dim, seed)


@st.cache_data(show_spinner=False, max_entries=32)
def samples(digest: str, _ckpt: Checkpoint, prior: str, seed: int, n: int = SCORE_N) -> np.ndarray:
    """(n, H, W) the first n of the seed's SCORE_N decoded samples: a grid decodes only what it shows."""
    return decode(_ckpt.model, codes(digest, _ckpt, prior, seed)[:n])


_SCORER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lvm-scorer")
_SCORES: dict[tuple, Future] = {}
_SCORES_LOCK = threading.Lock()
_SCORES_KEPT = 96


def quality_later(key: tuple, clf: Classifier, images: Callable[[], np.ndarray]) -> Future:
    """The score of images() (N, H, W), made once per key on a background thread: drawing and scoring
    2,000 samples takes seconds, so the grids show at once and the page polls for the number.
    The Future's result is a SampleQuality (ValueError for broken samples)."""
    with _SCORES_LOCK:
        future = _SCORES.get(key)
        if future is None or (future.done() and future.exception() is not None):
            future = _SCORES[key] = _SCORER.submit(lambda: score_samples(clf, images()))
            while len(_SCORES) > _SCORES_KEPT:      # oldest first: dicts keep insertion order
                _SCORES.pop(next(iter(_SCORES)))
        return future


def sample_quality_later(digest: str, ckpt: Checkpoint, clf: Classifier, prior: str, seed: int) -> Future:
    """The score of a seed's SCORE_N samples (the grid shows the first of them), decoded in the background."""
    z = codes(digest, ckpt, prior, seed)
    return quality_later((digest, prior, seed), clf, lambda: decode(ckpt.model, z))


NOUNS = {"fashion-mnist": "clothes", "kmnist": "characters"}


def verdict(prior: str, q: SampleQuality, scores: list[SampleQuality], dataset: str) -> str:
    """A grid's lesson in words ("noise → mush", "fitted prior → digits"): mush when its Fréchet distance
    is nearer the worst grid's than the best's on a log scale (above their geometric mean), and over twice
    the best (three grids of similar quality are all digits)."""
    source = "noise" if prior == "normal" else "fitted prior"
    best, worst = min(s.frechet for s in scores), max(s.frechet for s in scores)
    good = q.frechet <= max(2 * best, (best * worst) ** 0.5)
    return f"{source} → {NOUNS.get(dataset, 'digits') if good else 'mush'}"


def real_quality_later(dataset: str, clf: Classifier) -> Future:
    """The floor: SCORE_N real test images scored like the samples (a Fréchet distance over few
    samples is biased upwards, so the floor is measured with the same count), in the background."""
    images = cache.dataset(dataset, "test").images[:SCORE_N]
    return quality_later((dataset, "real test images"), clf, lambda: images)


def quality_caption(q: SampleQuality | None, floor: SampleQuality | None) -> str:
    if q is None:
        return ("No sample-quality score: no usable classifier for this dataset "
                "(make one with `python -m lvm_core train-classifier`).")
    floor_text = f" (real test images: {floor.frechet:.1f})" if floor is not None else ""
    return (f"**Fréchet distance {q.frechet:.0f}**{floor_text} · classifier confidence {q.confidence:.0%} "
            f"· over {q.n:,} samples")
