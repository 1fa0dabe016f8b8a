"""Factor directions: moving codes along them moves the factor measured on the decodes; removing
them shrinks its spread; the probe table reads factors and the class."""
import numpy as np
import pytest

from conftest import ROOT, requires_mnist
from lvm_core.factors.directions import fit_direction, probe_table, remove_factor, traverse
from lvm_core.factors.measure import measure_factors


def test_direction_points_to_larger_values_and_removal_zeroes_the_probe_reading():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((2000, 5))
    values = 3 * codes[:, 2] + 0.1 * rng.standard_normal(2000)
    d = fit_direction(codes, values, "toy")
    assert abs(d.unit[2]) > 0.99 and d.unit[2] > 0
    moved = d.move(codes[:4], [-1.0, 0.0, 1.0])
    assert moved.shape == (3, 4, 5)
    assert np.all(d.read(moved[2]) > d.read(moved[0]))
    removed = d.remove(codes)
    np.testing.assert_allclose(d.read(removed), values.mean(), atol=1e-3)
    np.testing.assert_allclose(np.delete(removed, 2, axis=1), np.delete(codes, 2, axis=1), atol=0.25)


def test_a_factor_that_never_varies_still_gives_a_direction():
    d = fit_direction(np.random.default_rng(0).standard_normal((50, 3)), np.zeros(50), "empty")
    assert np.isfinite(d.unit).all() and np.isfinite(d.remove(np.ones((2, 3)))).all()


@pytest.fixture(scope="module")
def mnist_vae():
    from lvm_core import load_checkpoint, load_dataset
    from lvm_core.generation.inference import encode

    ckpt = load_checkpoint(ROOT / "checkpoints" / "mnist-vae-mlp-32.safetensors")
    test = load_dataset("mnist", "test", download=False)
    return ckpt.model, encode(ckpt.model, test.images), measure_factors(test.images), test.labels.numpy()


@requires_mnist
@pytest.mark.parametrize("factor", ["slant", "thickness"])
def test_moving_along_a_direction_moves_the_decoded_factor_the_right_way(mnist_vae, factor):
    model, codes, table, _ = mnist_vae
    d = fit_direction(codes, table[factor], factor)
    walk = traverse(model, codes[::100], d)
    assert walk.frames.shape == (9, 100, 28, 28)
    assert walk.rho > 0.9
    p20, p80 = np.percentile(table[factor], [20, 80])
    assert walk.mean[0] < p20 < p80 < walk.mean[-1]


@requires_mnist
def test_removing_slant_shrinks_its_spread_and_keeps_the_digits(mnist_vae):
    from lvm_core.analysis.quality import find_classifier

    model, codes, table, labels = mnist_vae
    d = fit_direction(codes, table["slant"], "slant")
    removal = remove_factor(model, codes[:1000], d, labels[:1000], find_classifier("mnist"))
    assert removal.after.shape == (1000, 28, 28)
    assert removal.spread_ratio < 0.6
    assert removal.identity_kept > 0.9


def test_probe_table_reads_a_linear_factor_and_has_a_class_row():
    rng = np.random.default_rng(1)
    codes = rng.standard_normal((400, 4))
    labels = (codes[:, 0] > 0).astype(int)
    table = {"linear": codes @ [1.0, 2.0, 0.0, 0.0], "noise": rng.standard_normal(400)}
    rows = probe_table(codes[:300], {k: v[:300] for k, v in table.items()}, labels[:300],
                       codes[300:], {k: v[300:] for k, v in table.items()}, labels[300:])
    assert rows["linear"] > 0.99 and rows["noise"] < 0.1 and 0.2 < rows["class"] < 1
