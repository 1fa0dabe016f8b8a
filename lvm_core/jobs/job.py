"""One run as the server sees it: the settings fixed at submit, and the state its worker process
reports, copied out for pages as a Progress."""
from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lvm_core.config import ModelConfig, TrainConfig
from lvm_core.jobs.recovery import Unsaved
from lvm_core.jobs.snapshots import Snapshot, binned_curve
from lvm_core.models import MODEL_KINDS, is_variational
from lvm_core.text import clean
from lvm_core.jobs.worker import DIVERGED, DONE, FAILED, INTERRUPTED, SAVING, STOPPED
from lvm_core.training.run import MEASURING

QUEUED, RUNNING = "queued", "running"
ACTIVE = (QUEUED, RUNNING)
__all__ = ["QUEUED", "RUNNING", "DONE", "STOPPED", "DIVERGED", "FAILED", "INTERRUPTED", "ACTIVE",
           "Progress", "TrainingJob"]


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
    metrics: dict                   # its test-split metrics (lvm_core.analysis.metrics.evaluate), once measured
    unsaved: Unsaved | None         # the trained weights, while their save has failed (jobs.recovery)

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
    """One training run. Its worker process's events update it (apply); pages read progress()."""

    def __init__(self, dataset: str, model_config: ModelConfig, train_config: TrainConfig, name: str,
                 out_dir: Path, owner: str = "", job_id: str | None = None, submitted: float | None = None):
        self.id = job_id or uuid.uuid4().hex[:8]
        self.dataset = dataset
        self.model_config = model_config
        self.train_config = train_config
        self.name = name                # the file stem this run will save to (reserved at submit)
        self.out_dir = out_dir
        self.owner = owner              # the session that may stop it ("" only in scripts and tests)
        self.submitted = submitted or time.time()
        self.status = QUEUED
        self.phase = "waiting for the trainer"
        self.message = ""
        self.path: Path | None = None
        self.metrics: dict = {}
        self.unsaved: Unsaved | None = None   # kept in memory when the save failed, for a retry
        self.history: list[dict] = []
        self.step_losses: list[float] = []
        self.snapshots: list[Snapshot] = []
        self.labels: np.ndarray | None = None
        self.steps_done = 0
        self.total_steps = 0
        self.started: float | None = None
        self.finished: float | None = None
        self.first_report: tuple[float, int] | None = None   # (time, steps) of the first step report
        self.process = None             # the worker, while it runs
        self.stop_event = None
        self._lock = threading.Lock()

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @property
    def variational(self) -> bool:
        """A run whose loss has a KL part (VAE, CVAE): its charts show it."""
        return is_variational(MODEL_KINDS[self.model_config.kind])

    def describe(self) -> str:
        """One line naming the run: its name, kind, architecture, code size, dataset, re-weighting."""
        c, t = self.model_config, self.train_config
        noisy = " denoising" if t.input_noise > 0 else ""
        debiased = f", rare styles re-weighted (α {t.debias_alpha:g})" if t.debias_alpha else ""
        return f"{self.name} · {c.kind.upper()}{noisy} {c.arch} z={c.latent_dim} on {clean(self.dataset)}{debiased}"

    def owned_by(self, owner: str) -> bool:
        return owner == self.owner

    def progress(self) -> Progress:
        with self._lock:
            elapsed = (self.finished or time.time()) - self.started if self.started else 0.0
            eta = None
            if self.status == RUNNING and self.first_report and self.steps_done > self.first_report[1]:
                # Timed from the first report: the first steps pay one-off warm-up costs.
                t0, s0 = self.first_report
                eta = (time.time() - t0) / (self.steps_done - s0) * (self.total_steps - self.steps_done)
            return Progress(
                status=self.status, phase=self.phase, message=self.message, epoch=len(self.history),
                epochs=self.train_config.epochs, steps_done=self.steps_done, total_steps=self.total_steps,
                elapsed=elapsed, eta=eta, history=list(self.history),
                step_curve=binned_curve(self.step_losses), snapshots=list(self.snapshots),
                labels=self.labels, path=self.path, metrics=dict(self.metrics), unsaved=self.unsaved)

    def update(self, **state) -> None:
        with self._lock:
            for key, value in state.items():
                setattr(self, key, value)

    def apply(self, kind: str, payload) -> None:
        """One event from the worker (see worker.py for the kinds)."""
        with self._lock:
            if kind == "state":
                for key, value in payload.items():
                    setattr(self, key, value)
            elif kind == "labels":
                self.labels = payload
            elif kind == "steps":
                self.steps_done, losses = payload
                self.step_losses.extend(losses)
                if self.first_report is None:
                    self.first_report = (time.time(), self.steps_done)
            elif kind == "snapshot":
                self.snapshots.append(payload)
            elif kind == "epoch":
                self.history.append(payload)
            elif kind == "unsaved":
                self.unsaved = payload
            elif kind == "end":
                self.status, self.message = payload["status"], payload["message"]
                self.metrics = payload.get("metrics", {})
                if payload.get("path"):
                    self.path, self.name = Path(payload["path"]), payload["name"]

    def record(self) -> dict:
        """What the run record on disk keeps (records.py): enough to list the run after a restart."""
        with self._lock:
            return dict(id=self.id, dataset=self.dataset, model_config=self.model_config.to_dict(),
                        train_config=self.train_config.to_dict(), name=self.name, status=self.status,
                        message=self.message, path=self.path.name if self.path else None,
                        metrics=self.metrics, epochs_done=len(self.history), submitted=self.submitted,
                        finished=self.finished)

    @classmethod
    def from_record(cls, record: dict, out_dir: Path) -> "TrainingJob":
        """A finished run read back from its record (no curves or maps: those lived in the old server)."""
        job = cls(record["dataset"], ModelConfig.from_dict(record["model_config"]),
                  TrainConfig.from_dict(record["train_config"]), record["name"], out_dir,
                  job_id=record["id"], submitted=record["submitted"])
        path = out_dir / record["path"] if record.get("path") else None
        job.update(status=record["status"], message=record["message"], phase="", metrics=record.get("metrics") or {},
                   path=path if path is not None and path.exists() else None, finished=record.get("finished"))
        return job
