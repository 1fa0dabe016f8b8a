"""File names for runs: a safe stem from what a user typed, and a save that never replaces a file."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from lvm_core.storage.checkpoints import SUFFIX
from lvm_core.errors import LvmError
from lvm_core.storage.files import candidate_names, write_new_file
from lvm_core.text import file_stem


def safe_stem(name: str) -> str:
    """A file stem from a user's name: letters, digits, '.', '_' and '-' only, at most 60 long."""
    return file_stem(name)


def free_stem(folder: Path, stem: str, taken=()) -> str:
    """The first free name for stem (no file in folder, not in `taken`: names reserved by waiting runs)."""
    return next(c for c in candidate_names(safe_stem(stem))
                if c not in taken and not (folder / f"{c}{SUFFIX}").exists())


def temp_prefix(tag: str) -> str:
    """Temp files of a save tagged `tag` start with this (lvm_core.storage.files.write_temp_file's naming),
    so a crashed run's leftovers are found by its id."""
    return f".{tag}."


def save_new_checkpoint(folder: Path, stem: str, serialise: Callable[[str], bytes], tag: str | None = None) -> Path:
    """Write serialise(stem) to folder/<stem>.safetensors, or <stem>-2, -3...: never replaces a file
    (lvm_core.storage.files.write_new_file); its temp file is named for `tag` (a run's id)."""
    path = write_new_file(folder, stem, SUFFIX, serialise, tag=tag)
    if path is None:
        raise LvmError(f"no free file name for {stem!r} in the models folder")
    return path
