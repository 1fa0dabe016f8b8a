"""Writing files safely, the one way every module does it: a temp file that is fsynced and then
renamed (replace) or hard-linked (never replace) into place, so a crash mid-write leaves the old
file or none, never half a file; CSV text for downloads (text.cell guards each cell); and reading a
file a user names (read_bytes: regular files only, a size cap before reading)."""
from __future__ import annotations

import contextlib
import csv
import io
import os
import stat
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from lvm_core.errors import FileRefused

_umask: int | None = None


def read_umask() -> int:
    """The process's umask, read once (os.umask can only be read by setting it, so reading it again
    later would race with other threads creating files). startup.configure() calls this first."""
    global _umask
    if _umask is None:
        _umask = os.umask(0)
        os.umask(_umask)
    return _umask


def write_temp_file(folder: Path, name: str, data: bytes) -> Path:
    """data in a new hidden temp file in folder (for name), fsynced, with an ordinary file's permissions
    (mkstemp makes 0600). The caller renames or links it into place."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            os.chmod(tmp, 0o666 & ~read_umask())
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Path(tmp)


def atomic_write_bytes(path, data: bytes) -> Path:
    """Replace path with data atomically: a crash mid-write leaves the old file (or none), never half a file."""
    path = Path(path)
    tmp = write_temp_file(path.parent, path.name, data)
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def write_text(path, text: str) -> Path:
    """A text file (UTF-8), replaced atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def write_npy(path, array) -> Path:
    """One array as a .npy file (np.save's format, never pickled objects), replaced atomically. As np.save
    does, a path without the .npy suffix gets it."""
    import io

    import numpy as np

    path = Path(path)
    path = path if path.suffix == ".npy" else path.with_name(path.name + ".npy")
    buffer = io.BytesIO()
    np.save(buffer, np.asarray(array), allow_pickle=False)
    return atomic_write_bytes(path, buffer.getvalue())


def candidate_names(stem: str):
    """stem, stem-2, stem-3...: the names write_new_file tries in turn."""
    yield stem
    for i in range(2, 10_000):
        yield f"{stem}-{i}"


def write_new_file(folder: Path, stem: str, suffix: str, serialise: Callable[[str], bytes],
                   tag: str | None = None) -> Path | None:
    """Write serialise(stem) to folder/<stem><suffix>, or to <stem>-2, -3... when that file exists:
    never replaces a file, on any filesystem. Atomic where hard links exist: a temp file (named for
    `tag` when given, so a crashed writer's leftovers can be found) is fsynced, then hard-linked to
    its name (link fails if the name exists, even when another process just took it). Without hard
    links the file is created with O_EXCL, which refuses an existing name too, and written in place.
    None when no name is free."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for candidate in candidate_names(stem):
        path = folder / f"{candidate}{suffix}"
        if path.exists():
            continue
        data = serialise(candidate)
        tmp = write_temp_file(folder, tag or candidate, data)
        try:
            os.link(tmp, path)
        except FileExistsError:
            continue
        except OSError:  # no hard links here (FAT, some network shares): never os.replace, it would
            if not _create_exclusive(path, data):  # overwrite a file made since the check above
                continue
        finally:
            tmp.unlink(missing_ok=True)
        return path
    return None


def _create_exclusive(path: Path, data: bytes) -> bool:
    """Write data to a new file at path; False when path exists. A failed write removes the file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666 & ~read_umask())
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


def csv_text(header: list[str], rows: Iterable[Iterable]) -> str:
    """A CSV table (comma-separated, one "\\n" per row, quoted where a cell needs it); every text cell a
    text.cell (one line; a class name "=HYPERLINK(...)" shown, not run, by a spreadsheet)."""
    from lvm_core.text import cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([cell(h) for h in header])
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def not_a_file(mode: int) -> str | None:
    """What a path of this st_mode is when it is not a regular file ("a folder", "a named pipe (FIFO)"...)."""
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a device"), (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return None if stat.S_ISREG(mode) else "not a regular file"


def check_regular(path, max_bytes: int | None = None, label: str | None = None, limit: str = "") -> int:
    """The size of a regular file of at most max_bytes, from stat alone (nothing is opened); FileRefused
    naming `label` (default the file's name) for a folder, pipe or device, a missing file, a bigger one."""
    label = label or Path(path).name
    try:
        info = os.stat(path)
    except OSError as exc:
        raise FileRefused(f"{label}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    if not_a_file(info.st_mode):
        raise FileRefused(f"{label}: is {not_a_file(info.st_mode)}, not a file")
    if max_bytes is not None and info.st_size > max_bytes:
        raise FileRefused(f"{label}: the file is {_megabytes(info.st_size)}, more than {limit or 'this reads'} "
                          f"({_megabytes(max_bytes)})")
    return info.st_size


@contextlib.contextmanager
def open_regular(path, label: str | None = None):
    """A regular file opened for reading (binary), or FileRefused (one line naming `label`, default the
    file's name). A named pipe would block a reader forever and /dev/zero never ends: the kind is checked
    from stat before opening (opening some devices does things) and again on the open file, opened
    non-blocking so a pipe swapped in between cannot block either."""
    label = label or Path(path).name
    check_regular(path, label=label)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise FileRefused(f"{label}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    f = os.fdopen(fd, "rb")
    try:
        kind = not_a_file(os.fstat(fd).st_mode)
        if kind:
            raise FileRefused(f"{label}: is {kind}, not a file")
        yield f
    except OSError as exc:
        raise FileRefused(f"{label}: cannot read the file ({exc.strerror or type(exc).__name__})") from None
    finally:
        f.close()


def read_bytes(path, max_bytes: int, label: str | None = None, limit: str = "") -> bytes:
    """The bytes of a regular file (open_regular) of at most max_bytes, checked before reading (`limit` says
    why the cap is what it is); never more than max_bytes + 1 bytes are read, so a file that grows is caught."""
    label = label or Path(path).name
    check_regular(path, max_bytes, label, limit)
    with open_regular(path, label) as f:
        data = f.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise FileRefused(f"{label}: the file grew past {_megabytes(max_bytes)} while being read")
    return data


def _megabytes(n: int) -> str:
    return f"{n / 2**20:,.1f} MB" if n < 2**30 else f"{n / 2**30:,.1f} GB"
