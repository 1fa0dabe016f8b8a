"""The user models folder under a size cap (LVM_MODELS_MB): a run is refused at submit when the folder is
full or cannot be written, old TensorBoard run logs rotate (the newest LVM_KEEP_RUN_LOGS kept), and the
teacher may delete models."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from lvm_core import settings
from lvm_core.errors import LvmError
from lvm_core.jobs.naming import safe_stem
from lvm_core.storage.checkpoints import SUFFIX
from lvm_core.training.run_log import RUNS_DIR

MB = 2 ** 20


class ModelsFolderFull(LvmError):
    """The user models folder is at its size cap, or cannot be written."""


def used_bytes(models_dir: Path) -> int:
    """Every file under the folder: models, run logs, run records."""
    return sum(p.stat().st_size for p in Path(models_dir).rglob("*") if p.is_file())


def budget_bytes() -> int:
    return int(settings.number("LVM_MODELS_MB", 1) * MB)


def check_room(models_dir: Path) -> None:
    """Raise ModelsFolderFull (one line) when a run could not save here: the folder is unwritable or full."""
    models_dir = Path(models_dir)
    try:
        models_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=models_dir, prefix=".write-test-"):
            pass
    except OSError as exc:
        raise ModelsFolderFull(f"the user models folder cannot be written ({exc.strerror or exc}): a run could "
                               "not save its model; the server's LVM_MODELS_DIR must be a writable folder") from None
    full = fullness(models_dir)
    if full:
        raise ModelsFolderFull(f"{full}: ask the teacher to delete some models before training another")


def fullness(models_dir: Path) -> str | None:
    """'the user models folder is full (... MB of ... MB, LVM_MODELS_MB)' when it is at its cap, else None."""
    used, budget = used_bytes(models_dir), budget_bytes()
    if used < budget:
        return None
    return f"the user models folder is full ({used / MB:,.0f} MB of {budget / MB:,.0f} MB, LVM_MODELS_MB)"


def rotate_run_logs(models_dir: Path) -> list[str]:
    """Delete all but the newest LVM_KEEP_RUN_LOGS TensorBoard run folders; returns the names deleted."""
    keep = int(settings.number("LVM_KEEP_RUN_LOGS", 0, whole=True))
    runs = Path(models_dir) / RUNS_DIR
    folders = sorted((p for p in runs.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime,
                     reverse=True) if runs.is_dir() else []
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)
    return [p.name for p in folders[keep:]]


def models(models_dir: Path) -> list[tuple[str, int]]:
    """(file name, bytes) of every model in the folder, largest first."""
    found = [(p.name, p.stat().st_size) for p in Path(models_dir).glob(f"*{SUFFIX}") if p.is_file()]
    return sorted(found, key=lambda f: -f[1])


def delete_model(models_dir: Path, file_name: str) -> None:
    """Delete one model of the folder, by its plain file name (nothing outside the folder)."""
    stem = file_name.removesuffix(SUFFIX)
    if safe_stem(stem) != stem or not file_name.endswith(SUFFIX):
        raise LvmError(f"{file_name!r} is not a model file name of this folder")
    (Path(models_dir) / file_name).unlink(missing_ok=True)
