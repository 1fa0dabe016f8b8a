"""The static lesson: one folder (index.html and what it loads) that any browser opens from disk (file://)
or any static host, with no server, no Python and no network, walking story.STEPS with live views:

    the AE's map of the test codes, hover a point -> its original and reconstruction (map.js)
    the VAE's latent sliders (sliders.js), AE vs VAE samples z ~ N(0, I) (samples.js),
    the interpolation scrubber between two test digits (scrubber.js)

All decoding happens in the browser by the app's own decoder.js. The data travels as scripts that set
globals (window.LVM_LESSON, and window.LVM_LESSON_MAP: pack_map's bytes as base64), never fetched:
Chromium refuses fetch and ES modules from file://. assets.py has the page and the code.

    files = lesson_files(ae, vae, test)      # {name in the folder: bytes}
    write_lesson("lesson/", files)           # a new or empty folder
    lesson_zip(ae, vae, test)                # the same folder as a .zip, for a download button
"""
from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Callable

from lvm_core.version import __version__
from lvm_core.storage.checkpoints import Checkpoint, check_image_shape, load_checkpoint
from lvm_core.data.datasets import DATASETS, ImageDataset, load_dataset
from lvm_core.errors import InvalidInput
from lvm_core.generation.export import decoder_payload
from lvm_core.generation.inference import encode_split
from lvm_core.generation.latent import contrasting_pair
from lvm_core.maps.export import write_files, zip_bytes
from lvm_core.models import is_conditional, is_variational
from lvm_core.models.memory import check_checkpoint
from lvm_core.maps.projection import METHODS
from lvm_core.lesson.assets import DATA_SCRIPTS, code_files, index_html
from lvm_core.lesson.story import STEPS
from lvm_core.lesson.views import lesson_map, packed_map, samples_view, scrubber_view, sliders_view
from lvm_core.text import clean

DEFAULT_N = 10_000              # map points: the whole MNIST test split
BUDGET_BYTES = 15_000_000       # an MLP pair on 10k MNIST points must fit (measured: README-lesson)
ZIP_FOLDER = "lvm-lesson"
Progress = Callable[[str], None]
SOURCES = {"shipped": "the map shipped with the model", "cache": "a stored map", "computed": "computed for this lesson"}


class LessonError(InvalidInput):
    """Models or an output folder the lesson cannot be made from, said in one line."""


def check_pair(ae: Checkpoint, vae: Checkpoint) -> None:
    """The first model must be an autoencoder and the second a VAE, of the same dataset and image shape."""
    if is_variational(ae.model):
        raise LessonError(f"{ae.name}: the first model must be a plain autoencoder (AE), and this one is "
                          "variational; give the AE first, then the VAE")
    if not is_variational(vae.model):
        raise LessonError(f"{vae.name}: the second model must be a variational autoencoder (VAE), and this one "
                          "is not; give the AE first, then the VAE")
    if is_conditional(vae.model):   # its samples and sliders would need a class the lesson's views do not give
        raise LessonError(f"{vae.name}: the second model must be a plain VAE; this one is conditional (a CVAE)")
    if ae.dataset != vae.dataset:
        raise LessonError(f"{ae.name} is a {ae.dataset} model and {vae.name} a {vae.dataset} model: the lesson "
                          "compares two models of the same dataset")
    if tuple(ae.config.image_shape) != tuple(vae.config.image_shape):
        raise LessonError(f"{ae.name} draws {tuple(ae.config.image_shape)} images and {vae.name} "
                          f"{tuple(vae.config.image_shape)}: the lesson needs one image shape")


def open_pair(ae_path, vae_path, data_dir=None, progress: Progress | None = None):
    """(ae, vae, test split): both checkpoints loaded and checked (check_pair), and their dataset's test split."""
    say = progress or (lambda message: None)
    ae, vae = (check_checkpoint(load_checkpoint(path)) for path in (ae_path, vae_path))   # ms: no progress line first
    check_pair(ae, vae)
    say(f"loading the {ae.dataset} test split")
    test = load_dataset(ae.dataset, "test", data_dir)
    for ckpt in (ae, vae):
        check_image_shape(ckpt, test.image_shape, ae.dataset)
    return ae, vae, test


def check_out(path) -> Path:
    """path as a Path when it is a new folder (its parent exists) or an empty one; LessonError otherwise."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise LessonError(f"{path}: is a file; the lesson needs a new or empty folder")
    if out.is_dir() and any(out.iterdir()):
        raise LessonError(f"{path}: the folder is not empty; the lesson needs a new or empty folder")
    if not out.exists() and not out.resolve().parent.is_dir():
        raise LessonError(f"{path}: its parent folder does not exist")
    return out


def _script(name: str, value) -> bytes:
    """A data file: a classic script that sets one global (JSON is JavaScript)."""
    return f"window.{name} = {json.dumps(value, separators=(',', ':'))};\n".encode()


def lesson_files(ae: Checkpoint, vae: Checkpoint, test: ImageDataset, n: int = DEFAULT_N, seed: int = 0,
                 progress: Progress | None = None) -> dict[str, bytes]:
    """Every file of the lesson by its name in the folder ("index.html", "assets/...", "data/...").
    test: the models' dataset's test split; n: map points (at most the split); seed: the first samples."""
    check_pair(ae, vae)
    if n < 1:
        raise LessonError("--n must be at least 1 (points on the map)")
    say = progress or (lambda message: None)
    say(f"encoding {len(test):,} test images with both models")
    encoded = {"AE": encode_split(ae.model, test.images, test.labels),
               "VAE": encode_split(vae.model, test.images, test.labels)}
    models = {"AE": ae, "VAE": vae}
    latent_map, method = lesson_map(ae, encoded["AE"], min(n, len(test)))
    say(f"map: {METHODS[method]} of {len(latent_map):,} points ({SOURCES[latent_map.source]}); packing it")
    blob = packed_map(ae, test, encoded["AE"], latent_map, method)
    say("choosing the interpolation pair (the two digits whose AE and VAE walks differ most)")
    pair = contrasting_pair(ae.model, vae.model, encoded["AE"].codes, encoded["VAE"].codes, encoded["AE"].labels,
                            seed=seed)
    start_class = test.class_names[int(test.labels[pair[0]])]
    data = {"format": "lvm-lesson/1", "image_shape": list(ae.config.image_shape),
            "decoders": [decoder_payload(ae), decoder_payload(vae)],
            "steps": [{"key": s.key, "view": s.view} for s in STEPS],
            "views": {"sliders": sliders_view(vae, encoded["VAE"], pair[0], start_class),
                      "samples": samples_view(models, seed),
                      "interpolate": scrubber_view(models, {k: e.codes for k, e in encoded.items()}, test, pair)}}
    dataset = clean(DATASETS[ae.dataset].title if ae.dataset in DATASETS else ae.dataset)
    ae_name, vae_name = clean(ae.name), clean(vae.name)      # the files' text (index_html escapes it as HTML)
    captions = {
        "map": f"{METHODS[method]} map of {len(latent_map):,} {dataset} test images, coded by the AE {ae_name} "
               f"({SOURCES[latent_map.source]}); colour = class. Scroll to zoom, drag to pan.",
        "sliders": f"The VAE {vae_name}: one slider per latent dimension, most used (KL to the prior) first.",
        "samples": f"The same {data['views']['samples']['n']} random codes z ~ N(0, I), decoded by each model.",
        "interpolate": "A straight path between the codes of A and B under each model; each frame is decoded "
                       "as you drag."}
    say("writing the page")
    files = code_files()
    files["index.html"] = index_html(STEPS, f"Latent spaces: an autoencoder and a VAE on {dataset}",
                                     f"AE: {ae_name} ({clean(ae.title, 200)}) · VAE: {vae_name} "
                                     f"({clean(vae.title, 200)}) · "
                                     f"LVM Explorer {__version__}", captions)
    files[DATA_SCRIPTS[0]] = _script("LVM_LESSON", data)
    files[DATA_SCRIPTS[1]] = _script("LVM_LESSON_MAP", base64.b64encode(blob).decode("ascii"))
    return files


def write_lesson(out, files: dict[str, bytes]) -> list[Path]:
    """The files into out (check_out: a new or empty folder), each written atomically; their paths."""
    return write_files(check_out(out), files)


def lesson_zip(ae: Checkpoint, vae: Checkpoint, test: ImageDataset, **options) -> bytes:
    """The lesson folder as one .zip (inside lvm-lesson/), for a download button; options: lesson_files'."""
    return zip_bytes(lesson_files(ae, vae, test, **options), folder=ZIP_FOLDER)
