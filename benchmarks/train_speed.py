"""Training speed: the tutorial's own loop and script against lvm_core, same model, data, seed and epochs.

The tutorial: torchvision MNIST + transforms.ToTensor() + DataLoader(batch_size=128, shuffle=True),
Adam(lr=1e-3), MSE, a 784-128-32 MLP AE, torch's default threads. Three figures, each printed with
the machine's load (os.getloadavg) and the CPU seconds it used (on a busy machine CPU seconds are
close to what a quiet machine's wall clock shows, for a one-thread run):

1. seconds per epoch: the tutorial's loop (torch defaults, then 1 thread) vs lvm_core.fit, and
   both test MSEs;
2. the whole command for N epochs, imports and data included: the tutorial as a script vs
   `python -m lvm_core train` (which also computes its test metrics and saves a checkpoint);
3. the Train page's default MNIST run (lvm_core.training.defaults.default_configs: MLP VAE 784-256-16,
   10 epochs): fit() with the per-epoch test loss, then the test metrics.

    LVM_DATA_DIR=../shared/data python benchmarks/train_speed.py [--epochs 3] [--skip tutorial-defaults]
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
from lvm_core import ModelConfig, TrainConfig, build_model, fit, load_dataset  # noqa: E402
from lvm_core.generation.inference import per_pixel_mse, reconstruct  # noqa: E402
from lvm_core.training.threads import free_cpu_threads  # noqa: E402

TUTORIAL = '''
import sys, time
import torch
from torch import nn
from torch.utils.data import DataLoader
from torchvision import datasets, transforms

def main(root, epochs, threads):
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)
    train = datasets.MNIST(root, train=True, download=False, transform=transforms.ToTensor())
    test = datasets.MNIST(root, train=False, download=False, transform=transforms.ToTensor())
    loader = DataLoader(train, batch_size=128, shuffle=True)
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 32))
    decoder = nn.Sequential(nn.Linear(32, 128), nn.ReLU(), nn.Linear(128, 784), nn.Sigmoid(), ''' \
           '''nn.Unflatten(1, (1, 28, 28)))
    model = nn.Sequential(encoder, decoder)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    start, cpu = time.perf_counter(), time.process_time()
    for epoch in range(epochs):
        for x, _ in loader:
            loss = loss_fn(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    with torch.no_grad():
        total, n = 0.0, 0
        for x, _ in DataLoader(test, batch_size=1000):
            total += nn.functional.mse_loss(model(x), x, reduction="sum").item()
            n += x.numel()
    return seconds / epochs, cpu / epochs, total / n

if __name__ == "__main__":
    print(*main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
'''


def load() -> str:
    return "load %.1f" % os.getloadavg()[0]


def child_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_child(args: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(wall s, CPU s, stdout) of a child Python process."""
    cpu, start = child_cpu(), time.perf_counter()
    out = subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, **(env or {})})
    return time.perf_counter() - start, child_cpu() - cpu, out.stdout


def tutorial_loop(script: Path, root: str, epochs: int, threads: int) -> tuple[float, float, float]:
    """The tutorial's loop in its own process (threads=0: torch's default): (s/epoch, CPU s/epoch, test mse)."""
    per_epoch, cpu, mse = map(float, run_child([str(script), root, str(epochs), str(threads)])[2].split())
    return per_epoch, cpu, mse


def lvm_core_loop(epochs: int, threads: int) -> tuple[float, float, float]:
    """lvm_core.fit on the same architecture, in this process: (s/epoch, CPU s/epoch, test mse)."""
    train, test = load_dataset("mnist", "train"), load_dataset("mnist", "test")
    model = build_model(ModelConfig(kind="ae", arch="mlp"), seed=0)
    cpu = time.process_time()
    result = fit(model, train.images, TrainConfig(epochs=epochs, batch_size=128, lr=1e-3, threads=threads))
    cpu = time.process_time() - cpu
    return result.seconds / epochs, cpu / epochs, per_pixel_mse(test.images, reconstruct(model, test.images))


def page_default_run() -> dict[str, float]:
    """The Train page's default MNIST run through the one run path its worker calls (the threads free at
    start, followed epoch by epoch), timed from the dataset loaded to the metrics measured."""
    from lvm_core.training.defaults import default_configs
    from lvm_core.training.run import MEASURING, RunHooks, RunSpec, train_run

    model_config, train_config = default_configs("mnist", load_dataset("mnist", "test").image_shape)
    times = {}
    hooks = RunHooks(phase=lambda text: times.setdefault(text, time.perf_counter()))
    cpu, start = time.process_time(), time.perf_counter()
    outcome = train_run(RunSpec("mnist", model_config, train_config, download=False), hooks)
    end = time.perf_counter()
    return {"train": times[MEASURING] - times["training"], "metrics": end - times[MEASURING],
            "total": end - start, "cpu": time.process_time() - cpu,
            "epochs": train_config.epochs, "threads": outcome.train_config.threads,
            "test_loss": outcome.fit.history[-1]["test_loss"], **outcome.metrics}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--skip", nargs="*", default=[], choices=["tutorial-defaults", "loop", "command", "page"],
                    help="leave parts out (the tutorial at torch defaults takes minutes on a busy machine)")
    args = ap.parse_args()
    root = os.environ.get("LVM_DATA_DIR", "data")
    print(f"torch {torch.__version__}, default threads {torch.get_num_threads()}, {os.cpu_count()} CPUs, "
          f"{args.epochs} epochs of MNIST, 784-128-32 AE, batch 128, seed 0; {load()} at start", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "tutorial.py"
        script.write_text(TUTORIAL)

        if "loop" not in args.skip:
            print("\n1. seconds per epoch (training loop only)", flush=True)
            rows = {}
            if "tutorial-defaults" not in args.skip:
                rows["tutorial, torch defaults"] = (*tutorial_loop(script, root, args.epochs, 0), load())
            rows["tutorial, 1 thread"] = (*tutorial_loop(script, root, args.epochs, 1), load())
            # the CLI's and the Train page's policy: the cores free at start (1 on a busy machine)
            threads = free_cpu_threads()
            for n in sorted({1, threads}):
                rows[f"lvm_core.fit, {n} thread{'s' * (n > 1)}"] = (*lvm_core_loop(args.epochs, n), load())
            ours, ours_cpu = rows[f"lvm_core.fit, {threads} thread{'s' * (threads > 1)}"][:2]
            print(f"   lvm_core's threads: {threads} (the cores free at start)")
            print(f"   {'loop':38s} {'s/epoch':>8s} {'CPU s':>6s} {'test mse':>9s} {'lvm_core is (wall, CPU)':>24s}")
            for name, (sec, cpu, mse, when) in rows.items():
                print(f"   {name:38s} {sec:8.2f} {cpu:6.2f} {mse:9.5f} "
                      f"{sec / ours:11.1f}x {cpu / ours_cpu:5.1f}x  ({when})",
                      flush=True)

        if "command" not in args.skip:
            print(f"\n2. the whole command, {args.epochs} epochs "
                  "(imports, data, training; lvm_core adds test metrics and a save)")
            cmds = {"tutorial script (1 thread)": [str(script), root, str(args.epochs), "1"],
                    "python -m lvm_core train": ["-m", "lvm_core", "train", "--epochs", str(args.epochs),
                                                 "--out", str(Path(folder) / "ae.safetensors")]}
            if "tutorial-defaults" not in args.skip:
                cmds = {"tutorial script (torch defaults)": [str(script), root, str(args.epochs), "0"], **cmds}
            timed = {name: (*run_child(cmd, {"LVM_DATA_DIR": root})[:2], load()) for name, cmd in cmds.items()}
            ours, ours_cpu = timed["python -m lvm_core train"][:2]
            for name, (wall, cpu, when) in timed.items():
                print(f"   {name:38s} {wall:7.1f} s  CPU {cpu:6.1f} s  lvm_core is {wall / ours:4.1f}x (wall) "
                      f"{cpu / ours_cpu:4.1f}x (CPU)  ({when})", flush=True)

    if "page" not in args.skip:
        r = page_default_run()
        print(f"\n3. Train page default MNIST run (MLP VAE 784-256-16, {r['epochs']} epochs, {r['threads']} threads): "
              f"training {r['train']:.1f} s + metrics {r['metrics']:.1f} s = {r['total']:.1f} s "
              f"(CPU {r['cpu']:.1f} s; {load()}); test loss {r['test_loss']:.1f}, neg_elbo {r['neg_elbo']:.1f}, "
              f"knn5_acc {r['knn5_acc']:.3f}")


if __name__ == "__main__":
    main()
