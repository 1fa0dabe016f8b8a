"""Shared fixtures. Tests never download: datasets come from $LVM_DATA_DIR (CI: ../shared/data)."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from lvm_core.startup import configure

ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("LVM_DATA_DIR", str(ROOT.parent / "shared" / "data"))
# .streamlit/config.toml shows users an error's type only; tests need the whole error: servers started by
# browser tests read the variable, AppTest (which reads the file) the option set here.
os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")


def _show_full_errors_in_apptest() -> None:
    from streamlit import config

    config.get_option("client.showErrorDetails")   # parse the config files first, then override them
    config.set_option("client.showErrorDetails", "full")


_show_full_errors_in_apptest()
configure()


def has_dataset(name: str) -> bool:
    from lvm_core.data.datasets import is_available

    return is_available(name)


requires_mnist = pytest.mark.skipif(not has_dataset("mnist"), reason="MNIST not in $LVM_DATA_DIR")


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """Computed maps go to a temp folder; user models come from an empty one (only shipped models show)."""
    monkeypatch.setenv("LVM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path / "user_models"))


@pytest.fixture(scope="session")
def blobs():
    """Three well separated clusters of 8-d codes: (codes (300, 8) float32, labels (300,))."""
    import numpy as np

    rng = np.random.default_rng(0)
    centres = rng.normal(scale=10, size=(3, 8))
    labels = np.repeat(np.arange(3), 100)
    return (centres[labels] + rng.normal(size=(300, 8))).astype(np.float32), labels


@pytest.fixture(scope="session")
def digits():
    """The offline 8x8 digits: (train, test) ImageDatasets."""
    from lvm_core import load_dataset

    return load_dataset("digits", "train"), load_dataset("digits", "test")


# --- Real-browser fixtures (lvm_app/harness.py has the helpers; mark tests @pytest.mark.browser) ---

@pytest.fixture(scope="session")
def app_models_dir(tmp_path_factory) -> Path:
    """LVM_MODELS_DIR of the app server: empty at start, so only shipped models (and what a test puts here) show."""
    return tmp_path_factory.mktemp("app_user_models")


@pytest.fixture(scope="session")
def app_url(app_models_dir, tmp_path_factory):
    """URL of one `streamlit run streamlit_app.py` for the whole session (headless, free localhost port)."""
    from lvm_app.harness import AppServer

    folder = tmp_path_factory.mktemp("app_server")
    # LVM_WARM_UP=0: no background UMAP compilation (a minute of CPU) competing with the tests;
    # LVM_CACHE_DIR: computed maps go to a temp folder (shipped ones are still read).
    server = AppServer(env={"LVM_DATA_DIR": os.environ["LVM_DATA_DIR"], "LVM_MODELS_DIR": str(app_models_dir),
                            "LVM_WARM_UP": "0", "LVM_CACHE_DIR": str(folder / "cache")},
                       log_path=folder / "streamlit.log")
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def chromium_browser():
    """One headless Debian chromium for the session; skips when /usr/bin/chromium is missing."""
    from lvm_app.harness import CHROMIUM, launch_chromium

    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium; CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch_chromium(p)
        yield browser
        browser.close()


@pytest.fixture
def projector_page(chromium_browser, request):
    """A fresh page the size of a projector: parametrize it indirectly with (width, height)."""
    width, height = request.param
    context = chromium_browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield page
    context.close()


@pytest.fixture
def browser_page(chromium_browser):
    """A fresh page in its own browser context (own cookies, so its own Streamlit session), 1400x1000."""
    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    yield page
    context.close()


# --- Generate pages (Latent sliders' decoded plane needs a 2-d model; the shipped one is an MNIST model) ---

@pytest.fixture(scope="session")
def digits_2d_vae():
    """make(folder) -> path of a 2-d digits VAE saved there (2 epochs, under a second): a small 2-d latent model."""
    def make(folder: Path) -> Path:
        from lvm_core import ModelConfig, TrainConfig, build_model, fit, load_dataset, save_checkpoint

        train = load_dataset("digits", "train")
        model = build_model(ModelConfig(kind="vae", image_shape=(1, 8, 8), latent_dim=2, hidden=(32,)))
        fit(model, train.images, TrainConfig(epochs=2, batch_size=64))
        return save_checkpoint(Path(folder) / "digits-vae-2.safetensors", model.eval(), dataset="digits",
                               class_names=train.class_names, name="digits-vae-2")
    return make


# --- AppTest of the whole app (router + shared sidebar + a page) ---

APP = str(ROOT / "streamlit_app.py")   # AppTest.from_file(APP), then at.switch_page("pages/<name>.py")


def shown(markdown: str) -> str:
    """A message as the page shows it: the app escapes the user's text in markdown (lvm_core.text.markdown_plain)."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown)


def assert_clean(at, where: str = "") -> None:
    """No exception and no st.error on the AppTest's last run."""
    assert not at.exception, f"{where}: {[e.value for e in at.exception]}"
    assert not at.error, f"{where}: {[e.value for e in at.error]}"


def open_page(page: str, dataset: str = "digits", model_path: str | None = None, split: str = "test", **state):
    """An AppTest session on one page (its path, "pages/<name>.py"), with the sidebar's dataset, model and
    split chosen; `state` (session_state keys) is set after the first run, which resets a selection."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset"] = dataset
    at.session_state["split"] = split
    if model_path:
        at.session_state["model_path"] = model_path
    at.run()
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page).run()
    assert_clean(at, page)
    return at
