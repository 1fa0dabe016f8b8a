"""lvm_core.maps.payload: a map packed for the browser unpacks to the same arrays, and an invertible
map's linear inverse gives back each point's code from its place on the map."""
import numpy as np
import pytest

from lvm_core.maps.payload import linear_inverse, map_header, pack_map, unpack_map
from lvm_core.maps.pca import pca_map
from lvm_core.maps.projection import project


def _map(method: str, latent_dim: int = 6, n: int = 50):
    rng = np.random.default_rng(0)
    codes = (rng.standard_normal((n, latent_dim)) * np.arange(1, latent_dim + 1)).astype(np.float32)
    images = rng.random((n, 8, 8)).astype(np.float32)
    return codes, project(codes, method), images


def test_packed_map_unpacks_to_the_same_arrays():
    codes, xy, images = _map("pca")
    indices, labels, errors = np.arange(100, 150), np.arange(50) % 10, np.linspace(0, 1, 50)
    blob = pack_map(xy, indices, labels, errors, codes, images, 1 - images, "pca", {"key": "k", "class_names": ["a"]})
    header, arrays = unpack_map(blob)
    assert header["n"] == 50 and header["height"] == 8 and header["latent_dim"] == 6 and header["key"] == "k"
    assert header["invertible"] is True
    np.testing.assert_array_equal(arrays["xy"], xy)
    np.testing.assert_array_equal(arrays["indices"], indices)
    np.testing.assert_array_equal(arrays["codes"], codes)
    np.testing.assert_array_equal(arrays["originals"], np.round(images * 255).astype(np.uint8))
    assert all(s["offset"] % 4 == 0 for s in header["sections"])   # typed-array views need aligned offsets


@pytest.mark.parametrize("latent_dim", [2, 6])
def test_linear_inverse_of_a_pca_map_projects_codes_onto_its_plane(latent_dim):
    codes, xy, _ = _map("pca", latent_dim)
    mean, components = linear_inverse(codes, xy)
    back = mean + xy @ components
    if latent_dim == 2:   # the plane is the whole latent space: exact
        np.testing.assert_allclose(back, codes, atol=1e-4)
    # the code decoded at a point's place lands on that same place of the map
    np.testing.assert_allclose(pca_map(codes).place(back), xy, atol=1e-3)


def test_a_tsne_map_is_not_invertible_and_3d_maps_are_refused():
    codes, xy, images = _map("pca")
    header, arrays = unpack_map(pack_map(xy, np.arange(50), np.zeros(50), np.zeros(50), codes, images, images, "tsne"))
    assert header["invertible"] is False and "mean" not in arrays
    with pytest.raises(ValueError, match="2-D"):
        pack_map(np.zeros((50, 3)), np.arange(50), np.zeros(50), np.zeros(50), codes, images, images, "pca")


def test_colour_images_travel_as_height_width_channels():
    codes, xy, images = _map("pca")
    colour = np.stack([images, 1 - images, images / 2], axis=-1)   # (N, H, W, 3)
    header, arrays = unpack_map(pack_map(xy, np.arange(50), np.zeros(50), np.zeros(50), codes, colour, colour, "pca"))
    assert header["channels"] == 3 and (header["height"], header["width"]) == (8, 8)
    np.testing.assert_array_equal(arrays["recons"], np.round(colour * 255).astype(np.uint8))


def test_the_header_carries_class_names_as_text_and_as_plotly_labels():
    names = ['<span style="font-size:80px">BIG</span>', "ok\u202eevil", "x" * 10_000]
    header = map_header("k", "pca", "PCA", names, 10, "digest")
    assert header["class_names"][0] == names[0]                 # shown with textContent: as it is
    assert header["class_labels"][0] == "&lt;span style=&#34;font-size:80px&#34;&gt;BIG&lt;/span&gt;"
    assert header["class_names"][1] == header["class_labels"][1] == "okevil"
    assert len(header["class_names"][2]) == len(header["class_labels"][2]) == 80
