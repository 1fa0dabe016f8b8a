"""lvm_core.training.run: the one training run. The CLI and the Train page's worker both go through it, so
the same settings give the same weights, bit for bit; the rest of a run's behaviour is tested through
each caller (tests/test_cli.py, tests/test_jobs.py)."""
from __future__ import annotations

import subprocess
import sys

import pytest
import torch

from lvm_core import LvmError, ModelConfig, TrainConfig, load_checkpoint
from lvm_core.jobs import DONE, JobRegistry
from lvm_core.training.defaults import default_hidden
from lvm_core.training.run import RunHooks, RunSpec, train_run
from waiting import wait_until

MODEL = ModelConfig(kind="vae", arch="mlp", image_shape=(1, 8, 8), latent_dim=4, hidden=(16,))
TRAIN = TrainConfig(epochs=2, batch_size=64, seed=3, device="cpu", threads=1)


def test_the_cli_and_the_train_page_worker_train_bit_identical_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path / "models"))
    out = tmp_path / "cli.safetensors"
    subprocess.run([sys.executable, "-m", "lvm_core", "train", "--model", "vae", "--dataset", "digits",
                    "--latent-dim", "4", "--hidden", "16", "--epochs", "2", "--batch-size", "64", "--seed", "3",
                    "--device", "cpu", "--threads", "1", "--out", str(out)], check=True, capture_output=True,
                   timeout=300)
    job = JobRegistry().submit("digits", MODEL, TRAIN, name="worker")
    wait_until(lambda: not job.active, 300, "the worker's run")
    assert job.progress().status == DONE, job.progress().message
    cli, worker = load_checkpoint(out), load_checkpoint(job.progress().path)
    assert cli.config == worker.config and cli.train_config == worker.train_config
    a, b = cli.model.state_dict(), worker.model.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert cli.metrics == worker.metrics


def test_a_run_reports_its_phases_and_keeps_the_threads_it_started_with():
    phases, epochs = [], []
    spec = RunSpec("digits", MODEL, TrainConfig(epochs=2, batch_size=64, device="cpu"))
    outcome = train_run(spec, RunHooks(phase=phases.append, on_epoch=epochs.append))
    assert phases[0] == "loading the dataset" and "training" in phases and phases[-1].startswith("measuring")
    assert [r["epoch"] for r in epochs] == [1, 2] and outcome.trained and "mse" in outcome.metrics
    assert outcome.train_config.threads >= 1      # None became the cores free at start
    assert not next(outcome.model.parameters()).requires_grad or not outcome.model.training


def test_a_run_with_every_class_left_out_is_one_clear_error():
    spec = RunSpec("digits", MODEL, TrainConfig(epochs=1, exclude_classes=tuple(range(10)), threads=1))
    with pytest.raises(LvmError, match="every class of the training split is left out"):
        train_run(spec)


def test_a_stopped_run_returns_untrained_without_metrics():
    outcome = train_run(RunSpec("digits", MODEL, TRAIN), RunHooks(should_stop=lambda: True))
    assert not outcome.trained and outcome.metrics == {}


def test_one_set_of_hidden_defaults():
    assert default_hidden("mlp") == (128,) and default_hidden("conv") == (32, 64)


def test_a_debiased_run_trains_its_plain_twin_and_measures_both_on_the_rarest_decile():
    spec = RunSpec("digits", MODEL, TrainConfig(epochs=2, batch_size=64, threads=1, debias_alpha=2.0))
    outcome = train_run(spec)
    m = outcome.metrics
    assert outcome.compared and {"rare_decile_mse", "rare_decile_mse_plain", "mse_plain"} <= set(m)
    assert m["rare_decile_mse"] != m["rare_decile_mse_plain"]       # two different runs were measured
    assert 1 < outcome.effective_sample_size < 1437                  # the weights favour some images


def test_a_run_whose_activations_exceed_the_budget_is_refused_before_it_allocates(monkeypatch):
    from lvm_core.models.memory import ModelTooBig

    monkeypatch.setenv("LVM_MODEL_MEMORY_MB", "1")
    wide = ModelConfig(kind="ae", arch="conv", image_shape=(1, 28, 28), latent_dim=4, hidden=(512, 4))
    with pytest.raises(ModelTooBig, match="this run would need about .* MB .* biggest layer"):
        train_run(RunSpec("mnist", wide, TrainConfig(epochs=1, batch_size=512, threads=1)))
