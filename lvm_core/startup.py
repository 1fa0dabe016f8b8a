"""Process-wide settings, made once and explicitly at start-up (the CLI's main(), streamlit_app.py,
tests' conftest), never as a side effect of importing a module."""
from __future__ import annotations

from lvm_core import settings
from lvm_core.storage.files import read_umask

ONE_THREAD = 1  # on a shared 2-core machine more torch threads made small ops (a click's decode) up to 20x slower


def configure(threads: int | None = ONE_THREAD) -> None:
    """Idempotent. Call before numba (UMAP) is imported and before any thread writes a file.

    - NUMBA_CACHE_DIR: UMAP's numba functions compile on first use (30-75 s here); with cache=True
      they keep the compiled code in $LVM_CACHE_DIR/numba, so later processes start warm. An
      explicit NUMBA_CACHE_DIR is left alone.
    - the umask, read once: reading it means setting it, which would race with threads creating files.
    - torch's CPU threads (None: leave torch's default)."""
    settings.default_environment("NUMBA_CACHE_DIR", str(settings.cache_dir() / "numba"))
    read_umask()
    if threads is not None:
        from lvm_core.training.threads import set_cpu_threads

        set_cpu_threads(threads)
