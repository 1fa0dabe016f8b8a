"""Your own images: ImageFolder folders (grey, colour, unlabelled), .npz files, datasets.toml, bad
files reported one message each, and a colour model through training, maps and the app's pages."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from conftest import APP, ROOT, assert_clean
from lvm_core import DATASETS, ModelConfig, TrainConfig, build_model, fit, load_dataset, save_checkpoint
from lvm_core.errors import DatasetUnavailable
from lvm_core.data.own import PROBLEMS, dataset_name, register_declared


def make_folder(root: Path, classes=("circle", "square"), per_class: int = 10, side: int = 20,
                colour: bool = False, seed: int = 0) -> Path:
    """An ImageFolder tree: class c's images are brighter in channel c (so classes differ)."""
    rng = np.random.default_rng(seed)
    for c, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, (side, side, 3), dtype=np.uint8)
            pixels[..., c % 3] += 150
            img = Image.fromarray(pixels, "RGB")
            (img if colour else img.convert("L")).save(root / name / f"{i:03d}.png")
    return root


def test_grey_folder_loads_with_classes_a_fixed_split_and_28x28_images(tmp_path):
    name = dataset_name(str(make_folder(tmp_path / "grey", per_class=10)))
    train, test = load_dataset(name, "train"), load_dataset(name, "test")
    assert DATASETS[name].image_shape == (1, 28, 28) and train.class_names == ("circle", "square")
    assert train.images.shape[1:] == (1, 28, 28) and train.images.dtype == torch.float32
    assert len(train) == 16 and len(test) == 4 and sorted(test.labels.tolist()) == [0, 0, 1, 1]
    assert 0 <= float(train.images.min()) and float(train.images.max()) <= 1
    again = load_dataset(name, "test")
    assert torch.equal(again.images, test.images)
    assert not set(map(bytes, train.images.numpy())) & set(map(bytes, test.images.numpy()))


def test_colour_folder_keeps_three_channels_and_a_chosen_size(tmp_path):
    name = dataset_name(str(make_folder(tmp_path / "colour", colour=True)), size=16)
    assert name.endswith("@16")
    train = load_dataset(name, "train")
    assert train.images.shape[1:] == (3, 16, 16) == DATASETS[name].image_shape
    # class 0 is bright in red, class 1 in green
    means = train.images.mean(dim=(2, 3))
    assert (means[train.labels == 0, 0] > means[train.labels == 0, 1]).all()
    assert (means[train.labels == 1, 1] > means[train.labels == 1, 0]).all()


def test_a_folder_without_subfolders_is_one_unlabelled_class(tmp_path):
    root = tmp_path / "flat"
    make_folder(root, classes=("x",), per_class=5)
    for p in (root / "x").iterdir():
        p.rename(root / p.name)
    (root / "x").rmdir()
    name = dataset_name(str(root))
    assert DATASETS[name].class_names == ("images",)
    assert len(load_dataset(name, "train")) + len(load_dataset(name, "test")) == 5


def test_bad_files_get_one_message_each_and_good_files_still_load(tmp_path):
    root = make_folder(tmp_path / "mixed", per_class=4)
    (root / "circle" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (root / "square" / "notes.jpg").write_text("hello")
    Image.fromarray(np.zeros((40, 30), np.uint8)).save(root / "square" / "big.png")
    (root / "empty").mkdir()
    name = dataset_name(str(root))
    n = len(load_dataset(name, "train")) + len(load_dataset(name, "test"))
    assert n == 9
    problems = PROBLEMS[name]
    assert sum("broken.png" in p for p in problems) == 1 and sum("notes.jpg" in p for p in problems) == 1
    assert any("mixed sizes" in p and "1 of 9" in p for p in problems)
    assert any("'empty'" in p for p in problems)
    assert len(problems) == 4


def test_a_single_image_or_no_image_is_one_clear_error(tmp_path):
    one = make_folder(tmp_path / "one", classes=("a",), per_class=1)
    with pytest.raises(DatasetUnavailable, match="only one readable image"):
        load_dataset(dataset_name(str(one)), "train")
    none = tmp_path / "none"
    none.mkdir()
    (none / "x.png").write_text("not a picture")
    with pytest.raises(DatasetUnavailable, match="no readable image.*x.png"):
        load_dataset(dataset_name(str(none)), "train")
    with pytest.raises(DatasetUnavailable, match="unknown dataset"):
        dataset_name(str(tmp_path / "missing"))


@pytest.mark.parametrize("shape,dtype", [((30, 12, 12), np.uint8), ((30, 12, 12, 3), np.float32),
                                         ((30, 12, 12, 1), np.float64)])
def test_npz_images_with_string_labels(tmp_path, shape, dtype):
    rng = np.random.default_rng(0)
    images = rng.random(shape)
    images = (images * 255).astype(np.uint8) if dtype == np.uint8 else images.astype(dtype)
    labels = np.array(["cat", "dog", "eel"] * 10)
    path = tmp_path / "pets.npz"
    np.savez(path, images=images, labels=labels)
    name = dataset_name(str(path), size=12)
    train, test = load_dataset(name, "train"), load_dataset(name, "test")
    channels = 3 if len(shape) == 4 and shape[3] == 3 else 1
    assert train.images.shape[1:] == (channels, 12, 12) and train.class_names == ("cat", "dog", "eel")
    assert len(train) + len(test) == 30 and set(test.labels.tolist()) == {0, 1, 2}
    assert float(train.images.max()) <= 1.0


def test_npz_that_would_need_unpickling_or_lacks_images_is_refused(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, images=np.array([object(), object()], dtype=object))
    with pytest.raises(DatasetUnavailable):
        load_dataset(dataset_name(str(path)), "train")
    other = tmp_path / "other.npz"
    np.savez(other, pixels=np.zeros((4, 8, 8)))
    with pytest.raises(DatasetUnavailable, match="no 'images' array"):
        load_dataset(dataset_name(str(other)), "train")


def test_datasets_toml_declares_names_that_join_the_dataset_list(tmp_path, monkeypatch):
    make_folder(tmp_path / "data" / "shapes", colour=True)
    toml = tmp_path / "datasets.toml"
    toml.write_text('[shapes]\npath = "data/shapes"\nsize = 16\ntitle = "Shapes"\n\n[bad]\nsize = 3\n')
    monkeypatch.setenv("LVM_DATASETS", str(toml))
    problems = register_declared()
    assert problems and "[bad]" in problems[0]
    toml.write_text('[shapes]\npath = "data/shapes"\nsize = 16\ntitle = "Shapes"\n')
    assert register_declared() == []
    assert DATASETS["shapes"].title == "Shapes" and DATASETS["shapes"].image_shape == (3, 16, 16)
    assert load_dataset("shapes", "train").images.shape[1:] == (3, 16, 16)
    # a path named on the command line that a declaration covers keeps the declared name
    assert dataset_name(str(tmp_path / "data" / "shapes"), size=16) == "shapes"


def colour_checkpoint(tmp_path: Path, folder: Path) -> tuple[str, Path]:
    name = dataset_name(str(make_folder(folder, classes=("r", "g", "b"), per_class=24, colour=True)), size=16)
    train = load_dataset(name, "train")
    model = build_model(ModelConfig(kind="vae", arch="conv", image_shape=train.image_shape, latent_dim=4,
                                    hidden=(8, 16)), seed=0)
    fit(model, train.images, TrainConfig(epochs=1, batch_size=16))
    path = save_checkpoint(tmp_path / "models" / "colour-vae.safetensors", model.eval(), dataset=name,
                           class_names=train.class_names, name="colour-vae")
    return name, path


def test_a_colour_model_trains_encodes_decodes_and_draws_grids(tmp_path):
    from lvm_core.data.images import make_grid
    from lvm_core.generation.inference import decode, encode_split
    from lvm_core.maps.selection import point_view

    name, path = colour_checkpoint(tmp_path, tmp_path / "rgb")
    from lvm_core import load_checkpoint

    ckpt = load_checkpoint(path)
    test = load_dataset(name, "test")
    enc = encode_split(ckpt.model, test.images, test.labels)
    assert enc.recon.shape == (len(test), 16, 16, 3) and enc.errors.shape == (len(test),)
    grid = make_grid(decode(ckpt.model, np.zeros((4, 4), np.float32)), ncols=2)
    assert grid.shape == (33, 33, 3)
    view = point_view(ckpt.model, test.images, enc.labels, enc.codes, enc.recon, 0, k=3)
    assert view.image.shape == view.recon.shape == (16, 16, 3) and view.neighbour_images.shape == (3, 16, 16, 3)
    np.testing.assert_allclose(view.image, test.images[0].permute(1, 2, 0).numpy())


def test_cli_trains_on_a_folder_path_and_warns_about_bad_files(tmp_path, capsys):
    from lvm_core import load_checkpoint
    from lvm_core.cli.main import main

    root = make_folder(tmp_path / "cli", colour=True)
    (root / "circle" / "bad.png").write_text("no")
    out = tmp_path / "m.safetensors"
    assert main(["train", "--dataset", str(root), "--image-size", "16", "--arch", "conv", "--epochs", "1",
                 "--latent-dim", "2", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "warning: skipped circle/bad.png" in err
    ckpt = load_checkpoint(out)
    assert ckpt.dataset == f"{root.resolve()}@16" and ckpt.config.image_shape == (3, 16, 16)
    assert main(["evaluate", str(out)]) == 0
    assert main(["train", "--dataset", str(tmp_path / "nope"), "--out", str(out)]) == 1
    assert "unknown dataset" in capsys.readouterr().err


PAGES = sorted(f"pages/{p.name}" for p in (ROOT / "pages").glob("*.py"))   # every page, with a colour model


def test_app_pages_show_a_colour_model(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LVM_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path / "models"))
    (tmp_path / "rgb-app" / "r").mkdir(parents=True)
    (tmp_path / "rgb-app" / "r" / "unreadable.png").write_text("not a picture")
    name, path = colour_checkpoint(tmp_path, tmp_path / "rgb-app")
    from lvm_app import cache

    cache.models.clear()   # the model list is cached for a few seconds: an earlier test's models folder
    at = AppTest.from_file(APP, default_timeout=240)
    at.session_state["dataset"] = name
    at.session_state["model_path"] = str(path)
    at.session_state["map_n"] = 1_000
    at.session_state["map_method"] = "pca"   # t-SNE needs more than this test split's 15 images
    at.run()
    assert_clean(at, "colour default page")
    (notes,) = at.sidebar.expander   # the skipped file is reported in the sidebar, once
    assert notes.label == "1 problem reading these images" and "unreadable.png" in notes.caption[0].value
    for page in PAGES:
        at.switch_page(page).run()
        assert_clean(at, page)
    at.switch_page("pages/latent_space.py").run()
    at.number_input(key="point_box").set_value(1).run()
    assert_clean(at, "latent space with a point")
    captions = [c for image in at.get("image") for c in image.captions]
    assert captions[:3] == ["original x", "reconstruction x̂", "|x − x̂| (white = off by 1)"]


def test_an_uploaded_picture_becomes_a_colour_image_of_a_colour_dataset(tmp_path):
    import io

    from lvm_core.data.images import image_from_upload

    name = dataset_name(str(make_folder(tmp_path / "up", colour=True)), size=16)
    picture = np.zeros((40, 60, 3), np.uint8)
    picture[..., 2] = 200                      # all blue
    data = io.BytesIO()
    Image.fromarray(picture).save(data, format="PNG")
    converted = image_from_upload(data.getvalue(), name, "blue.png")
    assert converted.image.shape == (3, 16, 16) and not converted.inverted
    np.testing.assert_allclose(converted.image.mean(axis=(1, 2)), [0, 0, 200 / 255], atol=1e-6)
