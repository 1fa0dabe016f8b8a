"""A save that fails keeps the trained weights: the run ends saying why, the weights wait in the server (for
Retry saving and a download), and a retry that succeeds saves the model as a run would have."""
from __future__ import annotations

import errno
import os

import pytest

from lvm_core import load_checkpoint
from lvm_core.jobs import DONE, FAILED, STOPPED, JobRegistry, NotYourRun
from lvm_core.jobs.fairness import owner_tag
from lvm_core.jobs.records import recover
from lvm_core.jobs.recovery import SaveFailed, Unsaved, save_kept
from test_jobs import DIGITS_VAE, SLOW, models_dir, saved_files, wait  # noqa: F401 (models_dir: the autouse fixture)

BIG = 100 * 2 ** 20     # a sparse file: counted at its size by the folder's budget, costing no disk


def fill(path) -> None:
    with open(path, "wb") as f:
        f.truncate(BIG)


def test_a_run_whose_folder_filled_up_keeps_its_weights_until_a_retry_saves_them(monkeypatch):
    monkeypatch.setenv("LVM_MODELS_MB", "50")
    registry = JobRegistry()
    folder = registry.models_dir             # the autouse fixture's temp folder
    job = registry.submit("digits", DIGITS_VAE, SLOW, name="kept", owner="alice")
    wait(job, until=lambda j: len(j.history) >= 1)
    fill(folder / "filler.bin")          # the folder fills during the run (another run, a teacher's copy)
    registry.stop(job.id, owner="alice")     # it saves its completed epochs... or tries to
    p = wait(job)
    assert p.status == FAILED and p.path is None and "\n" not in p.message, p.message
    assert p.message.startswith("could not save kept.safetensors: the user models folder is full (")
    assert " MB of 50 MB, LVM_MODELS_MB); " in p.message
    assert "the trained weights are kept until the server restarts" in p.message
    assert saved_files(folder) == ["filler.bin"]           # no model, no temp file
    kept = load_checkpoint(p.unsaved.data)                    # the trained epochs, whole, in the server's memory
    assert len(kept.history) == p.epoch >= 1 and kept.name == "kept" and kept.trained_by == owner_tag("alice")
    assert p.metrics == kept.metrics and "mse" in p.metrics   # measured before the save: shown with the message

    with pytest.raises(NotYourRun):
        registry.retry_save(job.id, owner="bob")
    assert registry.retry_save(job.id, owner="alice") is None        # still full: says so again, keeps them
    assert job.status == FAILED and job.unsaved is not None and "is full" in job.message
    (folder / "filler.bin").unlink()
    (folder / "kept.safetensors").write_bytes(b"a file that took the name meanwhile")
    path = registry.retry_save(job.id, owner="alice")
    assert path == folder / "kept-2.safetensors" and job.unsaved is None and job.path == path
    assert (job.status, job.message) == (STOPPED, f"saved kept-2.safetensors (after epoch {p.epoch} of "
                                                  f"{SLOW.epochs}: stopped early)")
    saved = load_checkpoint(path)
    assert saved.name == "kept-2" and len(saved.history) == p.epoch and saved.trained_by == owner_tag("alice")
    assert [r for r in recover(folder) if r["id"] == job.id][0]["path"] == "kept-2.safetensors"
    assert registry.retry_save(job.id, owner="alice") is None        # nothing left to save: no second copy
    assert saved_files(folder) == ["kept-2.safetensors", "kept.safetensors"]


def test_a_save_into_a_folder_that_cannot_be_written_says_why(tmp_path, monkeypatch):
    from lvm_core.jobs import recovery

    folder = tmp_path / "models"
    folder.write_text("a file where the folder was")     # tests run as root, who writes through chmod: not this
    cannot = "could not save mine.safetensors: the user models folder cannot be written"
    with pytest.raises(SaveFailed, match=rf"^{cannot} \(File exists\)$"):
        save_kept(folder, "mine", Unsaved(b"weights", DONE), tag="run1")

    def disk_full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(recovery, "save_new_checkpoint", disk_full)
    with pytest.raises(SaveFailed, match=rf"^{cannot} \(No space left on device\)$"):
        save_kept(tmp_path, "mine", Unsaved(b"weights", DONE), tag="run1")
    assert list(tmp_path.glob("*.safetensors")) == []
