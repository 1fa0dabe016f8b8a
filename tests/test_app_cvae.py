"""A conditional VAE on the pages, in AppTest, beside a plain model: the sliders name their factors and come
sorted by how much they change the image, with strips; a cvae's sliders get a class picker and its code
drawn as every class; AE vs VAE draws z ~ N(0, I) as the class picked; the map says the classes mix; the
Train page trains one. (The browser side: tests/test_browser_sliders_cvae.py.)"""
from __future__ import annotations

import json
import re

import numpy as np
import pytest

from conftest import open_page
from lvm_core import load_checkpoint, load_dataset
from lvm_core.generation.latent import dimension_effects
from lvm_core.storage.catalog import SHIPPED_DIR

DIGITS_CVAE = SHIPPED_DIR / "digits-cvae-mlp-8.safetensors"
DIGITS_VAE = SHIPPED_DIR / "digits-vae-mlp-8.safetensors"
LABEL = re.compile(r"z(\d+) · (slant|stroke thickness|width|height|ink mass) r = −?\d\.\d\d")


@pytest.fixture(autouse=True)
def shipped_digits_cvae(isolated):
    if not DIGITS_CVAE.exists():
        pytest.skip("digits-cvae-mlp-8 is not trained (bash checkpoints/train_all.sh conditional)")


def sliders_data(at) -> dict:
    [element] = [e for e in at.get("bidi_component") if e.proto.component_name == "lvm_latent_sliders"]
    return json.loads(element.proto.json)


def image_urls(at, caption_start: str) -> list[str]:
    return [u for image in at.image for u, c in zip(image.value, image.captions) if c.startswith(caption_start)]


@pytest.mark.parametrize("path", [DIGITS_VAE, DIGITS_CVAE], ids=["vae", "cvae"])
def test_each_slider_names_its_factor_and_they_come_by_how_much_the_image_changes(path):
    at = open_page("pages/sliders.py", "digits", str(path))
    data = sliders_data(at)
    assert data["strip"] == 7
    labels = [LABEL.fullmatch(d["label"]) for d in data["dims"]]
    assert all(labels) and [int(m.group(1)) for m in labels] == [d["d"] for d in data["dims"]]
    # sorted by mean |pixel change| between each slider's two ends, at the start code (the mean code here)
    ckpt = load_checkpoint(path)
    lows, highs = (np.array([d[end] for d in sorted(data["dims"], key=lambda d: d["d"])]) for end in ("lo", "hi"))
    effects = dimension_effects(ckpt.model, np.array(data["code"], np.float32), lows, highs, data.get("label"))
    shown = [d["d"] for d in data["dims"]]
    assert np.all(np.diff(effects[shown]) <= 1e-9) and effects[shown[0]] > 10 * effects[shown[-1]]
    if path == DIGITS_CVAE:
        assert data["classes"] == list(ckpt.class_names) and data["every_class"] is True and data["label"] == 0
        assert any("conditional VAE" in c.value for c in at.caption)
    else:
        assert "classes" not in data and "every_class" not in data   # the lesson's data contract: all optional


def test_a_cvae_starts_on_the_selected_images_class():
    at = open_page("pages/sliders.py", "digits", str(DIGITS_CVAE), selected_index=5, slider_start="selected")
    assert sliders_data(at)["label"] == int(load_dataset("digits", "test").labels[5])


def test_server_side_sliders_of_a_cvae_pick_the_class_and_draw_every_class(monkeypatch):
    monkeypatch.setenv("LVM_LIVE_DECODING", "0")
    at = open_page("pages/sliders.py", "digits", str(DIGITS_CVAE))
    assert all(LABEL.fullmatch(s.label) for s in at.slider)
    before = image_urls(at, "decode(z, y)")
    [row] = image_urls(at, "0 · 1 · 2")                        # the code as every class, one strip
    at.selectbox(key=f"slider_class-{at.session_state['slider_token']}").set_value(7).run()
    assert not at.exception and image_urls(at, "decode(z, y)") != before
    assert image_urls(at, "0 · 1 · 2") == [row]                 # the row does not depend on the picked class


def test_ae_vs_vae_draws_prior_samples_as_the_class_picked():
    at = open_page("pages/compare.py", "digits", str(DIGITS_CVAE))
    picker = at.segmented_control(key="cvae_class")
    grid = lambda: at.image[0].value[0]  # noqa: E731 - the conditional grid comes first on the page
    first = grid()
    assert any("The classifier reads “0”" in m.value for m in at.markdown)
    picker.set_value(4).run()
    assert not at.exception and grid() != first
    assert any("The classifier reads “4”" in m.value for m in at.markdown)
    at.button(key="cvae_new_seed").click().run()
    assert grid() != first and len(at.image) >= 4             # the AE / VAE grids are still there below


def test_a_plain_models_compare_page_has_no_class_picker():
    at = open_page("pages/compare.py", "digits", str(DIGITS_VAE))
    assert not at.segmented_control


def test_the_cvae_map_says_its_classes_mix():
    at = open_page("pages/latent_space.py", "digits", str(DIGITS_CVAE))
    [note] = [i.value for i in at.info if "conditional VAE" in i.value]
    assert "the code need not hold it: the classes mix" in note and "tells the decoder which class" in note
    plain = open_page("pages/latent_space.py", "digits", str(DIGITS_VAE))
    assert not [i for i in plain.info if "conditional VAE" in i.value]


def test_the_train_page_trains_a_conditional_vae(tmp_path):
    from test_app_train import start_and_wait, train_page

    at = train_page(train_kind="Conditional VAE", train_epochs=1, train_name="cvae demo")
    assert at.number_input(key="train_beta")                  # a VAE's KL weight applies to it too
    job = start_and_wait(at)
    assert job.status == "done", job.progress().message
    ckpt = load_checkpoint(tmp_path / "user_models" / "cvae-demo.safetensors")
    assert (ckpt.config.kind, ckpt.config.n_classes) == ("cvae", 10) and "kl" in ckpt.metrics
