"""t-SNE and UMAP maps computed in a worker process, never in the app server's.

A map takes a core for 10-60 s, and UMAP's numba code compiles for 30-75 s after a cold start: in the
server process either would hold the interpreter's lock that every session's page needs. One worker
process (forked from the training runs' clean forkserver, at lower CPU priority) computes the maps one
at a time, compiles UMAP when it has nothing else to do, and sends progress back over a pipe:

    parent -> child   (MapKey, codes (T, D), labels (T,), errors (T,))
    child -> parent   ("progress", fraction, text) ... then ("done", LatentMap) or ("error", message)
                      ("warm", None) once UMAP's code is compiled

The parent's dispatcher thread owns the pipe, so a page that is left mid-map (a rerun, a closed tab)
does not lose it: the map still lands in the store. A worker that dies mid-map (killed, out of memory)
fails that map with one line, stores nothing, and the next map starts a fresh worker.
"""
from __future__ import annotations

import os
import queue
import threading
from dataclasses import dataclass, field
from multiprocessing.connection import wait
from typing import Callable

from lvm_core.errors import LvmError
from lvm_core.jobs.processes import plain_main_module, worker_context
from lvm_core.jobs.worker import NICENESS   # maps yield the CPU to the pages, as training runs do
from lvm_core.maps.projection import OnProgress
from lvm_core.maps.store import LatentMap, MapKey

PROGRESS_EVERY_S = 0.2  # how often a waiting page redraws its progress bar


class MapWorkerStopped(LvmError):
    """The worker process ended before it sent the map."""


@dataclass
class MapJob:
    """One map asked for: its progress while it computes, then its map or its error."""
    key: MapKey
    arrays: tuple = ()
    on_done: Callable[[MapKey, LatentMap], object] | None = None
    progress: tuple[float, str] = (0.0, "waiting for the map worker")
    result: LatentMap | None = None
    error: LvmError | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def wait(self, progress: OnProgress | None = None) -> LatentMap:
        """Block until the map is there (calling progress(fraction, text) as it changes); raises its error."""
        shown = None
        while not self.done.wait(PROGRESS_EVERY_S if progress else None):
            if self.progress != shown:
                shown = self.progress
                progress(*shown)
        if self.error is not None:
            raise self.error
        return self.result


class MapWorker:
    """One worker process and the queue of maps waiting for it; shared by every session of a server."""

    def __init__(self, warm_umap: bool = True):
        self.warm_umap = warm_umap
        self.warmed_up = threading.Event()   # UMAP compiled in the worker, or given up on (it then compiles on use)
        if not warm_umap:
            self.warmed_up.set()
        self._ctx = worker_context()
        self._queue: queue.Queue[MapJob] = queue.Queue()
        self._jobs: dict[MapKey, MapJob] = {}       # queued or computing, by key: one computation per map
        self._guard = threading.Lock()
        self._process = self._conn = None
        self._dispatcher: threading.Thread | None = None

    def start(self) -> None:
        """Start the worker process (it compiles UMAP while idle) and the dispatcher thread. Idempotent."""
        with self._guard:
            if self._dispatcher is None:
                self._dispatcher = threading.Thread(target=self._dispatch, name="lvm-map-dispatcher", daemon=True)
                self._dispatcher.start()

    def compute(self, key: MapKey, split_arrays: Callable[[], tuple], progress: OnProgress | None = None,
                on_done: Callable[[MapKey, LatentMap], object] | None = None) -> LatentMap:
        """The map of key, computed in the worker; split_arrays() -> (codes, labels, errors) of the whole
        split. A map already queued or computing is waited for, not computed again. on_done(key, map)
        runs on success even if this caller has gone."""
        with self._guard:
            job = self._jobs.get(key)
            mine = job is None
            if mine:
                job = self._jobs[key] = MapJob(key, on_done=on_done)
        if mine:
            try:
                job.arrays = split_arrays()
            except BaseException as exc:   # its own error, or a rerun of the page while it encoded
                self._finish(job, error=exc if isinstance(exc, LvmError) else MapWorkerStopped(
                    "the page that asked for this map left before its codes were ready: ask for it again"))
                raise
            self.start()
            ahead = self._queue.qsize()
            job.progress = (0.0, f"waiting for the map worker: {ahead} map(s) ahead" if ahead or self.warmed_up.is_set()
                            else "waiting for the map worker: it is compiling UMAP's code (once per server start)")
            self._queue.put(job)
        return job.wait(progress)

    def busy(self) -> int:
        """Maps queued or computing."""
        with self._guard:
            return len(self._jobs)

    def _finish(self, job: MapJob, result: LatentMap | None = None, error: LvmError | None = None) -> None:
        if result is not None and job.on_done is not None:
            try:
                job.on_done(job.key, result)
            except OSError as exc:   # a full or read-only cache folder: the map is still shown
                job.progress = (1.0, f"the map could not be stored ({exc.strerror})")
        job.result, job.error, job.arrays = result, error, ()
        with self._guard:
            self._jobs.pop(job.key, None)
        job.done.set()

    def _dispatch(self) -> None:
        while True:
            try:
                self._ensure_process()
                if not self.warmed_up.is_set() and self._queue.empty():
                    self._read_until_idle()     # the child is compiling UMAP: hear its "warm"
                    continue
            except (LvmError, OSError, EOFError):
                self.warm_umap = False          # it died compiling: the next worker skips it (UMAP compiles on use)
                self._process = None
                self.warmed_up.set()
                continue
            job = self._queue.get()
            try:
                self._ensure_process()
                self._conn.send((job.key, *job.arrays))
                self._finish(job, result=self._read_until_idle(job))
            except LvmError as exc:
                self._finish(job, error=exc)
            except (OSError, EOFError):
                self._finish(job, error=self._stopped())

    def _read_until_idle(self, job: MapJob | None = None) -> LatentMap | None:
        """Read the child's messages until it sends job's map (or, with no job, until it is warm or a job
        arrives). Raises MapWorkerStopped when it ends first."""
        while True:
            ready = wait([self._conn, self._process.sentinel], timeout=None if job else PROGRESS_EVERY_S)
            if not ready:
                if not self._queue.empty() or self.warmed_up.is_set():
                    return None
                continue
            if self._conn not in ready:
                raise self._stopped()
            kind, *payload = self._conn.recv()
            if kind == "warm":
                self.warmed_up.set()
                if job is None:
                    return None
            elif kind == "progress" and job is not None:
                job.progress = (float(payload[0]), str(payload[1]))
            elif kind == "done" and job is not None:
                return payload[0]
            elif kind == "error" and job is not None:
                raise LvmError(payload[0])

    def _ensure_process(self) -> None:
        if self._process is not None and self._process.is_alive():
            return
        parent, child = self._ctx.Pipe()
        with plain_main_module():
            self._process = self._ctx.Process(target=serve, args=(child, self.warm_umap), name="lvm-map-worker",
                                              daemon=True)
            self._process.start()
        child.close()
        self._conn = parent

    def _stopped(self) -> MapWorkerStopped:
        code = None
        if self._process is not None:
            self._process.join(timeout=5)   # its sentinel fired: reap it, for its exit code
            code, self._process = self._process.exitcode, None
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        return MapWorkerStopped(f"the map's worker process ended before the map was done ({how}; out of "
                                "memory or stopped); nothing was stored: ask for the map again")


def serve(conn, warm_umap: bool = True) -> None:
    """The worker process: compute each map asked for; compile UMAP whenever no map is waiting."""
    from lvm_core.maps.projection import warm_up_umap
    from lvm_core.maps.store import compute_map

    os.nice(NICENESS)
    warm = not warm_umap
    while True:
        if not warm and not conn.poll(0):
            warm_up_umap()
            warm = True
            conn.send(("warm", None))
        try:
            key, codes, labels, errors = conn.recv()
        except EOFError:    # the server ended
            return
        try:
            latent_map = compute_map(key, codes, labels, errors,
                                     progress=lambda fraction, text: conn.send(("progress", fraction, text)))
        except (LvmError, ValueError) as exc:
            conn.send(("error", str(exc)))
        else:
            conn.send(("done", latent_map))
