"""Work that must not run in the app server's process: training runs for the Train page, each in its own
worker process, and t-SNE / UMAP maps, in one map worker process (maps.py, imported by name: it is not
re-exported here).

How a run flows: the page calls registry().submit() (scheduler.py), which reserves a file name
(naming.py), writes a run record (records.py) and queues a TrainingJob (job.py). When a slot is free a
watcher thread starts worker.run() in a child process (forkserver, lower CPU priority); the child runs
lvm_core.training.run.train_run (the CLI's run too), sends progress, per-epoch latent maps (snapshots.py)
and its outcome back over a queue, and saves the checkpoint under a name no other file has (a save
that fails sends the trained weights back instead, for the page's Retry saving: recovery.py).
The page polls job.progress() and may stop the run, if its session started it.

Nothing here imports Streamlit.
"""
from lvm_core.jobs.job import (ACTIVE, DIVERGED, DONE, FAILED, INTERRUPTED, QUEUED, RUNNING, STOPPED, Progress,
                               TrainingJob)
from lvm_core.jobs.naming import safe_stem, save_new_checkpoint
from lvm_core.jobs.scheduler import JobRegistry, NotYourRun, TrainingBusy, max_running_from_env, registry
from lvm_core.jobs.snapshots import SNAPSHOT_POINTS, Snapshot, binned_curve, latent_map_2d

__all__ = ["ACTIVE", "DIVERGED", "DONE", "FAILED", "INTERRUPTED", "QUEUED", "RUNNING", "STOPPED", "Progress",
           "TrainingJob", "safe_stem",
           "save_new_checkpoint", "JobRegistry", "NotYourRun", "TrainingBusy", "max_running_from_env", "registry",
           "SNAPSHOT_POINTS", "Snapshot", "binned_curve", "latent_map_2d"]
