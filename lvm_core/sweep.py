"""An autoencoder as nonlinear PCA, as a curve: test reconstruction error against latent size for
PCA and for AEs of the same sizes. Computed once by `python -m lvm_core sweep` from trained
checkpoints and shipped as checkpoints/nonlinear_pca_<dataset>.json; the page only reads it."""
from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch

from .catalog import SHIPPED_DIR
from .checkpoints import Checkpoint, check_image_shape
from .data import ImageDataset
from .inference import reconstruct


def sweep_path(dataset: str, folder=SHIPPED_DIR) -> Path:
    return Path(folder) / f"nonlinear_pca_{dataset}.json"


def fit_pca(train_images: torch.Tensor, n_components: int, seed: int = 0):
    """sklearn PCA of flattened train images (N, C, H, W). Fitted once at the largest size: the
    first k components of that fit are PCA with k components, so one fit serves every size.
    The eigendecomposition of the pixel covariance is exact and took 5 s on MNIST here, where
    the full SVD of the data took 128 s."""
    from sklearn.decomposition import PCA

    flat = train_images.reshape(train_images.shape[0], -1).numpy()
    return PCA(n_components=min(n_components, *flat.shape), svd_solver="covariance_eigh", random_state=seed).fit(flat)


def pca_reconstruct(pca, images: torch.Tensor, k: int) -> np.ndarray:
    """images (N, C, H, W) -> reconstructions (N, H, W) from the first k components, clipped to
    [0, 1] like the AE's sigmoid output (as metrics.pca_mse does)."""
    n, _, h, w = images.shape
    centred = images.reshape(n, -1).numpy() - pca.mean_
    basis = pca.components_[:k]
    x_hat = centred @ basis.T @ basis + pca.mean_
    return np.clip(x_hat, 0, 1).reshape(n, h, w).astype(np.float32)


def per_pixel_mse(images: torch.Tensor, recon: np.ndarray) -> float:
    return float(np.mean((images[:, 0].numpy() - recon) ** 2))


def run_sweep(checkpoints: list[Checkpoint], train: ImageDataset, test: ImageDataset, folder=SHIPPED_DIR) -> dict:
    """Test per-pixel MSE of each checkpoint's AE and of PCA at the same latent sizes, as a
    JSON-ready dict sorted by size. All checkpoints must be models of train/test's dataset;
    their paths are stored relative to `folder`, where the JSON goes."""
    if not checkpoints:
        raise ValueError("the sweep needs at least one checkpoint")
    for ckpt in checkpoints:
        check_image_shape(ckpt, test.image_shape, test.name)
        if ckpt.dataset != test.name:
            raise ValueError(f"{ckpt.name} is a {ckpt.dataset} model; the sweep is on {test.name}")
    checkpoints = sorted(checkpoints, key=lambda c: c.config.latent_dim)
    sizes = [c.config.latent_dim for c in checkpoints]
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"two checkpoints have the same latent size: {sizes}")
    pca = fit_pca(train.images, max(sizes))
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
    """The shipped sweep for a dataset, or None when there is none (or it is unreadable)."""
    try:
        data = json.loads(sweep_path(dataset, folder).read_text())
        return data if len(data["sizes"]) == len(data["pca_mse"]) == len(data["ae_mse"]) else None
    except (OSError, ValueError, KeyError, TypeError):
        return None
