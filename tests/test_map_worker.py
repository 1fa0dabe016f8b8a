"""The map worker process (lvm_core/jobs/maps.py): the same t-SNE map as in-process, progress on the way,
one computation per map, and a worker killed mid-map stores nothing and says so."""
import os
import signal
import threading

import numpy as np
import pytest

from lvm_core.jobs.maps import MapWorker, MapWorkerStopped
from lvm_core.maps.store import MapKey, MapStore, compute_map

pytestmark = pytest.mark.usefixtures("isolated")   # conftest.py


def blobs(n=600, dim=6, seed=0):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    codes = (rng.normal(size=(n, dim)) + 4 * np.eye(dim)[labels]).astype(np.float32)
    return codes, labels, rng.random(n).astype(np.float32)


@pytest.fixture
def worker():
    w = MapWorker(warm_umap=False)   # UMAP's compilation is the warm-up's business, not these tests'
    yield w
    if w._process is not None:
        w._process.kill()


def test_a_map_from_the_worker_is_the_in_process_map_and_reports_progress(worker, tmp_path):
    arrays = blobs()
    key = MapKey.make("a" * 64, "test", 600, "tsne")
    seen = []
    store = MapStore(shipped_dir=tmp_path / "none", write_dir=tmp_path / "maps")
    m = store.get_or_compute(key, lambda: arrays, lambda f, text: seen.append((f, text)), worker.compute)
    here = compute_map(key, *arrays)
    np.testing.assert_array_equal(m.embedding, here.embedding)
    np.testing.assert_array_equal(m.indices, here.indices)
    assert m.trustworthiness == here.trustworthiness
    assert any("t-SNE: iteration" in text for _, text in seen)
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
    assert (tmp_path / "maps" / key.filename).is_file(), "stored through the store once the worker sent it"
    assert worker.busy() == 0


def test_two_sessions_asking_for_one_map_compute_it_once(worker):
    arrays, calls = blobs(), []
    key = MapKey.make("b" * 64, "test", 600, "tsne")

    def split_arrays():
        calls.append(1)
        return arrays

    results = [None, None]

    def ask(i):
        results[i] = worker.compute(key, split_arrays)

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert calls == [1] and results[0] is results[1] is not None


def test_a_worker_killed_mid_map_stores_nothing_says_so_and_the_next_map_works(worker, tmp_path):
    arrays = blobs()
    key = MapKey.make("c" * 64, "test", 600, "tsne")
    store = MapStore(shipped_dir=tmp_path / "none", write_dir=tmp_path / "maps")

    def kill_on_first_iteration(fraction, text):
        if "iteration" in text and worker._process is not None:
            os.kill(worker._process.pid, signal.SIGKILL)

    with pytest.raises(MapWorkerStopped, match="ended before the map was done .killed by signal 9.*nothing was stored"):
        store.get_or_compute(key, lambda: arrays, kill_on_first_iteration, worker.compute)
    assert not (tmp_path / "maps").exists() or list((tmp_path / "maps").iterdir()) == []
    assert store.get(key) is None
    again = store.get_or_compute(key, lambda: arrays, None, worker.compute)   # a fresh worker process
    np.testing.assert_array_equal(again.embedding, compute_map(key, *arrays).embedding)


def test_a_map_the_worker_refuses_is_one_line_and_the_worker_lives_on(worker):
    codes, labels, errors = blobs()
    codes[3, 0] = np.nan
    with pytest.raises(Exception, match="NaN or infinite") as caught:
        worker.compute(MapKey.make("d" * 64, "test", 600, "tsne"), lambda: (codes, labels, errors))
    assert not isinstance(caught.value, MapWorkerStopped)
    pid = worker._process.pid
    worker.compute(MapKey.make("e" * 64, "test", 300, "tsne"), lambda: blobs(300))
    assert worker._process.pid == pid
