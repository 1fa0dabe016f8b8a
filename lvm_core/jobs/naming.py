"""File names for runs: a safe stem from what a user typed, and a save that never replaces a file."""
from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Callable

from ..checkpoints import SUFFIX, write_temp_file
from ..errors import LvmError


def safe_stem(name: str) -> str:
    """A file stem from a user's name: letters, digits, '.', '_' and '-' only, at most 60 long."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-.")[:60]
    return stem or "model"


def candidates(stem: str):
    """stem, stem-2, stem-3, ...: the names a run may take, in order."""
    yield stem
    for i in range(2, 10_000):
        yield f"{stem}-{i}"


def free_stem(folder: Path, stem: str, taken=()) -> str:
    """The first candidate with no file in folder and not in `taken` (names reserved by waiting runs)."""
    return next(c for c in candidates(safe_stem(stem)) if c not in taken and not (folder / f"{c}{SUFFIX}").exists())


def temp_prefix(tag: str) -> str:
    """Temp files of a save tagged `tag` start with this (a crashed run's leftovers are found by it)."""
    return f".{tag}."


def save_new_checkpoint(folder: Path, stem: str, serialise: Callable[[str], bytes], tag: str | None = None) -> Path:
    """Write serialise(stem) to folder/<stem>.safetensors, or to <stem>-2, -3... when that file
    exists: never replaces a file, on any filesystem.

    Atomic where hard links exist: a fsynced temp file (named with `tag`) is linked to its name, and
    link fails if the name exists, even when another process just took it. Without hard links the
    file is created with O_EXCL (which also refuses an existing name) and written in place."""
    folder.mkdir(parents=True, exist_ok=True)
    for candidate in candidates(stem):
        path = folder / f"{candidate}{SUFFIX}"
        if path.exists():
            continue
        data = serialise(candidate)
        tmp = write_temp_file(folder, tag or candidate, data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            continue
        except OSError:  # no hard links here (FAT, some network shares): exclusive create instead
            if not _create_exclusive(path, data):
                continue
        finally:
            tmp.unlink(missing_ok=True)
        return path
    raise LvmError(f"no free file name for {stem!r} in the models folder")


def _create_exclusive(path: Path, data: bytes) -> bool:
    """Write data to a new file at path; False when path exists. A failed write removes the file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except FileExistsError:
        return False
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return True
