"""Maps of latent codes: which methods apply, the first map a model gets, and the algorithms."""
import subprocess
import sys

import numpy as np
import pytest

from lvm_core.maps.projection import available_methods, default_method, project


def test_available_methods_follow_the_latent_size():
    assert "raw" not in available_methods(32, 2) and "umap" in available_methods(32, 3)
    assert available_methods(2, 3) == []
    assert set(available_methods(2, 2)) == {"pca", "tsne", "umap", "raw"}


def test_a_model_gets_the_cheap_map_until_a_slow_one_is_asked_for_or_stored():
    nothing = lambda m: False  # noqa: E731  an upload or a new run: no map stored
    shipped = {"tsne"}.__contains__
    assert default_method(32, nothing) == "pca"
    assert default_method(32, nothing, current="tsne") == "pca"     # a t-SNE picked for another model
    assert default_method(32, nothing, current="umap", dims=3) == "pca"
    assert default_method(32, shipped) == "tsne"
    assert default_method(32, shipped, current="tsne") == "tsne"
    assert default_method(32, shipped, current="umap") == "tsne"
    assert default_method(32, shipped, current="pca") == "pca"      # a cheap choice is kept
    assert default_method(2, nothing) == "raw" and default_method(2, nothing, current="pca") == "pca"
    assert default_method(3, nothing, dims=3) == "raw"


def test_tsne_neither_imports_pynndescent_nor_patches_opentsne():
    code = ("import sys, numpy as np; from lvm_core.maps.projection import project; "
            "from openTSNE import affinity, utils; "
            "project(np.random.default_rng(0).normal(size=(1100, 4)).astype('float32'), 'tsne', "
            "early_exaggeration_iter=10, n_iter=10); "
            "assert 'pynndescent' not in sys.modules; "
            "assert affinity.is_package_installed is utils.is_package_installed")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]


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
