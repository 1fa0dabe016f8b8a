"""Maps of latent codes: methods, trustworthiness against sklearn's, and the disk cache of maps."""
import numpy as np
import pytest

from lvm_core.projection import (DEFAULT_PARAMS, LatentMap, MapKey, MapStore, available_methods, compute_map,
                                 project, trustworthiness)


@pytest.fixture(scope="module")
def blobs():
    """Three well separated clusters of 8-d codes: (codes (300, 8) float32, labels (300,))."""
    rng = np.random.default_rng(0)
    centres = rng.normal(scale=10, size=(3, 8))
    labels = np.repeat(np.arange(3), 100)
    return (centres[labels] + rng.normal(size=(300, 8))).astype(np.float32), labels


def test_available_methods_follow_the_latent_size():
    assert "raw" not in available_methods(32, 2) and "umap" in available_methods(32, 3)
    assert available_methods(2, 3) == []
    assert set(available_methods(2, 2)) == {"pca", "tsne", "umap", "raw"}


@pytest.mark.parametrize("method,dims", [("pca", 2), ("pca", 3), ("tsne", 2), ("tsne", 3), ("raw", 2)])
def test_projection_shapes_and_cluster_separation(blobs, method, dims):
    codes, labels = blobs
    codes = codes[:, :2] if method == "raw" else codes
    emb = project(codes, method, dims, perplexity=20.0) if method == "tsne" else project(codes, method, dims)
    assert emb.shape == (300, dims) and emb.dtype == np.float32 and np.isfinite(emb).all()
    # every point's nearest map neighbour is in its own cluster
    d = ((emb[:, None] - emb[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() > 0.97


def test_raw_axes_are_the_codes_and_bad_requests_say_why(blobs):
    codes = blobs[0][:, :2]
    np.testing.assert_array_equal(project(codes, "raw"), codes)
    with pytest.raises(ValueError, match="cannot draw"):
        project(blobs[0], "raw")
    with pytest.raises(ValueError, match="unknown projection"):
        project(codes, "mds")


@pytest.mark.slow
def test_umap_separates_clusters(blobs):
    codes, labels = blobs
    emb = project(codes, "umap", 2, n_neighbors=10)
    d = ((emb[:, None] - emb[None]) ** 2).sum(-1)
    np.fill_diagonal(d, np.inf)
    assert (labels[d.argmin(1)] == labels).mean() > 0.97


def test_trustworthiness_equals_sklearn_and_the_sampled_estimate_is_close():
    from sklearn.manifold import trustworthiness as sk

    rng = np.random.default_rng(1)
    codes = rng.normal(size=(600, 6))
    emb = codes[:, :2] + 0.3 * rng.normal(size=(600, 2))   # a lossy map: trustworthiness well below 1
    exact = sk(codes, emb, n_neighbors=5)
    assert trustworthiness(codes, emb, sample=600) == pytest.approx(exact, abs=1e-12)
    # all 600 points as queries through the sampled path = the exact value
    from lvm_core import projection

    penalty = projection._rank_penalty(codes, emb, np.arange(600), 5)
    assert 1 - penalty / 600 * 2 / (5 * (2 * 600 - 15 - 1)) == pytest.approx(exact, abs=1e-9)
    assert trustworthiness(codes, emb, sample=300) == pytest.approx(exact, abs=0.02)
    assert trustworthiness(codes, codes, sample=300) == pytest.approx(1.0)


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


def test_latent_map_len_is_its_number_of_points():
    m = LatentMap(np.zeros((4, 2), np.float32), np.arange(4), np.zeros(4, int), np.zeros(4, np.float32), 1.0, 0.0)
    assert len(m) == 4
