"""The data of each live view of the static lesson, JSON-ready, in the shapes the app's components take
(lvm_app/components/live.py sends the same dicts to sliders.js and scrubber.js): the map (a packed map,
as the Latent space page packs it), the sliders, the samples grid and the interpolation scrubber.

Decoder weights are not in these dicts: the lesson loads each model's decoder_payload once and the views
find it by digest (their "payload" is None, as on the app's second showing of a model)."""
from __future__ import annotations

import numpy as np

from lvm_core.storage.checkpoints import Checkpoint
from lvm_core.data.datasets import ImageDataset
from lvm_core.generation.export import encode_array
from lvm_core.generation.inference import EncodedSplit, to_display
from lvm_core.generation.latent import dimension_importance, dimension_order, interpolate, slider_ranges
from lvm_core.maps.payload import map_header, pack_map
from lvm_core.maps.store import LatentMap, MapKey, MapStore, compute_map
from lvm_core.maps.projection import METHODS, SLOW_METHODS, default_method
from lvm_core.text import clean

MAX_SLIDERS = 12        # as the Latent sliders page: the most used dimensions first
SLIDER_SIDE = 224       # CSS px of the decoded image
SCRUB_STOPS = 101       # as the Interpolation page: t = 0, 0.01, ..., 1
SCRUB_SIDE = 196
SAMPLES, SAMPLE_COLUMNS, SAMPLE_SIDE = 32, 8, 56


def lesson_map(ae: Checkpoint, enc: EncodedSplit, n: int, store: MapStore | None = None) -> tuple[LatentMap, str]:
    """(map, method): the map the app opens on for this model and n test points: the raw plane of a 2-d
    code, else its stored t-SNE or UMAP map (shipped models ship t-SNE), else PCA (computed now)."""
    store = store or MapStore()
    key = lambda method: MapKey.make(ae.digest, "test", n, method)  # noqa: E731
    method = default_method(ae.config.latent_dim, lambda m: store.get(key(m)) is not None)
    found = store.get(key(method)) if method in SLOW_METHODS else None
    return found or compute_map(key(method), enc.codes, enc.labels, enc.errors), method


def packed_map(ae: Checkpoint, test: ImageDataset, enc: EncodedSplit, latent_map: LatentMap, method: str) -> bytes:
    """pack_map of the map's points: place, class, code, original and reconstruction of each."""
    rows = latent_map.indices
    header = map_header("lesson", method, METHODS[method], test.class_names, len(rows), ae.digest)
    return pack_map(latent_map.embedding, rows, latent_map.labels, latent_map.errors, enc.codes[rows],
                    to_display(test.images[rows]), enc.recon[rows], method, header)


def sliders_view(vae: Checkpoint, enc: EncodedSplit, start: int, class_name: str) -> dict:
    """sliders.js's data: one slider per dimension (the most used first, by KL), starting at test image
    `start`'s code, each spanning the 1st-99th percentile of the test codes (widened to the start)."""
    code = enc.codes[start]
    ranges, importance = slider_ranges(enc.codes), dimension_importance(enc.codes, enc.logvar)
    shown = [0, 1] if vae.config.latent_dim == 2 else dimension_order(importance)[:MAX_SLIDERS]
    lows, highs = np.minimum(ranges[:, 0], code), np.maximum(ranges[:, 1], code)
    dims = [{"d": int(d), "lo": float(lows[d]), "hi": float(highs[d]), "step": float(highs[d] - lows[d]) / 200,
             "help": f"KL {importance[d]:.3g}"} for d in shown]
    return {"digest": vae.digest, "payload": None, "token": "lesson", "code": [float(v) for v in code],
            "dims": dims, "side": SLIDER_SIDE,
            "caption": f"decode(z) by the VAE, drawn in your browser; starts at test image #{start} "
                       f"({clean(class_name)})"}


def samples_view(models: dict[str, Checkpoint], seed: int) -> dict:
    """samples.js's data: a grid per model of codes z ~ N(0, I) (seeded in the browser)."""
    return {"models": [{"label": label, "title": clean(ckpt.title, 200), "digest": ckpt.digest, "payload": None}
                       for label, ckpt in models.items()],
            "n": SAMPLES, "columns": SAMPLE_COLUMNS, "seed": int(seed), "side": SAMPLE_SIDE}


def scrubber_view(models: dict[str, Checkpoint], codes: dict[str, np.ndarray], test: ImageDataset,
                  pair: tuple[int, int]) -> dict:
    """scrubber.js's data: a straight path per model from test image a's code to b's (codes: label ->
    (N, D) codes of the test split), plus the two images (C-H-W float32) for the lesson to show."""
    a, b = pair
    ends = [{"caption": f"{end} · #{i} ({clean(test.class_names[int(test.labels[i])])})",   # shown as textContent
             "image": encode_array(test.images[i])} for end, i in (("A", a), ("B", b))]
    return {"token": "lesson", "side": SCRUB_SIDE, "ends": ends, "models": [
        {"label": label, "digest": ckpt.digest, "payload": None, "steps": SCRUB_STOPS,
         "path": encode_array(interpolate(codes[label][a], codes[label][b], SCRUB_STOPS))}
        for label, ckpt in models.items()]}
