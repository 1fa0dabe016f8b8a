"""Sample quality: how much do decoded samples look like the dataset?

A small LeNet-5-like classifier is trained once per dataset and shipped in
checkpoints/classifiers/<dataset>-lenet.safetensors. Its 84-wide penultimate layer is
the feature space of a Fréchet distance (the FID of Heusel et al., 2017, with a
classifier that knows these images instead of Inception), and its softmax gives a
confidence: samples that look like no class get low confidence.

The file holds the weights, the train split's feature statistics (so scoring needs no
dataset) and a JSON description; loading reads tensors and JSON, never a pickle.
"""
from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from lvm_core.storage.catalog import SHIPPED_DIR
from lvm_core.errors import BrokenModel, CheckpointError, InvalidInput

FORMAT = "lvm-explorer-classifier/1"
CLASSIFIER_DIR = SHIPPED_DIR / "classifiers"
FEATURES = 84  # LeNet-5's last hidden width


class LeNet(nn.Module):
    """LeNet-5 (LeCun et al., 1998) with 'same' padding so 8x8 digits fit too:
    (B, C, H, W) -> two 5x5 conv + 2x2 max-pool stages -> 120 -> 84 (features) -> classes."""

    def __init__(self, image_shape: tuple[int, int, int], n_classes: int = 10):
        super().__init__()
        c, h, w = image_shape
        self.image_shape = tuple(image_shape)
        self.features = nn.Sequential(
            nn.Conv2d(c, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * (h // 4) * (w // 4), 120), nn.ReLU(),
            nn.Linear(120, FEATURES), nn.ReLU())
        self.head = nn.Linear(FEATURES, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, C, H, W) in [0, 1] -> class logits (B, n_classes)."""
        return self.head(self.features(x))


@dataclass
class Classifier:
    net: LeNet                          # in eval mode
    dataset: str
    class_names: tuple[str, ...]
    reference_mu: np.ndarray            # (84,) mean train-split feature
    reference_sigma: np.ndarray         # (84, 84) covariance of train-split features
    metrics: dict = field(default_factory=dict)  # test_acc, fd_test_vs_train

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return self.net.image_shape


@torch.no_grad()
def features_and_probs(net: LeNet, images, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """images (N, H, W) or (N, 1, H, W) in [0, 1] -> (features (N, 84) float64, softmax (N, classes))."""
    net.eval()
    x = torch.as_tensor(np.asarray(images, dtype=np.float32))
    if x.ndim == 3:
        x = x[:, None]
    feats, probs = [], []
    for i in range(0, x.shape[0], batch_size):
        f = net.features(x[i:i + batch_size])
        feats.append(f)
        probs.append(F.softmax(net.head(f), dim=1))
    return torch.cat(feats).double().numpy(), torch.cat(probs).numpy()


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2):
    |mu1 - mu2|^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^(1/2)), as in pytorch-fid."""
    from scipy import linalg

    diff = mu1 - mu2
    with warnings.catch_warnings():  # a singular product is handled below, not worth a warning
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        # a singular product (few samples, dead features): nudge both diagonals, as pytorch-fid does
        offset = np.eye(sigma1.shape[0]) * 1e-6
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = covmean.real  # sqrtm returns tiny imaginary parts from round-off
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """features (N, F) -> (mean (F,), covariance (F, F)); needs N >= 2."""
    if len(features) < 2:
        raise InvalidInput("a Fréchet distance needs at least 2 samples")
    return features.mean(axis=0), np.cov(features, rowvar=False)


@dataclass(frozen=True)
class SampleQuality:
    frechet: float                      # to the train split in classifier features; lower is better
    confidence: float                   # mean top softmax probability; higher = more recognisable
    n: int                              # how many samples were scored


def score_samples(clf: Classifier, images) -> SampleQuality:
    """Score images (N, H, W) in [0, 1] against the classifier's dataset. NaN images raise BrokenModel."""
    images = np.asarray(images, dtype=np.float32)
    if not np.isfinite(images).all():
        raise BrokenModel("the samples contain NaN or infinite pixels: the model's decoder is broken")
    if tuple(images.shape[-2:]) != tuple(clf.image_shape[-2:]):
        raise InvalidInput(f"the {clf.dataset} classifier scores {clf.image_shape[1]}x{clf.image_shape[2]} "
                         f"images, not {images.shape[-2]}x{images.shape[-1]}")
    feats, probs = features_and_probs(clf.net, images)
    mu, sigma = feature_statistics(feats)
    return SampleQuality(frechet=frechet_distance(mu, sigma, clf.reference_mu, clf.reference_sigma),
                         confidence=float(probs.max(axis=1).mean()), n=len(images))


def train_classifier(train, test, epochs: int = 4, batch_size: int = 128, lr: float = 1e-3, seed: int = 0,
                     on_epoch: Callable[[dict], None] | None = None) -> Classifier:
    """Train a LeNet on an ImageDataset's train split and describe it with test accuracy,
    the train features' statistics and the test-vs-train Fréchet distance (the floor to compare with).
    Its own loop, not fit(): fit trains models whose loss needs only the images, a classifier needs
    labels; it shares fit's guard, so a NaN loss raises TrainingDiverged and nothing is saved."""
    from lvm_core.models import init_weights
    from lvm_core.training.fit import check_loss

    with torch.device("meta"):     # initial weights from the run's own generator, as build_model draws them:
        net = LeNet(train.image_shape, len(train.class_names))   # torch's global seed is left alone
    net.to_empty(device="cpu")
    init_weights(net, torch.Generator().manual_seed(seed))
    order = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=lr)
    n = len(train)
    for epoch in range(1, epochs + 1):
        net.train()
        perm = torch.randperm(n, generator=order)
        total = 0.0
        for i in range(0, n, batch_size):
            idx = perm[i:i + batch_size]
            loss = F.cross_entropy(net(train.images[idx]), train.labels[idx])
            check_loss(loss.item(), epoch, i // batch_size + 1, lr)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        if on_epoch is not None:
            on_epoch({"epoch": epoch, "loss": total / n})
    net.eval()
    train_feats, _ = features_and_probs(net, train.images)
    test_feats, test_probs = features_and_probs(net, test.images)
    mu, sigma = feature_statistics(train_feats)
    clf = Classifier(net=net, dataset=train.name, class_names=tuple(train.class_names),
                     reference_mu=mu, reference_sigma=sigma)
    clf.metrics = {
        "test_acc": float((test_probs.argmax(axis=1) == test.labels.numpy()).mean()),
        "fd_test_vs_train": frechet_distance(*feature_statistics(test_feats), mu, sigma),
    }
    return clf


def classifier_path(dataset: str, folder=None) -> Path:
    return Path(folder or CLASSIFIER_DIR) / f"{dataset}-lenet.safetensors"


def save_classifier(clf: Classifier, path) -> Path:
    from safetensors.torch import save

    from lvm_core.storage.files import atomic_write_bytes

    tensors = {f"net.{k}": v.detach().contiguous() for k, v in clf.net.state_dict().items()}
    tensors["reference_mu"] = torch.from_numpy(clf.reference_mu)
    tensors["reference_sigma"] = torch.from_numpy(np.ascontiguousarray(clf.reference_sigma))
    meta = {"format": FORMAT, "dataset": clf.dataset, "class_names": list(clf.class_names),
            "image_shape": list(clf.image_shape), "metrics": clf.metrics}
    path = Path(path)
    atomic_write_bytes(path, save(tensors, metadata={"lvm_explorer": json.dumps(meta)}))
    return path


def load_classifier(path) -> Classifier:
    """Read a classifier file (safetensors + JSON only). Raises CheckpointError with the reason."""
    from safetensors import SafetensorError, safe_open

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such classifier; train one with "
                              f"`python -m lvm_core train-classifier --dataset {path.name.split('-lenet')[0]}`")
    try:
        with safe_open(str(path), "pt") as f:   # one read: the description, then the tensors
            meta = json.loads((f.metadata() or {})["lvm_explorer"])
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except (SafetensorError, OSError, KeyError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{path}: not a classifier file ({type(exc).__name__})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a classifier file of format {FORMAT}")
    try:
        net = LeNet(tuple(meta["image_shape"]), len(meta["class_names"]))
        net.load_state_dict({k[4:]: v for k, v in tensors.items() if k.startswith("net.")}, strict=True)
        clf = Classifier(net=net.eval(), dataset=meta["dataset"], class_names=tuple(meta["class_names"]),
                         reference_mu=tensors["reference_mu"].double().numpy(),
                         reference_sigma=tensors["reference_sigma"].double().numpy(),
                         metrics=dict(meta.get("metrics") or {}))
    except (KeyError, TypeError, ValueError, RuntimeError):
        raise CheckpointError(f"{path}: the classifier's weights do not match its description") from None
    return clf


def find_classifier(dataset: str, folder=None) -> Classifier | None:
    """The shipped classifier of a dataset, or None when there is none (the page then shows no score)."""
    path = classifier_path(dataset, folder)
    return load_classifier(path) if path.is_file() else None


__all__ = ["LeNet", "Classifier", "SampleQuality", "frechet_distance", "feature_statistics", "score_samples",
           "train_classifier", "save_classifier", "load_classifier", "find_classifier", "classifier_path"]
