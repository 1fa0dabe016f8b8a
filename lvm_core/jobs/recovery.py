"""A run whose final save fails keeps its trained weights. The worker sends the checkpoint's bytes back to
the server (a recovery file could land on the very disk that just refused the model), which holds them in
memory until it restarts, for the Train page's Retry saving and its download of the file."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lvm_core.errors import LvmError
from lvm_core.jobs import disk
from lvm_core.jobs.naming import save_new_checkpoint
from lvm_core.storage.checkpoints import SUFFIX, load_checkpoint, resave_bytes

KEPT = ("the trained weights are kept until the server restarts: Retry saving once there is room (the teacher "
        "can delete models), or download them")


class SaveFailed(LvmError):
    """The trained model could not be written to the user models folder (the message says why)."""


@dataclass(frozen=True)
class Unsaved:
    data: bytes             # the checkpoint file, described under the run's reserved name
    status: str             # what the run ends as once saved: done, or stopped (early)
    note: str = ""          # what "saved <file>" adds, e.g. " (after epoch 3 of 10: stopped early)"


def save_kept(folder: Path, stem: str, kept: Unsaved, tag: str) -> Path:
    """Save kept weights as folder/<stem>.safetensors (or <stem>-2... when taken: then described under
    that name). Raises SaveFailed, "could not save <stem>.safetensors: <why>", when the folder is at its
    cap (LVM_MODELS_MB: it may have filled during the run) or cannot be written."""
    def serialise(name: str) -> bytes:
        return kept.data if name == stem else resave_bytes(load_checkpoint(kept.data, name=f"{stem}{SUFFIX}"),
                                                           name=name)

    try:
        why = disk.fullness(folder)
        if why is None:
            return save_new_checkpoint(folder, stem, serialise, tag=tag)
    except OSError as exc:      # a full disk, a read-only folder, a file where the folder was
        why = f"the user models folder cannot be written ({exc.strerror or type(exc).__name__})"
    except LvmError as exc:     # no free name
        why = str(exc)
    raise SaveFailed(f"could not save {stem}{SUFFIX}: {why}")


def failed(exc: SaveFailed) -> str:
    """The run's one line when its save failed: why, and what became of the weights."""
    return f"{exc}; {KEPT}"


def saved(path: Path, kept: Unsaved) -> dict:
    """The run's "end" once its weights are saved at path (worker.py's kinds of event)."""
    return dict(status=kept.status, path=str(path), name=path.stem, message=f"saved {path.name}{kept.note}")
