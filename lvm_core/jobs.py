"""Training in the background, for the Train page: one TrainingJob per run, a process-wide
JobRegistry that bounds how many run at once (the rest wait in a queue), and a save that is
atomic and never replaces another run's file.

Nothing here imports Streamlit. A page submits a run, then polls job.progress() (a consistent
copy it may keep) and may call registry().stop(job_id); the worker thread never waits on a page,
so leaving the page or closing the tab does not end a run.
"""
from __future__ import annotations

import copy
import math
import os
import re
import threading
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .catalog import user_models_dir
from .checkpoints import SUFFIX, checkpoint_bytes, load_checkpoint
from .files import candidate_names, write_new_file
from .config import ModelConfig, TrainConfig
from .data import load_dataset
from .errors import LvmError, TrainingDiverged
from .inference import encode
from .pca import pca_map
from .metrics import evaluate
from .models import build_model
from .training import StepReport, fit

# One run at a time by default: the app is made for a 2-core machine that also serves the pages,
# and two 1-thread runs side by side would leave nothing for them. LVM_MAX_TRAINING_RUNS raises it.
MAX_RUNNING = int(os.environ.get("LVM_MAX_TRAINING_RUNS") or 1)
MAX_QUEUED = 4                  # more than this waiting: submit() says the trainer is busy
KEEP_FINISHED = 20              # finished runs remembered for the runs list (their weights are on disk)
SNAPSHOT_POINTS = 500           # test images whose codes make each epoch's latent-map snapshot
STEP_CURVE_POINTS = 300         # per-step losses are averaged into at most this many points for plots

# The Train page's defaults. On 28x28 images a 784-256-16 MLP VAE is a good model after 10 epochs,
# about a minute on one CPU thread (benchmarks/train_jobs.py); the 8x8 digits need more, tiny epochs.
DEFAULT_RUNS = {
    "digits": dict(latent_dim=8, hidden=(64,), epochs=60, batch_size=64),
}
DEFAULT_RUN = dict(latent_dim=16, hidden=(256,), epochs=10, batch_size=128)

QUEUED, RUNNING, DONE, STOPPED, DIVERGED, FAILED = "queued", "running", "done", "stopped", "diverged", "failed"
ACTIVE = (QUEUED, RUNNING)
MEASURING, SAVING = "measuring the model on the test split", "saving"  # a run's last phases: too late to stop

# torch's default generator is process-wide, and build_model(seed=) seeds it for a moment: two runs
# building at once must take turns, or the same seed could give different initial weights.
_SEED_LOCK = threading.Lock()


def default_configs(dataset: str, image_shape: tuple[int, int, int]) -> tuple[ModelConfig, TrainConfig]:
    """The Train page's starting settings for a dataset: an MLP VAE, one CPU thread."""
    d = DEFAULT_RUNS.get(dataset, DEFAULT_RUN)
    model = ModelConfig(kind="vae", arch="mlp", image_shape=image_shape, latent_dim=d["latent_dim"], hidden=d["hidden"])
    return model, TrainConfig(epochs=d["epochs"], batch_size=d["batch_size"], device="cpu", threads=1)


class TrainingBusy(LvmError):
    """Too many runs are already waiting for this machine."""


@dataclass(frozen=True)
class Snapshot:
    epoch: int                      # 0 = the untrained model
    points: np.ndarray              # (SNAPSHOT_POINTS, 2) float32: a 2-D view of the codes


@dataclass(frozen=True)
class Progress:
    """A copy of a job's state at one moment, safe to read while the job goes on."""
    status: str
    phase: str                      # what a running job is doing now, in words
    message: str                    # the outcome (or why it waits), in words
    epoch: int                      # epochs completed
    epochs: int
    steps_done: int
    total_steps: int                # 0 until the data is loaded
    elapsed: float                  # seconds since training began
    eta: float | None               # seconds left, once a step has been timed
    history: list[dict]             # one record per completed epoch (loss, recon, kl, test_*)
    step_curve: tuple[np.ndarray, np.ndarray]  # (global step, mean loss) over <= STEP_CURVE_POINTS bins
    snapshots: list[Snapshot]
    labels: np.ndarray | None       # (SNAPSHOT_POINTS,) class of each snapshot point
    path: Path | None               # the saved checkpoint, once there is one
    metrics: dict                   # its test-split metrics (lvm_core.metrics.evaluate), once saved

    @property
    def fraction(self) -> float:
        return self.steps_done / self.total_steps if self.total_steps else 0.0

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def stoppable(self) -> bool:
        return self.status == QUEUED or (self.status == RUNNING and self.phase not in (MEASURING, SAVING))


class TrainingJob:
    """One training run: settings fixed at submit time, state updated by its worker thread."""

    def __init__(self, dataset: str, model_config: ModelConfig, train_config: TrainConfig, name: str, out_dir: Path):
        self.id = uuid.uuid4().hex[:8]
        self.dataset = dataset
        self.model_config = model_config
        self.train_config = train_config
        self.name = name                # the file stem this run will save to (reserved at submit)
        self.out_dir = out_dir
        self.submitted = time.time()
        self.status = QUEUED
        self.phase = "waiting for the trainer"
        self.message = ""
        self.path: Path | None = None
        self.metrics: dict = {}
        self.history: list[dict] = []
        self.step_losses: list[float] = []
        self.snapshots: list[Snapshot] = []
        self.labels: np.ndarray | None = None
        self.steps_done = 0
        self.total_steps = 0
        self.started: float | None = None
        self.finished: float | None = None
        self.first_step_done = 0.0
        self.stop_requested = threading.Event()
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    def progress(self) -> Progress:
        with self._lock:
            elapsed = (self.finished or time.time()) - self.started if self.started else 0.0
            eta = None
            if self.status == RUNNING and self.steps_done > 1:
                # Timed from the first step's end: the first step pays one-off warm-up costs.
                per_step = (time.time() - self.first_step_done) / (self.steps_done - 1)
                eta = per_step * (self.total_steps - self.steps_done)
            return Progress(
                status=self.status, phase=self.phase, message=self.message, epoch=len(self.history),
                epochs=self.train_config.epochs, steps_done=self.steps_done, total_steps=self.total_steps,
                elapsed=elapsed, eta=eta, history=list(self.history),
                step_curve=binned_curve(self.step_losses), snapshots=list(self.snapshots),
                labels=self.labels, path=self.path, metrics=dict(self.metrics))

    def _set(self, **state) -> None:
        with self._lock:
            for key, value in state.items():
                setattr(self, key, value)

    def run(self) -> None:
        """The worker body: train, evaluate, save. Every failure ends as a status and one line."""
        try:
            self._train()
        except TrainingDiverged as exc:
            self._set(status=DIVERGED, message=str(exc))
        except (LvmError, ValueError) as exc:
            self._set(status=FAILED, message=str(exc))
        except Exception as exc:  # a bug must not kill the thread silently or leave "running" forever
            traceback.print_exc()
            self._set(status=FAILED, message=f"training failed: {type(exc).__name__}: {exc}")
        finally:
            self._set(phase="", finished=time.time())

    def _train(self) -> None:
        config, tconf = self.model_config, self.train_config
        self._set(phase="loading the dataset")
        # Never download from a worker: the page offers only datasets already on disk.
        train, test = (load_dataset(self.dataset, split, download=False) for split in ("train", "test"))
        if train.image_shape != config.image_shape:
            raise ValueError(f"{self.dataset} has {train.image_shape} images, the model expects {config.image_shape}")
        train_images = train.without_classes(tconf.exclude_classes).images if tconf.exclude_classes else train.images
        with _SEED_LOCK:
            model = build_model(config, seed=tconf.seed)
        # A fixed subset of test images, the same every epoch, so the snapshots can be compared.
        subset = torch.randperm(len(test), generator=torch.Generator().manual_seed(tconf.seed))[:SNAPSHOT_POINTS]
        subset_images = test.images[subset]
        self.labels = test.labels[subset].numpy()
        self._snapshot(model, subset_images, epoch=0)
        self._set(phase="training", started=time.time(),
                  total_steps=tconf.epochs * math.ceil(len(train_images) / tconf.batch_size))

        def on_epoch(record: dict) -> None:
            self._snapshot(model, subset_images, epoch=record["epoch"])
            with self._lock:
                self.history.append(record)

        result = fit(model, train_images, tconf, test_images=test.images, on_step=self._on_step,
                     on_epoch=on_epoch, should_stop=self.stop_requested.is_set)
        if result.epochs_completed == 0:
            self._set(status=STOPPED, message="stopped before the first epoch ended: nothing was saved")
            return
        self._set(phase=MEASURING)
        model.cpu().eval()
        metrics = evaluate(model, train, test)
        self._set(phase=SAVING)

        def serialise(stem: str) -> bytes:
            data = checkpoint_bytes(model, dataset=self.dataset, class_names=train.class_names,
                                    train_config=tconf, metrics=metrics, history=result.history, name=stem)
            load_checkpoint(data, name=f"{stem}{SUFFIX}")  # read it back: never file what the app can't open
            return data

        path = save_new_checkpoint(self.out_dir, self.name, serialise)
        kept = f"after epoch {result.epochs_completed} of {tconf.epochs}" if result.stopped else ""
        self._set(status=STOPPED if result.stopped else DONE, path=path, name=path.stem, metrics=metrics,
                  message=f"saved {path}" + (f" ({kept}: stopped early)" if kept else ""))

    def _on_step(self, report: StepReport) -> None:
        # Plain attribute writes and list appends: atomic under the GIL, no lock on the hot path.
        self.steps_done = (report.epoch - 1) * report.steps_per_epoch + report.step
        if self.steps_done == 1:
            self.first_step_done = time.time()
        self.step_losses.append(report.loss)

    def _snapshot(self, model: torch.nn.Module, images: torch.Tensor, epoch: int) -> None:
        # A CPU copy: encode() switches the model to eval mode, and the run may be on a GPU.
        codes = encode(copy.deepcopy(model).cpu(), images)
        previous = self.snapshots[-1].points if self.snapshots else None
        snap = Snapshot(epoch, latent_map_2d(codes, previous))
        with self._lock:
            self.snapshots.append(snap)


def latent_map_2d(codes: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
    """codes (N, D) -> points (N, 2) to plot.

    D <= 2: the codes themselves (their axes mean something). Otherwise the top two principal
    components, turned (rotation or reflection only: orthogonal Procrustes) to line up with
    the previous epoch's points, so clusters neither flip nor spin between snapshots while each
    snapshot is still the best 2-D view of its own codes.
    """
    from scipy.linalg import orthogonal_procrustes

    points = pca_map(codes).place(codes)
    if previous is not None and np.shape(codes)[1] > 2:
        rotation, _ = orthogonal_procrustes(points.astype(np.float64), np.asarray(previous, np.float64))
        points = (points @ rotation).astype(np.float32)
    return points


def binned_curve(values: list[float], max_points: int = STEP_CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Per-step values -> (step, mean value) with at most max_points points (1-based steps)."""
    y = np.asarray(values[:], dtype=np.float64)
    size = max(1, math.ceil(len(y) / max_points))
    n = len(y) // size * size  # the last, partial bin waits until it is full
    if size == 1:
        return np.arange(1, len(y) + 1, dtype=np.float64), y
    return np.arange(size, n + 1, size, dtype=np.float64), y[:n].reshape(-1, size).mean(axis=1)


def safe_stem(name: str) -> str:
    """A file stem from a user's name: letters, digits, '.', '_' and '-' only, at most 60 long."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-.")[:60]
    return stem or "model"


def save_new_checkpoint(folder: Path, stem: str, serialise) -> Path:
    """Write serialise(stem) to folder/<stem>.safetensors, or <stem>-2, -3...: never replaces a file."""
    path = write_new_file(folder, stem, SUFFIX, serialise)
    if path is None:
        raise LvmError(f"no free file name for {stem!r} in {folder}")
    return path


class JobRegistry:
    """Every run of this process. At most max_running train at once; up to max_queued wait."""

    def __init__(self, max_running: int = MAX_RUNNING, max_queued: int = MAX_QUEUED,
                 keep_finished: int = KEEP_FINISHED):
        self.max_running = max_running
        self.max_queued = max_queued
        self.keep_finished = keep_finished
        self._jobs: dict[str, TrainingJob] = {}
        self._lock = threading.RLock()  # pages read while workers finish: every access holds it

    def submit(self, dataset: str, model_config: ModelConfig, train_config: TrainConfig,
               name: str = "", out_dir=None) -> TrainingJob:
        """Queue a run; it starts at once when a slot is free. Raises TrainingBusy when the queue is full."""
        out_dir = Path(out_dir or user_models_dir())
        with self._lock:
            if self.waiting() >= self.max_queued:
                raise TrainingBusy(f"the trainer is busy: {self.running()} run(s) going and {self.waiting()} "
                                   "waiting; try again when one has finished")
            job = TrainingJob(dataset, model_config, train_config, self.free_name(name, out_dir), out_dir)
            self._jobs[job.id] = job
            self._forget_old()
            self._start_next()
        return job

    def free_name(self, name: str, out_dir=None) -> str:
        """The stem a run named `name` would save to now: no existing file, no other waiting run."""
        out_dir = Path(out_dir or user_models_dir())
        with self._lock:
            taken = {j.name for j in self._jobs.values() if j.active and j.out_dir == out_dir}
        return next(c for c in candidate_names(safe_stem(name))
                    if c not in taken and not (out_dir / f"{c}{SUFFIX}").exists())

    def get(self, job_id: str | None) -> TrainingJob | None:
        with self._lock:
            return self._jobs.get(job_id) if job_id else None

    def jobs(self) -> list[TrainingJob]:
        """Newest first (the dict keeps submission order)."""
        with self._lock:
            return list(reversed(self._jobs.values()))

    def running(self) -> int:
        return sum(j.status == RUNNING for j in self.jobs())

    def waiting(self) -> int:
        return sum(j.status == QUEUED for j in self.jobs())

    def ahead_of(self, job: TrainingJob) -> int:
        """How many queued runs will start before this one."""
        older = self.jobs()[::-1]
        return sum(j.status == QUEUED for j in older[:older.index(job)]) if job in older else 0

    def stop(self, job_id: str) -> None:
        """A waiting run is dropped; a running one ends after its current step, keeping its last
        completed epoch (saved as usual)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            if job.status == QUEUED:
                job._set(status=STOPPED, phase="", message="cancelled before it started: nothing was saved")
            job.stop_requested.set()

    def _start_next(self) -> None:
        """Start queued runs, oldest first, while slots are free. Call with the lock held."""
        queued = [j for j in reversed(self.jobs()) if j.status == QUEUED]
        for job in queued[:max(0, self.max_running - self.running())]:
            job._set(status=RUNNING, phase="starting")
            threading.Thread(target=self._work, args=(job,), name=f"lvm-train-{job.id}", daemon=True).start()

    def _work(self, job: TrainingJob) -> None:
        try:
            job.run()
        finally:
            with self._lock:
                self._start_next()

    def _forget_old(self) -> None:
        finished = [j for j in self.jobs() if not j.active]
        for job in finished[self.keep_finished:]:
            del self._jobs[job.id]


_REGISTRY = JobRegistry()


def registry() -> JobRegistry:
    """The process-wide registry: every browser session of one app server shares it."""
    return _REGISTRY
