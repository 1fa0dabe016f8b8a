"""What the Train page plots while a run goes on, made small enough to send every poll: per-epoch
latent maps of a fixed test subset, and the per-step loss thinned to a few hundred points."""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lvm_core.maps.pca import pca_map

SNAPSHOT_POINTS = 500           # test images whose codes make each epoch's latent-map snapshot
STEP_CURVE_POINTS = 300         # per-step losses are averaged into at most this many points


@dataclass(frozen=True)
class Snapshot:
    epoch: int                      # 0 = the untrained model
    points: np.ndarray              # (SNAPSHOT_POINTS, 2) float32: a 2-D view of the codes


def latent_map_2d(codes: np.ndarray, previous: np.ndarray | None = None) -> np.ndarray:
    """codes (N, D) -> points (N, 2) to plot.

    D <= 2: the codes themselves (their axes mean something). Otherwise the top two principal
    components, turned (rotation or reflection only: orthogonal Procrustes) to line up with
    the previous epoch's points, so clusters neither flip nor spin between snapshots while each
    snapshot is still the best 2-D view of its own codes.
    """
    from scipy.linalg import orthogonal_procrustes

    points = pca_map(codes).place(codes)
    if previous is not None and np.shape(codes)[1] > 2:
        rotation, _ = orthogonal_procrustes(points.astype(np.float64), np.asarray(previous, np.float64))
        points = (points @ rotation).astype(np.float32)
    return points


def binned_curve(values: list[float], max_points: int = STEP_CURVE_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Per-step values -> (step, mean value) with at most max_points points (1-based steps)."""
    y = np.asarray(values[:], dtype=np.float64)
    size = max(1, math.ceil(len(y) / max_points))
    n = len(y) // size * size  # the last, partial bin waits until it is full
    if size == 1:
        return np.arange(1, len(y) + 1, dtype=np.float64), y
    return np.arange(size, n + 1, size, dtype=np.float64), y[:n].reshape(-1, size).mean(axis=1)
