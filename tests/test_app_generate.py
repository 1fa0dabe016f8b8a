"""The Generate pages in AppTest (Latent sliders, AE vs VAE, Interpolation) for each shipped model.

An image's URL in AppTest is a hash of its bytes, so "the URL changed" means "the picture changed".
The offline digits models run in the fast suite; MNIST and Fashion-MNIST ones are marked slow.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP, has_dataset, open_page, requires_mnist, shown
from lvm_core.storage.catalog import SHIPPED_DIR, list_models
from waiting import wait_until

SHIPPED = list_models([SHIPPED_DIR])
DATASETS = sorted({e.dataset for e in SHIPPED})


def _param(value, dataset: str, id: str):
    marks = [] if dataset == "digits" else [pytest.mark.slow]
    if not has_dataset(dataset):
        marks.append(pytest.mark.skip(reason=f"{dataset} not in $LVM_DATA_DIR"))
    return pytest.param(value, marks=marks, id=id)


MODELS = [_param(e, e.dataset, e.name) for e in SHIPPED]
PAIRED = [_param(d, d, d) for d in DATASETS
          if any(a.kind == "ae" and any(v.kind == "vae" and v.latent_dim == a.latent_dim and v.dataset == d
                                        for v in SHIPPED) for a in SHIPPED if a.dataset == d)]


@pytest.fixture
def server_decoding(monkeypatch):
    """The Latent sliders page's server-side path (the fallback of live decoding): Streamlit sliders."""
    monkeypatch.setenv("LVM_LIVE_DECODING", "0")


def scored(at: AppTest, timeout: float = 120) -> list[str]:
    """The grids' score lines, rerunning the page until the background scorer has filled in all three
    (the first view shows the grids without waiting for them)."""
    def three_lines():
        lines = [m.value for m in at.markdown if "Fréchet distance" in m.value]
        if len(lines) != 3:
            at.run()
        return lines if len(lines) == 3 else None

    return wait_until(three_lines, timeout, "three score lines", every=0.2)


def image_urls(at: AppTest) -> list[str]:
    return [url for image in at.image for url in image.value]


def seed_input(at: AppTest):
    """The AE vs VAE page's Seed input (its key carries the seed, so it is found by its label)."""
    return next(n for n in at.number_input if n.label == "Seed")


def decoded(at: AppTest) -> str:
    """URL of the Latent sliders page's decoded image (a conditional model's: "decode(z, y)")."""
    [url] = [u for image in at.image for u, c in zip(image.value, image.captions) if c in ("decode(z)", "decode(z, y)")]
    return url


@pytest.mark.usefixtures("server_decoding")
@pytest.mark.parametrize("entry", MODELS)
def test_sliders_move_and_the_image_changes(entry):
    at = open_page("pages/sliders.py", entry.dataset, str(entry.path))
    assert at.title[0].value == "Latent sliders"
    assert len(at.slider) == min(entry.latent_dim, 12) + (1 if entry.latent_dim == 2 else 0)
    before = decoded(at)
    latent = [s for s in at.slider if s.label.startswith("z")]    # a 2-d model's plane has its own slider on top
    assert len(latent) == min(entry.latent_dim, 12)
    first = latent[0]
    start = first.value
    assert first.min < start < first.max
    first.set_value(first.max).run()
    assert not at.exception
    moved = decoded(at)
    assert moved != before
    at.button(key="slider_reset").click().run()
    assert decoded(at) == before and next(s for s in at.slider if s.label == first.label).value == pytest.approx(start)
    at.button(key="slider_randomize").click().run()
    assert at.radio(key="slider_start").value == "random" and decoded(at) != before
    if entry.latent_dim > 12:
        assert at.multiselect[0].label.startswith("More dimensions")


@pytest.mark.parametrize("dataset", PAIRED)
def test_new_samples_give_a_different_grid_with_scores(dataset):
    at = open_page("pages/compare.py", dataset)
    assert at.title[0].value.startswith("AE vs VAE")
    grids = image_urls(at)
    assert len(grids) == 3 and len(set(grids)) == 3
    scores = scored(at)
    assert len(scores) == 3, [m.value for m in at.markdown]
    verdicts = [s.split("**")[1] for s in scores]
    assert verdicts[0].startswith("noise → ") and verdicts[2].startswith("fitted prior → "), verdicts
    seed = seed_input(at).value
    at.button(key="new_samples").click().run()
    assert not at.exception
    assert seed_input(at).value == seed + 1
    assert set(image_urls(at)).isdisjoint(grids)
    seed_input(at).set_value(seed).run()
    assert seed_input(at).value == seed
    assert image_urls(at) == grids          # a seed is a grid: the same seed draws the same samples
    seed_input(at).set_value(10**6).run()
    at.button(key="new_samples").click().run()
    assert not at.exception and seed_input(at).value == 0   # the last seed wraps round


@pytest.mark.parametrize("content, message", [(None, None), (b"not a classifier", "Sample quality cannot be scored")])
def test_a_missing_or_damaged_classifier_leaves_the_grids_without_scores(tmp_path, monkeypatch, content, message):
    from lvm_app import cache
    from lvm_core.analysis import quality

    if content is not None:
        (tmp_path / "digits-lenet.safetensors").write_bytes(content)
    monkeypatch.setattr(quality, "CLASSIFIER_DIR", tmp_path)
    cache.classifier.clear()
    try:
        at = AppTest.from_file(APP, default_timeout=120)
        at.session_state["dataset"] = "digits"
        at.run()
        at.switch_page("pages/compare.py").run()
    finally:
        cache.classifier.clear()
    assert not at.exception
    assert [shown(e.value).split(":")[0] for e in at.error] == ([message] if message else [])
    assert len(image_urls(at)) == 3
    assert [m.value for m in at.markdown if m.value.startswith("No sample-quality score")] != []


def frechet(at: AppTest) -> list[float]:
    return [float(line.split("**")[3].split()[-1]) for line in scored(at)]


@pytest.mark.slow
@requires_mnist
def test_the_tutorial_pair_shows_the_lesson_in_numbers():
    """Default pair on MNIST is the tutorial shape (mlp, z=32): the VAE's N(0, I) samples score far better
    than the AE's, and a mixture fitted to the AE's codes fixes the AE."""
    names = {e.name for e in SHIPPED}
    if not {"mnist-ae-mlp-32", "mnist-vae-mlp-32"} <= names:
        pytest.skip("the tutorial pair is not trained yet")
    at = open_page("pages/compare.py", "mnist")
    assert Path(at.selectbox(key="pair_ae").value).stem == "mnist-ae-mlp-32"
    assert Path(at.selectbox(key="pair_vae").value).stem == "mnist-vae-mlp-32"
    ae, vae, ae_gmm = frechet(at)
    assert vae < 130 and ae > 250 and ae_gmm < vae
    assert [line.split("**")[1] for line in scored(at)] == ["noise → mush", "noise → digits", "fitted prior → digits"]


@pytest.mark.slow
@requires_mnist
def test_the_chosen_pair_survives_a_switch_between_compare_and_interpolation():
    """Streamlit forgets a widget's state on a page without it; the pair is kept for both pages."""
    conv = [e for e in SHIPPED if e.dataset == "mnist" and e.arch == "conv" and e.latent_dim == 32]
    if len(conv) < 2:
        pytest.skip("the MNIST conv pair is not trained yet")
    at = open_page("pages/compare.py", "mnist")
    ae_conv = next(str(e.path) for e in conv if e.kind == "ae")
    at.selectbox(key="pair_ae").set_value(ae_conv).run()
    assert Path(at.selectbox(key="pair_vae").value).stem == "mnist-vae-conv-32"   # follows the AE's shape
    at.switch_page("pages/interpolate.py").run()
    assert at.selectbox(key="pair_ae").value == ae_conv
    at.switch_page("pages/compare.py").run()
    assert at.selectbox(key="pair_ae").value == ae_conv and not at.exception


@pytest.mark.parametrize("dataset", PAIRED)
def test_interpolation_filmstrips_gif_and_method(dataset):
    at = open_page("pages/interpolate.py", dataset)
    assert at.title[0].value == "Interpolation"
    a, b = at.number_input(key="interp_a").value, at.number_input(key="interp_b").value
    assert a != b
    strips = image_urls(at)
    assert len(strips) == 4                 # two endpoints, AE and VAE filmstrips
    assert [d.label for d in at.get("download_button")][0].startswith("Download as GIF")
    at.radio(key="interp_method").set_value("spherical").run()
    assert not at.exception
    after = image_urls(at)
    assert after[:2] == strips[:2] and after[2:] != strips[2:]
    at.slider(key="interp_steps").set_value(4).run()
    assert image_urls(at)[2:] != after[2:]


@pytest.mark.usefixtures("server_decoding")
def test_sliders_start_from_the_point_selected_on_the_map():
    digits = next(e for e in SHIPPED if e.name == "digits-vae-mlp-8")
    mean = open_page("pages/sliders.py", "digits", str(digits.path))
    assert mean.radio(key="slider_start").value == "mean"
    picked = open_page("pages/sliders.py", "digits", str(digits.path), selected_index=5)
    assert picked.radio(key="slider_start").value == "selected"
    assert decoded(picked) != decoded(mean)


@pytest.fixture
def two_d_model(tmp_path, monkeypatch, digits_2d_vae):
    """A 2-d digits VAE in the user models folder (the shipped 2-d model is an MNIST one)."""
    from lvm_app.cache import models

    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path))
    models.clear()                          # the model list is cached for a few seconds
    yield digits_2d_vae(tmp_path)
    models.clear()


@pytest.mark.usefixtures("server_decoding")
def test_a_2d_model_shows_the_decoded_plane(two_d_model):
    at = open_page("pages/sliders.py", "digits", str(two_d_model))
    assert [h.value for h in at.subheader][0] == "The decoded plane"        # at the top (#15)
    labels = [s.label for s in at.slider]     # z0, z1 in plane order, each naming the factor it tracks most
    assert labels[0] == "Images per side" and labels[1].startswith("z0 · ") and labels[2].startswith("z1 · ")
    assert at.slider(key="plane_n").value == 16
    assert [i.value for i in at.info] == ["Click a spot of the plane."]
    at.slider(key="plane_n").set_value(10).run()
    assert not at.exception


def test_the_why_histograms_share_one_x_axis_and_verdicts_follow_the_scores():
    import numpy as np

    from lvm_app.generate import prior_histograms
    from lvm_app.samples import verdict
    from lvm_core.analysis.quality import SampleQuality

    rng = np.random.default_rng(0)
    codes = {"AE": rng.normal(0, 8, (500, 4)), "VAE": rng.normal(0, 1, (500, 4))}
    fig = prior_histograms(codes, {"AE": [0, 1], "VAE": [0, 1]})
    ranges = {tuple(axis["range"]) for name, axis in fig.layout.to_plotly_json().items() if name.startswith("xaxis")}
    assert len(ranges) == 1 and min(ranges)[0] < -15      # the AE's wide spread sets the VAE's axis too
    good, bad = SampleQuality(30.0, 0.9, 2000), SampleQuality(400.0, 0.5, 2000)
    assert verdict("normal", bad, [good, bad], "mnist") == "noise → mush"
    assert verdict("gmm", good, [good, bad], "fashion-mnist") == "fitted prior → clothes"
