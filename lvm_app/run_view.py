"""The Train page's view of one run's state: queued, a progress bar while training, else its outcome
with the saved model's scores (and, when it lost to PCA, why), or Retry saving when its save failed."""
from __future__ import annotations

import streamlit as st

from lvm_app import cache
from lvm_app.train_charts import pca_verdict
from lvm_core import LvmError
from lvm_core.jobs import DIVERGED, DONE, FAILED, INTERRUPTED, QUEUED, STOPPED, Progress, disk
from lvm_core.jobs.fairness import is_teacher, ordinal, teacher_view_enabled
from lvm_core.analysis.metrics import KNN_HELP, NEG_ELBO_HELP, NEG_ELBO_LABEL
from lvm_core.storage.checkpoints import SUFFIX
from lvm_core.text import MESSAGE_LIMIT, markdown_plain

STATUS_BOX = {DONE: st.success, STOPPED: st.info, DIVERGED: st.error, FAILED: st.error, INTERRUPTED: st.warning}


def metrics_row(metrics: dict, latent_dim: int) -> None:
    """The saved model's test-split scores, against PCA with as many components as the code has."""
    columns = st.columns(3)
    columns[0].metric("Test reconstruction MSE", f"{metrics['mse']:.4f}", delta_color="inverse",
                      delta=f"{metrics['mse'] - metrics['pca_mse']:+.4f} vs PCA-{latent_dim}")
    columns[1].metric("5-NN accuracy of the codes", f"{metrics['knn5_acc']:.1%}", help=KNN_HELP)
    if "neg_elbo" in metrics:
        columns[2].metric(NEG_ELBO_LABEL, f"{metrics['neg_elbo']:.1f}", help=NEG_ELBO_HELP)
    if "rare_decile_mse_plain" in metrics:
        debias_row(metrics)


def debias_row(metrics: dict) -> None:
    """A debiased run against its twin trained without re-weighting: the rarest decile, and the cost on all."""
    rare, rare_plain = metrics["rare_decile_mse"], metrics["rare_decile_mse_plain"]
    columns = st.columns(3)
    columns[0].metric("Rarest tenth of the test images: MSE", f"{rare:.4f}", delta_color="inverse",
                      delta=f"{rare / rare_plain - 1:+.1%} vs without re-weighting",
                      help="The 10% of test images whose codes are least dense under the shipped VAE")
    columns[1].metric("Same run without re-weighting: rarest tenth", f"{rare_plain:.4f}")
    columns[2].metric("Whole test split: MSE without re-weighting", f"{metrics['mse_plain']:.4f}",
                      delta=f"{metrics['mse'] / metrics['mse_plain'] - 1:+.1%} re-weighted", delta_color="inverse",
                      help="What re-weighting costs (or gains) on all the test images")


def status_line(job, p: Progress, place: int) -> None:
    """Where the run is: queued (place: 1 for the next to start), a progress bar while training, else its
    outcome and scores."""
    t = job.train_config
    if p.status == QUEUED:
        st.progress(0.0, text=f"Queued: {ordinal(max(place, 1))} in line; it starts when a run on this machine "
                              "ends (one run per session trains at a time)")
    elif p.active and p.phase == "training":
        eta = f" · about {p.eta:.0f} s left" if p.eta is not None else ""
        st.progress(p.fraction, text=f"Training · epoch {min(p.epoch + 1, t.epochs)}/{t.epochs} · "
                                     f"step {p.steps_done}/{p.total_steps}{eta}")
    elif p.active:
        st.progress(p.fraction, text=f"{p.phase.capitalize()}…")
    else:
        STATUS_BOX[p.status](markdown_plain(p.message, MESSAGE_LIMIT))   # an error may quote a file's name
        if p.metrics:
            metrics_row(p.metrics, job.model_config.latent_dim)
            why = pca_verdict(p.metrics, job.model_config.latent_dim, p.epoch or t.epochs,
                              job.variational)
            if why:
                st.caption(why)


def kept_weights(jobs, job, p: Progress, owner: str, teacher_token: str) -> None:
    """A run whose save failed (its message says why): Retry saving, and its weights to download."""
    left, right = st.columns(2)
    right.download_button("Download the weights (.safetensors)", p.unsaved.data, file_name=f"{job.name}{SUFFIX}",
                          mime="application/octet-stream", key="train_download", on_click="ignore")
    if left.button("Retry saving", type="primary", key="train_retry"):
        try:
            if jobs.retry_save(job.id, owner=owner, teacher_token=teacher_token) is not None:
                cache.models.clear()
        except LvmError as exc:    # a stale click from a session that is not the run's
            st.session_state.train_error = str(exc)
        st.rerun()    # the whole page, not only this fragment: the run's new state, the sidebar's model list


def teacher_form(jobs, stop) -> None:
    """The teacher's view (LVM_ADMIN_TOKEN set): the token, then every run of the server."""
    if not teacher_view_enabled():
        return
    with st.expander("Teacher's view"):
        token = st.text_input("Teacher's token", type="password", key="train_teacher_token",
                              help="The server's LVM_ADMIN_TOKEN: lists every run and can stop any")
        if token and not is_teacher(token):
            st.error("That is not the teacher's token.")
        elif token:
            teacher_view(jobs, stop)


def teacher_view(jobs, stop) -> None:
    """Every run of the server, with a Stop button for each active one, and every user model with a
    Delete button (stop(job_id) is the page's callback)."""
    runs = jobs.jobs()
    st.caption(f"{len(runs)} run(s) on this server; {jobs.running()} training, {jobs.waiting()} waiting.")
    for job in runs:
        name, owner, state, button = st.columns([3, 1, 2, 1])
        name.write(f"`{job.name}` · {markdown_plain(job.dataset)}")      # the name is a safe stem
        owner.caption(f"session {job.owner[:6] or '(script)'}")
        place = jobs.place_in_line(job)
        state.caption(f"{job.status}" + (f" · {ordinal(place)} in line" if place else "") +
                      (f" · {markdown_plain(job.message, MESSAGE_LIMIT)}" if job.message else ""))
        if job.active:
            button.button("Stop", key=f"teacher_stop_{job.id}", on_click=stop, args=(job.id,))
    used, budget = disk.used_bytes(jobs.models_dir), disk.budget_bytes()
    st.caption(f"User models folder: {used / disk.MB:,.1f} MB of {budget / disk.MB:,.0f} MB (LVM_MODELS_MB).")
    for name, size in disk.models(jobs.models_dir):
        left, right = st.columns([6, 1])
        left.caption(f"{markdown_plain(name)} · {size / disk.MB:.1f} MB")   # any file dropped in the folder
        right.button("Delete", key=f"teacher_delete_{name}", on_click=delete_model, args=(jobs, name))


def delete_model(jobs, file_name: str) -> None:
    """The teacher's Delete: one model of the user models folder (the token checked again, at the click)."""
    if is_teacher(st.session_state.get("train_teacher_token", "")):
        disk.delete_model(jobs.models_dir, file_name)
        cache.models.clear()
