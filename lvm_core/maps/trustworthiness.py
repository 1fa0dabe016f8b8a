"""How faithful a map is: sklearn's trustworthiness (Venna & Kaski, 2001), and an unbiased estimate
of it for maps too big for sklearn's N x N distance matrix."""
from __future__ import annotations

import numpy as np

TRUST_NEIGHBOURS = 5        # sklearn's default k for trustworthiness
TRUST_SAMPLE = 2000         # above this many points, estimated on this many query points (std ~0.0003 at 10k)


def trustworthiness(codes: np.ndarray, embedding: np.ndarray, n_neighbors: int = TRUST_NEIGHBOURS,
                    sample: int = TRUST_SAMPLE, seed: int = 0) -> float:
    """sklearn's trustworthiness (1 = every map neighbour is a true neighbour in latent space).

    codes (N, D), embedding (N, d). Up to `sample` points: sklearn.manifold.trustworthiness itself.
    Above: the same sum over `sample` random query points, each ranked against all N points (the exact
    statistic is a mean over points, so this is an unbiased estimate; sklearn's N x N distance matrix
    would not fit in memory at 70k)."""
    codes = np.asarray(codes, dtype=np.float64)
    embedding = np.asarray(embedding, dtype=np.float64)
    n, k = len(codes), n_neighbors
    if n <= sample:
        from sklearn.manifold import trustworthiness as sk_trustworthiness

        return float(sk_trustworthiness(codes, embedding, n_neighbors=k))
    queries = np.random.default_rng(seed).choice(n, size=sample, replace=False)
    return 1.0 - _rank_penalty(codes, embedding, queries, k) / sample * 2.0 / (k * (2.0 * n - 3.0 * k - 1.0))


def _rank_penalty(codes, embedding, queries, k, chunk: int = 64) -> float:
    """Sum over queries i and their k map neighbours j of max(0, rank of j among i's latent neighbours - k)."""
    penalty = 0.0
    for start in range(0, len(queries), chunk):
        rows = queries[start:start + chunk]
        d_latent = _squared_distances(codes[rows], codes)
        d_map = _squared_distances(embedding[rows], embedding)
        d_latent[np.arange(len(rows)), rows] = np.inf   # a point is not its own neighbour
        d_map[np.arange(len(rows)), rows] = np.inf
        map_neighbours = np.argpartition(d_map, k, axis=1)[:, :k]                  # (c, k)
        d_to_neighbours = np.take_along_axis(d_latent, map_neighbours, axis=1)      # (c, k)
        ranks = (d_latent[:, None, :] < d_to_neighbours[:, :, None]).sum(-1) + 1   # (c, k), 1 = nearest
        penalty += np.maximum(ranks - k, 0).sum()
    return penalty


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(m, D), (n, D) -> (m, n); ranks only need an order-preserving distance."""
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T, 0.0)
