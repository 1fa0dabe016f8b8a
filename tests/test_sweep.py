"""The nonlinear-PCA sweep: PCA at every size from one fit, AE checkpoints, the shipped JSON."""
from __future__ import annotations

import json

import pytest

from lvm_core import LvmError, load_checkpoint
from lvm_core.storage.catalog import SHIPPED_DIR
from lvm_core.cli.main import main
from lvm_core.generation.inference import per_pixel_mse
from lvm_core.maps.pca import fit_pca, pca_reconstruct
from lvm_core.analysis.sweep import load_sweep, run_sweep, sweep_checkpoints


def test_pca_error_falls_with_size_and_is_exact_at_full_rank(digits):
    train, test = digits
    pca = fit_pca(train.images, 64)
    errors = [per_pixel_mse(test.images, pca_reconstruct(pca, test.images, k)) for k in (1, 2, 8, 32, 64)]
    assert all(a > b for a, b in zip(errors, errors[1:]))
    assert errors[-1] < 1e-10  # 64 components of 64 pixels: nothing lost


def test_run_sweep_sorts_by_size_and_checks_its_inputs(digits, tmp_path):
    train, test = digits
    ae, vae = (load_checkpoint(SHIPPED_DIR / f"digits-{k}-mlp-8.safetensors") for k in ("ae", "vae"))
    result = run_sweep([ae], train, test, folder=SHIPPED_DIR)
    assert result["sizes"] == [8] and result["ae_checkpoints"] == ["digits-ae-mlp-8.safetensors"]
    assert result["ae_mse"][0] == pytest.approx(ae.metrics["mse"], rel=1e-4)
    assert result["pca_mse"][0] == pytest.approx(ae.metrics["pca_mse"], rel=1e-3)
    with pytest.raises(ValueError, match="same latent size"):
        run_sweep([ae, vae], train, test)
    with pytest.raises(ValueError, match="at least one"):
        run_sweep([], train, test)


def test_the_cli_writes_a_sweep_the_page_reads(tmp_path, capsys):
    out = tmp_path / "nonlinear_pca_digits.json"
    assert main(["sweep", str(SHIPPED_DIR / "digits-ae-mlp-8.safetensors"), "--out", str(out)]) == 0
    assert "z=  8" in capsys.readouterr().out
    sweep = load_sweep("digits", tmp_path)
    assert sweep["sizes"] == [8] and set(sweep_checkpoints(sweep, tmp_path)) == {8}
    assert load_sweep("kmnist", tmp_path) is None                 # no sweep: nothing to show
    for damage in ("{not json", json.dumps({**sweep, "ae_mse": sweep["ae_mse"] * 2})):
        out.write_text(damage)
        with pytest.raises(LvmError, match="nonlinear_pca_digits.json is damaged"):
            load_sweep("digits", tmp_path)
    assert main(["sweep", str(tmp_path / "missing.safetensors")]) == 1


@pytest.mark.parametrize("dataset", ["digits", "mnist"])
def test_shipped_sweeps_show_the_ae_beating_pca_at_small_sizes(dataset):
    sweep = load_sweep(dataset)
    if sweep is None:
        pytest.skip(f"no shipped sweep for {dataset}")
    assert sweep["sizes"] == sorted(sweep["sizes"]) and sweep["sizes"][0] == 2
    assert sweep["ae_mse"][0] < sweep["pca_mse"][0]
    assert all(a > b for a, b in zip(sweep["pca_mse"], sweep["pca_mse"][1:]))
    assert set(sweep_checkpoints(sweep)) == set(sweep["sizes"])  # every AE of the curve ships
    assert json.loads((SHIPPED_DIR / f"nonlinear_pca_{dataset}.json").read_text())["dataset"] == dataset
