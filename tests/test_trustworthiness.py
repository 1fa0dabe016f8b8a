"""Trustworthiness: sklearn's value, and the sampled estimate used above sklearn's memory limit."""
import numpy as np
import pytest

from lvm_core.maps import trustworthiness as module
from lvm_core.maps.trustworthiness import trustworthiness


def test_trustworthiness_equals_sklearn_and_the_sampled_estimate_is_close():
    from sklearn.manifold import trustworthiness as sk

    rng = np.random.default_rng(1)
    codes = rng.normal(size=(600, 6))
    emb = codes[:, :2] + 0.3 * rng.normal(size=(600, 2))   # a lossy map: trustworthiness well below 1
    exact = sk(codes, emb, n_neighbors=5)
    assert trustworthiness(codes, emb, sample=600) == pytest.approx(exact, abs=1e-12)
    # all 600 points as queries through the sampled path = the exact value
    penalty = module._rank_penalty(codes, emb, np.arange(600), 5)
    assert 1 - penalty / 600 * 2 / (5 * (2 * 600 - 15 - 1)) == pytest.approx(exact, abs=1e-9)
    assert trustworthiness(codes, emb, sample=300) == pytest.approx(exact, abs=0.02)
    assert trustworthiness(codes, codes, sample=300) == pytest.approx(1.0)
