"""One training run, written once: a RunSpec in, a RunOutcome out. `python -m lvm_core train`, the Train
page's worker process (lvm_core.jobs.worker) and the benchmarks each call train_run() in a few lines,
so a run's steps, defaults and bounds cannot drift apart:

    data (load, binarize, leave classes out) -> model -> optional debiasing weights (a reference VAE's
    density of the codes) -> fit (TensorBoard logs; threads that follow the free cores) -> the same run
    without re-weighting, to compare -> test metrics.

Saving is the caller's (the CLI replaces a named file, the worker never replaces one): both serialise
with RunOutcome.checkpoint_bytes.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from lvm_core.config import ModelConfig, TrainConfig
from lvm_core.data.builtin import ImageDataset
from lvm_core.data.datasets import load_dataset
from lvm_core.errors import LvmError
from lvm_core.models import build_model
from lvm_core.training.fit import FitResult, StepReport, resolve_device

@dataclass(frozen=True)
class RunSpec:
    dataset: str                        # a DATASETS name (own datasets resolved by the caller)
    model: ModelConfig
    train: TrainConfig                  # threads None: the cores free at start, followed epoch by epoch
    name: str = ""                      # display name; also the TensorBoard run's folder name
    data_dir: str | None = None
    download: bool = True               # the worker never downloads (the page offers datasets on disk)
    binarize: bool = False              # train and test on stochastically binarized images (for `iwae`)
    debias_from: str | None = None      # the density's model; None: the dataset's shipped VAE
    measure_rare: bool = False          # measure the rarest decile even without re-weighting (a baseline)
    logdir: Path | None = None          # TensorBoard files under logdir/<name>-<time>; None: none


@dataclass
class RunHooks:
    """How a caller follows a run. phase(text) names what the run does now; ready(model, test) comes once
    the model is built, before the first step (the worker's first snapshot); the rest are fit()'s."""
    phase: Callable[[str], None] = lambda text: None
    ready: Callable[[nn.Module, ImageDataset], None] = lambda model, test: None
    on_step: Callable[[StepReport], None] | None = None
    on_epoch: Callable[[dict], None] | None = None
    should_stop: Callable[[], bool] = lambda: False
    started: Callable[[int], None] = lambda total_steps: None


@dataclass
class RunOutcome:
    spec: RunSpec
    model: nn.Module                    # trained, on the CPU, in eval mode
    train_config: TrainConfig           # as run: the threads it started with filled in
    fit: FitResult
    class_names: tuple[str, ...]
    metrics: dict = field(default_factory=dict)   # empty when stopped before the first epoch ended
    compared: bool = False              # the plain twin ran (False: not debiased, or it was stopped)
    effective_sample_size: float | None = None   # of a debiased run's weights (how many images they use)

    @property
    def trained(self) -> bool:
        return self.fit.epochs_completed > 0

    def checkpoint_bytes(self, name: str, trained_by: str = "") -> bytes:
        """The run as a checkpoint file's bytes (lvm_core.storage.checkpoints.checkpoint_bytes; trained_by:
        the owner tag of the session that ran it)."""
        from lvm_core.storage.checkpoints import checkpoint_bytes

        return checkpoint_bytes(self.model, dataset=self.spec.dataset, class_names=self.class_names,
                                train_config=self.train_config, metrics=self.metrics, history=self.fit.history,
                                name=name, trained_by=trained_by)


def load_splits(spec: RunSpec) -> tuple[ImageDataset, ImageDataset]:
    """The run's (train, test) splits, binarized when asked; the image shape checked against the model."""
    train, test = (load_dataset(spec.dataset, split, spec.data_dir, download=spec.download)
                   for split in ("train", "test"))
    if spec.binarize:
        from lvm_core.analysis.likelihood import binarized

        train, test = binarized(train, spec.train.seed), binarized(test)
    if train.image_shape != spec.model.image_shape:
        raise LvmError(f"{spec.dataset} has {train.image_shape} images, the model expects {spec.model.image_shape}")
    return train, test


def debias_reference(spec: RunSpec):
    """The model whose codes give a debiased run's densities: spec.debias_from, else the dataset's shipped
    VAE trained on every class (factors.density.reference_vae). A Checkpoint."""
    from lvm_core.factors.density import reference_vae
    from lvm_core.storage.checkpoints import load_checkpoint

    path = spec.debias_from
    if not path:
        entry = reference_vae(spec.dataset)
        if entry is None:
            raise LvmError(f"no shipped {spec.dataset} VAE to measure how rare each image is: name a model "
                           f"to measure with (--debias-from CKPT)")
        path = str(entry.path)
    reference = load_checkpoint(path)
    if reference.config.image_shape != spec.model.image_shape:
        raise LvmError(f"the density's model {reference.name} is a model of {reference.dataset} images, "
                       f"not of {spec.dataset}")
    return reference


def train_run(spec: RunSpec, hooks: RunHooks | None = None) -> RunOutcome:
    """Run spec from data to metrics. Raises LvmError (bad data, a missing reference model) and
    TrainingDiverged (a NaN loss: nothing to save); a stopped run returns with what it completed."""
    from lvm_core.factors.density import debias_split, effective_sample_size
    from lvm_core.models.memory import check_fits
    from lvm_core.training.distributed import fit_across_processes, is_main_process
    from lvm_core.training.threads import CpuShare, free_cpu_threads, set_cpu_threads

    hooks = hooks or RunHooks()
    check_fits(spec.model, spec.train.batch_size, training=True, what="this run")   # before anything is allocated
    tconf, share = spec.train, None
    if tconf.threads is None and resolve_device(tconf.device).type == "cpu":
        # The cores free now (both of an idle 2-core machine, one beside a class). An MLP's weights are the
        # same whatever the threads, so its run follows the free cores epoch by epoch as other work comes and
        # goes; oneDNN's convolutions sum in a thread-dependent order (4e-6 apart after an epoch here, and
        # twice as fast as PyTorch's own kernels), so a conv run keeps the threads it started with, which its
        # checkpoint records: the same settings and threads give the same weights (training/threads.py).
        tconf = dataclasses.replace(tconf, threads=free_cpu_threads())
        share = CpuShare() if spec.model.arch == "mlp" else None
    hooks.phase("loading the dataset")
    train, test = load_splits(spec)
    kept = train.without_classes(tconf.exclude_classes) if tconf.exclude_classes else train
    train_images, train_labels = kept.images, kept.labels     # the labels: what a conditional model is given
    if len(train_images) == 0:
        raise LvmError("every class of the training split is left out: nothing to train on")
    model = build_model(spec.model, seed=tconf.seed)
    main = is_main_process()     # under torchrun only rank 0 logs
    board = _board(spec, model, tconf, test) if spec.logdir is not None and main else None
    weights = rare = None
    if tconf.debias_alpha > 0 or spec.measure_rare:
        reference = debias_reference(spec)
        hooks.phase(f"measuring how rare each image is, with {reference.name}")
        weights, rare = debias_split(reference.model, train_images, test.images, tconf.debias_alpha, tconf.seed,
                                     train_labels, test.labels)
        weights = weights if tconf.debias_alpha > 0 else None
    hooks.ready(model, test)
    hooks.phase("training")
    hooks.started(tconf.epochs * -(-len(train_images) // tconf.batch_size))

    def on_step(report: StepReport) -> None:
        if board:
            board.on_step(report)
        if hooks.on_step:
            hooks.on_step(report)

    def on_epoch(record: dict) -> None:
        if board:
            board.on_epoch(record)
        if hooks.on_epoch:
            hooks.on_epoch(record)
        if share is not None:
            set_cpu_threads(share.free())

    try:
        result = fit_across_processes(model, train_images, tconf, labels=train_labels, test_images=test.images,
                                      test_labels=test.labels, on_step=on_step, on_epoch=on_epoch,
                                      should_stop=hooks.should_stop, sample_weights=weights)
        outcome = RunOutcome(spec, model.cpu().eval(), tconf, result, train.class_names)
        if weights is not None:
            outcome.effective_sample_size = effective_sample_size(weights.numpy())
        if not outcome.trained or not main:
            return outcome
        plain = (_plain_twin(spec, tconf, train_images, train_labels, hooks)
                 if weights is not None and not result.stopped else None)
        hooks.phase(MEASURING)
        outcome.metrics = _metrics(spec, model, train, test, rare, plain)
        outcome.compared = plain is not None
        if board:
            board.close(outcome.metrics)
        return outcome
    finally:
        if board:
            board.writer.close()     # a stopped or failed run keeps the curves it wrote


MEASURING = "measuring the model on the test split"   # a run's last phase: too late to stop


def _board(spec: RunSpec, model, tconf: TrainConfig, test: ImageDataset):
    from lvm_core.training.run_log import TensorBoardRun, run_dir

    return TensorBoardRun(run_dir(spec.logdir, spec.name or "run"), model, tconf, test.images, test.labels,
                          test.class_names, dataset=spec.dataset)


def _plain_twin(spec: RunSpec, tconf: TrainConfig, train_images: torch.Tensor, train_labels: torch.Tensor,
                hooks: RunHooks):
    """The same run (model, seed, epochs) without re-weighting, for the rarest-decile comparison: the
    model, or None when it was stopped."""
    from lvm_core.training.fit import fit

    model = build_model(spec.model, seed=tconf.seed)
    phase = "training the same run without re-weighting, to compare (epoch {} of %d)" % tconf.epochs
    hooks.phase(phase.format(1))
    result = fit(model, train_images, tconf, labels=train_labels, should_stop=hooks.should_stop,
                 on_epoch=lambda record: hooks.phase(phase.format(min(record["epoch"] + 1, tconf.epochs))))
    return None if result.stopped else model.cpu().eval()


def _metrics(spec: RunSpec, model, train, test, rare, plain) -> dict:
    """evaluate()'s test metrics, plus the rarest decile's error (and the plain twin's) when measured."""
    from lvm_core.analysis.metrics import evaluate
    from lvm_core.factors.density import rare_decile_error
    from lvm_core.generation.inference import per_pixel_mse, reconstruct

    metrics = evaluate(model, train, test) | ({"binarized": 1.0} if spec.binarize else {})
    if rare is not None:
        metrics["rare_decile_mse"] = rare_decile_error(model, test.images, rare, test.labels).rare
    if plain is not None:   # the whole split's error measured as evaluate() measures "mse"
        metrics.update(rare_decile_mse_plain=rare_decile_error(plain, test.images, rare, test.labels).rare,
                       mse_plain=per_pixel_mse(test.images, reconstruct(plain, test.images, test.labels)))
    return metrics
