"""One student cannot sink the class: per-session limits, the teacher's token, the wall-time limit."""
from __future__ import annotations

import pytest

from lvm_core import load_checkpoint
from lvm_core.jobs import QUEUED, RUNNING, STOPPED, JobRegistry, NotYourRun
from lvm_core.jobs.fairness import SessionBusy, is_teacher, ordinal, owner_tag
from test_jobs import DIGITS_VAE, SLOW, models_dir, wait  # noqa: F401 (models_dir: the autouse fixture)


def test_each_session_gets_one_run_training_and_one_waiting():
    registry = JobRegistry(max_running=2, max_queued=4, session_limits=(1, 1))
    alice_1 = registry.submit("digits", DIGITS_VAE, SLOW, name="a1", owner="alice")
    alice_2 = registry.submit("digits", DIGITS_VAE, SLOW, name="a2", owner="alice")
    with pytest.raises(SessionBusy, match="you already have 2 run"):
        registry.submit("digits", DIGITS_VAE, SLOW, name="a3", owner="alice")
    bob_1 = registry.submit("digits", DIGITS_VAE, SLOW, name="b1", owner="bob")
    bob_2 = registry.submit("digits", DIGITS_VAE, SLOW, name="b2", owner="bob")
    # The second slot goes to bob, not to alice's second run: one session, one run training.
    assert [j.status for j in (alice_1, alice_2, bob_1, bob_2)] == [RUNNING, QUEUED, RUNNING, QUEUED]
    assert (registry.place_in_line(alice_2), registry.place_in_line(bob_2), registry.place_in_line(bob_1)) == (1, 2, 0)
    registry.stop(alice_1.id, owner="alice")
    wait(alice_2, until=lambda j: j.status == RUNNING)   # alice's turn again, before bob's second
    assert bob_2.status == QUEUED
    for job in (alice_2, bob_1, bob_2):
        registry.stop(job.id, owner=job.owner)
    for job in (alice_1, alice_2, bob_1, bob_2):
        assert wait(job).status == STOPPED


def test_the_teacher_s_token_stops_any_run_and_a_wrong_one_cannot(monkeypatch):
    assert not is_teacher("")          # no LVM_ADMIN_TOKEN: no teacher view at all
    monkeypatch.setenv("LVM_ADMIN_TOKEN", "s3cret")
    registry = JobRegistry(max_running=1)
    first = registry.submit("digits", DIGITS_VAE, SLOW, name="first", owner="alice")
    queued = registry.submit("digits", DIGITS_VAE, SLOW, name="second", owner="bob")
    for wrong in ("", "s3cre", "s3cret "):
        with pytest.raises(NotYourRun):
            registry.stop(queued.id, owner="carol", teacher_token=wrong)
    assert queued.status == QUEUED
    registry.stop(queued.id, teacher_token="s3cret")
    registry.stop(first.id, owner="carol", teacher_token="s3cret")
    assert wait(queued).status == STOPPED and wait(first).status == STOPPED


def test_a_run_past_the_wall_time_limit_stops_and_keeps_its_epochs(monkeypatch):
    monkeypatch.setenv("LVM_MAX_RUN_MINUTES", "0.25")    # 15 s: tens of epochs of SLOW's 200 (a busy machine: some)
    p = wait(JobRegistry().submit("digits", DIGITS_VAE, SLOW, name="long"))
    assert p.status == STOPPED and p.message.startswith("the 0.25-minute limit per run was reached: saved long")
    assert 1 <= p.epoch < SLOW.epochs and len(load_checkpoint(p.path).history) == p.epoch


def test_ordinals():
    assert [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101, 111)] == \
        ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "101st", "111th"]


def test_a_model_records_a_one_way_tag_of_its_session():
    tag = owner_tag("4f9c2e" * 5)
    assert tag == owner_tag("4f9c2e" * 5) and len(tag) == 16 and "4f9c2e" not in tag
    assert owner_tag("") == "" and owner_tag("a") != owner_tag("b")
