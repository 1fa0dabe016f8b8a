"""Samplers, interpolation and the latent helpers behind the Sliders, Compare and Interpolate pages."""
import numpy as np
import pytest

from lvm_core.generation.latent import (dimension_importance, dimension_order, gif_bytes, interpolate, manifold_grid,
                             plane_codes, slider_ranges)
from lvm_core.generation.sampling import GaussianMixtureSampler, lerp, sample_normal, slerp


def _pair(d=16, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(d).astype(np.float32), 3 * rng.standard_normal(d).astype(np.float32)


@pytest.mark.parametrize("method", ["linear", "spherical"])
def test_interpolation_endpoints_are_exact(method):
    z0, z1 = _pair()
    path = interpolate(z0, z1, 7, method)
    assert path.shape == (7, 16)
    np.testing.assert_array_equal(path[0], z0)
    np.testing.assert_array_equal(path[-1], z1)


def test_lerp_is_a_straight_line_at_even_steps():
    z0, z1 = _pair()
    path = lerp(z0, z1, 5)
    np.testing.assert_allclose(path[2], (z0 + z1) / 2, rtol=1e-6)
    np.testing.assert_allclose(np.diff(path, axis=0), np.tile((z1 - z0) / 4, (4, 1)), atol=1e-5)


def test_slerp_keeps_the_norm_between_the_endpoints():
    """Equal-norm endpoints: every step has that norm (lerp would dip towards the origin)."""
    z0, z1 = _pair()
    z1 = z1 / np.linalg.norm(z1) * np.linalg.norm(z0)
    norms = np.linalg.norm(slerp(z0, z1, 11), axis=1)
    np.testing.assert_allclose(norms, np.linalg.norm(z0), rtol=1e-5)
    assert np.linalg.norm(lerp(z0, z1, 11), axis=1)[5] < 0.95 * np.linalg.norm(z0)
    # unequal norms: the norm goes linearly from one to the other, the direction stays on the great circle
    a, b = _pair(seed=1)
    path = slerp(a, b, 9)
    np.testing.assert_allclose(np.linalg.norm(path, axis=1),
                               np.linspace(np.linalg.norm(a), np.linalg.norm(b), 9), rtol=1e-5)
    unit = path / np.linalg.norm(path, axis=1, keepdims=True)
    angles = np.arccos(np.clip(np.sum(unit[:-1] * unit[1:], axis=1), -1, 1))
    np.testing.assert_allclose(angles, angles[0], rtol=1e-3)  # equal angular steps


def test_slerp_of_parallel_or_zero_codes_falls_back_to_lerp():
    z0 = np.ones(4, np.float32)
    np.testing.assert_allclose(slerp(z0, 2 * z0, 3)[1], 1.5 * z0, rtol=1e-6)
    np.testing.assert_allclose(slerp(np.zeros(4), z0, 3)[1], 0.5 * z0, rtol=1e-6)


def test_interpolate_rejects_bad_arguments():
    z0, z1 = _pair()
    with pytest.raises(ValueError, match="unknown interpolation"):
        interpolate(z0, z1, 5, "cubic")
    with pytest.raises(ValueError, match="at least 2"):
        interpolate(z0, z1, 1)


def test_sample_normal_is_seeded_and_standard():
    a, b, c = sample_normal(5000, 4, 1), sample_normal(5000, 4, 1), sample_normal(5000, 4, 2)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert a.dtype == np.float32 and a.shape == (5000, 4)
    assert np.abs(a.mean(0)).max() < 0.06 and np.abs(a.std(0) - 1).max() < 0.05


def test_mixture_sampler_lands_where_the_codes_are():
    """Codes in two far clusters: mixture samples fall near them, N(0, I) samples do not."""
    rng = np.random.default_rng(0)
    centres = np.array([[20.0, 0.0, 0.0], [-20.0, 5.0, 0.0]])
    codes = np.concatenate([c + 0.5 * rng.standard_normal((300, 3)) for c in centres])
    sampler = GaussianMixtureSampler(n_components=2, seed=0).fit(codes)
    z = sampler.sample(400, seed=3)
    assert z.shape == (400, 3) and z.dtype == np.float32
    dist = np.linalg.norm(z[:, None] - centres[None], axis=2).min(axis=1)
    assert np.median(dist) < 1.5
    assert 0.3 < np.mean(z[:, 0] > 0) < 0.7  # both clusters, shuffled rather than grouped
    assert np.mean(z[:200, 0] > 0) not in (0.0, 1.0)
    np.testing.assert_array_equal(z, sampler.sample(400, seed=3))
    assert not np.array_equal(z, sampler.sample(400, seed=4))


def test_slider_ranges_follow_the_data_percentiles():
    rng = np.random.default_rng(0)
    codes = np.stack([rng.normal(5, 2, 10_000), rng.uniform(-1, 1, 10_000), np.zeros(10_000)], axis=1)
    r = slider_ranges(codes)
    assert r.shape == (3, 2)
    np.testing.assert_allclose(r[0], [5 - 2.326 * 2, 5 + 2.326 * 2], atol=0.2)
    np.testing.assert_allclose(r[1], [-0.98, 0.98], atol=0.02)
    assert r[2, 0] < 0 < r[2, 1]  # a dead dimension still gets a usable slider


def test_dimension_importance_ae_variance_and_vae_kl():
    rng = np.random.default_rng(0)
    codes = rng.standard_normal((1000, 3)) * np.array([0.1, 3.0, 1.0])
    assert dimension_order(dimension_importance(codes)) == [1, 2, 0]
    # VAE: a dimension whose posterior is the prior (mu 0, logvar 0) has KL 0 and comes last
    mu = np.stack([np.zeros(1000), 2 * rng.standard_normal(1000)], axis=1).astype(np.float32)
    logvar = np.stack([np.zeros(1000), np.full(1000, -4.0)], axis=1).astype(np.float32)
    kl = dimension_importance(mu, logvar)
    assert kl[0] == pytest.approx(0, abs=1e-6) and kl[1] > 1
    assert dimension_order(kl) == [1, 0]


def test_plane_codes_read_like_a_plot():
    codes = plane_codes((-1, 1), (-2, 2), 3)
    assert codes.shape == (9, 2)
    np.testing.assert_allclose(codes[0], [-1, 2])    # top-left: x min, y max
    np.testing.assert_allclose(codes[2], [1, 2])
    np.testing.assert_allclose(codes[-1], [1, -2])   # bottom-right


def test_manifold_grid_tiles_decoded_images(digits):
    from lvm_core import ModelConfig, build_model
    from lvm_core.generation.inference import decode

    model = build_model(ModelConfig(kind="vae", image_shape=(1, 8, 8), latent_dim=2, hidden=(16,))).eval()
    grid = manifold_grid(model, (-2, 2), (-1, 1), n=4)
    assert grid.shape == (32, 32)
    first = decode(model, plane_codes((-2, 2), (-1, 1), 4))
    np.testing.assert_allclose(grid[8:16, 0:8], first[4], rtol=1e-6)  # second row, first column
    with pytest.raises(ValueError, match="2-d latent"):
        manifold_grid(build_model(ModelConfig(image_shape=(1, 8, 8), latent_dim=3, hidden=(16,))), (0, 1), (0, 1))


def test_gif_has_every_frame_and_loops():
    import io

    from PIL import Image

    frames = np.linspace(0, 1, 5)[:, None, None] * np.ones((5, 8, 8))
    data = gif_bytes(frames, scale=2, bounce=True)
    img = Image.open(io.BytesIO(data))
    assert img.format == "GIF" and img.size == (16, 16)
    assert img.n_frames == 8  # 5 forward + 3 back
    assert img.info.get("loop") == 0
    img.seek(4)
    assert np.asarray(img.convert("L")).mean() > 250
    assert Image.open(io.BytesIO(gif_bytes(frames, bounce=False))).n_frames == 5


def test_mixture_sampler_is_shared_safely_between_threads():
    """One cached sampler, many sessions: each call's samples depend on its seed alone, however calls
    interleave, and the fitted mixture is left as it was."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(1)
    sampler = GaussianMixtureSampler(n_components=3, seed=0).fit(rng.standard_normal((600, 4)) * 3)
    state = sampler.gmm.random_state
    expected = {seed: sampler.sample(2000, seed=seed) for seed in range(8)}
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda s: (s % 8, sampler.sample(2000, seed=s % 8)), range(64)))
    for seed, z in got:
        np.testing.assert_array_equal(z, expected[seed])
    assert sampler.gmm.random_state == state
