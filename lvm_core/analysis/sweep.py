"""An autoencoder as nonlinear PCA, as a curve: test reconstruction error against latent size for
PCA and for AEs of the same sizes. Computed once by `python -m lvm_core sweep` from trained
checkpoints and shipped as checkpoints/nonlinear_pca_<dataset>.json; the page only reads it."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path


from lvm_core.storage.catalog import SHIPPED_DIR
from lvm_core.storage.checkpoints import Checkpoint, check_image_shape
from lvm_core.data.builtin import ImageDataset
from lvm_core.errors import InvalidInput, LvmError
from lvm_core.generation.inference import per_pixel_mse, reconstruct
from lvm_core.maps.pca import fit_pca, pca_reconstruct


def sweep_path(dataset: str, folder=SHIPPED_DIR) -> Path:
    return Path(folder) / f"nonlinear_pca_{dataset}.json"


def run_sweep(checkpoints: list[Checkpoint], train: ImageDataset, test: ImageDataset, folder=SHIPPED_DIR) -> dict:
    """Test per-pixel MSE of each checkpoint's AE and of PCA at the same latent sizes, as a
    JSON-ready dict sorted by size. All checkpoints must be models of train/test's dataset;
    their paths are stored relative to `folder`, where the JSON goes."""
    if not checkpoints:
        raise InvalidInput("the sweep needs at least one checkpoint")
    for ckpt in checkpoints:
        check_image_shape(ckpt, test.image_shape, test.name)
        if ckpt.dataset != test.name:
            raise InvalidInput(f"{ckpt.name} is a {ckpt.dataset} model; the sweep is on {test.name}")
    checkpoints = sorted(checkpoints, key=lambda c: c.config.latent_dim)
    sizes = [c.config.latent_dim for c in checkpoints]
    if len(set(sizes)) != len(sizes):
        raise InvalidInput(f"two checkpoints have the same latent size: {sizes}")
    pca = fit_pca(train.images, max(sizes))   # its first k components are PCA with k components
    first = checkpoints[0]
    return {
        "dataset": test.name,
        "metric": "per-pixel MSE on the test split, images in [0, 1]",
        "sizes": sizes,
        "pca_mse": [per_pixel_mse(test.images, pca_reconstruct(pca, test.images, k)) for k in sizes],
        "ae_mse": [per_pixel_mse(test.images, reconstruct(c.model, test.images)) for c in checkpoints],
        "ae_checkpoints": [os.path.relpath(c.path, folder) if c.path else c.name for c in checkpoints],
        "ae_model": f"{first.config.kind.upper()} {first.config.arch} hidden {list(first.config.hidden)}, "
                    f"{first.train_config.epochs if first.train_config else '?'} epochs",
        "n_train": len(train), "n_test": len(test),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def sweep_checkpoints(sweep: dict, folder=SHIPPED_DIR) -> dict[int, Path]:
    """Latent size -> path of the sweep's AE checkpoint, for those still on disk."""
    paths = {k: Path(folder) / p for k, p in zip(sweep["sizes"], sweep["ae_checkpoints"])}
    return {k: p for k, p in paths.items() if p.is_file()}


def load_sweep(dataset: str, folder=SHIPPED_DIR) -> dict | None:
    """The shipped sweep for a dataset, or None when there is none. A damaged file raises LvmError
    naming it (and how to make it again), rather than looking like no sweep at all."""
    path = sweep_path(dataset, folder)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
        if len(data["sizes"]) == len(data["pca_mse"]) == len(data["ae_mse"]) == len(data["ae_checkpoints"]):
            return data
        problem = "its lists have different lengths"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
    raise LvmError(f"{path} is damaged ({problem}); "
                   f"make it again with `python -m lvm_core sweep CKPT ... --out {path}`")
