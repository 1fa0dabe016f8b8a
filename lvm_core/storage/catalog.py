"""Where models live: the shipped checkpoints/ folder and a user models folder (configurable)."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from lvm_core import settings

from lvm_core.storage.checkpoints import SUFFIX, read_description
from lvm_core.config import ModelConfig, TrainConfig
from lvm_core.errors import CheckpointError
from lvm_core.text import clean

SHIPPED_DIR = settings.SHIPPED_DIR


@dataclass(frozen=True)
class ModelEntry:
    path: Path
    name: str
    dataset: str
    kind: str
    arch: str
    latent_dim: int
    image_shape: tuple[int, int, int]
    denoising: bool
    excluded: tuple[int, ...]       # classes held out of training
    shipped: bool
    trained_by: str = ""            # the owner tag of the session that trained it ("": a script, or unknown)

    @property
    def label(self) -> str:
        """What the model is; whose it is, the app says per session (lvm_app.sidebar.model_label)."""
        extra = " denoising" if self.denoising else ""
        held = f" without {','.join(map(str, self.excluded))}" if self.excluded else ""
        what = f"{self.kind.upper()}{extra} {self.arch} z={self.latent_dim}{held}"
        # In a class many runs share settings: a user's model is told apart by the name it was given.
        return what if self.shipped else f"{self.name} · {what}"


def list_models(dirs=None) -> list[ModelEntry]:
    """Every readable checkpoint in the shipped and user folders, shipped first; unreadable files are skipped.
    A file is read once per version (its inode, size and modification time): the sidebar lists the models
    on every page a class opens, so a listing is a folder scan and a stat per file, not a header parse."""
    dirs = dirs if dirs is not None else [SHIPPED_DIR, settings.models_dir()]
    entries = []
    for d in dirs:
        d = Path(d)
        shipped = d.resolve() == SHIPPED_DIR
        for path in sorted(d.glob(f"*{SUFFIX}")) if d.is_dir() else []:
            try:
                stat = path.stat()
            except OSError:     # deleted while listed
                continue
            entry = _entry(path, shipped, (stat.st_ino, stat.st_size, stat.st_mtime_ns))
            if entry is not None:
                entries.append(entry)
    return entries


@lru_cache(maxsize=4096)
def _entry(path: Path, shipped: bool, version: tuple) -> ModelEntry | None:
    """The listing of one file version; None when it cannot be opened."""
    try:  # the same checks as loading, short of the weights: what is listed can be opened
        meta = read_description(path)
        mc = ModelConfig.from_dict(meta.get("model_config"))
        tc = TrainConfig.from_dict(meta["train_config"]) if meta.get("train_config") else TrainConfig()
        name, dataset, trained_by = meta.get("name") or path.stem, meta["dataset"], meta.get("trained_by") or ""
        if not all(isinstance(v, str) for v in (name, dataset, trained_by)):
            return None
        return ModelEntry(path=path, name=clean(name), dataset=dataset, kind=mc.kind, arch=mc.arch,
                          latent_dim=mc.latent_dim, image_shape=mc.image_shape, denoising=tc.input_noise > 0,
                          excluded=tc.exclude_classes, shipped=shipped, trained_by=trained_by)
    except (CheckpointError, KeyError, TypeError, ValueError):
        return None


def find_model(dataset: str, kind: str, arch: str | None = None, latent_dim: int | None = None,
               denoising: bool = False, excluded: tuple[int, ...] = (), entries=None) -> ModelEntry | None:
    """The first model matching a description (shipped models come first)."""
    for e in entries if entries is not None else list_models():
        if (e.dataset == dataset and e.kind == kind and (arch is None or e.arch == arch)
                and (latent_dim is None or e.latent_dim == latent_dim)
                and e.denoising == denoising and tuple(e.excluded) == tuple(excluded)):
            return e
    return None
