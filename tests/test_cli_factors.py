"""The hidden-factor commands end to end on the offline digits: factors, debias, rare, train --debias-alpha."""
import json
import os

import numpy as np
import pytest

from conftest import ROOT
from test_cli import cli

VAE = ROOT / "checkpoints" / "digits-vae-mlp-8.safetensors"


@pytest.fixture(autouse=True)
def cache_in_tmp(tmp_path, monkeypatch):
    monkeypatch.setenv("LVM_CACHE_DIR", str(tmp_path / "cache"))


def test_factors_json_reports_every_factor_and_the_class_row():
    r = cli("factors", VAE, "--json")
    assert r.returncode == 0, r.stderr
    report = json.loads(r.stdout)
    assert set(report["factors"]) == {"slant", "thickness", "width", "height", "mass"}
    assert 0 < report["class_probe_r2"] <= 1
    slant = report["factors"]["slant"]
    assert slant["rho"] > 0.9 and slant["spread_ratio"] < 1 and 0 < slant["identity_kept"] <= 1.5
    assert all(0 <= r["identity_kept"] <= 1.5 for r in report["factors"].values())   # no factor wrecks the digits
    assert os.listdir(os.environ["LVM_CACHE_DIR"] + "/factors")   # measured once, kept on disk
    scores = report["scores"]
    assert scores["factors"][-1] == "label"
    assert all(0 <= scores[k] <= 1 for k in ("mig", "sap")) and 0 <= scores["dci"]["disentanglement"] <= 1
    assert len(scores["mi"]) == 8 and len(scores["importance"][0]) == len(scores["factors"])   # 8-d codes


def test_debias_writes_test_split_decodes_in_range(tmp_path):
    out = tmp_path / "debiased.npy"
    r = cli("debias", VAE, "--factor", "slant", "--split", "test", "--out", out)
    assert r.returncode == 0, r.stderr
    images = np.load(out)
    assert images.shape == (360, 8, 8) and images.min() >= 0 and images.max() <= 1


def test_debias_with_leace_writes_decodes_that_differ_from_mean_difference(tmp_path):
    outs = {m: tmp_path / f"{m}.npy" for m in ("leace", "mean-difference")}
    for method, out in outs.items():
        r = cli("debias", VAE, "--factor", "slant", "--method", method, "--out", out)
        assert r.returncode == 0 and method in r.stdout, r.stderr
    leace, mean_difference = (np.load(o) for o in outs.values())
    assert leace.shape == (360, 8, 8) and 0 <= leace.min() and leace.max() <= 1
    assert not np.allclose(leace, mean_difference)


def test_rare_writes_indices_or_a_grid(tmp_path):
    r = cli("rare", VAE, "--n", 5, "--out", tmp_path / "rare.npy")
    assert r.returncode == 0, r.stderr
    idx = np.load(tmp_path / "rare.npy")
    assert idx.shape == (5,) and len(set(idx)) == 5 and idx.max() < 360
    assert cli("rare", VAE, "--n", 9, "--out", tmp_path / "rare.png").returncode == 0
    assert (tmp_path / "rare.png").stat().st_size > 0
    bad = cli("rare", VAE, "--out", tmp_path / "rare.txt")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_train_with_debias_alpha_reports_the_rarest_decile_error(tmp_path):
    out = tmp_path / "debiased.safetensors"
    r = cli("train", "--dataset", "digits", "--latent-dim", 4, "--hidden", 16, "--epochs", 2,
            "--debias-alpha", 0.5, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "rare_decile_mse=" in r.stdout and out.exists()
