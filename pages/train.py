"""Train: choose a dataset and settings, watch the run (progress, losses, latent map), keep the model.

The run itself trains in a lvm_core.jobs worker process; this page only submits, polls and stops, so
leaving the page or closing the tab leaves the run going. Any session can watch a run; only the
session that started it can stop it.
"""
from pathlib import Path

import streamlit as st

from lvm_app import cache, routing, run_view, state, train_charts
from lvm_core import DATASETS, LvmError, ModelConfig, TrainConfig
from lvm_core.config import MAX_EPOCHS, MAX_LATENT_DIM, parse_sizes
from lvm_core.data.datasets import is_available
from lvm_core.factors.density import reference_vae
from lvm_core.jobs import INTERRUPTED, registry
from lvm_core.jobs.fairness import is_teacher
from lvm_core.models import is_conditional
from lvm_core.training.defaults import default_configs, default_hidden
from lvm_core.text import MESSAGE_LIMIT, markdown_plain

POLL_S = 1.0
KEEP = "session"   # settings and the watched run survive a visit to another page
# label -> model kind (denoising: input noise > 0; conditional: the class is given to encoder and decoder)
KINDS = {"VAE": "vae", "AE": "ae", "Denoising AE": "ae", "Conditional VAE": "cvae"}
VARIATIONAL = ("VAE", "Conditional VAE")
LEARNING_RATES = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 1.0, 10.0]
BATCH_SIZES = [32, 64, 128, 256, 512]
DEBIAS_ALPHAS = [0.0, 0.5, 1.0, 2.0, 4.0]   # 2: density.DEFAULT_ALPHA
CONV_HIDDEN = ", ".join(map(str, default_hidden("conv")))
EXPLORE_PAGE = Path(__file__).with_name("latent_space.py")  # by file, whatever the pages folder is called


def dataset_settings(dataset: str) -> dict:
    model, train = default_configs(dataset, DATASETS[dataset].image_shape)
    return dict(train_latent=model.latent_dim, train_epochs=train.epochs, train_batch=train.batch_size,
                train_hidden_mlp=", ".join(map(str, model.hidden)), train_hidden_conv=CONV_HIDDEN)


def reset_settings() -> None:
    """A new dataset: its own defaults for the settings that depend on it."""
    st.session_state.update(dataset_settings(st.session_state.train_dataset))


def settings() -> tuple[ModelConfig, TrainConfig]:
    """The configs the widgets describe; raises ValueError with a plain message when they can't work."""
    s = st.session_state
    kind = s.train_kind
    info = DATASETS[s.train_dataset]
    model = ModelConfig(kind=KINDS[kind], arch=s.train_arch, image_shape=info.image_shape,
                        latent_dim=int(s.train_latent), hidden=parse_sizes(s[f"train_hidden_{s.train_arch}"]),
                        beta=float(s.get("train_beta", 1.0)) if kind in VARIATIONAL else 1.0,
                        n_classes=len(info.class_names) if is_conditional(KINDS[kind]) else 0)
    train = TrainConfig(epochs=int(s.train_epochs), batch_size=int(s.train_batch), lr=float(s.train_lr),
                        seed=int(s.train_seed), device="cpu",
                        input_noise=float(s.train_noise) if kind == "Denoising AE" else 0.0,
                        debias_alpha=float(s.get("train_debias", 0.0)) if debias_reference() else 0.0)
    return model, train


def debias_reference():
    """The shipped VAE whose codes say which images are rare (None: the dataset has none)."""
    return reference_vae(st.session_state.train_dataset, cache.models())


def suggested_name() -> str:
    s = st.session_state
    kind = {"VAE": "vae", "AE": "ae", "Denoising AE": "dae", "Conditional VAE": "cvae"}[s.train_kind]
    return f"{s.train_dataset}-{kind}-{s.train_arch}-{s.train_latent}"


def session_token() -> str:
    """This browser session's id: the owner of the runs it starts (kept across page switches)."""
    return state.session_owner(st.session_state)


def start() -> None:
    """Train button: submit the run and watch it (a callback, so the run list below already has it)."""
    st.session_state.train_error = None
    try:
        model, train = settings()
        job = jobs.submit(st.session_state.train_dataset, model, train,
                          name=st.session_state.train_name or suggested_name(), owner=session_token())
    except (LvmError, ValueError) as exc:   # ValueError: the configs' own checks of the widgets' values
        st.session_state.train_error = str(exc)
        return
    st.session_state.train_job = job.id
    st.query_params["run"] = job.id


def stop(job_id: str) -> None:
    try:
        jobs.stop(job_id, owner=session_token(), teacher_token=st.session_state.get("train_teacher_token", ""))
    except LvmError as exc:
        st.session_state.train_error = str(exc)


def use_model(path: Path, dataset: str) -> None:
    """Select a finished run's checkpoint in the sidebar (before the sidebar's widgets are drawn)."""
    cache.models.clear()
    st.session_state[state.DATASET] = dataset
    st.session_state[state.MODEL_PATH] = next((str(e.path) for e in cache.models()
                                               if e.path.resolve() == path.resolve()), str(path))


def settings_form() -> None:
    datasets = [d for d in DATASETS if is_available(d)]
    if st.session_state.get("train_dataset") not in datasets:
        sidebar_dataset = st.session_state.get("dataset")
        st.session_state.train_dataset = sidebar_dataset if sidebar_dataset in datasets else datasets[0]
    for key, value in dataset_settings(st.session_state.train_dataset).items():
        st.session_state.setdefault(key, value)
    c1, c2, c3, c4 = st.columns(4)
    c1.selectbox("Dataset", datasets, key="train_dataset", persist_state=KEEP, on_change=reset_settings,
                 format_func=lambda d: DATASETS[d].title)
    kind = c2.radio("Model", list(KINDS), key="train_kind", persist_state=KEEP, horizontal=True,
                    help="Denoising AE: an AE trained to rebuild clean images from noisy inputs. Conditional VAE: "
                         "encoder and decoder are also given the class, so the code keeps only the style")
    arch = c3.radio("Architecture", ["mlp", "conv"], key="train_arch", persist_state=KEEP, horizontal=True)
    c4.number_input("Latent size", 1, MAX_LATENT_DIM, key="train_latent", persist_state=KEEP)
    c1, c2, c3, c4 = st.columns(4)
    c1.text_input("Hidden sizes" if arch == "mlp" else "Conv channels", key=f"train_hidden_{arch}", persist_state=KEEP,
                  help="mlp: layer widths, e.g. '256' or '512, 256'; conv: channels of the stride-2 convs")
    if kind in VARIATIONAL:
        c2.number_input("β (KL weight)", 0.0, 100.0, 1.0, step=0.5, key="train_beta", persist_state=KEEP,
                        help="1 is the true ELBO; larger smooths the latent space, blurs reconstructions")
    elif kind == "Denoising AE":
        c2.slider("Input noise (std)", 0.05, 1.0, 0.3, step=0.05, key="train_noise", persist_state=KEEP)
    c3.number_input("Epochs", 1, MAX_EPOCHS, key="train_epochs", persist_state=KEEP)
    c4.selectbox("Batch size", BATCH_SIZES, key="train_batch", persist_state=KEEP)
    debias_form()
    c1, c2, c3, c4 = st.columns(4)
    c1.select_slider("Learning rate", LEARNING_RATES, 1e-3, key="train_lr", persist_state=KEEP,
                     format_func=lambda v: f"{v:g}", help="10 makes a VAE diverge: try it to see the message")
    c2.number_input("Seed", 0, 2**31 - 1, 0, key="train_seed", persist_state=KEEP)
    c3.text_input("Name", key="train_name", persist_state=KEEP, placeholder=suggested_name(), max_chars=60)
    stem = jobs.free_name(st.session_state.train_name or suggested_name())
    c3.caption(f"Saves as `{stem}` in the user models folder")
    c4.button("Train", type="primary", on_click=start, width="stretch", key="train_start")
    if st.session_state.get("train_error"):
        st.error(markdown_plain(st.session_state.train_error, MESSAGE_LIMIT))


def debias_form() -> None:
    """DB-VAE's debiased sampling: rare styles drawn more often; the run also trains once without it."""
    reference = debias_reference()
    left, right = st.columns([1, 3])
    left.select_slider("Re-weight rare styles (α)", DEBIAS_ALPHAS, 0.0, key="train_debias", persist_state=KEEP,
                       disabled=reference is None, format_func=lambda a: "off" if a == 0 else f"{a:g}")
    if reference is None:
        right.caption("Re-weighting needs a shipped VAE of this dataset to say which images are rare; it has none.")
    else:
        right.caption(f"Each epoch draws images with weight 1 / density^α of their codes under the shipped "
                      f"{reference.label} (the Hidden factors page's *Rare styles*), so rare styles are seen more "
                      "often. The run then trains once more without re-weighting (twice the time) to compare the "
                      "error on the rarest tenth of the test images.")


def watched_job():
    """The run this session shows: its own newest, the one in the URL, else the newest running one."""
    runs = {j.id: j for j in jobs.jobs()}
    if not runs:
        return None
    if st.session_state.get("train_job") not in runs:
        from_url = st.query_params.get("run")
        own = [i for i, j in runs.items() if j.owned_by(session_token())]
        active = [i for i, j in runs.items() if j.active]
        st.session_state.train_job = from_url if from_url in runs else (own or active or list(runs))[0]
    chosen = st.selectbox("Run", list(runs), key="train_job", persist_state=KEEP, on_change=follow_in_url,
                          format_func=lambda i: runs[i].describe())
    interrupted = [j.name for j in runs.values() if j.status == INTERRUPTED]
    if interrupted:
        st.caption(f"Interrupted by a server restart or a crash, nothing saved: "
                   f"{', '.join(markdown_plain(name) for name in interrupted)}")
    return runs[chosen]


def follow_in_url() -> None:
    """The watched run goes in the URL, so a reopened tab or a shared link comes back to it."""
    st.query_params["run"] = st.session_state.train_job


def live(job_id: str, polling: bool) -> None:
    """The run's state, polled while the run is active. Figures come from train_charts' cache, so a
    poll rebuilds only what changed. When the run ends, one full rerun updates the sidebar's model
    list and stops the polling."""
    job = jobs.get(job_id)
    if job is None:
        return
    p = job.progress()
    if polling and not p.active:
        st.rerun()
    c, t = job.model_config, job.train_config
    st.caption(f"{markdown_plain(job.describe(), 300)} · {p.status} · hidden {', '.join(map(str, c.hidden))} · "
               f"{t.epochs} epochs · batch {t.batch_size} · lr {t.lr:g} · seed {t.seed}")
    run_view.status_line(job, p, jobs.place_in_line(job))
    mine = job.owned_by(session_token()) or is_teacher(st.session_state.get("train_teacher_token", ""))
    if p.stoppable and mine:
        st.button("Stop", on_click=stop, args=(job.id,), key="train_stop",
                  help="Ends after the current step and keeps the last completed epoch")
    elif p.active:
        st.caption("Started by another session: you can watch this run; only its own session can stop it.")
    elif p.path is not None:
        if st.button("Explore this model", type="primary", key="train_explore", on_click=use_model,
                     args=(p.path, job.dataset)):
            st.switch_page(EXPLORE_PAGE)
    elif p.unsaved is not None and mine:    # its save failed: the trained weights wait in the server's memory
        run_view.kept_weights(jobs, job, p, session_token(), st.session_state.get("train_teacher_token", ""))
    left, right = st.columns([3, 2])
    with left:
        if len(p.step_curve[0]):
            st.plotly_chart(train_charts.step_figure(job.id, p.step_curve, job.variational), key="train_steps")
        for column, fig in zip(st.columns(2), train_charts.epoch_figures(job.id, p.history, job.variational)
                               if p.history else []):
            column.plotly_chart(fig)
    with right:
        if p.snapshots:
            index = last = len(p.snapshots) - 1
            if not p.active and last > 0:
                index = st.slider("Timeline: epoch", 0, last, last, key=f"timeline_{job.id}")
            st.plotly_chart(train_charts.snapshot_map_figure(job.id, p, DATASETS[job.dataset].class_names, index),
                            key="train_map")
        elif p.active:
            st.caption("The latent map appears once the dataset is loaded.")


routing.require_router()
st.title("Train a model")
try:
    jobs = registry()
except LvmError as exc:     # a bad LVM_MAX_TRAINING_RUNS: the server's setting, said plainly
    st.error(markdown_plain(exc, MESSAGE_LIMIT))
    st.stop()
jobs.warm_up()
with st.expander("New run", expanded=not any(j.active for j in jobs.jobs())):
    settings_form()
run_view.teacher_form(jobs, stop)
job = watched_job()
if job is None:
    st.info("No runs on this server yet: choose settings above and press Train.")
    st.stop()
refreshed = st.session_state.setdefault("train_refreshed", set())
if not job.active and job.id not in refreshed:
    # A run that ended since this session last looked: list its model in the sidebar now.
    refreshed.add(job.id)
    if job.path is not None:
        cache.models.clear()
        st.rerun()
st.fragment(live, run_every=POLL_S if job.active else None)(job.id, job.active)
