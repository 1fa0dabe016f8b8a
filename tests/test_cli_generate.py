"""python -m lvm_core sample / train-classifier, called through cli.main (same code path as the shell)."""
import numpy as np
import pytest

from conftest import ROOT
from lvm_core.cli.main import main

AE = str(ROOT / "checkpoints" / "digits-ae-mlp-8.safetensors")
VAE = str(ROOT / "checkpoints" / "digits-vae-mlp-8.safetensors")


@pytest.mark.parametrize("prior", ["normal", "gmm"])
def test_sample_writes_seeded_npy_in_unit_range(tmp_path, capsys, prior):
    out = [tmp_path / f"{s}.npy" for s in ("a", "b", "c")]
    for path, seed in zip(out, (1, 1, 2)):
        assert main(["sample", VAE, "--n", "12", "--prior", prior, "--seed", str(seed), "--out", str(path)]) == 0
    a, b, c = (np.load(p) for p in out)
    assert a.shape == (12, 8, 8) and a.dtype == np.float32
    assert 0 <= a.min() and a.max() <= 1
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert f"12 samples from the {prior} prior" in capsys.readouterr().out


def test_sample_png_is_a_grid(tmp_path):
    from PIL import Image

    path = tmp_path / "grid.png"
    assert main(["sample", AE, "--n", "16", "--out", str(path)]) == 0
    img = Image.open(path)
    assert img.size == (2 * (4 * 9 - 1), 2 * (4 * 9 - 1))  # 4x4 tiles of 8 px, 1 px gaps, scaled x2


def test_gmm_samples_of_an_ae_differ_from_normal_ones(tmp_path):
    paths = {p: tmp_path / f"{p}.npy" for p in ("normal", "gmm")}
    for prior, path in paths.items():
        assert main(["sample", AE, "--n", "8", "--prior", prior, "--out", str(path)]) == 0
    assert not np.allclose(np.load(paths["normal"]), np.load(paths["gmm"]))


@pytest.mark.parametrize("args, code, message", [
    (["--n", "0", "--out", "x.npy"], 2, "argument --n: must be from 1 to 1,000,000, not 0"),
    (["--out", "x.txt"], 2, "argument --out: 'x.txt' must end in .npy or .png"),
    (["--out", "/nonexistent-folder/x.npy"], 2, "its folder '/nonexistent-folder' does not exist"),
])
def test_sample_bad_arguments_exit_with_one_line(tmp_path, capsys, monkeypatch, args, code, message):
    monkeypatch.chdir(tmp_path)
    assert main(["sample", AE, *args]) == code
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1


def test_sample_refuses_a_file_that_is_not_a_checkpoint(tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a checkpoint at all")
    assert main(["sample", str(bad), "--out", str(tmp_path / "x.npy")]) == 1
    assert "bad.safetensors" in capsys.readouterr().err


def test_train_classifier_saves_a_loadable_lenet(tmp_path, capsys):
    from lvm_core.analysis.quality import load_classifier

    out = tmp_path / "digits-lenet.safetensors"
    assert main(["train-classifier", "--dataset", "digits", "--epochs", "1", "--out", str(out)]) == 0
    clf = load_classifier(out)
    assert clf.dataset == "digits" and clf.image_shape == (1, 8, 8)
    assert set(clf.metrics) == {"test_acc", "fd_test_vs_train"}
    assert "saved" in capsys.readouterr().out
