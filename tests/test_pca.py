"""The one PCA: scikit-learn's answer, one sign rule, truncation, and the map of codes."""
from __future__ import annotations

import numpy as np
import pytest

from lvm_core.maps.pca import fit_pca, pca_map, pca_reconstruct


@pytest.fixture(scope="module")
def codes():
    """(500, 6) correlated codes with distinct variances along their principal axes."""
    rng = np.random.default_rng(0)
    return (rng.normal(size=(500, 6)) * [5, 3, 2, 1, 0.5, 0.1]) @ np.linalg.qr(rng.normal(size=(6, 6)))[0] + 4


def test_fit_pca_matches_sklearn_up_to_its_sign_rule(codes):
    from sklearn.decomposition import PCA

    ours, theirs = fit_pca(codes, 3), PCA(n_components=3).fit(codes)
    np.testing.assert_allclose(np.abs(ours.components), np.abs(theirs.components_), atol=1e-8)
    np.testing.assert_allclose(ours.reconstruct(codes), theirs.inverse_transform(theirs.transform(codes)), atol=1e-4)
    # the sign rule: each component's largest-magnitude loading is positive, whatever the input's sign
    flipped = fit_pca(-codes, 3)
    for pca in (ours, flipped):
        rows = np.arange(3)
        assert (pca.components[rows, np.abs(pca.components).argmax(axis=1)] > 0).all()
    np.testing.assert_allclose(flipped.components, ours.components, atol=1e-8)


def test_truncating_one_fit_equals_fitting_at_that_size(digits):
    train, test = digits
    big, small = fit_pca(train.images, 32), fit_pca(train.images, 4)
    np.testing.assert_allclose(pca_reconstruct(big, test.images, 4), pca_reconstruct(small, test.images, 4), atol=1e-4)
    assert pca_reconstruct(big, test.images, 4).shape == (len(test), 8, 8)


def test_pca_map_places_new_codes_on_the_fitted_map(codes):
    fitted = pca_map(codes)
    places = fitted.place(codes)
    assert places.shape == (500, 2) and places.dtype == np.float32
    np.testing.assert_allclose(fitted.place(codes[7]), places[7], rtol=1e-5)
    assert places[:, 0].var() > places[:, 1].var() > 0       # largest variance on the first axis
    np.testing.assert_allclose(places.mean(axis=0), 0, atol=1e-4)
    three = pca_map(codes, 3).place(codes)
    np.testing.assert_allclose(three[:, :2], places, atol=1e-4)  # the same sign rule in 2-D and 3-D


def test_a_two_number_code_is_its_own_map():
    z = np.array([[1.0, -2.0], [0.5, 3.0]], np.float32)
    np.testing.assert_array_equal(pca_map(z).place(z), z)
