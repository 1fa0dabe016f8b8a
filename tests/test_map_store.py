"""The disk store of maps: keys, compute once, shipped first, damaged files, the size bound."""
import os

import numpy as np
import pytest

from lvm_core.maps.store import MapKey, MapStore, compute_map
from lvm_core.maps.projection import DEFAULT_PARAMS


def test_map_key_fills_defaults_and_names_a_file():
    key = MapKey.make("ab" * 32, "test", 1000, "umap")
    assert dict(key.params) == DEFAULT_PARAMS["umap"]
    assert key == MapKey.make("ab" * 32, "test", 1000, "umap", params={"min_dist": 0.1})
    assert key != MapKey.make("ab" * 32, "test", 1000, "umap", params={"min_dist": 0.5})
    assert key.filename.startswith("abababababababab_test_n1000_umap2d_") and key.filename.endswith(".npz")
    with pytest.raises(ValueError):
        MapKey.make("ab", "test", 10, "nope")


def test_store_computes_once_then_serves_from_disk_after_a_restart(tmp_path, blobs):
    codes, labels = blobs
    errors = np.linspace(0, 1, 300).astype(np.float32)
    key = MapKey.make("c0ffee" * 10, "test", 200, "pca")
    calls = []

    def split_arrays():
        calls.append(1)
        return codes, labels, errors

    store = MapStore(tmp_path / "shipped", tmp_path / "cache")
    first = store.get_or_compute(key, split_arrays)
    assert first.source == "computed" and len(first) == 200 and calls == [1]
    np.testing.assert_array_equal(first.labels, labels[first.indices])
    np.testing.assert_array_equal(first.errors, errors[first.indices])
    assert 0.5 < first.trustworthiness <= 1
    assert store.get_or_compute(key, split_arrays) is first and calls == [1]

    restarted = MapStore(tmp_path / "shipped", tmp_path / "cache")
    again = restarted.get_or_compute(key, split_arrays)
    assert calls == [1] and again.source == "cache"
    np.testing.assert_array_equal(again.embedding, first.embedding)
    assert again.trustworthiness == first.trustworthiness


def test_shipped_maps_are_read_first_and_damaged_files_recomputed(tmp_path, blobs):
    codes, labels = blobs
    errors = np.zeros(300, np.float32)
    key = MapKey.make("5eed" * 16, "test", 300, "pca")
    shipped = tmp_path / "shipped"
    m = compute_map(key, codes, labels, errors)
    MapStore(tmp_path / "none", shipped).put(key, m)
    store = MapStore(shipped, tmp_path / "cache")
    assert store.get(key).source == "shipped"

    (tmp_path / "cache").mkdir()
    other = MapKey.make("5eed" * 16, "test", 300, "pca", dims=3)
    (tmp_path / "cache" / other.filename).write_bytes(b"not a numpy file")
    assert store.get(other) is None
    fixed = store.get_or_compute(other, lambda: (codes, labels, errors))
    assert fixed.embedding.shape == (300, 3)
    assert MapStore(tmp_path / "none", tmp_path / "cache").get(other).source == "cache"


def test_compute_map_refuses_codes_that_are_not_finite(blobs):
    codes = blobs[0].copy()
    codes[3, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        compute_map(MapKey.make("d" * 64, "test", 300, "pca"), codes, blobs[1], np.zeros(300))


def test_the_cache_folder_stays_under_its_bound_dropping_the_least_recently_used(tmp_path, blobs):
    codes, labels = blobs
    errors = np.zeros(300, np.float32)
    keys = [MapKey.make("e" * 64, "test", 300, "pca", seed=s) for s in range(4)]
    maps = [compute_map(k, codes, labels, errors) for k in keys]
    store = MapStore(tmp_path / "shipped", tmp_path / "cache", max_bytes=None)
    paths = [store.put(k, m) for k, m in zip(keys[:3], maps[:3])]
    size = max(p.stat().st_size for p in paths)
    for age, p in enumerate(paths):                 # written long ago, oldest first
        os.utime(p, (1_000_000 + age, 1_000_000 + age))
    bounded = MapStore(tmp_path / "shipped", tmp_path / "cache", memory_entries=0, max_bytes=int(2.5 * size))
    assert bounded.get(keys[0]) is not None         # read: now the most recently used
    newest = bounded.put(keys[3], maps[3])
    left = sorted(p.name for p in (tmp_path / "cache").glob("*.npz"))
    assert left == sorted([paths[0].name, newest.name])
    assert sum(p.stat().st_size for p in (tmp_path / "cache").glob("*.npz")) <= 2.5 * size
