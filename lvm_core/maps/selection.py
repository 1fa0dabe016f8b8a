"""From a chart's selection event to dataset indices, and what the explorer shows for them.

A selection event is what Streamlit's st.plotly_chart(on_select=...) returns:
{"selection": {"points": [{"curve_number", "point_index", "customdata", ...}], "box": [...], "lasso": [...]}}.
Each plotted point carries its dataset index as customdata[0]; a real browser sends customdata
back as a dict {"0": value, "1": ...}, AppTest and older versions as a list, so both are read.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from lvm_core.storage.files import csv_text
from lvm_core.generation.inference import sample_posterior, to_display
from lvm_core.models import is_variational


def _get(obj, name: str, default=None):
    """Read a field from a dict or from an attribute-style object (Streamlit's event state is both)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _first(customdata):
    """customdata's first value: customdata may be {"0": v, ...}, [v, ...], or a bare v."""
    if isinstance(customdata, Mapping):
        return customdata.get("0", customdata.get(0))
    if isinstance(customdata, Sequence) and not isinstance(customdata, str):
        return customdata[0] if len(customdata) else None
    if isinstance(customdata, np.ndarray):
        return customdata.flat[0] if customdata.size else None
    return customdata


def selected_indices(event, trace_indices: Sequence[np.ndarray] | None = None) -> np.ndarray:
    """Dataset indices of the selected points, in selection order, without repeats: (K,) int64.

    trace_indices[c][p] is the index of point p of trace c, used when a point has no customdata."""
    points = _get(_get(event, "selection") or {}, "points") or []
    out: dict[int, None] = {}
    for point in points:
        value = _first(_get(point, "customdata"))
        if value is None and trace_indices is not None:
            curve, number = _get(point, "curve_number"), _get(point, "point_index", _get(point, "point_number"))
            if curve is not None and number is not None and curve < len(trace_indices):
                value = trace_indices[curve][number]
        if value is not None:
            try:
                out[int(round(float(value)))] = None
            except (TypeError, ValueError):
                continue
    return np.fromiter(out, dtype=np.int64, count=len(out))


def is_region(event) -> bool:
    """True for a box or lasso selection (a gallery), False for a click on points."""
    selection = _get(event, "selection") or {}
    return bool(_get(selection, "box") or _get(selection, "lasso"))


@dataclass(frozen=True)
class PointView:
    """What the explorer shows for one clicked point. Images are (H, W) in [0, 1], (H, W, 3) for colour."""
    index: int
    label: int
    image: np.ndarray
    recon: np.ndarray
    difference: np.ndarray          # |image - recon|
    error: float                    # mean squared error of recon
    neighbours: np.ndarray          # (k,) indices of the nearest codes (Euclidean, in latent space)
    neighbour_images: np.ndarray    # (k, H, W)
    posterior_samples: np.ndarray | None   # VAE: (s, H, W) decodes of z ~ q(z|x); AE: None


def nearest_codes(codes: np.ndarray, index: int, k: int) -> np.ndarray:
    """codes (N, D): the k indices nearest to codes[index], nearest first, itself excluded."""
    d = ((codes - codes[index]) ** 2).sum(1)
    d[index] = np.inf
    k = min(k, len(codes) - 1)
    if k < 1:
        return np.zeros(0, dtype=np.int64)
    nearest = np.argpartition(d, k - 1)[:k]
    return nearest[np.argsort(d[nearest], kind="stable")]


def point_view(model: nn.Module, images: torch.Tensor, labels: np.ndarray, codes: np.ndarray, recon: np.ndarray,
               index: int, k: int = 8, samples: int = 6, seed: int = 0) -> PointView:
    """images (N, 1, H, W) of a split with its codes (N, D) and recon (N, H, W): the view of point `index`."""
    if not 0 <= index < len(images):
        raise IndexError(f"point {index} is not in this split (0..{len(images) - 1})")
    image = to_display(images[index:index + 1])[0]
    difference = np.abs(image - recon[index])
    neighbours = nearest_codes(codes, index, k)
    posterior = (sample_posterior(model, images[index:index + 1], samples, seed, label=int(labels[index]))
                 if is_variational(model) else None)
    return PointView(index=int(index), label=int(labels[index]), image=image, recon=recon[index],
                     difference=difference, error=float((difference ** 2).mean()), neighbours=neighbours,
                     neighbour_images=to_display(images[neighbours]), posterior_samples=posterior)


def selection_csv(indices: np.ndarray, labels: np.ndarray, class_names: Sequence[str], errors: np.ndarray,
                  codes: np.ndarray) -> str:
    """One row per selected index: index, label, class, reconstruction error, then the code z_0..z_{D-1}."""
    def row(i: int) -> list:
        label = int(labels[i])
        name = class_names[label] if 0 <= label < len(class_names) else str(label)
        return [int(i), label, name, f"{float(errors[i]):.6g}"] + [f"{float(v):.6g}" for v in codes[i]]

    header = ["index", "label", "class", "error"] + [f"z{j}" for j in range(codes.shape[1])]
    return csv_text(header, (row(i) for i in np.asarray(indices, dtype=np.int64)))
