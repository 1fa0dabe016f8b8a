"""TensorBoard files of a run, read back with TensorBoard's own EventAccumulator."""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("tensorboard")

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

from lvm_core import ModelConfig, TrainConfig, build_model, fit  # noqa: E402
from lvm_core.training.run_log import GRID_IMAGES, TensorBoardRun  # noqa: E402


def read(logdir: Path) -> EventAccumulator:
    acc = EventAccumulator(str(logdir), size_guidance={"scalars": 0, "images": 0, "tensors": 0})
    acc.Reload()
    return acc


def check_projector(logdir: Path, n: int, class_names) -> None:
    config = (logdir / "projector_config.pbtxt").read_text()
    assert "tensors.tsv" in config and "metadata.tsv" in config and "sprite.png" in config
    folder = next(logdir.glob("*/test_codes"))
    assert len((folder / "tensors.tsv").read_text().splitlines()) == n
    metadata = (folder / "metadata.tsv").read_text().splitlines()
    assert len(metadata) == n and set(metadata) <= set(class_names)
    assert (folder / "sprite.png").stat().st_size > 0


def test_a_vae_run_writes_losses_grids_hparams_and_an_embedding(tmp_path, digits):
    train, test = digits
    model = build_model(ModelConfig(kind="vae", image_shape=(1, 8, 8), latent_dim=3, hidden=(16,)), seed=0)
    config = TrainConfig(epochs=2, batch_size=256, device="cpu")
    run = TensorBoardRun(tmp_path / "run", model, config, test.images, test.labels, test.class_names, dataset="digits")
    result = fit(model, train.images, config, test_images=test.images, on_step=run.on_step, on_epoch=run.on_epoch)
    run.close({"mse": 0.05, "knn5_acc": 0.9})

    acc = read(tmp_path / "run")
    scalars = acc.Tags()["scalars"]
    steps = 2 * -(-len(train) // 256)
    for part in ("loss", "recon", "kl"):
        assert len(acc.Scalars(f"step/{part}")) == steps
        assert [e.step for e in acc.Scalars(f"epoch/{part}")] == [1, 2]
        assert f"epoch/test_{part}" in scalars
    assert acc.Scalars("epoch/loss")[-1].value == pytest.approx(result.history[-1]["loss"], rel=1e-5)
    for tag in ("reconstructions", "samples"):
        images = acc.Images(tag)
        assert [e.step for e in images] == [1, 2] and images[0].width > 8 * (GRID_IMAGES // 4)
    assert acc.Scalars("hparam/mse")[0].value == pytest.approx(0.05)
    hparams = acc.PluginTagToContent("hparams")
    assert {"_hparams_/experiment", "_hparams_/session_start_info"} <= set(hparams)
    assert b"model/latent_dim" in hparams["_hparams_/session_start_info"]
    check_projector(tmp_path / "run", len(test), test.class_names)


def test_colour_grids_are_written_as_rgb(tmp_path):
    import torch

    images = torch.rand(40, 3, 8, 8)
    model = build_model(ModelConfig(kind="ae", image_shape=(3, 8, 8), latent_dim=2, hidden=(8,)), seed=0)
    config = TrainConfig(epochs=1, batch_size=20, device="cpu")
    run = TensorBoardRun(tmp_path / "rgb", model, config, images)
    fit(model, images, config, on_step=run.on_step, on_epoch=run.on_epoch)
    run.close()
    acc = read(tmp_path / "rgb")
    assert acc.Images("samples")[0].encoded_image_string[:4] == b"\x89PNG"
    assert [e.step for e in acc.Scalars("step/loss")] == [1, 2]


def test_cli_train_with_logdir(tmp_path, capsys):
    from lvm_core.cli.main import main

    out = tmp_path / "digits-ae.safetensors"
    assert main(["train", "--dataset", "digits", "--epochs", "1", "--latent-dim", "2", "--hidden", "16",
                 "--out", str(out), "--logdir", str(tmp_path / "runs")]) == 0
    assert "tensorboard --logdir" in capsys.readouterr().out
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("digits-ae-")
    acc = read(run)
    assert {"step/loss", "epoch/loss", "hparam/mse"} <= set(acc.Tags()["scalars"])
    assert len(acc.Images("reconstructions")) == 1
