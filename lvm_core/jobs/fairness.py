"""One student cannot sink the class: each browser session may have a few runs (LVM_SESSION_RUNS
training, LVM_SESSION_QUEUED waiting), every run ends at LVM_MAX_RUN_MINUTES, and the teacher's token
(LVM_ADMIN_TOKEN) may stop any run. Runs of owner "" (scripts, tests, the CLI) have no session limits."""
from __future__ import annotations

import hashlib
import hmac

from lvm_core import settings
from lvm_core.errors import LvmError
from lvm_core.jobs.job import QUEUED, RUNNING, TrainingJob


class SessionBusy(LvmError):
    """This session already has as many runs training and waiting as it may."""


def session_limits() -> tuple[int, int]:
    """(runs training, runs waiting) one session may have at once."""
    return (int(settings.number("LVM_SESSION_RUNS", 1, whole=True)),
            int(settings.number("LVM_SESSION_QUEUED", 0, whole=True)))


def max_run_seconds() -> float:
    """A run's wall-time limit, from its worker's start."""
    return settings.number("LVM_MAX_RUN_MINUTES", 0.01) * 60


def owner_tag(owner: str) -> str:
    """What a saved model records of the session that trained it ("" for no session). A one-way digest:
    a model file can be downloaded and passed on, and the id itself is what lets a session stop its runs."""
    return hashlib.sha256(owner.encode()).hexdigest()[:16] if owner else ""


def is_teacher(token: str) -> bool:
    """Whether `token` is LVM_ADMIN_TOKEN (never, when it is unset); compared in constant time."""
    expected = settings.raw("LVM_ADMIN_TOKEN")
    return bool(expected) and hmac.compare_digest(token.encode(), expected.encode())


def teacher_view_enabled() -> bool:
    return bool(settings.raw("LVM_ADMIN_TOKEN"))


def check_session(jobs: list[TrainingJob], owner: str, limits: tuple[int, int]) -> None:
    """Raise SessionBusy when `owner` may not submit another run now."""
    if not owner:
        return
    running, waiting = limits
    mine = [j for j in jobs if j.active and j.owned_by(owner)]
    if len(mine) >= running + waiting:
        raise SessionBusy(f"you already have {len(mine)} run(s) training or waiting, the most one session may "
                          "have: wait for one to finish (or stop one) before starting another")


def may_start(job: TrainingJob, jobs: list[TrainingJob], running_per_session: int) -> bool:
    """A queued run may start unless its session already has as many runs training as it may."""
    return not job.owner or sum(j.status == RUNNING and j.owned_by(job.owner) for j in jobs) < running_per_session


def place_in_line(job: TrainingJob, jobs_oldest_first: list[TrainingJob]) -> int:
    """1 for the next run to start, 2 for the one after... (0: not waiting)."""
    if job.status != QUEUED or job not in jobs_oldest_first:
        return 0
    older = jobs_oldest_first[:jobs_oldest_first.index(job)]
    return 1 + sum(j.status == QUEUED for j in older)


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 21st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
