"""The CLI end to end, as a user runs it: separate processes, exit codes, one-line errors."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT


def cli(*args, cwd=ROOT):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "lvm_core", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env, timeout=300)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "digits-vae.safetensors"
    r = cli("train", "--model", "vae", "--arch", "mlp", "--dataset", "digits", "--latent-dim", 6, "--hidden", 48,
            "--epochs", 12, "--batch-size", 64, "--lr", 3e-3, "--seed", 1, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "saved" in r.stdout and out.exists()
    return out


def test_train_then_evaluate_json(trained):
    r = cli("evaluate", trained, "--json")
    assert r.returncode == 0, r.stderr
    m = json.loads(r.stdout)
    assert m["dataset"] == "digits"
    assert 0 < m["mse"] < m["pca_mse"] * 3 and m["neg_elbo"] > 0 and 0.5 < m["knn5_acc"] <= 1


def test_encode_reconstruct_sample(trained, tmp_path):
    assert cli("encode", trained, "--out", tmp_path / "codes.npy").returncode == 0
    codes = np.load(tmp_path / "codes.npy")
    assert codes.shape == (360, 6)
    assert cli("reconstruct", trained, "--split", "train", "--out", tmp_path / "recon.npy").returncode == 0
    recon = np.load(tmp_path / "recon.npy")
    assert recon.shape == (1437, 8, 8) and recon.min() >= 0 and recon.max() <= 1
    for prior in ("normal", "gmm"):
        r = cli("sample", trained, "--n", 9, "--prior", prior, "--out", tmp_path / f"{prior}.npy")
        assert r.returncode == 0, r.stderr
        assert np.load(tmp_path / f"{prior}.npy").shape == (9, 8, 8)
    assert cli("sample", trained, "--n", 9, "--out", tmp_path / "grid.png").returncode == 0
    from PIL import Image

    from lvm_core.data.images import enlarge, make_grid, to_uint8

    png = np.asarray(Image.open(tmp_path / "grid.png").convert("L"))     # the same 9 samples, tiled and x2
    np.testing.assert_array_equal(png, to_uint8(enlarge(make_grid(np.load(tmp_path / "normal.npy")), 2)))


@pytest.mark.parametrize("args", [
    ["train", "--model", "gan", "--out", "x"],
    ["train", "--dataset", "digits", "--epochs", "0", "--out", "x"],
    ["train", "--dataset", "digits", "--arch", "conv", "--hidden", "4", "8", "16", "32", "--out", "x"],
    ["evaluate"],
    ["evaluate", "missing.safetensors"],
    ["frobnicate"],
])
def test_bad_arguments_exit_nonzero_with_one_line(args, tmp_path):
    r = cli(*args, cwd=tmp_path)
    assert r.returncode != 0
    assert "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr


def test_bad_files_exit_nonzero_with_one_line(tmp_path):
    import torch

    torch.save({"weights": torch.zeros(2)}, tmp_path / "someone.pt")
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 3)
    for f in ("someone.pt", "junk.safetensors"):
        r = cli("evaluate", tmp_path / f)
        assert r.returncode == 1 and "Traceback" not in r.stderr
        assert f in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_diverging_training_saves_nothing(tmp_path):
    out = tmp_path / "boom.safetensors"
    r = cli("train", "--model", "vae", "--dataset", "digits", "--epochs", 20, "--lr", 1e4, "--out", out)
    assert r.returncode == 1 and "diverged" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()
