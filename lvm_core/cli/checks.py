"""Every command-line argument checked before any work starts, each failure one line naming the argument.

argparse `type=` functions turn a string into a bounded value or a checked path (argparse then says
"argument --n: ..." and the parser exits 2):

    count(low, high)          a whole number in [low, high] ("1.5", "1e3", "nan", "0x10" refused)
    real(low, high)           a finite number in [low, high] (nan and inf refused)
    input_file(max_bytes)     an existing regular file of at most max_bytes (no folder, FIFO, device)
    input_folder              an existing folder
    output_file(*suffixes)    a file to write: the suffix, not a folder, pipe or device, its folder writable
    output_folder(new=...)    a folder to write into: not a file, itself or its parent writable

The bounds are what memory allows (the config's, for model and training settings) and what every
library takes (a seed of 32 bits: scikit-learn's random_state). What only a loaded model tells (the
bytes an output will take) is checked by the functions at the end, before the work that allocates it.
"""
from __future__ import annotations

import argparse
import math
import os
import re
import stat
from pathlib import Path

from lvm_core.config import (MAX_BATCH_SIZE, MAX_DEBIAS_ALPHA, MAX_EPOCHS, MAX_HIDDEN, MAX_IMAGE_SIDE, MAX_LATENT_DIM,
                             MAX_LAYERS)
from lvm_core.errors import InvalidInput
from lvm_core.storage.files import check_regular, not_a_file
from lvm_core.text import clean

MAX_SEED = 2**32 - 1              # scikit-learn's random_state is 32-bit; numpy and torch take it too
MAX_POINTS = 1_000_000            # points of a map, samples, rare images: more than a split this app loads holds
MAX_IWAE_K = 1_000_000            # importance samples per image (the paper's tables: 5,000)
MAX_OUTPUT_BYTES = 2**30          # an array a command writes, float32: its copies while saving make ~3x this
MAX_NAME_CHARS = 200              # a display name stored in a checkpoint
_WHOLE = re.compile(r"[+-]?[0-9]{1,20}")


def _show(text: str, limit: int = 300) -> str:
    """An argument as the message quotes it: repr escapes newlines, escape codes and bidi controls."""
    return repr(text[:limit]) + ("…" if len(text) > limit else "")


def _fail(message: str):
    raise argparse.ArgumentTypeError(message)


def count(low: int, high: int):
    """A type= function: a whole number (ASCII digits, no 1.5, 1e3, 0x10 or 1_000) from low to high. Each
    function made here carries its bounds (.bounds), as the others carry theirs: the CLI fuzz test reads them."""
    def whole_number(text: str) -> int:
        if not _WHOLE.fullmatch(text.strip()):
            _fail(f"must be a whole number from {low:,} to {high:,}, not {_show(text, 40)}")
        value = int(text)
        if not low <= value <= high:
            _fail(f"must be from {low:,} to {high:,}, not {value:,}")
        return value
    whole_number.bounds = (low, high)
    return whole_number


def real(low: float, high: float, *, positive: bool = False):
    """A type= function: a finite number from low to high (above 0 when positive)."""
    def number(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or len(text) > 40:
            _fail(f"must be a number from {low:g} to {high:g}, not {_show(text, 40)}")
        if not low <= value <= high or (positive and value <= 0):
            _fail(f"must be {'above' if positive else 'from'} {low:g}{'' if positive else f' to {high:g}'}, "
                  f"not {value:g}")
        return value
    number.bounds = (low, high, positive)
    return number


def name_text(text: str) -> str:
    """A display name: at most MAX_NAME_CHARS characters, no control characters."""
    if len(text) > MAX_NAME_CHARS or clean(text, limit=MAX_NAME_CHARS) != text:
        _fail(f"must be at most {MAX_NAME_CHARS} characters without control characters, not {_show(text, 40)}")
    return text


SEED = count(0, MAX_SEED)
POINTS = count(1, MAX_POINTS)
EPOCHS = count(1, MAX_EPOCHS)
BATCH_SIZE = count(1, MAX_BATCH_SIZE)
LATENT_DIM = count(1, MAX_LATENT_DIM)
HIDDEN = count(1, MAX_HIDDEN)
IMAGE_SIZE = count(4, MAX_IMAGE_SIDE)           # own datasets' bounds (datasets.toml's size)
CLASS = count(0, 999)
THREADS = count(1, os.cpu_count() or 1)        # more threads than cores only wait for each other
BETA = real(0.0, 1000.0)
LR = real(0.0, 1e6, positive=True)
NOISE = real(0.0, 100.0)
DEBIAS_ALPHA = real(0.0, MAX_DEBIAS_ALPHA)
IWAE_K = count(1, MAX_IWAE_K)
IWAE_N = count(2, MAX_POINTS)


def _kind(path: Path) -> str | None:
    """None for a regular file (or a missing path); else what it is ("a folder", "a named pipe (FIFO)"...)."""
    try:
        return not_a_file(os.stat(path).st_mode)
    except FileNotFoundError:
        return None
    except OSError as exc:
        _fail(f"{_show(str(path))}: cannot be read ({exc.strerror or type(exc).__name__})")


def input_file(max_bytes: int, limit: str = ""):
    """A type= function: an existing regular file of at most max_bytes (the path as given). A bad one is the
    file's problem, not the command line's: FileRefused (exit 1), which argparse lets through."""
    def existing_file(text: str) -> str:
        check_regular(text, max_bytes, text, limit)
        return text
    return existing_file


def input_folder(text: str) -> str:
    """A type= function: an existing folder."""
    if not Path(text).is_dir():
        _fail(f"{_show(text)} is not a folder" if Path(text).exists() else f"{_show(text)}: no such folder")
    return text


def writable_folder(folder: Path, text: str) -> None:
    """For the type= functions: folder exists and this process may create files in it. As root the kernel
    ignores permissions, so a folder nobody may write (no w bit at all) counts as read-only too."""
    shown = _show(text)
    if not folder.is_dir():
        _fail(f"{shown}: its folder {_show(str(folder))} does not exist" if not folder.exists()
              else f"{shown}: {_show(str(folder))} is not a folder")
    mode = folder.stat().st_mode
    if not os.access(folder, os.W_OK | os.X_OK) or not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH):
        _fail(f"{shown}: the folder {_show(str(folder))} is read-only")


def output_file(*suffixes: str):
    """A type= function: a file to write (replaced when it exists): one of suffixes (any when none), not a
    folder, pipe or device, in a folder that exists and may be written."""
    def file_to_write(text: str) -> str:
        path = Path(text)
        kind = _kind(path)
        if kind:
            _fail(f"{_show(text)} is {kind}; give a file name" + (f" ending in {suffixes[0]}" if suffixes else ""))
        if suffixes and not path.name.lower().endswith(suffixes):
            _fail(f"{_show(text)} must end in {' or '.join(suffixes)}")
        writable_folder(path.absolute().parent, text)
        if path.exists() and not os.access(path, os.W_OK):
            _fail(f"{_show(text)} is read-only")
        return text
    file_to_write.suffixes = suffixes
    return file_to_write


def output_folder(new: bool = False):
    """A type= function: a folder to write files into. new: it must be new or empty (nothing is replaced);
    else an existing folder is written into (the command's own file names replaced). Its parent must exist."""
    def folder_to_write(text: str) -> str:
        path = Path(text)
        if path.exists() and not path.is_dir():
            _fail(f"{_show(text)} is {_kind(path) or 'a file'}; give a folder")
        try:
            full = new and path.is_dir() and any(path.iterdir())
        except OSError as exc:      # a folder this user may not list
            _fail(f"{_show(text)}: cannot be read ({exc.strerror or type(exc).__name__})")
        if full:
            _fail(f"{_show(text)}: the folder is not empty; give a new or empty folder (nothing is replaced)")
        writable_folder(path if path.is_dir() else path.absolute().parent, text)
        return text
    folder_to_write.new = new
    return folder_to_write


def data_folder(text: str) -> str:
    """--data-dir: an existing folder, or a new one in an existing folder (datasets are downloaded there)."""
    path = Path(text)
    if path.exists() and not path.is_dir():
        _fail(f"{_show(text)} is {_kind(path) or 'a file'}, not a folder")
    if not path.exists() and not path.absolute().parent.is_dir():
        _fail(f"{_show(text)}: neither it nor its parent folder exists")
    return text


# --- checks that need a loaded model or a dataset's description (InvalidInput: exit 2) ---------------

def check_bytes(what: str, need: int, limit: int = MAX_OUTPUT_BYTES, advice: str = "ask for fewer") -> None:
    """Refuse an output of `need` bytes above `limit`, before allocating it."""
    if need > limit:
        raise InvalidInput(f"{what} would take {need / 2**30:,.1f} GB of memory (at most {limit / 2**30:,.0f} GB); "
                           f"{advice}")


def check_grid(option: str, n: int, image_shape) -> None:
    """A PNG grid of n images of image_shape (C, H, W) at data.images.grid_png's scale, before drawing it."""
    from lvm_core.data.images import MAX_GRID_PIXELS, grid_pixels

    pixels = grid_pixels(n, image_shape[-2], image_shape[-1])
    if pixels > MAX_GRID_PIXELS:
        raise InvalidInput(f"{option} {n:,}: a grid of {n:,} images is {pixels / 1e6:,.0f} megapixels (at most "
                           f"{MAX_GRID_PIXELS / 1e6:,.0f}); ask for fewer, or write .npy")


def check_samples(out: str, option: str, n: int, image_shape) -> None:
    """n images of image_shape (C, H, W) written to out (a .png grid, else .npy of float32), before any is made."""
    c, h, w = image_shape
    if out.lower().endswith(".png"):
        check_grid(option, n, image_shape)
    else:
        check_bytes(f"{option} {n:,} ({n:,} images of {c}x{h}x{w})", n * c * h * w * 4)


def check_replaceable(path: str, option: str) -> None:
    """A file a command rewrites in place (evaluate --write): output_file's checks, as InvalidInput."""
    try:
        output_file()(path)
    except argparse.ArgumentTypeError as exc:
        raise InvalidInput(f"{option}: {exc}") from None


def check_layers(hidden) -> None:
    if hidden and len(hidden) > MAX_LAYERS:
        raise InvalidInput(f"--hidden: at most {MAX_LAYERS} sizes (layers), not {len(hidden)}")


def check_classes(dataset_info, excluded) -> None:
    """--exclude-class: classes of the dataset, and not every one of them (nothing left to train on)."""
    names = dataset_info.class_names
    unknown = [c for c in excluded if c >= len(names)]
    if unknown:
        raise InvalidInput(f"--exclude-class {unknown[0]}: the dataset's classes are 0 to {len(names) - 1}")
    if len(names) > 0 and set(range(len(names))) <= set(excluded):
        raise InvalidInput("--exclude-class leaves out every class: nothing to train on")
