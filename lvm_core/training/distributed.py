"""Training across processes with DistributedDataParallel, launched by torchrun:

    torchrun --standalone --nproc_per_node 2 -m lvm_core train --dataset mnist --out model.safetensors

Every process runs the same fit() with the same seed, so all draw the same global batch each step;
each computes the loss on its own shard of it (rows rank, rank + world, ...), and DDP averages the
gradients. The loss's value is the global batch's (an all-reduce), and its gradient is weighted so
the average over processes equals the one-process gradient: the same loss curve as one process
with the same global batch and seed (exactly for an AE; a VAE draws its reparameterization noise
per shard, so its curve matches in distribution). gloo on CPUs, NCCL on GPUs (one per process,
cuda:LOCAL_RANK); torchrun's --nnodes runs the same command on several machines. Rank 0 alone
logs and writes the checkpoint.
"""
from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from lvm_core import settings

from lvm_core.training.fit import FitResult, fit, resolve_device


def world_size() -> int:
    """Processes in the run (torchrun sets WORLD_SIZE; 1 outside torchrun)."""
    return settings.torchrun("WORLD_SIZE", 1)


def is_main_process() -> bool:
    """True in rank 0, and outside torchrun: the process that logs and saves."""
    return settings.torchrun("RANK", 0) == 0


class ShardedLoss(nn.Module):
    """forward(x_in, x) = the model's loss parts on this process's shard of a global batch, valued
    as the whole batch's mean (all-reduced) and with a gradient that DDP's averaging turns into the
    whole batch's gradient."""

    def __init__(self, model: nn.Module, rank: int, world: int):
        super().__init__()
        self.model, self.rank, self.world = model, rank, world

    def forward(self, x_in: torch.Tensor, x: torch.Tensor, generator: torch.Generator | None = None,
                y: torch.Tensor | None = None) -> dict:
        shard = slice(self.rank, None, self.world)
        n_local, n_global = x[shard].shape[0], x.shape[0]
        if n_local == 0:   # a last batch smaller than the world: take part with a zero-weight loss
            shard, n_local = slice(0, 1), 0
        given = {} if y is None else {"y": y[shard]}      # a conditional model's classes, sharded alike
        parts = self.model.loss(x_in[shard], x[shard], generator=generator, **given)
        names = list(parts)
        totals = torch.stack([parts[k].detach() for k in names]) * n_local
        dist.all_reduce(totals)
        means = dict(zip(names, totals / n_global))
        # The gradient of loss * n_local * world / n_global, averaged over the world by DDP, is the
        # gradient of the global batch's mean loss; its value is replaced by that mean.
        weighted = parts["loss"] * (n_local * self.world / n_global)
        return {k: (weighted + (means[k] - weighted).detach()) if k == "loss" else means[k] for k in names}


class DistributedModel(DistributedDataParallel):
    """A DDP-wrapped ShardedLoss that fit() trains like a model: model.loss(...) runs DDP's forward
    (where its gradient hooks are armed)."""

    @property
    def conditional(self) -> bool:
        """As the wrapped model: fit() gives a conditional model its classes."""
        return bool(getattr(self.module.model, "conditional", False))

    @property
    def config(self):
        return self.module.model.config

    def loss(self, x_in: torch.Tensor, x: torch.Tensor, generator: torch.Generator | None = None, **given) -> dict:
        return self(x_in, x, generator=generator, **given)


def fit_across_processes(model: nn.Module, train_images: torch.Tensor, config, **kwargs) -> FitResult:
    """fit() in every process of a torchrun launch (plain fit() outside one). `model` is trained in
    place; every process ends with the same weights."""
    if world_size() == 1:
        return fit(model, train_images, config, **kwargs)
    device = resolve_device(config.device)
    local_rank = settings.torchrun("LOCAL_RANK", 0)
    if device.type == "cuda":
        torch.cuda.set_device(local_rank)   # "cuda" then means this process's own GPU
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        model.to(device)
        wrapped = DistributedModel(ShardedLoss(model, dist.get_rank(), dist.get_world_size()),
                                   device_ids=[local_rank] if device.type == "cuda" else None)
        result = fit(wrapped, train_images, config, **kwargs)
        dist.barrier()
        return result
    finally:
        dist.destroy_process_group()
