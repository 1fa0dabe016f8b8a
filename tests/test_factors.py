"""Factors measured from pixels, on synthetic images with known answers."""
import numpy as np
import pytest

from lvm_core.factors.measure import FACTORS, measure_factors, slant, split_factors


def bar(size=28, thickness=3, shear=0.0, length=16):
    """A vertical bar `thickness` pixels wide, its top shifted right by shear * height."""
    img = np.zeros((size, size), np.float32)
    top = (size - length) // 2
    for r in range(top, top + length):
        centre = size / 2 + shear * ((top + length / 2) - r)   # rows above the middle move right
        c0 = int(round(centre - thickness / 2))
        img[r, max(c0, 0):max(c0, 0) + thickness] = 1.0
    return img


def test_an_upright_bar_has_no_slant_and_a_sheared_one_leans_by_its_angle():
    assert abs(slant(bar())[0]) < 1.0
    right, left = slant(np.stack([bar(shear=0.5), bar(shear=-0.5)]))
    assert right == pytest.approx(np.degrees(np.arctan(0.5)), abs=3.0)   # 26.6 degrees
    assert left == pytest.approx(-right, abs=1.5)   # pixel rounding differs a little per side


def test_a_thicker_stroke_measures_thicker_and_about_its_width():
    thin, thick = measure_factors(np.stack([bar(thickness=1), bar(thickness=4)]))["thickness"]
    assert thin == pytest.approx(1.0, abs=0.2)
    assert thick == pytest.approx(4.0, abs=1.0)
    assert thick > thin


def test_bounding_box_and_mass_of_a_bar():
    f = measure_factors(bar(thickness=3, length=16))
    assert f["width"][0] == 3 and f["height"][0] == 16 and f["mass"][0] == pytest.approx(48)


def test_an_8x8_image_and_an_empty_image_give_finite_values():
    images = np.zeros((3, 8, 8), np.float32)
    images[1, 1:7, 3:5] = 1.0
    images[2] = np.nan   # a broken decode must not poison a table either
    table = measure_factors(images)
    assert set(table) == set(FACTORS)
    for name, values in table.items():
        assert values.shape == (3,) and np.isfinite(values).all(), name
        assert values[0] == 0 and values[2] == 0, name
    assert table["height"][1] == 6 and table["width"][1] == 2


def test_shapes_torch_and_channel_dimension_agree():
    import torch

    x = np.stack([bar(shear=0.3), bar(thickness=5)])
    a, b = measure_factors(x), measure_factors(torch.from_numpy(x)[:, None])
    for k in a:
        np.testing.assert_allclose(a[k], b[k])
    with pytest.raises(ValueError):
        measure_factors(np.zeros((2, 3, 8, 8)))


def test_split_factors_are_measured_once_and_read_back(tmp_path, monkeypatch):
    import lvm_core.factors.measure as factors

    x = np.stack([bar(shear=s) for s in (-0.4, 0.0, 0.4)])
    first = split_factors("toy", "test", x, folder=tmp_path)
    monkeypatch.setattr(factors, "measure_factors", lambda images: pytest.fail("measured again"))
    again = split_factors("toy", "test", x, folder=tmp_path)
    for k in first:
        np.testing.assert_array_equal(first[k], again[k])
    assert len(list((tmp_path / "factors").glob("toy_test_*.npz"))) == 1


def test_morpho_mnist_thickness_reads_a_bar_about_its_width_and_orders_like_ours():
    from lvm_core.factors.measure import morpho_thickness

    bars = np.stack([bar(thickness=t) for t in (1, 2, 3, 4, 5)] + [np.zeros((28, 28), np.float32)])
    morpho = morpho_thickness(bars)
    assert morpho[-1] == 0 and np.all(np.diff(morpho[:-1]) > 0)
    np.testing.assert_allclose(morpho[1:5], [2, 3, 4, 5], atol=0.6)
    assert np.all(np.diff(measure_factors(bars[:-1])["thickness"]) > 0)
