import os
import time

import pytest
import torch

from lvm_core.training import threads as cpu_threads
from lvm_core.training.threads import CpuShare, free_cpu_threads, set_cpu_threads


def readings(monkeypatch, *values):
    """Feed CpuShare (monotonic s, machine busy CPU s, own CPU s) readings, one per call."""
    it = iter(values)
    monkeypatch.setattr(cpu_threads, "_reading", lambda: next(it))
    monkeypatch.setattr(cpu_threads, "usable_cores", lambda: 2)


def test_an_idle_machine_frees_both_cores(monkeypatch):
    readings(monkeypatch, (0.0, 100.0, 5.0), (1.0, 100.1, 5.0))
    assert CpuShare().free() == 2


def test_another_busy_process_leaves_one_core(monkeypatch):
    readings(monkeypatch, (0.0, 100.0, 5.0), (1.0, 101.0, 5.0))
    assert CpuShare().free() == 1


def test_this_process_own_work_is_not_counted_as_taken(monkeypatch):
    # two cores busy for a second, both by this process's threads: the cores are still ours
    readings(monkeypatch, (0.0, 100.0, 5.0), (1.0, 102.0, 7.0))
    assert CpuShare().free() == 2


def test_a_crowd_still_leaves_one_thread_and_each_reading_starts_where_the_last_ended(monkeypatch):
    readings(monkeypatch, (0.0, 100.0, 0.0), (1.0, 102.0, 0.0), (2.0, 102.1, 0.0))
    share = CpuShare()
    assert share.free() == 1          # both cores taken by others: never fewer than one
    assert share.free() == 2          # the next second they were idle


def test_without_proc_stat_the_load_average_stands_in(monkeypatch):
    readings(monkeypatch, None, None, None, None)
    monkeypatch.setattr(cpu_threads.os, "getloadavg", lambda: (0.2, 0.5, 0.5))
    assert CpuShare().free() == 2
    monkeypatch.setattr(cpu_threads.os, "getloadavg", lambda: (1.1, 0.5, 0.5))
    assert CpuShare().free() == 1


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="reads /proc/stat")
def test_a_real_reading_counts_only_other_processes():
    reading = cpu_threads._reading()
    assert reading is not None and reading[1] > 0
    start = time.perf_counter()
    assert 1 <= free_cpu_threads(0.05) <= cpu_threads.usable_cores()
    assert time.perf_counter() - start >= 0.05


def test_set_cpu_threads_defaults_to_one_and_sets_torch():
    before = torch.get_num_threads()
    try:
        assert set_cpu_threads(None) == 1 and torch.get_num_threads() == 1
        assert set_cpu_threads(2) == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)
