"""Hostile and broken files in the running app (AppTest): one line where the user looks, never a traceback."""
from __future__ import annotations

import shutil

import pytest
import torch
from streamlit.testing.v1 import AppTest

from conftest import APP, open_page, shown
from checkpoint_craft import with_description, with_model_config
from lvm_core import DATASETS, load_checkpoint, save_checkpoint
from lvm_core.storage.catalog import SHIPPED_DIR

DIGITS_VAE = SHIPPED_DIR / "digits-vae-mlp-8.safetensors"


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    folder = tmp_path / "models"
    folder.mkdir()
    monkeypatch.setenv("LVM_MODELS_DIR", str(folder))
    from lvm_app import cache

    cache.models.clear()   # the model list is cached for 5 s: another test's folder must not show
    return folder


def errors(at) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return [shown(e.value) for e in at.error]


def test_a_user_model_deleted_after_it_was_listed_gets_a_message(models_dir, tmp_path):
    mine = models_dir / "alice-vae.safetensors"
    shutil.copy(DIGITS_VAE, mine)
    at = open_page("pages/latent_space.py", model_path=str(mine))
    mine.unlink()
    at.run()    # the list follows the folder: the model is gone from it, the page says so and shows the default
    assert errors(at) == []
    notes = [shown(i.value) for i in at.info if "alice-vae" in i.value]
    assert notes == ["alice-vae.safetensors: the model file is gone (deleted after it was listed); showing "
                     "digits-vae-mlp-8"]
    assert str(tmp_path) not in notes[0]
    assert at.session_state["model_path"] != str(mine)


def test_a_user_model_damaged_after_it_was_listed_gets_a_message(models_dir):
    mine = models_dir / "bob.safetensors"
    shutil.copy(DIGITS_VAE, mine)
    at = open_page("pages/latent_space.py", model_path=str(mine))
    mine.write_bytes(mine.read_bytes()[:-100])     # the description still reads: it stays listed
    at.run()
    assert errors(at) and errors(at)[0].startswith("bob.safetensors: the weights are damaged")


def test_the_picker_shows_each_user_models_own_name(models_dir):
    for name in ("alice-vae", "bob-vae"):
        ckpt = load_checkpoint(DIGITS_VAE)
        save_checkpoint(models_dir / f"{name}.safetensors", ckpt.model, dataset="digits", class_names=ckpt.class_names,
                        name=name)
    at = open_page("pages/latent_space.py")
    picker = at.sidebar.selectbox(key="model_path")
    labels = list(picker.options)   # AppTest gives the labels as shown
    assert "alice-vae · VAE mlp z=8 (trained here)" in labels and "bob-vae · VAE mlp z=8 (trained here)" in labels


@pytest.mark.parametrize("page", ["pages/anomalies.py", "pages/features.py", "pages/latent_space.py"])
def test_a_model_whose_codes_overflow_gets_one_message_on_every_page(models_dir, page):
    """Finite but huge weights: the codes are infinite (all-NaN weights are refused when loading)."""
    ckpt = load_checkpoint(DIGITS_VAE)
    with torch.no_grad():
        for p in ckpt.model.parameters():
            p.mul_(1e30)
    path = save_checkpoint(models_dir / "huge.safetensors", ckpt.model, dataset="digits",
                           class_names=ckpt.class_names, name="huge")
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset"] = "digits"
    at.session_state["model_path"] = str(path)
    at.run()
    at.switch_page(page).run()
    assert [e for e in errors(at) if "NaN or infinite" in e], errors(at)


def test_an_uploaded_bad_checkpoint_is_one_line_in_the_sidebar_and_the_page_carries_on():
    at = open_page("pages/latent_space.py")
    crafted = with_model_config(DIGITS_VAE.read_bytes(), hidden=[50_000_000])
    at.sidebar.file_uploader(key="upload").upload("evil.safetensors", crafted).run()
    sidebar_errors = [shown(e.value) for e in at.sidebar.error]
    assert sidebar_errors == ["evil.safetensors: the checkpoint's description is invalid "
                              "(a hidden size must be from 1 to 8,192, not 50,000,000)"]
    assert errors(at) == sidebar_errors            # shown once, in the sidebar; the page runs on the picked model
    assert at.session_state["selection"] is not None


def test_an_uploaded_model_of_another_dataset_with_equal_sizes_says_the_dataset_differs():
    data = with_description(DIGITS_VAE.read_bytes(), lambda meta: meta.update(dataset="kmnist"))
    at = open_page("pages/latent_space.py")
    at.sidebar.file_uploader(key="upload").upload("other.safetensors", data).run()
    assert errors(at) == [f"other.safetensors was trained on {DATASETS['kmnist'].title}, not "
                          f"{DATASETS['digits'].title}. Pick its dataset, or another file."]


def test_train_page_hidden_sizes_get_the_config_bounds(models_dir):
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_dataset").set_value("digits").run()
    at.text_input(key="train_hidden_mlp").set_value("100000000").run()
    at.button(key="train_start").click().run()
    assert not at.exception
    messages = [shown(e.value) for e in at.error]
    assert any("a hidden size must be from 1 to 8,192, not 100,000,000" in e for e in messages), messages


def test_an_uploaded_model_opens_on_pca_even_when_the_map_was_on_tsne(monkeypatch):
    """Expensive work per upload is bounded: a byte-different upload never starts a t-SNE by itself."""
    import lvm_core.maps.projection as projection

    at = open_page("pages/latent_space.py")
    at.radio(key="map_method").set_value("tsne").run()      # the digits VAE ships its t-SNE map: nothing computed
    assert not at.exception and at.radio(key="map_method").value == "tsne"
    monkeypatch.setattr(projection, "_tsne", lambda *a, **k: pytest.fail("t-SNE computed for an upload"))
    data = with_description(DIGITS_VAE.read_bytes(), lambda meta: meta.update(name="a new upload"))
    at.sidebar.file_uploader(key="upload").upload("mine.safetensors", data).run()
    assert errors(at) == []
    assert at.session_state["selection"].ckpt.digest != load_checkpoint(DIGITS_VAE).digest
    assert at.radio(key="map_method").value == "pca"
