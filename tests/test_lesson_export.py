"""The static lesson (`python -m lvm_core export-lesson`): the folder it writes (the page, the app's own code,
the data), its size, its one-line refusals (a used --out, the wrong models), and the rewrite that turns the
app's component modules into classic scripts. In a real browser: test_browser_lesson.py."""
from __future__ import annotations

import base64
import io
import json
import re
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT, requires_mnist

from lvm_core.cli.main import main
from lvm_core.lesson.assets import COMPONENTS_DIR, SCRIPTS, AssetError, as_classic_script
from lvm_core.lesson.story import STEP_KEYS, STEPS

CHECKPOINTS = ROOT / "checkpoints"
DIGITS_AE, DIGITS_VAE = CHECKPOINTS / "digits-ae-mlp-8.safetensors", CHECKPOINTS / "digits-vae-mlp-8.safetensors"
MNIST_AE, MNIST_VAE = CHECKPOINTS / "mnist-ae-mlp-32.safetensors", CHECKPOINTS / "mnist-vae-mlp-32.safetensors"
FILES = {"index.html", "data/lesson-data.js", "data/map-data.js", "assets/lesson.js", "assets/lesson.css",
         "assets/map.css", "assets/live.css", *(target for target, _, _ in SCRIPTS)}


def run_cli(*args) -> tuple[int, str, str]:
    """python -m lvm_core's main in this process: (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main([str(a) for a in args])
    return code, out.getvalue(), err.getvalue()


def global_of(path: Path, name: str):
    """The value a data file assigns to window.<name>."""
    text = path.read_text()
    prefix = f"window.{name} = "
    assert text.startswith(prefix) and text.endswith(";\n")
    return json.loads(text[len(prefix):-2])


@pytest.fixture(scope="module")
def digits_lesson(tmp_path_factory):
    """The digits pair's lesson, written into an existing empty folder: (folder, stdout, stderr)."""
    out = tmp_path_factory.mktemp("digits-lesson")
    code, stdout, stderr = run_cli("export-lesson", DIGITS_AE, DIGITS_VAE, "--out", out)
    assert code == 0, stderr
    return out, stdout, stderr


def test_the_folder_holds_the_page_and_loads_only_its_own_files(digits_lesson):
    folder = digits_lesson[0]
    written = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    assert written == FILES                                   # no temp file left behind either
    page = (folder / "index.html").read_text()
    loaded = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page)
    assert len(loaded) == len(FILES) - 1 and set(loaded) == FILES - {"index.html"}
    assert 'type="module"' not in page and "fetch(" not in (folder / "assets/lesson.js").read_text()
    for name in ("index.html", "assets/lesson.js", "assets/samples.js", "assets/map.js", "assets/lesson.css"):
        assert not re.search(r"https?://", (folder / name).read_text()), name
    positions = [page.index(f'data-key="{step.key}"') for step in STEPS]     # every step, in order
    assert positions == sorted(positions)
    assert all(step.title.replace("'", "&#x27;") in page for step in STEPS)


def test_the_scripts_are_the_apps_own_code(digits_lesson):
    folder = digits_lesson[0]
    for target, source, view in SCRIPTS:
        original = (COMPONENTS_DIR / source).read_bytes()
        copied = (folder / target).read_bytes()
        if view is None:
            assert copied == original, target
        else:   # the same lines but the one `export default function` line
            changed = [(a, b) for a, b in zip(original.decode().splitlines(), copied.decode().splitlines()) if a != b]
            assert len(original.splitlines()) == len(copied.splitlines())
            assert changed == [("export default function (component) {",
                                f'(globalThis.LvmViews = globalThis.LvmViews || {{}})["{view}"] = '
                                'function (component) {')]


def test_the_rewrite_needs_exactly_one_export_default_line():
    for _, source, view in SCRIPTS:
        if view:
            script = as_classic_script((COMPONENTS_DIR / source).read_text(), view)
            assert not re.search(r"^\s*(import|export)\b", script, re.MULTILINE)
    body = "export default function (component) {\n  return 1;\n}\n"
    with pytest.raises(AssetError, match="0 lines"):
        as_classic_script(body.replace("export default ", ""), "x")
    with pytest.raises(AssetError, match="2 lines"):
        as_classic_script(body + body, "x")
    with pytest.raises(AssetError, match="import or export"):
        as_classic_script('import "./other.js";\n' + body, "x")


def test_the_map_is_the_shipped_tsne_map_packed_for_the_browser(digits_lesson):
    from lvm_core.storage.checkpoints import load_checkpoint
    from lvm_core.maps.payload import unpack_map
    from lvm_core.maps.store import MapKey, MapStore

    blob = base64.b64decode(global_of(digits_lesson[0] / "data/map-data.js", "LVM_LESSON_MAP"))
    header, arrays = unpack_map(blob)
    ae = load_checkpoint(DIGITS_AE)
    shipped = MapStore().get(MapKey.make(ae.digest, "test", 360, "tsne"))
    assert shipped is not None and shipped.source == "shipped"
    assert (header["method"], header["n"], header["model_digest"], header["latent_dim"]) == ("tsne", 360, ae.digest, 8)
    np.testing.assert_array_equal(arrays["xy"], shipped.embedding)
    assert arrays["originals"].shape == arrays["recons"].shape == (360, 8, 8)


def test_without_a_stored_map_the_lesson_computes_pca_and_stores_nothing(tmp_path):
    from lvm_core.storage.checkpoints import load_checkpoint
    from lvm_core.data.datasets import load_dataset
    from lvm_core.generation.inference import encode_split
    from lvm_core.lesson.views import lesson_map
    from lvm_core.maps.store import MapStore

    ae, test = load_checkpoint(DIGITS_AE), load_dataset("digits", "test")
    store = MapStore(write_dir=tmp_path / "cache")
    latent_map, method = lesson_map(ae, encode_split(ae.model, test.images, test.labels), 100, store)
    assert (method, latent_map.source, len(latent_map)) == ("pca", "computed", 100)   # no shipped 100-point map
    assert not (tmp_path / "cache").exists()


def test_the_views_carry_the_two_decoders_and_the_apps_data_shapes(digits_lesson):
    from lvm_core.storage.checkpoints import load_checkpoint
    from lvm_core.data.datasets import load_dataset
    from lvm_core.generation.export import decode_array, decoder_payload
    from lvm_core.generation.inference import encode

    lesson = global_of(digits_lesson[0] / "data/lesson-data.js", "LVM_LESSON")
    ae, vae = load_checkpoint(DIGITS_AE), load_checkpoint(DIGITS_VAE)
    assert lesson["decoders"] == [decoder_payload(ae), decoder_payload(vae)]
    assert [s["key"] for s in lesson["steps"]] == list(STEP_KEYS)
    sliders, samples, scrub = (lesson["views"][v] for v in ("sliders", "samples", "interpolate"))
    assert sliders["digest"] == vae.digest and len(sliders["code"]) == 8
    assert sorted(d["d"] for d in sliders["dims"]) == list(range(8))
    assert all(d["lo"] <= sliders["code"][d["d"]] <= d["hi"] for d in sliders["dims"])
    assert [m["digest"] for m in samples["models"]] == [ae.digest, vae.digest]
    test = load_dataset("digits", "test")
    a, b = (int(re.search(r"#(\d+)", end["caption"]).group(1)) for end in scrub["ends"])
    for model, ckpt in zip(scrub["models"], (ae, vae)):    # each model's straight path from A's code to B's
        path = decode_array(model["path"], (model["steps"], 8))
        codes = encode(ckpt.model, test.images[[a, b]])
        np.testing.assert_allclose(path[[0, -1]], codes, atol=1e-6)


def test_progress_goes_to_stderr_and_the_bytes_to_stdout(digits_lesson):
    folder, stdout, stderr = digits_lesson
    stages = [line for line in stderr.splitlines() if line.startswith("export-lesson: ")]
    assert len(stages) >= 5 and len(stages) == len(stderr.splitlines())
    total = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert f"{total:,} bytes" in stdout.splitlines()[-1]
    assert all(f"{(folder / name).stat().st_size:,} bytes  {name}" in stdout for name in FILES)


def test_lesson_zip_is_the_same_folder(digits_lesson):
    from lvm_core.lesson.export import lesson_zip, open_pair

    zipped = zipfile.ZipFile(io.BytesIO(lesson_zip(*open_pair(DIGITS_AE, DIGITS_VAE))))
    assert set(zipped.namelist()) == {f"lvm-lesson/{name}" for name in FILES}
    for name in FILES:   # byte for byte: an export is reproducible
        assert zipped.read(f"lvm-lesson/{name}") == (digits_lesson[0] / name).read_bytes(), name


@pytest.mark.parametrize("kind", ["a full folder", "a file", "no parent"])
def test_a_used_or_impossible_out_gets_one_line_and_nothing_is_written(tmp_path, kind):
    target = {"a full folder": tmp_path / "full", "a file": tmp_path / "file.html",
              "no parent": tmp_path / "a" / "b"}[kind]
    if kind == "a full folder":
        target.mkdir()
        (target / "notes.txt").write_bytes(b"mine")
    elif kind == "a file":
        target.write_bytes(b"<html>")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    code, stdout, stderr = run_cli("export-lesson", DIGITS_AE, DIGITS_VAE, "--out", target)
    assert code == 2 and stdout == ""
    assert len(stderr.splitlines()) == 1 and f"error: argument --out: {str(target)!r}" in stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


@pytest.fixture(scope="module")
def wide_vae(tmp_path_factory) -> Path:
    """A digits VAE that draws 16x16 images: the right dataset, the wrong image shape."""
    from lvm_core import ModelConfig, build_model, save_checkpoint

    model = build_model(ModelConfig(kind="vae", image_shape=(1, 16, 16), latent_dim=2, hidden=(8,)))
    path = tmp_path_factory.mktemp("wide") / "digits-vae-16.safetensors"
    return save_checkpoint(path, model.eval(), dataset="digits", class_names=[str(i) for i in range(10)])


@pytest.mark.parametrize("pair, message", [
    (("digits-vae-mlp-8", "digits-ae-mlp-8"), "the first model must be a plain autoencoder"),
    (("digits-ae-mlp-8", "digits-ae-mlp-8"), "the second model must be a variational autoencoder"),
    (("digits-ae-mlp-8", "mnist-vae-mlp-32"), "the same dataset"),
    (("digits-ae-mlp-8", "wide"), "one image shape"),
    (("digits-ae-mlp-8", "digits-cvae-mlp-8"), "must be a plain VAE; this one is conditional"),
])
def test_the_wrong_models_get_one_clear_line(tmp_path, wide_vae, pair, message):
    paths = [wide_vae if name == "wide" else CHECKPOINTS / f"{name}.safetensors" for name in pair]
    code, _, stderr = run_cli("export-lesson", *paths, "--out", tmp_path / "lesson")
    assert code == 2 and message in stderr and len(stderr.splitlines()) == 1, stderr   # checked before any progress
    assert stderr.startswith("error: ")
    assert not (tmp_path / "lesson").exists()


@requires_mnist
def test_an_mlp_pair_on_the_10k_mnist_test_codes_fits_the_budget(tmp_path):
    from lvm_core.lesson.export import BUDGET_BYTES
    from lvm_core.maps.payload import unpack_map

    out = tmp_path / "new" / "lesson"
    (tmp_path / "new").mkdir()
    code, stdout, stderr = run_cli("export-lesson", MNIST_AE, MNIST_VAE, "--out", out)
    assert code == 0, stderr
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    assert total <= BUDGET_BYTES, stdout
    header, arrays = unpack_map(base64.b64decode(global_of(out / "data/map-data.js", "LVM_LESSON_MAP")))
    assert (header["n"], header["method"]) == (10_000, "tsne") and arrays["originals"].shape == (10_000, 28, 28)
