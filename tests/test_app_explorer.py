"""AppTest: every page renders for each shipped model; the Latent Space page shows a point and a
selection; bad uploads give one clear message and the app keeps working."""
from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP, ROOT, assert_clean, has_dataset, shown

PAGES = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))


def shipped_models() -> list[Path]:
    """The shipped checkpoints the app lists (the catalog skips unreadable files)."""
    from lvm_core.storage.catalog import SHIPPED_DIR, list_models

    return [e.path for e in list_models([SHIPPED_DIR])]


SHIPPED = shipped_models()
TIMEOUT = 240


pytestmark = pytest.mark.usefixtures("isolated")   # conftest.py


def describe(path: Path) -> dict:
    from lvm_core.storage.checkpoints import read_description

    return read_description(path)


def app_on(path: Path) -> AppTest:
    """The app with a model chosen in the sidebar, before its first run."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["dataset"] = describe(path)["dataset"]
    at.session_state["model_path"] = str(path)
    at.session_state["map_n"] = 1_000   # small maps: the suite stays fast
    return at


def model_params(digits: bool):
    found = [p for p in SHIPPED if (describe(p)["dataset"] == "digits") == digits]
    return [pytest.param(p, id=p.stem) for p in found] or [pytest.param(None, marks=pytest.mark.skip("none shipped"))]


def run_every_page(path: Path) -> None:
    """Each page, with the router's sidebar holding this model, draws its title and raises nothing."""
    from lvm_core import load_checkpoint

    title = load_checkpoint(path).title
    at = app_on(path)
    at.run()
    assert_clean(at, f"{path.stem} default page")
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at, f"{path.stem} {page}")
        assert at.title, f"{path.stem} {page}: no title"
        assert title in [c.value for c in at.sidebar.caption], f"{path.stem} {page}: sidebar lost the model"


@pytest.mark.parametrize("path", model_params(digits=True))
def test_every_page_renders_for_each_digits_model(path):
    run_every_page(path)


@pytest.mark.slow
@pytest.mark.parametrize("path", model_params(digits=False))
def test_every_page_renders_for_each_shipped_28x28_model(path):
    if not has_dataset(describe(path)["dataset"]):
        pytest.skip(f"{describe(path)['dataset']} not in $LVM_DATA_DIR")
    run_every_page(path)


def digits_vae() -> Path:
    path = ROOT / "checkpoints" / "digits-vae-mlp-8.safetensors"
    if not path.exists():
        pytest.skip("digits-vae-mlp-8 not trained yet")
    return path


def test_latent_space_shows_a_map_with_its_trustworthiness_and_a_typed_point():
    at = app_on(digits_vae())
    at.session_state["map_method"] = "pca"
    at.run()
    assert_clean(at, "first run")
    assert at.title[0].value == "Latent space"
    assert any("Trustworthiness" in c.value for c in at.caption)
    assert not [m for m in at.markdown if m.value.startswith("**Point")]
    at.number_input(key="point_box").set_value(17).run()
    assert_clean(at, "typed point")
    from lvm_core import load_dataset

    label = int(load_dataset("digits", "test").labels[17])
    assert any(m.value.startswith(f"**Point 17** · class **{label}**") for m in at.markdown)
    assert at.session_state["selected_index"] == 17
    captions = [c for image in at.get("image") for c in image.captions]
    assert captions[:3] == ["original x", "reconstruction x̂", "|x − x̂| (white = off by 1)"]
    assert any("q(z|x)" in c for c in captions)   # a VAE: samples from its posterior


def test_a_region_selection_shows_a_gallery_and_a_csv():
    at = app_on(digits_vae())
    at.session_state["map_method"] = "pca"
    at.session_state["selected_indices"] = [3, 5, 8]
    at.session_state["selection_of"] = ("digits", "test")
    at.run()
    assert_clean(at, "gallery")
    assert any(m.value.startswith("**3 points selected**") for m in at.markdown)
    assert at.get("download_button")


@pytest.mark.parametrize("colour", ["reconstruction error", "one latent dimension"])
def test_colouring_by_error_or_a_dimension(colour):
    at = app_on(digits_vae())
    at.session_state["map_method"] = "pca"
    at.session_state["map_colour"] = colour
    at.run()
    assert_clean(at, colour)


def test_3d_tsne_map_of_the_digits():
    at = app_on(digits_vae())
    at.session_state["map_method"] = "tsne"
    at.session_state["map_3d"] = True
    at.run()
    assert_clean(at, "3-D t-SNE")
    assert any(c.value.startswith("t-SNE, 360 points") for c in at.caption)


def test_a_map_worker_killed_mid_map_is_one_line_on_the_page_and_stores_nothing(monkeypatch):
    """t-SNE runs in the map worker process (lvm_core/jobs/maps.py); killed mid-map, the page says so and the
    map is not in the store; asked again, it is drawn."""
    import os
    import signal

    from lvm_app import cache
    from lvm_core.jobs.maps import MapWorker

    class Killed(MapWorker):
        kills = 0

        def compute(self, key, split_arrays, progress=None, on_done=None):
            def kill_on_first_iteration(fraction, text):
                if "iteration" in text and self._process is not None and not Killed.kills:
                    Killed.kills += 1
                    os.kill(self._process.pid, signal.SIGKILL)
            return super().compute(key, split_arrays, kill_on_first_iteration, on_done)

    worker = Killed(warm_umap=False)
    monkeypatch.setattr(cache, "map_worker", lambda: worker)
    cache.map_store.clear()   # a store of this test's cache folder, holding no map of an earlier test
    at = app_on(digits_vae())
    at.session_state["map_method"] = "tsne"
    at.session_state["map_3d"] = True     # no 3-D t-SNE map is shipped: it has to be computed
    at.run()
    errors = [e.value for e in at.error]
    assert Killed.kills == 1 and len(errors) == 1 and "\n" not in errors[0]
    assert errors[0].startswith("Cannot draw this map: the map's worker process ended before the map was done")
    assert not [c for c in at.caption if c.value.startswith("t-SNE, 360 points")]
    store = cache.map_store().write_dir
    assert not store.exists() or not list(store.iterdir()), "nothing stored"
    at.run()   # asked again: a fresh worker draws it
    assert_clean(at, "3-D t-SNE after a killed worker")
    assert any(c.value.startswith("t-SNE, 360 points (computed now") for c in at.caption)
    worker._process.kill()


# --- bad uploads, through the sidebar's checkpoint uploader ---

def _truncated() -> bytes:
    return digits_vae().read_bytes()[:200]


def _not_a_checkpoint() -> bytes:
    header = json.dumps({"__metadata__": {"other": "tool"}}).encode()
    return struct.pack("<Q", len(header)) + header


def _mnist_model() -> bytes:
    from lvm_core import ModelConfig, build_model
    from lvm_core.storage.checkpoints import checkpoint_bytes

    model = build_model(ModelConfig(kind="ae", arch="mlp", image_shape=(1, 28, 28), latent_dim=4, hidden=(8,)))
    return checkpoint_bytes(model, dataset="mnist", class_names=[str(i) for i in range(10)])


BAD_UPLOADS = {
    "text file": (lambda: b"hello, I am not a model", "not a checkpoint"),
    "safetensors of another tool": (_not_a_checkpoint, "not an LVM Explorer checkpoint"),
    "truncated": (_truncated, "truncated"),
    "pickle": (lambda: b"PK\x03\x04" + b"\x00" * 64, "pickle"),
    "other image size": (_mnist_model, "28x28"),
}


@pytest.mark.parametrize("what", list(BAD_UPLOADS))
def test_bad_upload_gives_one_clear_message_and_the_app_keeps_working(what):
    make, expected = BAD_UPLOADS[what]
    at = app_on(digits_vae())
    at.session_state["map_method"] = "pca"
    at.run()
    assert_clean(at, "before the upload")
    at.file_uploader(key="upload").set_value(("upload.safetensors", make(), "application/octet-stream")).run()
    assert not at.exception, [e.value for e in at.exception]
    messages = [shown(e.value) for e in at.error]
    assert len(messages) == 1 and expected in messages[0], messages
    assert "\n" not in messages[0].strip()
    # the app keeps working on the model chosen before: its map is drawn
    assert at.title[0].value == "Latent space"
    assert any("Trustworthiness" in c.value for c in at.caption)


def test_a_good_upload_is_used_in_place_of_the_chosen_model():
    from lvm_core import ModelConfig, build_model
    from lvm_core.storage.checkpoints import checkpoint_bytes

    model = build_model(ModelConfig(kind="vae", arch="mlp", image_shape=(1, 8, 8), latent_dim=3, hidden=(8,)))
    data = checkpoint_bytes(model, dataset="digits", class_names=[str(i) for i in range(10)], name="mine")
    at = app_on(digits_vae())
    at.session_state["map_method"] = "pca"
    at.run()
    at.file_uploader(key="upload").set_value(("mine.safetensors", data, "application/octet-stream")).run()
    assert_clean(at, "good upload")
    assert any(c.value == "VAE mlp z=3 on digits" for c in at.sidebar.caption)
    assert any("(3 numbers)" in c.value for c in at.caption)


def test_all_split_is_train_then_test():
    from lvm_core import load_dataset

    at = app_on(digits_vae())
    at.session_state["map_method"] = "pca"
    at.session_state["split"] = "all"
    at.run()
    assert_clean(at, "all split")
    n_train = len(load_dataset("digits", "train"))
    at.number_input(key="point_box").set_value(n_train + 2).run()
    label = int(load_dataset("digits", "test").labels[2])
    assert any(m.value.startswith(f"**Point {n_train + 2}** · class **{label}**") for m in at.markdown)


@pytest.mark.skipif(not has_dataset("mnist"), reason="MNIST not in $LVM_DATA_DIR")
def test_online_without_mnist_on_disk_the_app_downloads_it_and_opens_on_mnist(tmp_path, monkeypatch):
    from lvm_app import cache
    from lvm_core import load_dataset
    from lvm_core.data.builtin import TORCHVISION_FILES, default_data_dir

    shared = default_data_dir().resolve() / "MNIST" / "raw"
    fetched = []

    def download(name, split, data_dir):   # torchvision's download, with the network replaced by a link
        raw = Path(data_dir) / "MNIST" / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for file in TORCHVISION_FILES:
            if not (raw / file).exists():
                (raw / file).symlink_to(shared / file)
        fetched.append((name, split))
        return load_dataset(name, split, data_dir)

    monkeypatch.setenv("LVM_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(cache, "load_dataset", download)
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert_clean(at, "online")
    assert fetched == [("mnist", "train"), ("mnist", "test")] and not at.sidebar.info
    assert at.sidebar.selectbox(key="dataset").value == "mnist"


def test_offline_without_mnist_the_app_says_so_once_and_opens_on_digits(tmp_path, monkeypatch):
    monkeypatch.setenv("LVM_DATA_DIR", str(tmp_path / "no_data"))
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert_clean(at, "offline")
    assert [i.value for i in at.sidebar.info] == [
        "MNIST is not available offline: showing the bundled 8×8 digits models."]
    assert at.sidebar.selectbox(key="dataset").value == "digits"
    assert Path(at.sidebar.selectbox(key="model_path").value).name == "digits-vae-mlp-8.safetensors"
    assert any(c.value.startswith("t-SNE, 360 points (shipped") for c in at.caption)
