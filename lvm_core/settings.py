"""Every setting the app and the engine read from the environment, in one table: its name, default and
meaning. No other module reads os.environ (README: Settings lists the same table).

Where folders live, one rule: a folder given in a variable is used as given (a relative one is relative
to the current folder, as any shell path); a default folder is inside the project (PROJECT_ROOT, the
folder holding lvm_core/ and checkpoints/), so the app run from another folder finds the same data,
models and caches. Values are read at each call, so a test (or a worker given another environment)
sees a change at once.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lvm_core.errors import InvalidInput

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED_DIR = PROJECT_ROOT / "checkpoints"          # shipped models, their maps and classifiers


@dataclass(frozen=True)
class Setting:
    name: str
    default: str        # as the variable would spell it; a folder default is relative to PROJECT_ROOT
    meaning: str
    is_folder: bool = False


SETTINGS = {s.name: s for s in (
    Setting("LVM_DATA_DIR", "data", "where datasets are read (torchvision's layout) and downloaded", True),
    Setting("LVM_MODELS_DIR", "user_models", "models trained on the Train page", True),
    Setting("LVM_CACHE_DIR", ".cache", "computed maps and numba's compiled code", True),
    Setting("LVM_DATASETS", "datasets.toml", "the file that declares datasets of your own images", True),
    Setting("LVM_MAP_CACHE_MB", "500", "computed maps are kept under this many megabytes (least recently "
            "used deleted first)"),
    Setting("LVM_MAX_TRAINING_RUNS", "1", "Train-page runs at once on this server (more wait in the queue)"),
    Setting("LVM_SESSION_RUNS", "1", "Train-page runs one browser session may have training at once"),
    Setting("LVM_SESSION_QUEUED", "1", "Train-page runs one browser session may have waiting (more: refused)"),
    Setting("LVM_MAX_RUN_MINUTES", "30", "a Train-page run is stopped after this many minutes, keeping its "
            "completed epochs"),
    Setting("LVM_ADMIN_TOKEN", "", "the teacher's token: typed on the Train page, it lists and can stop every "
            "run (unset: no teacher view)"),
    Setting("LVM_MODEL_MEMORY_MB", "1024", "a run (or a model's forward pass) whose estimated memory exceeds this "
            "is refused before anything is allocated; inference batches shrink to fit"),
    Setting("LVM_MODELS_MB", "2048", "the user models folder's size cap: when full, a Train-page run is refused"),
    Setting("LVM_KEEP_RUN_LOGS", "20", "TensorBoard run logs kept in the user models folder (older ones deleted)"),
    Setting("LVM_LIVE_DECODING", "1", "0: decode sliders and the scrubber on the server, not in the browser"),
    Setting("LVM_LIVE_MAP", "1", "0: draw the latent map with st.plotly_chart instead of the live component"),
    Setting("LVM_CHROMIUM", "/usr/bin/chromium", "the Chromium the browser tests and benchmarks drive"),
    Setting("LVM_WARM_UP", "1", "0: no background loading and UMAP compilation after the server starts"),
)}

# Set by torchrun for each process of a distributed run (lvm_core.training.distributed).
TORCHRUN = ("WORLD_SIZE", "RANK", "LOCAL_RANK")


def raw(name: str) -> str:
    """The variable's value, or its default when unset or empty."""
    return (os.environ.get(name) or "").strip() or SETTINGS[name].default


def folder(name: str, given: str | os.PathLike | None = None) -> Path:
    """A folder (or file) setting: `given` (a command-line argument) first, then the variable, then the
    default inside PROJECT_ROOT."""
    if given:
        return Path(given)
    value = (os.environ.get(name) or "").strip()
    return Path(value) if value else PROJECT_ROOT / SETTINGS[name].default


def enabled(name: str) -> bool:
    """A switch: anything but "0" is on."""
    return raw(name) != "0"


def data_dir(given=None) -> Path:
    return folder("LVM_DATA_DIR", given)


def models_dir() -> Path:
    return folder("LVM_MODELS_DIR")


def cache_dir() -> Path:
    return folder("LVM_CACHE_DIR")


def datasets_file() -> Path:
    return folder("LVM_DATASETS")


def map_cache_bytes() -> int:
    return int(float(raw("LVM_MAP_CACHE_MB")) * 2 ** 20)


def number(name: str, minimum: float = 0, whole: bool = False) -> float:
    """A numeric setting; a value that is not a number >= minimum is one InvalidInput naming the variable."""
    text = raw(name)
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        kind = "a whole number" if whole else "a number"
        raise InvalidInput(f"{name} must be {kind} of at least {minimum:g} ({SETTINGS[name].meaning}), not "
                           f"{text!r}: fix it in the server's environment and restart it")
    return value


def torchrun(name: str, default: int) -> int:
    """One of torchrun's variables (TORCHRUN) as an int."""
    return int(os.environ.get(name, str(default)))


def lvm_environment() -> dict[str, str]:
    """The LVM_* variables set now: what a worker process is started with, so it sees this server's settings."""
    return {k: v for k, v in os.environ.items() if k.startswith("LVM_")}


def child_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's whole environment plus `extra`: what a process it starts (the app server of the
    browser tests) runs with."""
    return {**os.environ, **(extra or {})}


def adopt_environment(env: dict[str, str]) -> None:
    """In a worker process: take the server's LVM_* settings (lvm_environment)."""
    os.environ.update(env)


def default_environment(name: str, value: str) -> None:
    """Set a variable a library reads (NUMBA_CACHE_DIR) unless the user set it."""
    os.environ.setdefault(name, value)
