"""Training speed: the tutorial's own loop against lvm_core.fit, same model, data and epochs.

The tutorial: torchvision MNIST + transforms.ToTensor() + DataLoader(batch_size=128, shuffle=True),
Adam(lr=1e-3), MSE, a 784-128-32 MLP AE, torch's default threads. It runs twice: at torch's defaults
and with 1 thread. lvm_core then trains the same architecture on the same images held in memory.
Prints seconds per epoch, the ratios, and both test MSEs.

    LVM_DATA_DIR=../shared/data python benchmarks/train_speed.py [--epochs 3]
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lvm_core import ModelConfig, TrainConfig, build_model, fit, load_dataset  # noqa: E402
from lvm_core.inference import reconstruct  # noqa: E402


def tutorial_model() -> nn.Module:
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32))
    decoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))
    return nn.Sequential(encoder, decoder)


def tutorial_loop(root: str, epochs: int, threads: int | None) -> tuple[float, float]:
    """The tutorial verbatim (threads=None keeps torch's default). Returns (s/epoch, test mse)."""
    from torch.utils.data import DataLoader
    from torchvision import datasets, transforms

    default_threads = torch.get_num_threads()
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    train = datasets.MNIST(root, train=True, download=False, transform=transforms.ToTensor())
    test = datasets.MNIST(root, train=False, download=False, transform=transforms.ToTensor())
    loader = DataLoader(train, batch_size=128, shuffle=True)
    model = tutorial_model()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    t0 = time.perf_counter()
    for _ in range(epochs):
        for x, _ in loader:
            loss = loss_fn(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
    per_epoch = (time.perf_counter() - t0) / epochs
    with torch.no_grad():
        total, n = 0.0, 0
        for x, _ in DataLoader(test, batch_size=1000):
            total += nn.functional.mse_loss(model(x), x, reduction="sum").item()
            n += x.numel()
    torch.set_num_threads(default_threads)
    return per_epoch, total / n


def lvm_core_loop(epochs: int) -> tuple[float, float]:
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    model = build_model(ModelConfig(kind="ae", arch="mlp"), seed=0)
    result = fit(model, train.images, TrainConfig(epochs=epochs, batch_size=128, lr=1e-3))
    mse = float(((reconstruct(model, test.images) - test.images[:, 0].numpy()) ** 2).mean())
    return result.seconds / epochs, mse


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    args = ap.parse_args()
    root = os.environ.get("LVM_DATA_DIR", "data")
    print(f"torch {torch.__version__}, default threads {torch.get_num_threads()}, "
          f"{os.cpu_count()} CPUs, {args.epochs} epochs of MNIST, 784-128-32 AE, batch 128")
    rows = {
        "tutorial, torch defaults": tutorial_loop(root, args.epochs, None),
        "tutorial, 1 thread": tutorial_loop(root, args.epochs, 1),
        "lvm_core.fit (default threads)": lvm_core_loop(args.epochs),
    }
    ours = rows["lvm_core.fit (default threads)"][0]
    print(f"{'loop':34s} {'s/epoch':>8s} {'test mse':>9s} {'lvm_core is':>12s}")
    for name, (sec, mse) in rows.items():
        print(f"{name:34s} {sec:8.2f} {mse:9.5f} {sec / ours:11.1f}x")


if __name__ == "__main__":
    main()
