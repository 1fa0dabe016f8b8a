"""TensorBoard event files for one training run, written through fit()'s callbacks:

    run = TensorBoardRun(logdir, model, train_config, test.images, test.labels, test.class_names)
    result = fit(model, images, train_config, on_step=run.on_step, on_epoch=run.on_epoch)
    run.close(metrics)

`tensorboard --logdir runs` then shows the losses per step ("step/loss", "step/recon", "step/kl")
and per epoch ("epoch/..."), a reconstruction grid and a sample grid per epoch (IMAGES), the
hyper-parameters with the final metrics (HPARAMS), and the test codes with their classes and a
sprite of the images (PROJECTOR).
"""
from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from lvm_core.config import TrainConfig
from lvm_core.data.images import make_grid
from lvm_core.generation.inference import classes_for, to_display
from lvm_core.generation.sampling import sample_normal
from lvm_core.text import LIMIT, cell, clean, file_stem

GRID_IMAGES = 32          # test images reconstructed, and prior samples decoded, in each epoch's grids
EMBEDDING_MAX = 2000      # test codes sent to the projector (its sprite stays a few MB)
RUNS_DIR = "runs"         # the Train page's runs write to <user models folder>/runs/<name>-<time>


def run_dir(logdir, name: str) -> Path:
    """logdir/<name>-<UTC time>: one folder per run, so runs sit side by side in TensorBoard (the name as a
    file name: a run named "../x" stays inside logdir)."""
    return Path(logdir) / f"{file_stem(name, default='run')}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}"


class TensorBoardRun:
    """Writes a run's TensorBoard files. on_step and on_epoch are fit()'s callbacks; close() adds the
    hyper-parameters and the embedding and closes the files. Images are drawn on the model's device."""

    def __init__(self, logdir, model: nn.Module, train_config: TrainConfig, test_images: torch.Tensor,
                 test_labels: torch.Tensor | None = None, class_names=(), dataset: str = ""):
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(logdir))
        self.logdir = Path(self.writer.get_logdir())
        self.model, self.train_config, self.dataset = model, train_config, dataset
        self.test_images, self.test_labels, self.class_names = test_images, test_labels, tuple(class_names)
        self.prior_codes = torch.from_numpy(sample_normal(GRID_IMAGES, model.config.latent_dim, train_config.seed))
        self.epoch = 0

    def on_step(self, report) -> None:
        step = (report.epoch - 1) * report.steps_per_epoch + report.step
        parts = getattr(report, "parts", None) or {"loss": report.loss}
        for name, value in parts.items():
            self.writer.add_scalar(f"step/{name}", value, step)

    def on_epoch(self, record: dict) -> None:
        self.epoch = record["epoch"]
        for name, value in record.items():
            if name != "epoch":
                self.writer.add_scalar(f"epoch/{name}", value, self.epoch)
        originals, recon, samples = self._images()
        pairs = np.concatenate([originals, recon])       # originals on the top rows, reconstructions below
        self._add_grid("reconstructions", make_grid(pairs, ncols=GRID_IMAGES // 2))
        self._add_grid("samples", make_grid(samples, ncols=GRID_IMAGES // 4))
        self.writer.flush()

    def close(self, metrics: dict | None = None) -> None:
        """Hyper-parameters with the final metrics, then the test codes for the projector."""
        from torch.utils.tensorboard.summary import hparams

        metric_dict = {f"hparam/{k}": float(v) for k, v in (metrics or {}).items()}
        # Written into this run's own file (add_hparams would open a second run folder for them).
        for summary in hparams(self.hparams(), metric_dict):
            self.writer.file_writer.add_summary(summary)
        for name, value in metric_dict.items():
            self.writer.add_scalar(name, value, self.epoch)
        codes, images, labels = self._embedding()
        names = [cell(self.class_names[c], LIMIT) if 0 <= c < len(self.class_names) else str(c)   # one TSV row each
                 for c in labels]
        self.writer.add_embedding(codes, metadata=names or None, label_img=images, global_step=self.epoch,
                                  tag="test_codes")
        self.writer.close()

    def hparams(self) -> dict:
        """The model's and the run's settings as TensorBoard takes them (numbers, strings, booleans)."""
        settings = {f"model/{k}": v for k, v in self.model.config.to_dict().items()}
        settings |= {f"train/{k}": v for k, v in self.train_config.to_dict().items()}
        settings["dataset"] = clean(self.dataset)        # a path for your own images: shown as text
        return {k: v if isinstance(v, (int, float, str, bool)) else str(v)
                for k, v in settings.items() if v is not None}

    @torch.no_grad()
    def _images(self):
        """(originals, reconstructions, prior samples), each GRID_IMAGES display images."""
        model, was_training = self.model, self.model.training
        device = next(model.parameters()).device
        model.eval()
        x = self.test_images[:GRID_IMAGES].to(device)
        z = self.prior_codes.to(device)
        # a conditional model is given the test images' classes, and draws the prior samples as each class in turn
        y = classes_for(model, None if self.test_labels is None else self.test_labels[:GRID_IMAGES], len(x))
        if y is None:
            recon, samples = model(x), model.decode(z)
        else:
            each = torch.arange(len(z)) % model.config.n_classes
            recon, samples = model(x, y.to(device)), model.decode(z, each.to(device))
        model.train(was_training)
        return to_display(x), to_display(recon), to_display(samples)

    @torch.no_grad()
    def _embedding(self):
        model, was_training = self.model, self.model.training
        device = next(model.parameters()).device
        model.eval()
        images = self.test_images[:EMBEDDING_MAX]
        y = classes_for(model, None if self.test_labels is None else self.test_labels[:EMBEDDING_MAX], len(images))
        codes = torch.cat([(model.embed(images[i:i + 500].to(device)) if y is None else
                            model.embed(images[i:i + 500].to(device), y[i:i + 500].to(device))).cpu()
                           for i in range(0, len(images), 500)])
        model.train(was_training)
        labels = self.test_labels[:EMBEDDING_MAX].tolist() if self.test_labels is not None else []
        return codes, images, labels

    def _add_grid(self, tag: str, grid: np.ndarray) -> None:
        self.writer.add_image(tag, np.clip(grid, 0, 1), self.epoch, dataformats="HW" if grid.ndim == 2 else "HWC")
