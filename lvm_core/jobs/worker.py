"""The body of one training run, in its own process (never a thread of the app server).

The registry starts run() in a child process at lower CPU priority. It reports over `events`, a
multiprocessing queue of (kind, payload) tuples, and ends when `stop` is set or its parent dies:

    ("state", {...})                 phase, total_steps, started (time.time() of the first step)
    ("labels", (N,) int array)       classes of the fixed test subset
    ("steps", (steps_done, [loss]))  losses since the last report, sent a few times a second
    ("snapshot", Snapshot)           the subset's latent map, before training and after each epoch
    ("epoch", record)                fit()'s per-epoch record
    ("end", {...})                   status, message, path, name, metrics: always the last event
"""
from __future__ import annotations

import copy
import dataclasses
import math
import multiprocessing
import os
import time
import traceback
from pathlib import Path

import torch

from lvm_core import settings

from .. import startup
from ..checkpoints import SUFFIX, checkpoint_bytes, load_checkpoint
from ..config import ModelConfig, TrainConfig
from ..cpu_threads import CpuShare, free_cpu_threads, set_cpu_threads
from ..data import load_dataset
from ..density import debias_split, rare_decile_error, reference_vae
from ..errors import LvmError, TrainingDiverged
from ..inference import encode, per_pixel_mse, reconstruct
from ..metrics import evaluate
from ..models import build_model
from ..run_log import RUNS_DIR, TensorBoardRun, run_dir
from ..training import StepReport, fit, resolve_device
from .naming import save_new_checkpoint
from .snapshots import SNAPSHOT_POINTS, Snapshot, latent_map_2d

NICENESS = 10           # the run yields the CPU to the pages a class is clicking through
REPORT_EVERY_S = 0.25   # step losses are sent in batches: a queue put per step would cost the run
DONE, STOPPED, DIVERGED, FAILED, INTERRUPTED = "done", "stopped", "diverged", "failed", "interrupted"
MEASURING, SAVING = "measuring the model on the test split", "saving"  # a run's last phases: too late to stop
INTERNAL_ERROR = "internal error while training: the server log has the details"


def run(spec: dict, events, stop) -> None:
    """Train spec's run and report it. spec: id, dataset, model_config, train_config (dicts), name,
    out_dir, env (the server's LVM_* settings: a forkserver child does not see later changes)."""
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

    try:
        end = _train(spec, events, lambda: stop.is_set() or orphaned(), orphaned)
    except TrainingDiverged as exc:
        end = dict(status=DIVERGED, message=str(exc))
    except LvmError as exc:
        end = dict(status=FAILED, message=str(exc))
    except Exception:  # a bug: its traceback goes to the server's log, a short line to the page
        traceback.print_exc()
        end = dict(status=FAILED, message=INTERNAL_ERROR)
    events.put(("end", end))


def _train(spec: dict, events, should_stop, orphaned) -> dict:
    config, tconf = ModelConfig.from_dict(spec["model_config"]), TrainConfig.from_dict(spec["train_config"])
    share = None
    if tconf.threads is None and resolve_device(tconf.device).type == "cpu":
        # The cores free now (both of an idle 2-core machine, one beside a class), followed epoch by
        # epoch as students come and go; the weights are the same either way (cpu_threads.py).
        tconf = dataclasses.replace(tconf, threads=free_cpu_threads())
        share = CpuShare()
    dataset, out_dir = spec["dataset"], Path(spec["out_dir"])
    events.put(("state", dict(phase="loading the dataset")))
    # Never download from a worker: the page offers only datasets already on disk.
    train, test = (load_dataset(dataset, split, download=False) for split in ("train", "test"))
    if train.image_shape != config.image_shape:
        raise LvmError(f"{dataset} has {train.image_shape} images, the model expects {config.image_shape}")
    train_images = train.without_classes(tconf.exclude_classes).images if tconf.exclude_classes else train.images
    model = build_model(config, seed=tconf.seed)
    board = TensorBoardRun(run_dir(out_dir / RUNS_DIR, spec["name"]), model, tconf, test.images, test.labels,
                           test.class_names, dataset=dataset)   # tensorboard --logdir <user models>/runs
    try:
        return _fit_and_save(spec, events, should_stop, orphaned, model, tconf, board, train, test, train_images,
                             share)
    finally:
        board.writer.close()   # a stopped or failed run keeps the curves it wrote


def _fit_and_save(spec, events, should_stop, orphaned, model, tconf, board, train, test, train_images,
                  share: CpuShare | None) -> dict:
    """_train's run once the data and model are ready: snapshots, fit (logged to `board`), evaluate, save.
    share: the threads follow the cores free, epoch by epoch (None: tconf.threads throughout)."""
    dataset, out_dir = spec["dataset"], Path(spec["out_dir"])
    # A fixed subset of test images, the same every epoch, so the snapshots can be compared.
    subset = torch.randperm(len(test), generator=torch.Generator().manual_seed(tconf.seed))[:SNAPSHOT_POINTS]
    subset_images = test.images[subset]
    events.put(("labels", test.labels[subset].numpy()))
    last_map = [None]

    def snapshot(epoch: int) -> None:
        # A CPU copy: encode() switches the model to eval mode, and the run may be on a GPU.
        last_map[0] = latent_map_2d(encode(copy.deepcopy(model).cpu(), subset_images), last_map[0])
        events.put(("snapshot", Snapshot(epoch, last_map[0])))

    weights, rare, reference = None, None, None
    if tconf.debias_alpha > 0:
        reference = _debias_reference(dataset)
        events.put(("state", dict(phase=f"measuring how rare each image is, with {reference.name}")))
        weights, rare = debias_split(reference.model, train_images, test.images, tconf.debias_alpha, tconf.seed)
    snapshot(0)
    events.put(("state", dict(phase="training", started=time.time(),
                              total_steps=tconf.epochs * math.ceil(len(train_images) / tconf.batch_size))))
    losses: list[float] = []
    sent = [time.monotonic(), 0]

    def on_step(report: StepReport) -> None:
        board.on_step(report)
        losses.append(report.loss)
        now = time.monotonic()
        if now - sent[0] >= REPORT_EVERY_S or report.step == report.steps_per_epoch:
            done = (report.epoch - 1) * report.steps_per_epoch + report.step
            events.put(("steps", (done, losses[sent[1]:])))
            sent[:] = [now, len(losses)]

    def on_epoch(record: dict) -> None:
        board.on_epoch(record)
        snapshot(record["epoch"])
        events.put(("epoch", record))
        if share is not None:
            set_cpu_threads(share.free())

    result = fit(model, train_images, tconf, test_images=test.images, on_step=on_step,
                 on_epoch=on_epoch, should_stop=should_stop, sample_weights=weights)
    if orphaned():
        return dict(status=INTERRUPTED, message="the server stopped during the run: nothing was saved")
    if result.epochs_completed == 0:
        return dict(status=STOPPED, message="stopped before the first epoch ended: nothing was saved")
    plain = None
    if rare is not None and not result.stopped:
        plain = _plain_twin(spec, events, should_stop, train_images, tconf)
        if orphaned():
            return dict(status=INTERRUPTED, message="the server stopped during the run: nothing was saved")
    events.put(("state", dict(phase=MEASURING)))
    model.cpu().eval()
    metrics = evaluate(model, train, test)
    if rare is not None:
        metrics["rare_decile_mse"] = rare_decile_error(model, test.images, rare).rare
        if plain is not None:   # the whole split's error measured as evaluate() measures "mse"
            metrics.update(rare_decile_mse_plain=rare_decile_error(plain, test.images, rare).rare,
                           mse_plain=per_pixel_mse(test.images, reconstruct(plain, test.images)))
    board.close(metrics)
    events.put(("state", dict(phase=SAVING)))

    def serialise(stem: str) -> bytes:
        data = checkpoint_bytes(model, dataset=dataset, class_names=train.class_names,
                                train_config=tconf, metrics=metrics, history=result.history, name=stem)
        load_checkpoint(data, name=f"{stem}{SUFFIX}")  # read it back: never file what the app can't open
        return data

    path = save_new_checkpoint(out_dir, spec["name"], serialise, tag=spec["id"])
    kept = f"after epoch {result.epochs_completed} of {tconf.epochs}" if result.stopped else ""
    skipped = rare is not None and plain is None and not result.stopped
    return dict(status=STOPPED if result.stopped else DONE, path=str(path), name=path.stem, metrics=metrics,
                message=f"saved {path.name}" + (f" ({kept}: stopped early)" if kept else "")
                + (" (the comparison run was stopped: no comparison)" if skipped else ""))


def _debias_reference(dataset: str):
    """The checkpoint whose codes give a debiased run's densities (the page offers the option only
    for datasets that have one)."""
    entry = reference_vae(dataset)
    if entry is None:
        raise LvmError(f"debiased sampling needs a shipped VAE of {dataset} to measure densities; there is none")
    return load_checkpoint(entry.path)


def _plain_twin(spec, events, should_stop, train_images, tconf):
    """The same run (model, seed, epochs) without re-weighting, for the rarest-decile comparison: the
    model, or None when it was stopped."""
    model = build_model(ModelConfig.from_dict(spec["model_config"]), seed=tconf.seed)
    phase = "training the same run without re-weighting, to compare (epoch {} of %d)" % tconf.epochs
    events.put(("state", dict(phase=phase.format(1))))
    result = fit(model, train_images, tconf, should_stop=should_stop,
                 on_epoch=lambda record: events.put(("state", dict(phase=phase.format(min(record["epoch"] + 1,
                                                                                        tconf.epochs))))))
    return None if result.stopped else model.cpu().eval()


def ready() -> None:
    """A no-op run: starting it starts the worker server (scheduler.JobRegistry.warm_up)."""
