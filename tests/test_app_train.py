"""The Train page in AppTest: a run on the offline digits ends up in the model picker and loads; another
session watches it but cannot stop it; bad settings and a bad server setting are one-line messages."""
from __future__ import annotations


import pytest
from streamlit.testing.v1 import AppTest

from lvm_core import jobs

from lvm_core.jobs import registry, scheduler

from conftest import APP, shown
from waiting import wait_until


@pytest.fixture
def models_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("LVM_MODELS_DIR", str(tmp_path / "models"))
    return tmp_path / "models"


def train_page(**settings) -> AppTest:
    """A session on the Train page with digits chosen and `settings` (widget key -> value) set."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/train.py").run()
    at.selectbox(key="train_dataset").set_value("digits").run()
    for key, value in settings.items():
        at.get_by_key(key).set_value(value)
    return at.run()


def start_and_wait(at: AppTest, timeout: float = 300.0):
    """Press Train, wait for the run to end, rerun the page (as its polling would)."""
    at.button(key="train_start").click().run()
    assert not at.exception
    job = registry().get(at.session_state["train_job"])
    wait_until(lambda: not job.active, timeout, "the run's end")
    at.run()
    assert not at.exception
    return job


def test_a_one_epoch_digits_run_appears_in_the_picker_and_loads(models_dir):
    at = train_page(train_epochs=1, train_name="class demo")
    job = start_and_wait(at)
    assert not at.error, [e.value for e in at.error]
    saved = models_dir / "class-demo.safetensors"
    assert job.status == "done" and saved.exists()
    assert [s.value for s in at.success] == ["saved class-demo.safetensors"]
    assert [m.label for m in at.metric] == ["Test reconstruction MSE", "5-NN accuracy of the codes",
                                            "Bernoulli −ELBO on grey levels (nats)"]
    assert at.progress == [] and at.slider(key=f"timeline_{job.id}").max == 1  # epochs 0..1 to scrub

    # This session: "Explore this model" selects it in the sidebar and opens the Latent space page.
    at.button(key="train_explore").click().run()
    assert not at.exception and at.title[0].value == "Latent space"
    selection = at.session_state["selection"]
    assert selection.ckpt.path.resolve() == saved.resolve() and selection.ckpt.name == "class-demo"

    # Any other session: the model is in the sidebar's picker at once, and loads.
    other = AppTest.from_file(APP, default_timeout=60)
    other.run()
    other.sidebar.selectbox(key="dataset").set_value("digits").run()
    picker = other.sidebar.selectbox(key="model_path")
    label = "class-demo · VAE mlp z=8"      # options are labels: yours only in the session that trained it
    assert f"{label} (yours)" in at.sidebar.selectbox(key="model_path").options
    assert f"{label} (trained here)" in picker.options and not any("(yours)" in o for o in picker.options)
    picker.set_value(str(saved)).run()
    assert not other.exception and other.session_state["selection"].ckpt.digest == selection.ckpt.digest


def test_a_debiased_run_shows_the_rarest_tenth_against_the_same_run_without_it(models_dir):
    at = train_page(train_epochs=1, train_debias=2.0)
    assert any("under the shipped VAE mlp z=8 " in c.value for c in at.caption)   # the model that says what is rare
    job = start_and_wait(at)
    assert job.status == "done" and job.train_config.debias_alpha == 2.0
    labels = [m.label for m in at.metric]
    assert labels[3:] == ["Rarest tenth of the test images: MSE", "Same run without re-weighting: rarest tenth",
                          "Whole test split: MSE without re-weighting"]
    assert at.metric[3].value == f"{job.metrics['rare_decile_mse']:.4f}"
    assert any("rare styles re-weighted (α 2)" in c.value for c in at.caption)


def test_bad_settings_and_a_diverging_run_give_one_line_messages(models_dir):
    at = train_page(train_hidden_mlp="64, lots")
    at.button(key="train_start").click().run()
    assert "whole numbers" in shown(at.error[0].value) and not models_dir.exists()

    at = train_page(train_lr=10.0, train_epochs=2)
    job = start_and_wait(at)
    assert job.status == "diverged"
    assert "diverged" in shown(at.error[0].value) and "learning rate 10" in shown(at.error[0].value)
    assert not list(models_dir.glob("*.safetensors")) and not list(models_dir.glob(".*.tmp"))


def test_another_session_watches_a_run_but_cannot_stop_it(models_dir):
    owner = train_page(train_epochs=1000, train_name="alice")
    owner.button(key="train_start").click().run()
    job = registry().get(owner.session_state["train_job"])
    try:
        watcher = AppTest.from_file(APP, default_timeout=60)
        watcher.run()
        watcher.switch_page("pages/train.py").run()
        assert watcher.session_state["train_job"] == job.id          # opens on the running run
        assert not [b for b in watcher.button if b.key == "train_stop"]
        assert any("only its own session can stop it" in c.value for c in watcher.caption)
        # A stale Stop (say from a page drawn before ownership was checked) is refused, not obeyed.
        with pytest.raises(jobs.NotYourRun):
            registry().stop(job.id, owner=watcher.session_state["train_owner"])
        owner.run()
        owner.button(key="train_stop").click().run()
        assert not owner.exception
        wait_until(lambda: not job.active, 300, "the stopped run's end")
        assert job.status == "stopped"
    finally:
        if job.active:
            registry().stop(job.id, owner=owner.session_state["train_owner"])


def test_a_bad_max_training_runs_setting_is_a_message_on_the_page(models_dir, monkeypatch):
    monkeypatch.setattr(scheduler, "_REGISTRY", None)   # a fresh server reads the setting
    monkeypatch.setenv("LVM_MAX_TRAINING_RUNS", "lots")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("pages/train.py").run()
    assert not at.exception
    assert "LVM_MAX_TRAINING_RUNS must be a whole number of at least 1" in shown(at.error[0].value)



def test_a_run_whose_save_failed_offers_retry_saving_and_its_weights(models_dir, monkeypatch):
    monkeypatch.setenv("LVM_MODELS_MB", "50")
    at = train_page(train_epochs=1000, train_name="unsaved")
    at.button(key="train_start").click().run()
    job = registry().get(at.session_state["train_job"])
    try:
        wait_until(lambda: job.history, 300, "the first epoch")
        with open(models_dir / "filler.bin", "wb") as f:
            f.truncate(100 * 2 ** 20)        # sparse: the folder is past its 50 MB cap, the disk is not
        at.run()
        at.button(key="train_stop").click().run()
        wait_until(lambda: not job.active, 300, "the stopped run's end")
    finally:
        if job.active:
            registry().stop(job.id, owner=at.session_state["train_owner"])
    at.run()
    assert shown(at.error[0].value).startswith("could not save unsaved.safetensors: the user models folder is full")
    download = at.get("download_button")
    assert len(download) == 1 and download[0].proto.label == "Download the weights (.safetensors)"
    at.button(key="train_retry").click().run()          # still full: the same line, the weights still kept
    assert "is full" in shown(at.error[0].value) and job.unsaved is not None
    (models_dir / "filler.bin").unlink()
    at.button(key="train_retry").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert any(shown(i.value).startswith("saved unsaved.safetensors (after epoch") for i in at.info)  # stopped early
    assert (models_dir / "unsaved.safetensors").exists() and not at.get("download_button")
    at.button(key="train_explore").click().run()        # listed at once, and this session's
    assert "unsaved · VAE mlp z=8 (yours)" in at.sidebar.selectbox(key="model_path").options
    assert at.session_state["selection"].ckpt.name == "unsaved"
