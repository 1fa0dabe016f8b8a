"""User text is text, on every page (AppTest): a model whose class names and name are hostile payloads (HTML,
Plotly's tags, links, markdown links, javascript: URLs, formulas, a right-to-left override, Streamlit's own
markdown, a 10 kB name), and a folder of images whose class folders are named so. No element may carry a
payload as markup: markdown escaped (lvm_core.text.markdown_plain), Plotly names as entities (plain), long
names shortened. tests/test_browser_text.py looks at the same in a real browser."""
from __future__ import annotations

import json
import re

import pytest
from google.protobuf import json_format
from streamlit.testing.v1 import AppTest

from checkpoint_craft import with_description
from conftest import APP, ROOT, assert_clean
from lvm_core.storage.catalog import SHIPPED_DIR
from test_text import PAYLOADS

PAGES = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))
CLASS_NAMES = list(PAYLOADS.values())          # ten payloads: one per digit class
HOSTILE_NAME = PAYLOADS["markdown link"] + PAYLOADS["plotly tag"] + PAYLOADS["streamlit markdown"] + "x" * 10_000

# A payload carried as markup: the raw form, not preceded by markdown's backslash or turned into an entity.
# The last three: text that is not clean, in any element.
MARKUP = [re.compile(p) for p in (
    r"(?<!\\)<(span|a |b>|script|img)", r"(?<!\\)\]\(https", r"javascript:alert",
    r":(red\[red\]|smile:|material/home:)", r"(?<!\\)\$x\^2", "\u202e", "\x1b", "x" * 200)]
PLAIN_TEXT = ("selectbox", "multiselect", "select_slider", "text_input", "text_area")


def hostile_model_file(folder, shipped: str = "digits-vae-mlp-8"):
    data = with_description((SHIPPED_DIR / f"{shipped}.safetensors").read_bytes(),
                            lambda meta: meta.update(name=HOSTILE_NAME, class_names=CLASS_NAMES))
    path = folder / f"hostile-{shipped}.safetensors"
    path.write_bytes(data)
    return path


@pytest.fixture
def hostile_vae(tmp_path, monkeypatch):
    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path))
    monkeypatch.setenv("LVM_CACHE_DIR", str(tmp_path / "cache"))
    from lvm_app import cache

    cache.models.clear()
    return hostile_model_file(tmp_path)


def nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from nodes(child)


def plotly_texts(spec: dict) -> list[str]:
    """The strings of a figure that plotly.js renders as its HTML subset: trace names, titles, legend."""
    layout = spec.get("layout", {})
    texts = [t.get("name", "") for t in spec.get("data", [])]
    for title in (layout.get("title"), layout.get("legend", {}).get("title")):
        texts.append(title.get("text", "") if isinstance(title, dict) else str(title or ""))
    return [t for t in texts if t]


def markup_shown(at) -> list[str]:
    """Every place the app shows a payload as markup (empty when all are text)."""
    found = []
    for node in nodes(at._tree):
        proto = getattr(node, "proto", None)
        if proto is None or not hasattr(proto, "SerializeToString"):
            continue
        if node.type == "plotly_chart":
            texts = plotly_texts(json.loads(proto.spec))
            found += [f"plotly {t[:80]!r}" for t in texts if "<" in t or "javascript:" in t or len(t) > 400]
        elif node.type not in ("custom_component", "bidi_component", "component_instance", "imgs", "arrow_data_frame"):
            # a selectbox's options and a text box's value show as plain text: they need only be clean
            patterns = MARKUP[-3:] if node.type in PLAIN_TEXT else MARKUP
            for text in strings(json_format.MessageToDict(proto)):
                found += [f"{node.type} {pattern.pattern!r}: {text[:160]!r}" for pattern in patterns
                          if pattern.search(text)]
    return found


def strings(value) -> list[str]:
    """Every string in a proto's fields (as MessageToDict gives them)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    return [s for item in value for s in strings(item)] if isinstance(value, list) else []


def app_with(path, dataset="digits", **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["dataset"] = dataset
    at.session_state["model_path"] = str(path)
    at.session_state["map_n"] = 1_000
    at.session_state["map_method"] = "pca"
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return at


@pytest.mark.parametrize("page", PAGES)
def test_a_hostile_models_names_are_text_on_every_page(hostile_vae, page, monkeypatch):
    monkeypatch.setenv("LVM_LIVE_MAP", "0")     # the map as a Plotly figure (the live map: tests/test_browser_text)
    at = app_with(hostile_vae)
    at.switch_page(page).run()
    assert_clean(at, page)
    assert markup_shown(at) == [], page


@pytest.mark.parametrize("page", ["pages/compare.py", "pages/sliders.py", "pages/latent_space.py"])
def test_a_hostile_conditional_models_class_names_are_text(hostile_vae, page, monkeypatch):
    """A cvae shows its class names in more places: a class picker, every class's row, the samples' title."""
    monkeypatch.setenv("LVM_LIVE_MAP", "0")
    at = app_with(hostile_model_file(hostile_vae.parent, "digits-cvae-mlp-8"))
    at.switch_page(page).run()
    assert_clean(at, page)
    assert markup_shown(at) == [], page


def test_the_picker_shows_a_hostile_name_shortened_as_text(hostile_vae):
    at = app_with(hostile_vae)
    label = next(o for o in at.sidebar.selectbox(key="model_path").options if "(trained here)" in o)
    assert len(label) < 140 and "\u202e" not in label and "x" * 100 not in label


def test_a_point_and_a_selection_of_a_folder_with_hostile_class_names(tmp_path, monkeypatch):
    from lvm_core import ModelConfig, build_model, load_dataset, save_checkpoint
    from lvm_core.data.own import dataset_name
    from test_own_data import make_folder

    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("LVM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LVM_LIVE_MAP", "0")
    classes = [name.replace("/", "|")[:200] for name in (PAYLOADS["plotly tag"], PAYLOADS["markdown link"],
                                                          PAYLOADS["streamlit markdown"], PAYLOADS["right to left"])]
    name = dataset_name(str(make_folder(tmp_path / "hostile", classes=classes, per_class=20)))
    train = load_dataset(name, "train")
    model = build_model(ModelConfig(kind="vae", image_shape=train.image_shape, latent_dim=2, hidden=(16,)), seed=0)
    path = save_checkpoint(tmp_path / "models" / "mine.safetensors", model.eval(), dataset=name,
                           class_names=train.class_names, name="mine")
    from lvm_app import cache

    cache.models.clear()
    at = app_with(path, dataset=name)
    assert_clean(at, "latent space")
    at.number_input(key="point_box").set_value(1).run()
    assert_clean(at, "a point")
    assert markup_shown(at) == []
    for page in ("pages/anomalies.py", "pages/interpolate.py", "pages/train.py"):
        at.switch_page(page).run()
        assert_clean(at, page)
        assert markup_shown(at) == [], page
