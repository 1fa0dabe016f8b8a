"""fit(): the one training loop, used by the CLI, the Train page and the tests.

Batches are index_select slices of in-memory tensors (no DataLoader, no per-image transforms),
the optimizer is Adam's fused kernel where torch has one for the device, and the losses stay
tensors that are read once every LOSS_READ_EVERY steps (one host sync, not one per step).
Every random draw of a run (order, input noise, reparameterization) comes from the run's own
torch.Generator, so a run gives the same weights alone or beside other runs in the process.
CPU threads are chosen on purpose: see training/threads.py and benchmarks/train_speed.py.
"""
from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import nn

from lvm_core.config import TrainConfig
from lvm_core.training.threads import set_cpu_threads
from lvm_core.errors import InvalidInput, TrainingDiverged
from lvm_core.generation.inference import classes_for

LOSS_READ_EVERY = 32        # steps between reads of the losses: a NaN stops the run within this many steps
NOISE_STREAM = 0x5EED       # offsets the noise generator's seed from the order generator's


@dataclass(frozen=True)
class StepReport:
    epoch: int                      # 1-based
    step: int                       # 1-based within the epoch
    steps_per_epoch: int
    loss: float
    parts: dict[str, float] | None = None   # the loss's parts this step ("loss", "recon", "kl"), for logs


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
        raise InvalidInput("device 'cuda' was asked for but no CUDA GPU is available")
    if device == "mps" and not torch.backends.mps.is_available():
        raise InvalidInput("device 'mps' was asked for but Apple's MPS is not available")
    return torch.device(device)


def make_optimizer(model: nn.Module, lr: float, device: torch.device) -> torch.optim.Optimizer:
    """Adam with its fused kernel (one op for all parameters) where torch has one for the device:
    an MNIST MLP epoch took 1.5 s of CPU instead of 2.0 s, with the same losses."""
    try:
        return torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    except RuntimeError:  # a device without the fused kernel
        return torch.optim.Adam(model.parameters(), lr=lr, foreach=device.type != "cpu")


def to_device(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """One copy to the device (none when it is already there); from pinned memory without
    blocking on CUDA, so the host goes on queueing work while the bytes move."""
    if tensor.device == device:
        return tensor
    if device.type == "cuda" and tensor.device.type == "cpu":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


def epoch_order(n: int, generator: torch.Generator, sample_weights: torch.Tensor | None = None) -> torch.Tensor:
    """The image indices of one epoch, (n,) int64 on the CPU: a permutation, or with sample_weights
    n draws with replacement, each index with probability proportional to its weight."""
    if sample_weights is None:
        return torch.randperm(n, generator=generator)
    return torch.multinomial(sample_weights, n, replacement=True, generator=generator)


def check_sample_weights(sample_weights, n: int) -> torch.Tensor | None:
    """(n,) non-negative finite weights with a positive sum, as float64 on the CPU, or None."""
    if sample_weights is None:
        return None
    w = torch.as_tensor(sample_weights).detach().to("cpu", torch.float64)
    if w.shape != (n,):
        raise ValueError(f"sample_weights must have one weight per training image ({n}), not shape {tuple(w.shape)}")
    if not bool(torch.isfinite(w).all()) or bool((w < 0).any()) or not float(w.sum()) > 0:
        raise ValueError("sample_weights must be finite, non-negative and not all zero")
    return w


def check_labels(model: nn.Module, labels, n: int) -> torch.Tensor | None:
    """The classes a conditional model trains with, (n,) int64 on the CPU; None for a model that takes none
    (its labels are not used, so an AE's or VAE's run is what it always was)."""
    return classes_for(model, labels, n, "to train on it: give fit() the labels")


def check_loss(value: float, epoch: int, step: int, lr: float) -> None:
    """The guard of every training loop (fit's, the LeNet's): a NaN/inf loss raises TrainingDiverged."""
    if not math.isfinite(value):
        raise TrainingDiverged(f"the loss became {value} at epoch {epoch}, step {step}: training diverged "
                               f"(learning rate {lr:g} is probably too high); nothing was saved")


def fit(model: nn.Module, train_images: torch.Tensor, config: TrainConfig, *,
        labels: torch.Tensor | None = None,
        test_images: torch.Tensor | None = None,
        test_labels: torch.Tensor | None = None,
        on_step: Callable[[StepReport], None] | None = None,
        on_epoch: Callable[[dict], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        sample_weights: torch.Tensor | None = None) -> FitResult:
    """Train `model` in place on images (N, C, H, W) in [0, 1].

    on_step gets a StepReport for every step, in bursts of up to LOSS_READ_EVERY steps (the
    losses are read then); on_epoch gets the epoch's history dict; should_stop is polled
    between steps: when it returns True the run ends and the model keeps the weights of its
    last completed epoch. A NaN/inf loss raises TrainingDiverged within LOSS_READ_EVERY steps,
    with the model back at its last completed epoch (the caller then saves nothing).
    sample_weights (N,): each epoch draws N images with replacement in proportion to them
    instead of a permutation. Same seed, data and config: the same weights, whatever else runs.
    labels (N,), test_labels: the images' classes, given to a conditional model (models.is_conditional),
    which raises NeedsLabels without them; other models do not use them.
    """
    device = resolve_device(config.device)
    if device.type == "cpu":
        set_cpu_threads(config.threads)
    n = train_images.shape[0]
    weights = check_sample_weights(sample_weights, n)
    classes = check_labels(model, labels, n)
    test_classes = check_labels(model, test_labels, len(test_images)) if test_images is not None else None
    order_gen = torch.Generator().manual_seed(config.seed)
    noise_gen = torch.Generator(device=device).manual_seed(config.seed + NOISE_STREAM)
    model.to(device)
    optimizer = make_optimizer(model, config.lr, device)
    data = to_device(train_images, device)
    test_data = to_device(test_images, device) if test_images is not None else None
    class_data = to_device(classes, device) if classes is not None else None
    steps = math.ceil(n / config.batch_size)
    result = FitResult()
    last_good = copy.deepcopy(model.state_dict())
    start = time.perf_counter()

    for epoch in range(1, config.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        order = to_device(epoch_order(n, order_gen, weights), device)
        tally = _LossTally(epoch, steps, on_step)
        for step in range(1, steps + 1):
            if should_stop is not None and should_stop():
                model.load_state_dict(last_good)
                result.stopped = True
                result.seconds = time.perf_counter() - start
                return result
            batch = order[(step - 1) * config.batch_size: step * config.batch_size]
            x = data.index_select(0, batch)
            given = {} if class_data is None else {"y": class_data.index_select(0, batch)}
            x_in = x
            if config.input_noise > 0:
                noise = torch.randn(x.shape, generator=noise_gen, device=device, dtype=x.dtype)
                x_in = (x + config.input_noise * noise).clamp_(0, 1)
            parts = model.loss(x_in, x, generator=noise_gen, **given)
            optimizer.zero_grad(set_to_none=True)
            parts["loss"].backward()
            optimizer.step()
            tally.add(parts, x.shape[0])
            if step % LOSS_READ_EVERY == 0 or step == steps:
                bad = tally.read()
                if bad is not None:
                    model.load_state_dict(last_good)
                    value, bad_step = bad
                    check_loss(value, epoch, bad_step, config.lr)

        record = {"epoch": epoch, **{k: v / n for k, v in tally.sums.items()}}
        if test_data is not None:
            record.update({f"test_{k}": v for k, v in evaluate_loss(model, test_data, seed=config.seed,
                                                                    labels=test_classes).items()})
        record["seconds"] = time.perf_counter() - t0
        result.history.append(record)
        result.epochs_completed = epoch
        last_good = copy.deepcopy(model.state_dict())
        if on_epoch is not None:
            on_epoch(record)

    model.eval()
    result.seconds = time.perf_counter() - start
    return result


class _LossTally:
    """One epoch's loss parts, kept as tensors on the device and read in bursts: (steps, parts)."""

    def __init__(self, epoch: int, steps: int, on_step: Callable[[StepReport], None] | None):
        self.epoch, self.steps, self.on_step = epoch, steps, on_step
        self.keys: list[str] = []
        self.pending: list[torch.Tensor] = []      # per step: (parts,) loss parts times batch size
        self.sizes: list[int] = []
        self.sums: dict[str, float] = {}
        self.done = 0                               # steps already read

    def add(self, parts: dict[str, torch.Tensor], batch: int) -> None:
        if not self.keys:  # "loss" first: read() checks column 0
            self.keys = ["loss", *(k for k in parts if k != "loss")]
        self.pending.append(torch.stack([parts[k].detach() for k in self.keys]))
        self.sizes.append(batch)

    def read(self) -> tuple[float, int] | None:
        """Read the pending steps (one sync); (value, step) of the first non-finite loss, else None."""
        rows = torch.stack(self.pending).tolist()
        for row, batch in zip(rows, self.sizes):
            self.done += 1
            if not math.isfinite(row[0]):
                return row[0], self.done
            for k, v in zip(self.keys, row):
                self.sums[k] = self.sums.get(k, 0.0) + v * batch
            if self.on_step is not None:
                self.on_step(StepReport(self.epoch, self.done, self.steps, row[0], dict(zip(self.keys, row))))
        self.pending, self.sizes = [], []
        return None


@torch.no_grad()
def evaluate_loss(model: nn.Module, images: torch.Tensor, batch_size: int = 2000, seed: int = 0,
                  labels: torch.Tensor | None = None) -> dict[str, float]:
    """The training loss's parts averaged over `images` (N, C, H, W), in eval mode, seeded
    (labels (N,): the classes a conditional model is given)."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    classes = check_labels(model, labels, images.shape[0])
    gen = torch.Generator(device=device).manual_seed(seed)
    keys, sums = [], None
    for i in range(0, images.shape[0], batch_size):
        x = images[i:i + batch_size].to(device)
        given = {} if classes is None else {"y": classes[i:i + batch_size].to(device)}
        parts = model.loss(x, x, generator=gen, **given)
        keys = list(parts)
        row = torch.stack([parts[k] for k in keys]) * x.shape[0]
        sums = row if sums is None else sums + row
    model.train(was_training)
    return {k: v / images.shape[0] for k, v in zip(keys, sums.tolist())}
