"""The user models folder's budget: a full or unwritable folder refuses a run at submit in one line,
old run logs rotate, and deleting a model never leaves the folder."""
from __future__ import annotations

import os

import pytest

from lvm_core import LvmError, TrainConfig
from lvm_core.jobs import JobRegistry, disk
from lvm_core.jobs.disk import ModelsFolderFull
from lvm_core.training.run_log import RUNS_DIR
from test_jobs import DIGITS_VAE

ONE_EPOCH = TrainConfig(epochs=1, batch_size=64)


def test_a_full_models_folder_refuses_a_run_at_submit(tmp_path, monkeypatch):
    monkeypatch.setenv("LVM_MODELS_MB", "1")
    (tmp_path / "big.safetensors").write_bytes(b"\0" * 2 ** 20)
    with pytest.raises(ModelsFolderFull, match=r"^the user models folder is full \(1 MB of 1 MB, LVM_MODELS_MB\)"):
        JobRegistry(max_running=1, models_dir=tmp_path).submit("digits", DIGITS_VAE, ONE_EPOCH, owner="alice")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.safetensors"]   # no record, no run


def test_an_unwritable_models_folder_is_one_line_at_submit(tmp_path):
    (tmp_path / "a-file").write_text("not a folder")
    with pytest.raises(ModelsFolderFull, match="^the user models folder cannot be written"):
        JobRegistry(max_running=1, models_dir=tmp_path / "a-file" / "models").submit("digits", DIGITS_VAE, ONE_EPOCH)


def test_old_run_logs_rotate_keeping_the_newest(tmp_path, monkeypatch):
    monkeypatch.setenv("LVM_KEEP_RUN_LOGS", "3")
    for i in range(6):
        (tmp_path / RUNS_DIR / f"run-{i}").mkdir(parents=True)
        os.utime(tmp_path / RUNS_DIR / f"run-{i}", (1000 + i, 1000 + i))
    assert sorted(disk.rotate_run_logs(tmp_path)) == ["run-0", "run-1", "run-2"]
    assert sorted(p.name for p in (tmp_path / RUNS_DIR).iterdir()) == ["run-3", "run-4", "run-5"]


def test_deleting_a_model_takes_a_plain_file_name_only(tmp_path):
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "mine.safetensors").write_bytes(b"x" * 10)
    (tmp_path / "outside.safetensors").write_bytes(b"x")
    assert disk.models(tmp_path / "models") == [("mine.safetensors", 10)]
    for bad in ("../outside.safetensors", "/etc/passwd", "mine.txt"):
        with pytest.raises(LvmError, match="is not a model file name"):
            disk.delete_model(tmp_path / "models", bad)
    disk.delete_model(tmp_path / "models", "mine.safetensors")
    assert disk.models(tmp_path / "models") == [] and (tmp_path / "outside.safetensors").exists()
