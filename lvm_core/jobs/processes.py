"""How a run's worker process starts: from a clean forkserver, never with the app's page script as
its __main__."""
from __future__ import annotations

import multiprocessing
import sys
import threading
import types
from contextlib import contextmanager

from lvm_core.jobs import worker


def worker_context():
    """forkserver where the OS has it: a run's process forks from a clean, single-threaded server that
    has already imported torch (0.1 s, where spawn re-imports torch for ~9 s on a busy 2-core machine);
    never a fork of the app server itself, whose threads may hold locks."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload([worker.__name__])
    return ctx


@contextmanager
def plain_main_module():
    """multiprocessing makes a child import the parent's __main__ by its file. Inside Streamlit (and
    AppTest) __main__ is the last page script run, so every worker would run the whole app in bare
    mode before training: start children with a bare __main__ instead."""
    with _MAIN_LOCK:
        real = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = real


_MAIN_LOCK = threading.Lock()
