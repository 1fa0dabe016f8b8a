"""AppTest of the Latent space page's map: with no browser the live component cannot run, so the page
draws today's st.plotly_chart with a one-line note; the colouring and points-slider defaults."""
import json

import numpy as np
import pytest

from conftest import ROOT, open_page

VAE = str(ROOT / "checkpoints" / "digits-vae-mlp-8.safetensors")
AE = str(ROOT / "checkpoints" / "digits-ae-mlp-8.safetensors")
PAGE = "pages/latent_space.py"


pytestmark = pytest.mark.usefixtures("isolated")   # conftest.py


def test_without_a_browser_the_map_is_drawn_by_plotly_chart_with_a_note():
    at = open_page(PAGE, model_path=VAE, map_method="pca")
    assert at.get("plotly_chart"), "the server-drawn map"
    notes = [c.value for c in at.caption if c.value.startswith("Server-drawn map")]
    assert len(notes) == 1 and "\n" not in notes[0]


def test_a_split_with_one_size_has_no_points_slider():
    at = open_page(PAGE, model_path=VAE)   # digits' test split: 360 images
    assert not [s for s in at.get("select_slider") if s.label == "Points on the map"]
    shipped = [c.value for c in at.caption if c.value.startswith("t-SNE, 360 points (shipped with the model)")]
    assert len(shipped) == 1 and "took" not in shipped[0]   # no "took 52.5 s" for a map nobody waited for


@pytest.mark.parametrize("path", [VAE, AE])
def test_colouring_by_one_dimension_starts_on_the_most_used_one(path):
    from lvm_core import load_checkpoint, load_dataset
    from lvm_core.generation.inference import encode_split
    from lvm_core.generation.latent import dimension_importance

    at = open_page(PAGE, model_path=path, map_method="pca", map_colour="one latent dimension")
    ckpt, data = load_checkpoint(path), load_dataset("digits", "test")
    enc = encode_split(ckpt.model, data.images, data.labels)
    most_used = int(np.argmax(dimension_importance(enc.codes, enc.logvar)))   # VAE: KL; AE: variance
    assert at.number_input(key="map_colour_dim").value == most_used
    chart = at.get("plotly_chart")[0].proto.spec
    axis = json.loads(chart)["layout"]["coloraxis"]
    assert axis["cmin"] == pytest.approx(-axis["cmax"])   # a diverging scale centred at 0


def test_component_assets_load_nothing_from_a_cdn():
    """Demos run offline: every script the components ship is served by the app, none names a CDN."""
    import re
    from pathlib import Path

    assets = sorted((Path(__file__).resolve().parent.parent / "lvm_app" / "components").rglob("*.js"))
    assert any(a.name == "plotly-gl2d.min.js" for a in assets)
    cdn = re.compile(r"https?://(cdn\.|unpkg\.com|cdnjs\.|[\w.]*jsdelivr\.net)")
    assert [a.name for a in assets if cdn.search(a.read_text(encoding="utf8"))] == []
