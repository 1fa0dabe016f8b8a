"""Hidden factors measured from pixels: slant, stroke thickness, ink width and height, ink mass.

Every factor is a number per image computed from its pixels alone (no model, no label), for images
of any size, light ink on a dark background in [0, 1]. `measure_factors` handles a batch at once:
everything but the skeleton is array arithmetic over the whole batch; the skeleton
(skimage.morphology.skeletonize) costs ~20 us per 28x28 image, about 1.4 s for all 70,000 MNIST images.
`split_factors` measures a dataset split once and keeps the result on disk.
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lvm_core.errors import InvalidInput

INK = 0.5        # a pixel brighter than this is ink (the skeleton, the bounding box)
CHUNK = 4096     # images per block: the moments' float64 temporaries stay ~25 MB, not 400 MB for 60k
VERSION = 1      # bump when a definition changes: cached tables of older versions are ignored


@dataclass(frozen=True)
class Factor:
    title: str
    unit: str
    definition: str


FACTORS: dict[str, Factor] = {
    "slant": Factor("Slant", "degrees",
                    "lean of the ink from upright, positive when the top leans right: arctan of the shear "
                    "-cov(x, y) / var(y) of the ink's intensity-weighted second-order moments (y = row, down)"),
    "thickness": Factor("Stroke thickness", "pixels",
                        f"ink area (pixels > {INK}) / skeleton length (pixels on the skeleton of that ink, "
                        "skimage.morphology.skeletonize): the width of the pen that drew it"),
    "width": Factor("Width", "pixels", f"width of the bounding box of the pixels > {INK}"),
    "height": Factor("Height", "pixels", f"height of the bounding box of the pixels > {INK}"),
    "mass": Factor("Ink mass", "pixels", "sum of intensities: how many fully-lit pixels the ink would fill"),
}


def _as_batch(images) -> np.ndarray:
    """(H, W), (N, H, W) or (N, 1, H, W), numpy or torch -> a clean (N, H, W) float32 copy in [0, 1], NaN -> 0."""
    x = np.array(images.numpy() if hasattr(images, "numpy") else images, dtype=np.float32)   # one copy
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 4:
        if x.shape[1] != 1:
            raise InvalidInput(f"factors are measured on single-channel images, not {x.shape[1]} channels")
        x = x[:, 0]
    if x.ndim != 3:
        raise ValueError(f"expected images (N, H, W), got shape {x.shape}")
    np.clip(x, 0.0, 1.0, out=x)
    x[np.isnan(x)] = 0.0
    return x


def slant(images) -> np.ndarray:
    """images (N, H, W) -> (N,) degrees; 0 for an empty image or a single row of ink."""
    return _slant(_as_batch(images))


def _slant(x: np.ndarray) -> np.ndarray:
    n, h, w = x.shape
    rows, cols = np.arange(h, dtype=np.float64), np.arange(w, dtype=np.float64)
    # raw moments from row and column profiles: matrix products, no (N, H, W) temporaries
    row_profile = x.sum(axis=2, dtype=np.float64)            # (N, H) ink per row
    col_profile = x.sum(axis=1, dtype=np.float64)            # (N, W) ink per column
    mass = row_profile.sum(axis=1)
    safe = np.where(mass > 0, mass, 1.0)
    mean_r, mean_c = row_profile @ rows / safe, col_profile @ cols / safe
    var_r = row_profile @ (rows ** 2) / safe - mean_r ** 2
    cov_rc = (x @ cols.astype(np.float32)).astype(np.float64) @ rows / safe - mean_r * mean_c
    ok = (mass > 0) & (var_r > 1e-9)
    # rows grow downwards: a digit whose top leans right has column falling as row grows, so negate
    shear = np.where(ok, -cov_rc / np.where(ok, var_r, 1.0), 0.0)
    return np.degrees(np.arctan(shear)).astype(np.float32)


def skeleton_length(images) -> np.ndarray:
    """images (N, H, W) -> (N,) pixels on the skeleton of each image's ink (> INK)."""
    return _skeleton_length(_as_batch(images) > INK)


def _skeleton_length(ink: np.ndarray) -> np.ndarray:
    from skimage.morphology import skeletonize

    return np.array([skeletonize(m).sum() if m.any() else 0 for m in ink], dtype=np.float32)


def morpho_thickness(images, scale: int = 4) -> np.ndarray:
    """images (N, H, W) -> (N,) stroke thickness in pixels as Morpho-MNIST defines it (Castro et al., 2019):
    upsample x scale (skimage pyramid_expand, cubic), binarise at 0.5, twice the mean Euclidean distance
    transform over the skeleton, divided by scale. 0 for an empty image. ~10x slower than `thickness`."""
    from scipy.ndimage import distance_transform_edt
    from skimage.morphology import skeletonize
    from skimage.transform import pyramid_expand

    out = np.zeros(len(x := _as_batch(images)), np.float32)
    for i, image in enumerate(x):
        ink = pyramid_expand(image, upscale=scale, order=3) > INK
        skeleton = skeletonize(ink) if ink.any() else ink
        if skeleton.any():
            out[i] = 2.0 * distance_transform_edt(ink)[skeleton].mean() / scale
    return out


def bounding_box(images) -> tuple[np.ndarray, np.ndarray]:
    """images (N, H, W) -> (width (N,), height (N,)) in pixels of the ink (> INK); 0 when there is none."""
    return _bounding_box(_as_batch(images) > INK)


def _bounding_box(ink: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    def extent(any_ink: np.ndarray) -> np.ndarray:   # (N, L) -> last - first + 1, or 0
        size = any_ink.shape[1]
        first = any_ink.argmax(axis=1)
        last = size - 1 - any_ink[:, ::-1].argmax(axis=1)
        return np.where(any_ink.any(axis=1), last - first + 1, 0).astype(np.float32)

    return extent(ink.any(axis=1)), extent(ink.any(axis=2))


def measure_factors(images) -> dict[str, np.ndarray]:
    """images (N, H, W) / (N, 1, H, W) / (H, W) in [0, 1] -> {factor name: (N,) float32}, in FACTORS order.
    Always finite: an empty image measures 0 on every factor."""
    x = _as_batch(images)
    parts = [_measure_chunk(x[i:i + CHUNK]) for i in range(0, len(x), CHUNK)] or [_measure_chunk(x)]
    return {k: np.concatenate([p[k] for p in parts]) for k in FACTORS}


def _measure_chunk(x: np.ndarray) -> dict[str, np.ndarray]:
    mass = x.sum(axis=(1, 2), dtype=np.float64).astype(np.float32)
    ink = x > INK
    length = _skeleton_length(ink)
    width, height = _bounding_box(ink)
    # binary area, not the soft mass: a decoder's blurry halo would otherwise read as a thicker pen
    area = ink.sum(axis=(1, 2)).astype(np.float32)
    thickness = np.where(length > 0, area / np.maximum(length, 1.0), 0.0).astype(np.float32)
    return {"slant": _slant(x), "thickness": thickness, "width": width, "height": height, "mass": mass}


def _fingerprint(x: np.ndarray) -> str:
    """Cheap content key of a split: its shape and every 97th value (a changed image folder changes it)."""
    h = hashlib.sha1(str(x.shape).encode())
    h.update(np.ascontiguousarray(x.reshape(-1)[::97]).tobytes())
    return h.hexdigest()[:16]


def split_factors(dataset: str, split: str, images, folder: Path | None = None) -> dict[str, np.ndarray]:
    """measure_factors of a whole split, read from the disk cache when it was measured before.

    The cache file is <folder>/factors/<dataset>_<split>_<fingerprint>_v<VERSION>.npz (folder: the
    cache folder, $LVM_CACHE_DIR: lvm_core.settings); a file that cannot be read is measured again."""
    from lvm_core.storage.files import atomic_write_bytes
    from lvm_core import settings

    x = _as_batch(images)
    path = Path(folder or settings.cache_dir()) / "factors" / f"{dataset}_{split}_{_fingerprint(x)}_v{VERSION}.npz"
    if path.is_file():
        try:
            with np.load(path, allow_pickle=False) as f:
                table = {k: f[k] for k in FACTORS}
            if all(len(v) == len(x) for v in table.values()):
                return table
        except (OSError, KeyError, ValueError):
            pass
    table = measure_factors(x)
    buf = io.BytesIO()
    np.savez(buf, **table)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, buf.getvalue())
    except OSError:   # a read-only cache folder only costs a re-measurement next time
        pass
    return table


def describe(name: str) -> str:
    """One line for the page and the CLI: 'Slant (degrees): lean of the ink ...'."""
    f = FACTORS[name]
    return f"{f.title} ({f.unit}): {f.definition}"
