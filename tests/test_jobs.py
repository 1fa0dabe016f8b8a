"""Training runs in worker processes: progress, stop (by its owner only), divergence, the queue bound,
restart recovery, and files never overwritten."""
from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from lvm_core import LvmError, ModelConfig, TrainConfig, load_checkpoint
from lvm_core.jobs import (DIVERGED, DONE, FAILED, INTERRUPTED, QUEUED, RUNNING, STOPPED, JobRegistry, NotYourRun,
                           TrainingBusy, binned_curve, latent_map_2d, safe_stem, save_new_checkpoint)
from lvm_core.jobs.fairness import owner_tag
from lvm_core.jobs.records import RECORDS_DIR, recover
from lvm_core.training.run_log import RUNS_DIR
from waiting import wait_until

DIGITS_VAE = ModelConfig(kind="vae", arch="mlp", image_shape=(1, 8, 8), latent_dim=8, hidden=(32,))
# batch 8: ~180 short steps per epoch, so a run lasts long enough to be stopped part-way.
SLOW = TrainConfig(epochs=200, batch_size=8)


@pytest.fixture(autouse=True)
def models_dir(tmp_path, monkeypatch):
    """Every test's runs save into its own temp folder, never ./user_models."""
    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path / "models"


def wait(job, until=lambda j: not j.active, timeout: float = 300.0):
    wait_until(lambda: until(job), timeout, f"the job's state (now {job.status}, {job.phase})", every=0.01)
    return job.progress()


def saved_files(folder):
    """Every file a run left in folder (models, temp files), but not the run records."""
    return sorted(p.name for p in folder.iterdir() if p.name not in (RECORDS_DIR, RUNS_DIR)) if folder.exists() else []


def test_the_warm_up_starts_the_worker_server_without_error(monkeypatch):
    import threading

    errors = []
    monkeypatch.setattr(threading, "excepthook", lambda args: errors.append(args.exc_value))
    JobRegistry().warm_up()
    wait_until(lambda: not any(t.name == "lvm-train-warm-up" for t in threading.enumerate()), 120, "the warm-up")
    assert errors == []


def test_run_reports_progress_and_saves_a_loadable_checkpoint(models_dir):
    two_epochs = TrainConfig(epochs=2, batch_size=64)
    job = JobRegistry().submit("digits", DIGITS_VAE, two_epochs, name="my digits VAE, 2 epochs!")
    p = wait(job)
    assert p.status == DONE, p.message
    assert p.path == models_dir / "my-digits-VAE-2-epochs.safetensors" and p.path.exists()
    assert p.message == "saved my-digits-VAE-2-epochs.safetensors"  # no server path on the page
    assert p.steps_done == p.total_steps == 2 * 23 and p.fraction == 1.0
    assert [r["epoch"] for r in p.history] == [1, 2] and {"recon", "kl", "test_loss"} <= set(p.history[0])
    assert len(p.step_curve[1]) == 46
    # One snapshot before training and one per epoch, all of the same fixed test images.
    assert [s.epoch for s in p.snapshots] == [0, 1, 2]
    assert all(s.points.shape == (360, 2) for s in p.snapshots) and p.labels.shape == (360,)
    ckpt = load_checkpoint(p.path)
    assert ckpt.name == "my-digits-VAE-2-epochs" and ckpt.dataset == "digits" and len(ckpt.history) == 2
    assert ckpt.metrics == p.metrics and {"mse", "pca_mse", "knn5_acc", "neg_elbo"} <= set(p.metrics)
    assert ckpt.config == DIGITS_VAE and ckpt.trained_by == ""      # a script's run: no session
    # threads=None: the worker chose the cores free when the run started, and the file says how many
    assert 1 <= ckpt.train_config.threads <= os.cpu_count()
    assert ckpt.train_config == dataclasses.replace(two_epochs, threads=ckpt.train_config.threads)
    (board,) = (models_dir / RUNS_DIR).iterdir()   # TensorBoard files of the run (tensorboard --logdir)
    assert board.name.startswith("my-digits-VAE-2-epochs-") and list(board.glob("events.out.tfevents.*"))


def test_stop_ends_after_the_current_step_and_keeps_the_last_completed_epoch(models_dir):
    registry = JobRegistry()
    job = registry.submit("digits", DIGITS_VAE, SLOW, name="stopped")
    wait(job, until=lambda j: len(j.history) >= 2)
    registry.stop(job.id)
    p = wait(job)
    assert p.status == STOPPED and "stopped early" in p.message
    assert 2 <= p.epoch < SLOW.epochs and p.steps_done < p.total_steps
    ckpt = load_checkpoint(p.path)
    assert len(ckpt.history) == p.epoch  # the partial epoch is not in the file
    assert saved_files(models_dir) == ["stopped.safetensors"]


def test_stop_before_the_first_epoch_saves_nothing(models_dir):
    registry = JobRegistry()
    job = registry.submit("digits", DIGITS_VAE, SLOW, name="too-soon")
    registry.stop(job.id)
    p = wait(job)
    assert p.status == STOPPED and "nothing was saved" in p.message
    assert p.path is None and saved_files(models_dir) == []


def test_a_diverging_run_stops_with_a_plain_message_and_saves_nothing(models_dir):
    job = JobRegistry().submit("digits", DIGITS_VAE, TrainConfig(epochs=3, lr=10.0), name="boom")
    p = wait(job)
    assert p.status == DIVERGED
    assert "diverged" in p.message and "learning rate 10" in p.message and "\n" not in p.message
    assert saved_files(models_dir) == []  # no checkpoint, no temp file


def test_a_missing_dataset_fails_with_the_datasets_message(tmp_path, monkeypatch, models_dir):
    monkeypatch.setenv("LVM_DATA_DIR", str(tmp_path / "empty"))
    mnist = ModelConfig(kind="ae", image_shape=(1, 28, 28))
    p = wait(JobRegistry().submit("mnist", mnist, TrainConfig(epochs=1)))
    assert p.status == FAILED and "mnist is not in" in p.message and "digits" in p.message
    assert saved_files(models_dir) == []


def test_two_concurrent_runs_with_one_name_give_two_intact_checkpoints(models_dir):
    registry = JobRegistry(max_running=2)
    a = registry.submit("digits", DIGITS_VAE, TrainConfig(epochs=3, batch_size=32, seed=1), name="same")
    b = registry.submit("digits", DIGITS_VAE, TrainConfig(epochs=3, batch_size=32, seed=2), name="same")
    assert a.status == b.status == RUNNING  # both started: they really run side by side
    assert (a.name, b.name) == ("same", "same-2")  # reserved at submit, not at save
    pa, pb = wait(a), wait(b)
    assert pa.status == pb.status == DONE
    assert saved_files(models_dir) == ["same-2.safetensors", "same.safetensors"]
    ca, cb = load_checkpoint(pa.path), load_checkpoint(pb.path)
    assert (ca.name, cb.name) == ("same", "same-2") and ca.train_config.seed == 1 and cb.train_config.seed == 2
    assert ca.digest != cb.digest


def test_a_debiased_run_compares_itself_with_the_same_run_without_re_weighting(models_dir):
    registry = JobRegistry(max_running=2)
    plain = registry.submit("digits", DIGITS_VAE, TrainConfig(epochs=2, batch_size=32), name="plain")
    debiased = registry.submit("digits", DIGITS_VAE, TrainConfig(epochs=2, batch_size=32, debias_alpha=2.0),
                               name="debiased")
    p, d = wait(plain), wait(debiased)
    assert p.status == d.status == DONE, (p.message, d.message)
    assert "rare_decile_mse" not in p.metrics
    assert {"rare_decile_mse", "rare_decile_mse_plain", "mse_plain"} <= set(d.metrics)
    # Its twin is the same run without re-weighting, bit for bit: the plain run's error, exactly.
    assert d.metrics["mse_plain"] == p.metrics["mse"] and d.metrics["mse"] != p.metrics["mse"]
    # Rare images are the hard ones: the rarest decile's error is above the whole split's.
    assert d.metrics["rare_decile_mse_plain"] > d.metrics["mse_plain"]
    ckpt = load_checkpoint(d.path)
    assert ckpt.train_config.debias_alpha == 2.0 and ckpt.metrics == d.metrics


def test_the_queue_is_bounded_and_runs_in_order(models_dir):
    registry = JobRegistry(max_running=1, max_queued=1)
    first = registry.submit("digits", DIGITS_VAE, SLOW, name="first")
    second = registry.submit("digits", DIGITS_VAE, TrainConfig(epochs=1, batch_size=64), name="second")
    assert (first.status, second.status) == (RUNNING, QUEUED) and registry.ahead_of(second) == 0
    with pytest.raises(TrainingBusy, match="busy: 1 run"):
        registry.submit("digits", DIGITS_VAE, SLOW, name="third")
    registry.stop(first.id)
    assert wait(second).status == DONE  # started by itself once the first ended
    assert first.progress().status == STOPPED and registry.running() == 0


def test_cancelling_a_queued_run_never_starts_it(models_dir):
    registry = JobRegistry(max_running=1)
    first = registry.submit("digits", DIGITS_VAE, SLOW, name="first")
    queued = registry.submit("digits", DIGITS_VAE, SLOW, name="queued")
    registry.stop(queued.id)
    assert queued.status == STOPPED and "cancelled" in queued.message
    registry.stop(first.id)
    wait(first)
    assert queued.status == STOPPED and queued.progress().steps_done == 0


def test_names_never_replace_an_existing_file(models_dir):
    models_dir.mkdir()
    (models_dir / "mine.safetensors").write_bytes(b"someone else's model")
    registry = JobRegistry()
    assert registry.free_name("mine") == "mine-2"
    p = wait(registry.submit("digits", DIGITS_VAE, TrainConfig(epochs=1, batch_size=64), name="mine"))
    assert p.path.name == "mine-2.safetensors"
    assert (models_dir / "mine.safetensors").read_bytes() == b"someone else's model"


def test_save_new_checkpoint_claims_a_free_name_atomically(tmp_path):
    first = save_new_checkpoint(tmp_path, "x", lambda stem: stem.encode())
    second = save_new_checkpoint(tmp_path, "x", lambda stem: stem.encode())
    assert (first.name, second.name) == ("x.safetensors", "x-2.safetensors")
    assert second.read_bytes() == b"x-2"  # serialised under the name it finally got
    assert saved_files(tmp_path) == ["x-2.safetensors", "x.safetensors"]  # no temp files left
    umask = os.umask(0)
    os.umask(umask)
    assert first.stat().st_mode & 0o777 == 0o666 & ~umask   # an ordinary file, not mkstemp's 0600


def test_safe_stem_keeps_names_inside_the_folder():
    assert safe_stem("../../etc/passwd") == "etc-passwd"
    assert safe_stem("  my VAE (β=4) ") == "my-VAE-4"
    assert safe_stem("///") == "model"


def test_latent_map_keeps_2d_codes_and_aligns_pca_views_between_epochs():
    rng = np.random.default_rng(0)
    codes2 = rng.normal(size=(50, 2)).astype(np.float32)
    assert np.array_equal(latent_map_2d(codes2), codes2)
    codes = rng.normal(size=(200, 6)) * np.array([5, 3, 1, 0.5, 0.2, 0.1])
    turn = np.array([[np.cos(1.0), -np.sin(1.0)], [np.sin(1.0), np.cos(1.0)]])
    previous = latent_map_2d(codes) @ turn  # last epoch's view, at some angle
    q, _ = np.linalg.qr(rng.normal(size=(6, 6)))  # the same codes, rotated in latent space
    np.testing.assert_allclose(latent_map_2d(codes @ q, previous), previous, atol=1e-4)
    assert not np.allclose(latent_map_2d(codes @ q), previous, atol=1e-2)  # unaligned PCA would jump


def test_binned_curve_averages_long_runs_into_few_points():
    x, y = binned_curve(list(range(1, 1001)), max_points=100)
    assert len(x) == len(y) == 100 and x[0] == 10 and y[0] == pytest.approx(5.5)
    x, y = binned_curve([3.0, 1.0])
    assert list(x) == [1, 2] and list(y) == [3.0, 1.0]


def test_only_the_session_that_started_a_run_can_stop_it(models_dir):
    registry = JobRegistry()
    job = registry.submit("digits", DIGITS_VAE, SLOW, name="alice's", owner="alice-session")
    wait(job, until=lambda j: len(j.history) >= 1)
    with pytest.raises(NotYourRun, match="only the session that started this run"):
        registry.stop(job.id, owner="bob-session")
    with pytest.raises(NotYourRun):
        registry.stop(job.id)       # no session at all
    assert job.status == RUNNING and not job.stop_event.is_set()
    registry.stop(job.id, owner="alice-session")
    assert wait(job).status == STOPPED
    # The model says which session trained it (a digest: the id itself is what lets a session stop its runs).
    assert load_checkpoint(job.path).trained_by == owner_tag("alice-session") != owner_tag("bob-session")


def test_a_killed_worker_leaves_no_file_and_its_run_is_listed_as_interrupted(models_dir):
    registry = JobRegistry()
    job = registry.submit("digits", DIGITS_VAE, SLOW, name="killed")
    wait(job, until=lambda j: len(j.history) >= 1 and j.process is not None)
    assert job.process.pid != os.getpid()   # a process of its own, not a thread of the server
    os.kill(job.process.pid, signal.SIGKILL)
    p = wait(job)
    assert p.status == INTERRUPTED and "killed by signal 9" in p.message and "nothing was saved" in p.message
    assert saved_files(models_dir) == []
    # The next server reads the record: the run is listed, interrupted.
    again = JobRegistry().get(job.id)
    assert again.status == INTERRUPTED and again.name == "killed" and again.path is None


def test_a_server_killed_mid_run_leaves_no_file_and_the_next_one_lists_the_run(models_dir, tmp_path):
    """A real restart: a server process (a registry in a child Python) is killed while its run trains."""
    script = tmp_path / "server.py"
    script.write_text(f"""
import sys, time
from lvm_core import ModelConfig, TrainConfig
from lvm_core.jobs import JobRegistry
if __name__ == "__main__":
    job = JobRegistry().submit("digits", ModelConfig(**{DIGITS_VAE.to_dict()!r}), TrainConfig(epochs=200, batch_size=8),
                               name="cut")
    while not job.history or job.process is None:
        time.sleep(0.01)
    print(job.id, job.process.pid, flush=True)
    time.sleep(600)
""")
    server = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=os.environ)
    job_id, worker_pid = server.stdout.readline().split()
    server.kill()
    server.wait()
    def worker_ended():     # it notices its server died
        return not os.path.exists(f"/proc/{worker_pid}") or open(f"/proc/{worker_pid}/stat").read().split()[2] == "Z"

    wait_until(worker_ended, 300, "the orphaned worker's end")
    job = JobRegistry().get(job_id)
    assert job.status == INTERRUPTED and "server stopped" in job.message
    assert saved_files(models_dir) == []
    assert recover(models_dir)[0]["status"] == INTERRUPTED   # rewritten on disk, not only in memory


def test_recovery_removes_an_interrupted_save_s_temp_file_and_keeps_finished_runs(models_dir):
    registry = JobRegistry()
    done = wait(registry.submit("digits", DIGITS_VAE, TrainConfig(epochs=1, batch_size=64), name="kept"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    record = {**registry.jobs()[0].record(), "id": "deadbeef", "status": RUNNING, "path": None,
              "server": {"host": os.uname().nodename, "pid": int(dead.stdout)}}
    import json
    (models_dir / RECORDS_DIR / "deadbeef.json").write_text(json.dumps(record))
    (models_dir / ".deadbeef.x1y2.tmp").write_bytes(b"half a checkpoint")
    (models_dir / RECORDS_DIR / "broken.json").write_text("{not json")
    restarted = JobRegistry()
    assert restarted.get("deadbeef").status == INTERRUPTED
    assert restarted.get(registry.jobs()[0].id).progress().path == done.path   # the finished model is listed
    assert saved_files(models_dir) == ["kept.safetensors"]


def test_a_bad_max_training_runs_setting_is_one_clear_message(models_dir, monkeypatch):
    for bad in ("two", "0", "-1", "1.5"):
        monkeypatch.setenv("LVM_MAX_TRAINING_RUNS", bad)
        with pytest.raises(LvmError, match=f"LVM_MAX_TRAINING_RUNS must be a whole number of at least 1.*{bad!r}"):
            JobRegistry()
    monkeypatch.setenv("LVM_MAX_TRAINING_RUNS", " 3 ")
    assert JobRegistry().max_running == 3


def test_a_worker_does_not_run_the_page_script_that_started_it(models_dir, tmp_path, monkeypatch):
    """Streamlit runs each page as __main__; multiprocessing would have every worker import it again."""
    import types

    marker = tmp_path / "page-ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').write('the page script ran in the worker')\n")
    script_module = types.ModuleType("__main__")
    script_module.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", script_module)
    p = wait(JobRegistry().submit("digits", DIGITS_VAE, TrainConfig(epochs=1, batch_size=64), name="quiet"))
    assert p.status == DONE and not marker.exists()


def test_a_named_pipe_among_the_run_records_is_skipped_not_waited_on(tmp_path, capsys):
    from lvm_core.jobs.records import records_dir, recover

    records_dir(tmp_path).mkdir(parents=True)
    os.mkfifo(records_dir(tmp_path) / "pipe.json")      # read_text() would block the Train page for ever
    assert recover(tmp_path) == []
    assert "pipe.json" in capsys.readouterr().err
