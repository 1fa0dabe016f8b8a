"""fit(): the one training loop, used by the CLI, the Train page and the tests.

Batches are slices of in-memory tensors (no DataLoader, no per-image transforms), and CPU
threads are chosen on purpose: on a shared 2-core machine a small-batch MLP epoch ran up to
20x slower with torch's default 2 OpenMP threads than with 1 (see benchmarks/train_speed.py).
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from .config import TrainConfig
from .errors import TrainingDiverged
from .models import is_variational

DEFAULT_CPU_THREADS = 1


@dataclass(frozen=True)
class StepReport:
    epoch: int                      # 1-based
    step: int                       # 1-based within the epoch
    steps_per_epoch: int
    loss: float


@dataclass
class FitResult:
    history: list[dict] = field(default_factory=list)   # one dict per completed epoch
    epochs_completed: int = 0
    stopped: bool = False           # should_stop() ended the run early
    seconds: float = 0.0


def resolve_device(device: str = "auto") -> torch.device:
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if device == "cuda" and not torch.cuda.is_available():
        raise ValueError("device 'cuda' was asked for but no CUDA GPU is available")
    if device == "mps" and not torch.backends.mps.is_available():
        raise ValueError("device 'mps' was asked for but Apple's MPS is not available")
    return torch.device(device)


def set_cpu_threads(threads: int | None = None) -> int:
    """Set torch's intra-op CPU threads (process-wide); None picks DEFAULT_CPU_THREADS."""
    n = threads or DEFAULT_CPU_THREADS
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


def check_loss(value: float, epoch: int, step: int, lr: float) -> None:
    """The guard of every training loop (fit's, the LeNet's): a NaN/inf loss raises TrainingDiverged."""
    if not math.isfinite(value):
        raise TrainingDiverged(f"the loss became {value} at epoch {epoch}, step {step}: training diverged "
                               f"(learning rate {lr:g} is probably too high); nothing was saved")


def fit(model: nn.Module, train_images: torch.Tensor, config: TrainConfig, *,
        test_images: torch.Tensor | None = None,
        on_step: Callable[[StepReport], None] | None = None,
        on_epoch: Callable[[dict], None] | None = None,
        should_stop: Callable[[], bool] | None = None) -> FitResult:
    """Train `model` in place on images (N, C, H, W) in [0, 1].

    on_step gets a StepReport after every step, on_epoch the epoch's history dict, and
    should_stop is polled between steps: when it returns True the run ends and the model
    keeps the weights of its last completed epoch. A NaN/inf loss raises TrainingDiverged
    (the caller then saves nothing). Same seed, same data, same config: same weights.
    """
    device = resolve_device(config.device)
    if device.type == "cpu":
        set_cpu_threads(config.threads)
    torch.manual_seed(config.seed)
    order_gen = torch.Generator().manual_seed(config.seed)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    data = train_images.to(device)
    n = data.shape[0]
    steps = math.ceil(n / config.batch_size)
    result = FitResult()
    last_good = copy.deepcopy(model.state_dict())
    start = time.perf_counter()

    for epoch in range(1, config.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        sums: dict[str, float] = {}
        perm = torch.randperm(n, generator=order_gen).to(device)
        for step in range(1, steps + 1):
            if should_stop is not None and should_stop():
                model.load_state_dict(last_good)
                result.stopped = True
                result.seconds = time.perf_counter() - start
                return result
            x = data[perm[(step - 1) * config.batch_size: step * config.batch_size]]
            x_in = x
            if config.input_noise > 0:
                x_in = (x + config.input_noise * torch.randn_like(x)).clamp_(0, 1)
            parts = model.loss(x_in, x)
            loss = parts["loss"]
            value = loss.item()
            if not math.isfinite(value):
                model.load_state_dict(last_good)
            check_loss(value, epoch, step, config.lr)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for k, v in parts.items():
                sums[k] = sums.get(k, 0.0) + (value if k == "loss" else v.item()) * x.shape[0]
            if on_step is not None:
                on_step(StepReport(epoch, step, steps, value))

        record = {"epoch": epoch, **{k: v / n for k, v in sums.items()}}
        if test_images is not None:
            record.update({f"test_{k}": v for k, v in evaluate_loss(model, test_images, seed=config.seed).items()})
        record["seconds"] = time.perf_counter() - t0
        result.history.append(record)
        result.epochs_completed = epoch
        last_good = copy.deepcopy(model.state_dict())
        if on_epoch is not None:
            on_epoch(record)

    model.eval()
    result.seconds = time.perf_counter() - start
    return result


@torch.no_grad()
def evaluate_loss(model: nn.Module, images: torch.Tensor, batch_size: int = 1000, seed: int = 0) -> dict[str, float]:
    """The training loss's parts averaged over `images` (N, C, H, W), in eval mode, seeded."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    gen = torch.Generator(device=device).manual_seed(seed)
    sums: dict[str, float] = {}
    for i in range(0, images.shape[0], batch_size):
        x = images[i:i + batch_size].to(device)
        kwargs = {"generator": gen} if is_variational(model) else {}
        for k, v in model.loss(x, x, **kwargs).items():
            sums[k] = sums.get(k, 0.0) + v.item() * x.shape[0]
    model.train(was_training)
    return {k: v / images.shape[0] for k, v in sums.items()}
