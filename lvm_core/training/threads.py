"""How many CPU threads torch uses: chosen on purpose, from what the other processes leave free.

Measured on this project's 2-core machine (benchmarks/train_speed.py): with the other core idle,
2 threads train an MNIST MLP epoch 1.5x faster than 1 and a conv epoch 1.6x; with another process
keeping the second core busy, 2 threads ran 10-20x slower than 1 (each step waits for the thread
that is not scheduled). Weights are bit for bit the same at 1 or 2 threads (tests/test_training.py),
so a run may change its threads between epochs without changing what it learns.
"""
from __future__ import annotations

import os
import time

import torch

DEFAULT_CPU_THREADS = 1     # a process that can't tell (the app server: a class always has something running)
SAMPLE_S = 0.2              # the window free_cpu_threads() watches


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def set_cpu_threads(threads: int | None = None) -> int:
    """Set torch's intra-op CPU threads (process-wide); None picks DEFAULT_CPU_THREADS."""
    n = threads or DEFAULT_CPU_THREADS
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


class CpuShare:
    """The cores the *other* processes left idle between two readings: the machine's busy CPU time
    (/proc/stat) minus this process's own. A load average would lag by a minute: right after a
    heavy job it still reports the machine busy. Without /proc/stat (macOS, Windows) the 1-minute
    load average stands in."""

    def __init__(self):
        self.cores = usable_cores()
        self._last = _reading()

    def free(self) -> int:
        """Cores free for this process since the last call (or creation), from 1 to all usable."""
        now, last = _reading(), self._last
        self._last = now
        if now is None or last is None or now[0] <= last[0]:
            return _clamp(self.cores - _load_average(), self.cores)
        wall, busy, own = (a - b for a, b in zip(now, last))
        return _clamp(self.cores - max(0.0, busy - own) / wall, self.cores)


def free_cpu_threads(window_s: float = SAMPLE_S) -> int:
    """Threads for a run started now: the cores other processes leave free over the next window_s."""
    share = CpuShare()
    time.sleep(window_s)
    return share.free()


def _load_average() -> float:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):   # Windows: no load average; assume one core is taken
        return 1.0


def _clamp(free_cores: float, cores: int) -> int:
    return max(1, min(cores, round(free_cores)))


def _reading() -> tuple[float, float, float] | None:
    """(monotonic s, machine busy CPU s, this process's CPU s), or None where /proc/stat is missing."""
    try:
        with open("/proc/stat") as f:
            ticks = [int(v) for v in f.readline().split()[1:9]]   # user nice system idle iowait irq softirq steal
    except (OSError, ValueError):
        return None
    busy = sum(ticks) - ticks[3] - ticks[4]
    return time.monotonic(), busy / os.sysconf("SC_CLK_TCK"), time.process_time()
