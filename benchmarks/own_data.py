"""Your own images, timed: a generated 5,000-image colour folder at 32x32 loads, trains one epoch and
draws its map; then one epoch of the same training with torchrun 2 processes vs 1, same global batch.

    python benchmarks/own_data.py [--images 5000] [--batch-size 128]

Prints os.getloadavg() beside every figure (the machine is shared).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def load() -> str:
    return "load avg " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def make_folder(root: Path, n: int, side: int = 32, classes: int = 5) -> None:
    """n colour PNGs in `classes` subfolders: a coloured disc of a class-dependent hue on noise."""
    from PIL import Image

    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[:side, :side]
    for i in range(n):
        c = i % classes
        folder = root / f"class{c}"
        folder.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 50, (side, side, 3)).astype(np.uint8)
        cx, cy, r = rng.integers(8, side - 8, 2).tolist() + [int(rng.integers(4, 8))]
        disc = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
        pixels[disc] = np.roll(np.array([230, 120, 30], np.uint8), c % 3) // (1 + c // 3)
        Image.fromarray(pixels).save(folder / f"{i:05d}.png")


def torchrun_epoch(folder: Path, out: Path, processes: int, batch: int) -> tuple[float, float]:
    """(seconds of the epoch as fit() measured it in rank 0, wall seconds of the whole command)."""
    from lvm_core import load_checkpoint

    launcher = ([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", str(processes)]
                if processes > 1 else [sys.executable])
    cmd = launcher + ["-m", "lvm_core", "train", "--dataset", str(folder), "--image-size", "32", "--model", "vae",
                      "--arch", "conv", "--epochs", "1", "--batch-size", str(batch), "--device", "cpu",
                      "--out", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    return load_checkpoint(out).history[0]["seconds"], wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=128)
    args = parser.parse_args()

    from lvm_core import ModelConfig, TrainConfig, build_model, fit, load_dataset
    from lvm_core.generation.inference import encode_split
    from lvm_core.data.own import dataset_name
    from lvm_core.maps.store import MapKey, compute_map

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "colour32"
        t = time.perf_counter()
        make_folder(folder, args.images)
        print(f"generated {args.images} colour 32x32 PNGs in {time.perf_counter() - t:.1f} s  [{load()}]")

        t = time.perf_counter()
        name = dataset_name(str(folder), size=32)
        train, test = load_dataset(name, "train"), load_dataset(name, "test")
        print(f"load: {len(train)} train + {len(test)} test images {tuple(train.image_shape)} in "
              f"{time.perf_counter() - t:.2f} s  [{load()}]")

        model = build_model(ModelConfig(kind="vae", arch="conv", image_shape=train.image_shape, latent_dim=32,
                                        hidden=(32, 64)), seed=0)
        t = time.perf_counter()
        result = fit(model, train.images, TrainConfig(epochs=1, batch_size=args.batch_size, device="cpu"))
        print(f"train: 1 epoch of a conv VAE (batch {args.batch_size}) in {time.perf_counter() - t:.2f} s, "
              f"loss {result.history[0]['loss']:.1f}  [{load()}]")

        t = time.perf_counter()
        enc = encode_split(model, test.images, test.labels)
        for method in ("pca", "umap"):
            m = time.perf_counter()
            latent_map = compute_map(MapKey.make("bench", "test", len(test), method), enc.codes, enc.labels, enc.errors)
            print(f"map: {method} of {len(latent_map)} test codes in {time.perf_counter() - m:.2f} s "
                  f"(trustworthiness {latent_map.trustworthiness:.3f})  [{load()}]")
        print(f"encode + maps: {time.perf_counter() - t:.2f} s")

        for processes in (1, 2):
            epoch, wall = torchrun_epoch(folder, Path(tmp) / f"p{processes}.safetensors", processes, args.batch_size)
            print(f"{'torchrun 2 processes' if processes > 1 else 'one process        '}: epoch {epoch:.2f} s, "
                  f"whole command {wall:.1f} s (global batch {args.batch_size})  [{load()}]")


if __name__ == "__main__":
    main()
