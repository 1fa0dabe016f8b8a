"""From a Plotly selection event to dataset indices, and the views built from them."""
import csv
import io

import numpy as np
import pytest
import torch

from lvm_core.maps.selection import is_region, nearest_codes, point_view, selected_indices, selection_csv


def event(points, box=(), lasso=()):
    return {"selection": {"points": points, "box": list(box), "lasso": list(lasso), "point_indices": []}}


def test_click_in_a_real_browser_sends_customdata_as_a_dict():
    ev = event([{"curve_number": 3, "point_index": 7, "x": 0.1, "y": 2.0, "customdata": {"0": 1234.0, "1": 0.02}}])
    assert selected_indices(ev).tolist() == [1234]
    assert not is_region(ev)


def test_customdata_as_a_list_or_bare_value():
    ev = event([{"customdata": [5, 0.1]}, {"customdata": 9}, {"customdata": np.array([11.0, 0.3])}])
    assert selected_indices(ev).tolist() == [5, 9, 11]


def test_box_selection_keeps_order_and_drops_repeats():
    points = [{"customdata": {"0": i}} for i in (40, 2, 40, 17)]
    ev = event(points, box=[{"x": [0, 1], "y": [0, 1]}])
    assert selected_indices(ev).tolist() == [40, 2, 17]
    assert is_region(ev)
    assert is_region(event(points, lasso=[{"x": [0, 1, 1], "y": [0, 0, 1]}]))


def test_without_customdata_the_trace_layout_gives_the_index():
    traces = [np.array([100, 101, 102]), np.array([200, 201])]
    ev = event([{"curve_number": 1, "point_index": 1}, {"curve_number": 0, "point_number": 2}])
    assert selected_indices(ev, traces).tolist() == [201, 102]


def test_empty_missing_and_attribute_style_events():
    assert selected_indices(None).tolist() == []
    assert selected_indices({}).tolist() == []
    assert selected_indices(event([])).tolist() == []
    assert selected_indices(event([{"customdata": {"0": "not a number"}}])).tolist() == []

    class Attr:  # Streamlit's PlotlyState also reads as attributes
        def __init__(self, **kw):
            self.__dict__.update(kw)

    ev = Attr(selection=Attr(points=[{"customdata": {"0": 3}}], box=[], lasso=[]))
    assert selected_indices(ev).tolist() == [3]


def test_nearest_codes_are_nearest_first_and_exclude_the_point():
    codes = np.array([[0.0], [10.0], [1.0], [3.0], [-2.0]], dtype=np.float32)
    assert nearest_codes(codes, 0, 3).tolist() == [2, 4, 3]
    assert nearest_codes(codes, 0, 99).tolist() == [2, 4, 3, 1]
    assert nearest_codes(codes[:1], 0, 3).tolist() == []


def test_point_view_shows_that_point(digits):
    from lvm_core import load_checkpoint
    from lvm_core.storage.catalog import SHIPPED_DIR
    from lvm_core.generation.inference import encode_split

    path = SHIPPED_DIR / "digits-vae-mlp-8.safetensors"
    if not path.exists():
        pytest.skip("digits-vae-mlp-8 not trained yet")
    ckpt = load_checkpoint(path)
    test = digits[1]
    enc = encode_split(ckpt.model, test.images, test.labels)
    view = point_view(ckpt.model, test.images, enc.labels, enc.codes, enc.recon, 17, k=4, samples=3)
    assert view.index == 17 and view.label == int(test.labels[17])
    np.testing.assert_array_equal(view.image, test.images[17, 0].numpy())
    np.testing.assert_allclose(view.error, enc.errors[17], rtol=1e-5)
    assert view.neighbour_images.shape == (4, 8, 8) and 17 not in view.neighbours
    assert view.posterior_samples.shape == (3, 8, 8)
    with pytest.raises(IndexError):
        point_view(ckpt.model, test.images, enc.labels, enc.codes, enc.recon, len(test))


def test_selection_csv_has_one_row_per_index_with_its_code():
    codes = np.arange(12, dtype=np.float32).reshape(4, 3)
    text = selection_csv(np.array([2, 0]), np.array([0, 0, 1, 0]), ("zero", "one"), np.array([.1, .2, .3, .4]), codes)
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["index", "label", "class", "error", "z0", "z1", "z2"]
    assert rows[1] == ["2", "1", "one", "0.3", "6", "7", "8"]
    assert rows[2][:3] == ["0", "0", "zero"] and len(rows) == 3


def test_point_view_without_variational_model_has_no_samples(digits):
    from lvm_core import ModelConfig, build_model
    from lvm_core.generation.inference import encode_split

    torch.manual_seed(0)
    model = build_model(ModelConfig(kind="ae", arch="mlp", image_shape=(1, 8, 8), latent_dim=4, hidden=(16,)))
    test = digits[1]
    enc = encode_split(model, test.images[:20], test.labels[:20])
    view = point_view(model, test.images[:20], enc.labels, enc.codes, enc.recon, 0, k=3)
    assert view.posterior_samples is None and len(view.neighbours) == 3
