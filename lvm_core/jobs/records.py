"""Run records: one small JSON file per run in <models folder>/.runs/, so a restarted server still
lists what happened, and a run that was training when its server died is listed as interrupted
(and its temp files removed) instead of showing "running" forever."""
from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

from lvm_core.errors import FileRefused
from lvm_core.storage.files import atomic_write_bytes, read_bytes
from lvm_core.jobs.naming import temp_prefix

RECORDS_DIR = ".runs"
KEEP_RECORDS = 50               # older records are deleted (the models they name are kept)
MAX_RECORD_BYTES = 2**20        # a run record is a few kB: a bigger file is not one
INTERRUPTED_MESSAGE = "interrupted: the server stopped during the run; nothing was saved"


def records_dir(models_dir: Path) -> Path:
    return Path(models_dir) / RECORDS_DIR


def write_record(models_dir: Path, record: dict) -> None:
    """Save (replace) one run's record, tagged with this server process. A failed write is logged,
    never raised: a full disk must not end a run."""
    record = {**record, "server": {"host": socket.gethostname(), "pid": os.getpid()}}
    try:
        atomic_write_bytes(records_dir(models_dir) / f"{record['id']}.json", json.dumps(record).encode())
    except OSError as exc:
        print(f"lvm: could not write the run record of {record['id']}: {exc}", file=sys.stderr)


def remove_temp_files(models_dir: Path, job_id: str) -> None:
    """Delete what a killed save of this run left (its temp files are tagged with its id)."""
    for tmp in Path(models_dir).glob(f"{temp_prefix(job_id)}*.tmp"):
        tmp.unlink(missing_ok=True)


def recover(models_dir: Path, active=("queued", "running")) -> list[dict]:
    """Every readable record in models_dir, newest first. A record still active whose server process
    is gone becomes "interrupted" (on disk too), with its temp files removed. Damaged records are
    reported in the log and skipped; records beyond KEEP_RECORDS are deleted."""
    records = []
    for path in records_dir(models_dir).glob("*.json"):
        try:
            record = json.loads(read_bytes(path, MAX_RECORD_BYTES))   # a pipe named x.json must not hang the page
            record["submitted"] = float(record["submitted"])
            record["id"] = path.stem   # the file names the run: never trust a path from inside it
        except (OSError, FileRefused, ValueError, KeyError, TypeError) as exc:
            print(f"lvm: skipping a damaged run record {path.name}: {exc}", file=sys.stderr)
            continue
        if record.get("status") in active and not _server_alive(record.get("server") or {}):
            record.update(status="interrupted", message=INTERRUPTED_MESSAGE)
            remove_temp_files(models_dir, record["id"])
            write_record(models_dir, record)
        records.append(record)
    records.sort(key=lambda r: r["submitted"], reverse=True)
    for old in records[KEEP_RECORDS:]:
        (records_dir(models_dir) / f"{old['id']}.json").unlink(missing_ok=True)
    return records[:KEEP_RECORDS]


def _server_alive(server: dict) -> bool:
    """Whether the process that wrote a record still runs (another machine's: assumed so)."""
    if server.get("host") != socket.gethostname():
        return True
    try:
        os.kill(int(server["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, KeyError, TypeError, ValueError):
        return True
    return True
