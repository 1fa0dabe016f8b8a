"""Every run of one app server: at most max_running train at once (each in its own worker process),
up to max_queued wait, each session within its own limits (fairness.py), and only the session that
started a run (or the teacher) may stop it."""
from __future__ import annotations

import queue
import threading
import time
import traceback
from pathlib import Path

from lvm_core import settings

from lvm_core.config import ModelConfig, TrainConfig
from lvm_core.errors import LvmError
from lvm_core.jobs import disk, fairness, records, recovery, worker
from lvm_core.jobs.job import FAILED, INTERRUPTED, QUEUED, RUNNING, STOPPED, TrainingJob
from lvm_core.jobs.naming import free_stem
from lvm_core.models import memory
from lvm_core.jobs.processes import plain_main_module, worker_context

MAX_QUEUED = 4                  # more than this waiting: submit() says the trainer is busy
KEEP_FINISHED = 20              # finished runs listed on the Train page (their weights are on disk)
KILLED_MESSAGE = "interrupted: the training process ended unexpectedly ({}); nothing was saved"


class TrainingBusy(LvmError):
    """Too many runs are already waiting for this machine."""


class NotYourRun(LvmError):
    """A session tried to stop a run another session started."""


def max_running_from_env() -> int:
    """LVM_MAX_TRAINING_RUNS, default 1: one run at a time suits a 2-core machine that also serves
    the pages (two 1-thread runs would leave nothing for them). InvalidInput when not a whole number >= 1."""
    return int(settings.number("LVM_MAX_TRAINING_RUNS", 1, whole=True))


class JobRegistry:
    def __init__(self, max_running: int | None = None, max_queued: int = MAX_QUEUED,
                 keep_finished: int = KEEP_FINISHED, models_dir=None, session_limits: tuple[int, int] | None = None):
        self._session_limits = session_limits   # None: LVM_SESSION_RUNS / LVM_SESSION_QUEUED, read at each call
        self.max_running = max_running or max_running_from_env()
        self.max_queued = max_queued
        self.keep_finished = keep_finished
        self._models_dir = models_dir
        self._ctx = worker_context()
        self._lock = threading.RLock()  # pages read while workers finish: every access holds it
        self._warm = False
        # Runs of earlier servers, from their records: finished ones, and those a restart interrupted.
        past = [TrainingJob.from_record(r, self.models_dir) for r in records.recover(self.models_dir)]
        self._jobs: dict[str, TrainingJob] = {j.id: j for j in reversed(past[:keep_finished])}

    @property
    def models_dir(self) -> Path:
        """Where runs save by default: the folder given, else LVM_MODELS_DIR as it is now."""
        return Path(self._models_dir or settings.models_dir()).absolute()

    def warm_up(self) -> None:
        """Start the worker server in the background, once, so the first run need not wait for torch, and
        make the meta device's one-off set-up (~3 s) so the first submit's memory check is quick."""
        with self._lock:
            if self._warm:
                return
            self._warm = True
        def start() -> None:
            with plain_main_module():
                self._ctx.Process(target=worker.ready, daemon=True).start()
            memory.warm_up()
        threading.Thread(target=start, name="lvm-train-warm-up", daemon=True).start()

    def submit(self, dataset: str, model_config: ModelConfig, train_config: TrainConfig,
               name: str = "", out_dir=None, owner: str = "") -> TrainingJob:
        """Queue a run; it starts at once when a slot is free. Raises, each with one line: TrainingBusy (the
        queue is full), fairness.SessionBusy (this session has its runs), memory.ModelTooBig (over
        LVM_MODEL_MEMORY_MB), disk.ModelsFolderFull (over LVM_MODELS_MB, or unwritable).
        (The configs bounded the run's size when they were made: lvm_core.config.)"""
        out_dir = Path(out_dir or self.models_dir).absolute()
        fairness.max_run_seconds()   # a bad LVM_MAX_RUN_MINUTES is said here, not in a watcher thread
        # Outside the lock: the first meta-device pass of a process takes seconds, the folder's size a walk.
        memory.check_fits(model_config, train_config.batch_size, training=True, what="this run")
        disk.rotate_run_logs(out_dir)
        disk.check_room(out_dir)
        with self._lock:
            fairness.check_session(self.jobs(), owner, self.session_limits)
            if self.waiting() >= self.max_queued:
                raise TrainingBusy(f"the trainer is busy: {self.running()} run(s) going and {self.waiting()} "
                                   "waiting; try again when one has finished")
            job = TrainingJob(dataset, model_config, train_config, self.free_name(name, out_dir), out_dir, owner)
            self._jobs[job.id] = job
            records.write_record(out_dir, job.record())
            self._forget_old()
            self._start_next()
        return job

    @property
    def session_limits(self) -> tuple[int, int]:
        return self._session_limits or fairness.session_limits()

    def free_name(self, name: str, out_dir=None) -> str:
        """The stem a run named `name` would save to now: no existing file, no other waiting run."""
        out_dir = Path(out_dir or self.models_dir).absolute()
        with self._lock:
            taken = {j.name for j in self._jobs.values() if j.active and j.out_dir == out_dir}
        return free_stem(out_dir, name, taken)

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

    def place_in_line(self, job: TrainingJob) -> int:
        """1: the next run to start; 0: not waiting."""
        return fairness.place_in_line(job, self.jobs()[::-1])

    def stop(self, job_id: str, owner: str = "", teacher_token: str = "") -> None:
        """A waiting run is dropped; a running one ends after its current step, keeping its last
        completed epoch (saved as usual). Only the run's own session (owner) may stop it, or the teacher
        (teacher_token: LVM_ADMIN_TOKEN)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or not job.active:
                return
            if not job.owned_by(owner) and not fairness.is_teacher(teacher_token):
                raise NotYourRun("only the session that started this run can stop it; you can watch it")
            if job.status == QUEUED:
                job.update(status=STOPPED, phase="", finished=time.time(),
                           message="cancelled before it started: nothing was saved")
                records.write_record(job.out_dir, job.record())
            elif job.stop_event is not None:
                job.stop_event.set()

    def retry_save(self, job_id: str, owner: str = "", teacher_token: str = "") -> Path | None:
        """Save again the weights a run kept when its save failed: the model's path, or None (the run's
        message then says why). Only the run's own session, or the teacher, may."""
        with self._lock:
            job = self._jobs.get(job_id)
            kept = job.unsaved if job is not None else None
            if kept is None:
                return None
            if not job.owned_by(owner) and not fairness.is_teacher(teacher_token):
                raise NotYourRun("only the session that started this run can save it")
            job.update(unsaved=None)     # claimed: a second click cannot save it twice
        try:
            path = recovery.save_kept(job.out_dir, job.name, kept, tag=job.id)
            job.apply("end", {**recovery.saved(path, kept), "metrics": job.metrics})
        except recovery.SaveFailed as exc:
            path = None
            job.update(unsaved=kept, message=recovery.failed(exc))
        records.write_record(job.out_dir, job.record())
        return path

    def _start_next(self) -> None:
        """Start queued runs, oldest first, while slots are free. Call with the lock held."""
        per_session = self.session_limits[0]
        for job in [j for j in reversed(self.jobs()) if j.status == QUEUED]:
            if self.running() >= self.max_running:
                break
            if not fairness.may_start(job, self.jobs(), per_session):
                continue   # its session already trains: a later run of another session goes first
            events, stop = self._ctx.Queue(), self._ctx.Event()
            spec = dict(id=job.id, dataset=job.dataset, model_config=job.model_config.to_dict(),
                        train_config=job.train_config.to_dict(), name=job.name, out_dir=str(job.out_dir),
                        trained_by=fairness.owner_tag(job.owner), env=settings.lvm_environment(),
                        max_seconds=fairness.max_run_seconds())
            job.update(status=RUNNING, phase="starting", stop_event=stop)
            records.write_record(job.out_dir, job.record())
            threading.Thread(target=self._watch, args=(job, spec, events), name=f"lvm-train-{job.id}",
                             daemon=True).start()

    def _watch(self, job: TrainingJob, spec: dict, events) -> None:
        """Start the run's process and apply its events until it ends; then start the next run."""
        try:
            process = self._ctx.Process(target=worker.run, args=(spec, events, job.stop_event),
                                        name=f"lvm-train-{job.id}", daemon=True)
            with plain_main_module():
                process.start()
            job.update(process=process)
            end, exited = None, False
            while end is None:
                try:   # once the process is gone, what it sent before exiting is still read
                    kind, payload = events.get(timeout=0.1 if exited else 0.5)
                except queue.Empty:
                    if exited:
                        break
                    exited = not process.is_alive()
                    continue
                if kind == "end":   # applied once the record is on disk: a run seen ended is recorded
                    end = payload
                else:
                    job.apply(kind, payload)
            process.join()
            if end is None:  # killed, or crashed below Python (no "end" event came)
                how = f"killed by signal {-process.exitcode}" if (process.exitcode or 0) < 0 \
                    else f"exit code {process.exitcode}"
                end = dict(status=INTERRUPTED, message=KILLED_MESSAGE.format(how))
                records.remove_temp_files(job.out_dir, job.id)
        except Exception as exc:  # the server side failed (no process could start): say so, log the rest
            traceback.print_exc()
            end = dict(status=FAILED, message=f"the training process could not start ({type(exc).__name__})")
        finished = time.time()
        record = {**job.record(), **end, "finished": finished,
                  "path": Path(end["path"]).name if end.get("path") else None}
        records.write_record(job.out_dir, record)
        job.apply("end", end)
        job.update(phase="", finished=finished, process=None, stop_event=None)
        events.close()
        with self._lock:
            self._start_next()

    def _forget_old(self) -> None:
        finished = [j for j in self.jobs() if not j.active]
        for job in finished[self.keep_finished:]:
            del self._jobs[job.id]


_REGISTRY: JobRegistry | None = None
_REGISTRY_LOCK = threading.Lock()


def registry() -> JobRegistry:
    """The process-wide registry, made on first use: every browser session of one server shares it.
    Raises LvmError when LVM_MAX_TRAINING_RUNS is not a whole number >= 1."""
    global _REGISTRY
    with _REGISTRY_LOCK:
        if _REGISTRY is None:
            _REGISTRY = JobRegistry()
        return _REGISTRY
