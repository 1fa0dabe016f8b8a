"""The Train page's fair queue in AppTest: a session's second run waits ("1st in line"), its third is
refused in one line; the teacher's token lists and stops any run and deletes models, a wrong one is refused."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lvm_core.jobs import registry

from conftest import APP
from test_app_train import models_dir, train_page  # noqa: F401 (models_dir: a fixture used below)
from waiting import wait_until

pytestmark = pytest.mark.usefixtures("models_dir")


def test_a_session_s_runs_are_bounded_and_the_teacher_can_stop_them(monkeypatch):
    from lvm_core.jobs import scheduler

    # a registry of its own: its runs then leave no entries in the Run picker of later tests' pages
    monkeypatch.setattr(scheduler, "_REGISTRY", None)
    monkeypatch.setenv("LVM_ADMIN_TOKEN", "s3cret")
    alice = train_page(train_epochs=1000, train_name="alice")
    alice.button(key="train_start").click().run()
    first = registry().get(alice.session_state["train_job"])
    try:
        alice.button(key="train_start").click().run()
        second = registry().get(alice.session_state["train_job"])
        assert second.status == "queued" and second is not first
        assert "1st in line" in alice.get("progress")[0].proto.text
        alice.button(key="train_start").click().run()
        assert "you already have 2 run(s) training or waiting" in alice.error[0].value

        teacher = AppTest.from_file(APP, default_timeout=60)
        teacher.run()
        teacher.switch_page("pages/train.py").run()
        assert not [b for b in teacher.button if b.key.startswith("teacher_stop_")]
        teacher.text_input(key="train_teacher_token").set_value("s3cre").run()
        assert "That is not the teacher's token." in [e.value for e in teacher.error]
        assert not [b for b in teacher.button if b.key.startswith("teacher_stop_")]
        teacher.text_input(key="train_teacher_token").set_value("s3cret").run()
        (registry().models_dir / "old.safetensors").write_bytes(b"x")
        teacher.run()
        teacher.button(key="teacher_delete_old.safetensors").click().run()
        assert not (registry().models_dir / "old.safetensors").exists()
        teacher.button(key=f"teacher_stop_{second.id}").click().run()
        teacher.button(key=f"teacher_stop_{first.id}").click().run()
        assert not teacher.exception
        wait_until(lambda: not first.active and not second.active, 300, "the stopped runs' end")
        assert (first.status, second.status) == ("stopped", "stopped")
    finally:
        for job in registry().jobs():
            if job.active:
                registry().stop(job.id, owner=job.owner)
