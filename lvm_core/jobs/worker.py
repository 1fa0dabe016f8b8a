"""The body of one training run, in its own process (never a thread of the app server).

The registry starts run() in a child process at lower CPU priority. It reports over `events`, a
multiprocessing queue of (kind, payload) tuples, and ends when `stop` is set or its parent dies:

    ("state", {...})                 phase, total_steps, started (time.time() of the first step)
    ("labels", (N,) int array)       classes of the fixed test subset
    ("steps", (steps_done, [loss]))  losses since the last report, sent a few times a second
    ("snapshot", Snapshot)           the subset's latent map, before training and after each epoch
    ("epoch", record)                fit()'s per-epoch record
    ("unsaved", recovery.Unsaved)    the trained weights, when the final save failed (before "end")
    ("end", {...})                   status, message, path, name, metrics: always the last event
"""
from __future__ import annotations

import copy
import multiprocessing
import os
import time
import traceback
from pathlib import Path

import torch

from lvm_core import settings, startup
from lvm_core.config import ModelConfig, TrainConfig
from lvm_core.errors import LvmError, TrainingDiverged
from lvm_core.generation.inference import encode
from lvm_core.jobs.recovery import SaveFailed, Unsaved, failed, save_kept, saved
from lvm_core.jobs.snapshots import SNAPSHOT_POINTS, Snapshot, latent_map_2d
from lvm_core.storage.checkpoints import SUFFIX, load_checkpoint
from lvm_core.training.fit import StepReport
from lvm_core.training.run import RunHooks, RunSpec, train_run
from lvm_core.training.run_log import RUNS_DIR

NICENESS = 10           # the run yields the CPU to the pages a class is clicking through
REPORT_EVERY_S = 0.25   # step losses are sent in batches: a queue put per step would cost the run
DONE, STOPPED, DIVERGED, FAILED, INTERRUPTED = "done", "stopped", "diverged", "failed", "interrupted"
SAVING = "saving"      # with run.MEASURING, a run's last phases: too late to stop
INTERNAL_ERROR = "internal error while training: the server log has the details"


def ready() -> None:
    """Does nothing: starting it starts the forkserver, which imports this module (and torch) once."""


def run(spec: dict, events, stop) -> None:
    """Train spec's run and report it. spec: id, dataset, model_config, train_config (dicts), name,
    out_dir, trained_by (fairness.owner_tag: recorded in the file), env (the server's LVM_* settings: a
    forkserver child does not see later changes), max_seconds (the wall-time limit: the run then stops as if
    stopped by its owner, saying why)."""
    deadline = time.monotonic() + spec.get("max_seconds", float("inf"))
    settings.adopt_environment(spec["env"])
    startup.configure(threads=None)   # a process of its own starts like one (fit() sets its threads)
    try:
        os.nice(NICENESS)
    except OSError:  # not allowed here: train at normal priority rather than not at all
        pass
    parent = multiprocessing.parent_process()

    def orphaned() -> bool:
        # A dead server cannot list the model: end rather than train for nobody; its successor
        # finds the run record still "running" and lists the run as interrupted.
        return parent is not None and not parent.is_alive()

    timed_out = []

    def should_stop() -> bool:
        if not timed_out and time.monotonic() >= deadline:
            timed_out.append(True)
        return stop.is_set() or orphaned() or bool(timed_out)

    try:
        end = _train(spec, events, should_stop, orphaned)
        if timed_out and end["status"] == STOPPED:
            minutes = spec["max_seconds"] / 60
            end["message"] = f"the {minutes:g}-minute limit per run was reached: " + end["message"]
    except TrainingDiverged as exc:
        end = dict(status=DIVERGED, message=str(exc))
    except LvmError as exc:
        end = dict(status=FAILED, message=str(exc))
    except Exception:  # a bug: its traceback goes to the server's log, a short line to the page
        traceback.print_exc()
        end = dict(status=FAILED, message=INTERNAL_ERROR)
    events.put(("end", end))


def _train(spec: dict, events, should_stop, orphaned) -> dict:
    """The run (lvm_core.training.run, as the CLI runs it) with its progress sent over `events`."""
    config, tconf = ModelConfig.from_dict(spec["model_config"]), TrainConfig.from_dict(spec["train_config"])
    out_dir = Path(spec["out_dir"])
    run_spec = RunSpec(spec["dataset"], config, tconf, name=spec["name"], download=False,
                       logdir=out_dir / RUNS_DIR)      # tensorboard --logdir <user models>/runs
    outcome = train_run(run_spec, _hooks(events, should_stop, tconf))
    if orphaned():
        return dict(status=INTERRUPTED, message="the server stopped during the run: nothing was saved")
    if not outcome.trained:
        return dict(status=STOPPED, message="stopped before the first epoch ended: nothing was saved")
    events.put(("state", dict(phase=SAVING)))
    stem, result = spec["name"], outcome.fit
    data = outcome.checkpoint_bytes(stem, trained_by=spec["trained_by"])
    load_checkpoint(data, name=f"{stem}{SUFFIX}")   # read it back: never file what the app can't open
    early = f" (after epoch {result.epochs_completed} of {tconf.epochs}: stopped early)" if result.stopped else ""
    skipped = tconf.debias_alpha > 0 and not outcome.compared and not result.stopped
    weights = Unsaved(data, STOPPED if result.stopped else DONE,
                      early + (" (the comparison run was stopped: no comparison)" if skipped else ""))
    try:
        path = save_kept(out_dir, stem, weights, tag=spec["id"])
    except SaveFailed as exc:   # a full folder or disk, a read-only one: the trained epochs go back to the server
        events.put(("unsaved", weights))
        return dict(status=FAILED, message=failed(exc), metrics=outcome.metrics)
    return {**saved(path, weights), "metrics": outcome.metrics}


def _hooks(events, should_stop, tconf: TrainConfig) -> RunHooks:
    """The run's progress as events: phases, step losses a few times a second, a latent snapshot of a
    fixed test subset before training and after each epoch."""
    losses: list[float] = []
    sent = [time.monotonic(), 0]
    snapshot = {}

    def ready(model, test) -> None:
        # A fixed subset of test images, the same every epoch, so the snapshots can be compared.
        subset = torch.randperm(len(test), generator=torch.Generator().manual_seed(tconf.seed))[:SNAPSHOT_POINTS]
        snapshot.update(model=model, images=test.images[subset], labels=test.labels[subset], last=None)
        events.put(("labels", test.labels[subset].numpy()))
        take(0)

    def take(epoch: int) -> None:
        # A CPU copy: encode() switches the model to eval mode, and the run may be on a GPU.
        codes = encode(copy.deepcopy(snapshot["model"]).cpu(), snapshot["images"], snapshot["labels"])
        snapshot["last"] = latent_map_2d(codes, snapshot["last"])
        events.put(("snapshot", Snapshot(epoch, snapshot["last"])))

    def on_step(report: StepReport) -> None:
        losses.append(report.loss)
        now = time.monotonic()
        if now - sent[0] >= REPORT_EVERY_S or report.step == report.steps_per_epoch:
            done = (report.epoch - 1) * report.steps_per_epoch + report.step
            events.put(("steps", (done, losses[sent[1]:])))
            sent[:] = [now, len(losses)]

    def on_epoch(record: dict) -> None:
        take(record["epoch"])
        events.put(("epoch", record))

    return RunHooks(phase=lambda text: events.put(("state", dict(phase=text))), ready=ready, on_step=on_step,
                    on_epoch=on_epoch, should_stop=should_stop,
                    started=lambda total: events.put(("state", dict(phase="training", started=time.time(),
                                                                    total_steps=total))))
