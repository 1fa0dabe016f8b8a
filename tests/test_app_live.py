"""Live decoding in AppTest: the components get the decoder's weights once per session, and every page
falls back to server-side decoding, with a one-line note, where the component cannot run.
(AppTest does not run components' JavaScript: tests/test_browser_live.py drives them in Chromium.)"""
from __future__ import annotations

import json

import numpy as np

from conftest import open_page
from lvm_core.storage.catalog import SHIPPED_DIR

DIGITS_VAE = str(SHIPPED_DIR / "digits-vae-mlp-8.safetensors")
NOTE = "Live decoding is off"


def component_data(at, name: str) -> dict:
    [element] = [e for e in at.get("bidi_component") if e.proto.component_name == name]
    return json.loads(element.proto.json)


def notes(at) -> list[str]:
    return [c.value for c in at.caption if c.value.startswith(NOTE)]


def test_sliders_component_gets_the_weights_once_per_session():
    at = open_page("pages/sliders.py", "digits", DIGITS_VAE)
    data = component_data(at, "lvm_latent_sliders")
    assert data["payload"]["latent_dim"] == 8 and data["payload"]["digest"] == data["digest"]
    assert [d["d"] for d in data["dims"]] and len(data["code"]) == 8
    assert not notes(at) and not at.slider                     # the browser draws; no server sliders
    at.run()                                                   # a rerun (e.g. a release) sends no weights
    assert component_data(at, "lvm_latent_sliders")["payload"] is None
    at.button(key="slider_randomize").click().run()            # a new start: new code, still no weights
    again = component_data(at, "lvm_latent_sliders")
    assert again["payload"] is None and again["code"] != data["code"]


def test_sliders_fall_back_to_the_server_with_a_note(monkeypatch):
    monkeypatch.setenv("LVM_LIVE_DECODING", "0")
    at = open_page("pages/sliders.py", "digits", DIGITS_VAE)
    assert len(notes(at)) == 1 and not at.get("bidi_component")
    assert len(at.slider) == 8
    assert any(c == "decode(z)" for image in at.image for c in image.captions)


def test_a_model_the_browser_cannot_run_falls_back(monkeypatch):
    import lvm_app.components as components
    from lvm_core.generation.export import ExportError

    def cannot(ckpt):
        raise ExportError("the browser decoder cannot run a Tanh layer")

    monkeypatch.setattr(components, "decoder_payload", cannot)
    at = open_page("pages/sliders.py", "digits", DIGITS_VAE)
    assert notes(at) and "Tanh" in notes(at)[0] and len(at.slider) == 8


def plane_traces(at) -> dict[str, bool]:
    """name -> visible of the decoded plane's traces."""
    [chart] = [c for c in at.get("plotly_chart") if "clicked spot" in c.proto.spec or "sliders' code" in c.proto.spec]
    return {t.get("name"): t.get("visible", True) for t in json.loads(chart.proto.spec)["data"]}


def test_a_2d_plane_marks_the_sliders_code_and_hides_the_dots(tmp_path, monkeypatch, digits_2d_vae):
    from lvm_app.cache import models

    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path))
    models.clear()
    at = open_page("pages/sliders.py", "digits", str(digits_2d_vae(tmp_path)))
    assert at.subheader[0].value == "The decoded plane"
    assert [d["d"] for d in component_data(at, "lvm_latent_sliders")["dims"]] == [0, 1]
    traces = plane_traces(at)
    assert traces["sliders' code"] is True and "clicked spot" not in traces
    assert all(traces[str(c)] is True for c in range(10))
    at.toggle(key="plane_dots").set_value(False).run()
    traces = plane_traces(at)
    assert all(traces[str(c)] is False for c in range(10)) and traces["sliders' code"] is True
    models.clear()


def test_interpolation_opens_on_a_contrasting_pair_and_scrubs_on_the_server_as_fallback(monkeypatch):
    at = open_page("pages/interpolate.py", "digits")
    a, b = at.number_input(key="interp_a").value, at.number_input(key="interp_b").value
    data = component_data(at, "lvm_path_scrubber")
    assert [m["label"] for m in data["models"]] == ["AE", "VAE"] and all(m["payload"] for m in data["models"])
    assert not notes(at)

    from lvm_app.pair import load
    from lvm_core.generation.latent import contrasting_pair
    from lvm_app import cache

    ae, vae = (load(at.selectbox(key=k).value) for k in ("pair_ae", "pair_vae"))
    codes = [cache.encoded(c.digest, c, "test") for c in (ae, vae)]
    assert (a, b) == contrasting_pair(ae.model, vae.model, codes[0].codes, codes[1].codes, codes[0].labels)

    monkeypatch.setenv("LVM_LIVE_DECODING", "0")
    at.run()
    assert len(notes(at)) == 1 and not at.get("bidi_component")
    frames = [u for image in at.image for u, c in zip(image.value, image.captions) if c.startswith(("AE,", "VAE,"))]
    at.slider(key="interp_t").set_value(0.9).run()
    moved = [u for image in at.image for u, c in zip(image.value, image.captions) if c.startswith(("AE,", "VAE,"))]
    assert len(frames) == len(moved) == 2 and set(frames).isdisjoint(moved)


def test_contrasting_pair_prefers_walks_that_differ():
    """A VAE that equals the AE gives no contrast; one that differs on a single pair's walk picks that pair."""
    from lvm_core import ModelConfig, build_model
    from lvm_core.generation.latent import contrasting_pair

    model = build_model(ModelConfig(kind="ae", image_shape=(1, 8, 8), latent_dim=2, hidden=(8,)), seed=0).eval()
    labels = np.arange(40) % 4
    codes = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
    moved = codes.copy()
    a, b = contrasting_pair(model, model, codes, codes, labels)        # any pair, all gaps 0
    assert labels[a] != labels[b]
    moved[[a, b]] += 5.0                                               # only this pair's walk changes
    assert contrasting_pair(model, model, codes, moved, labels) == (a, b)


def test_a_browser_that_cannot_decode_switches_the_session_to_the_server():
    """The component's "failed" report (tests/test_browser_decoder.py) is kept for the session: server decoding."""
    at = open_page("pages/sliders.py", "digits", DIGITS_VAE,
                   _lvm_live_failed="the browser could not run the decoder: no WebAssembly")
    assert notes(at) and "no WebAssembly" in notes(at)[0] and len(at.slider) == 8
