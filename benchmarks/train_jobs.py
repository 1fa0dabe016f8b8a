"""The Train page's runs: steps/s of a run watched by the page against the same run unwatched, the
page's default MNIST run end to end, and how much a run slows page work in the server process.

1. Watched vs unwatched, per dataset (the page's default run; --epochs shortens it). "Watched" is an
   AppTest session of the real Train page in this process (the server's process: the same registry,
   progress copies and figure cache a browser session uses), rerun once per page poll period
   (pages/train.py POLL_S). Each rerun runs the whole page script, more than a browser's fragment
   poll does, so this errs on the slow side. Steps/s come from the worker's own per-epoch timings.
   Target: watched >= 0.8x unwatched.
2. The default MNIST run (MLP VAE 784-256-16, 10 epochs), Train pressed -> model saved.
3. Page work in the server process (encode 2,000 images + a figure), idle and while a run trains.
   A second session's click -> image latency with and without a run is measured by
   benchmarks/classroom.py (a server and real sessions).

    LVM_DATA_DIR=../shared/data python benchmarks/train_jobs.py [--datasets digits,mnist] [--epochs N]
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
from lvm_core import DATASETS, build_model, load_dataset  # noqa: E402
from lvm_core.generation.inference import encode  # noqa: E402
from lvm_core.jobs import registry  # noqa: E402
from lvm_core.training.defaults import default_configs  # noqa: E402
from lvm_core.training.threads import set_cpu_threads  # noqa: E402

POLL_S = 1.0   # pages/train.py's poll period


def configs(dataset: str, epochs: int | None):
    model_config, train_config = default_configs(dataset, DATASETS[dataset].image_shape)
    if epochs:
        train_config = type(train_config)(**{**train_config.to_dict(), "epochs": epochs})
    return model_config, train_config


def run(dataset, model_config, train_config, folder, watched: bool = False) -> dict:
    """One run through the server's registry; with watched, a Train page session polls it meanwhile.
    Returns steps/s (median over epochs, from the worker's timings), phase times, page poll times."""
    marks = {"submitted": time.perf_counter()}
    job = registry().submit(dataset, model_config, train_config, name="bench", out_dir=folder)
    page, polls = None, []
    if watched:
        from streamlit.testing.v1 import AppTest

        page = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
        page.run()
        page.switch_page("pages/train.py")
    while job.active:
        if job.steps_done and "first step" not in marks:
            marks["first step"] = time.perf_counter()
        if job.phase.startswith("measuring") and "trained" not in marks:
            marks["trained"] = time.perf_counter()
        if page is not None:
            t0 = time.perf_counter()
            page.run()
            polls.append(time.perf_counter() - t0)
            assert not page.exception, page.exception
            time.sleep(max(0.0, POLL_S - polls[-1]))
        else:
            time.sleep(0.01)
    marks["saved"] = time.perf_counter()
    if job.status != "done":
        raise SystemExit(f"the run ended {job.status}: {job.message}")
    steps = math.ceil(len(load_dataset(dataset, "train", download=False)) / train_config.batch_size)
    rates = [steps / r["seconds"] for r in job.history[1:] or job.history]  # epoch 1 pays warm-up costs
    return {"steps/s": statistics.median(rates), "start": marks["first step"] - marks["submitted"],
            "train": marks.get("trained", marks["saved"]) - marks["first step"],
            "save": marks["saved"] - marks.get("trained", marks["saved"]), "total": marks["saved"] - marks["submitted"],
            "polls": polls, "metrics": job.metrics}


def page_work(model, images) -> float:
    """Seconds for what a page does on a click: encode a few thousand images, build a figure."""
    import plotly.graph_objects as go

    start = time.perf_counter()
    codes = encode(model, images)
    go.Figure(go.Scatter(x=codes[:, 0], y=codes[:, 1], mode="markers")).to_json()
    return time.perf_counter() - start


def load() -> str:
    return "load %.1f %.1f %.1f" % os.getloadavg()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="digits,mnist", help="comma-separated, for the watched/unwatched runs")
    parser.add_argument("--epochs", type=int, help="watched/unwatched runs: default the page's default")
    parser.add_argument("--repeats", type=int, default=15, help="page-work timings per condition")
    parser.add_argument("--skip-default", action="store_true", help="skip 2. (the 10-epoch MNIST run)")
    args = parser.parse_args()
    set_cpu_threads(1)
    registry().warm_up()
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        print(f"1. steps/s, watched by a Train page session (AppTest, rerun every {POLL_S:g} s) vs unwatched")
        for dataset in args.datasets.split(","):
            model_config, train_config = configs(dataset, args.epochs)
            alone = run(dataset, model_config, train_config, folder)
            watched = run(dataset, model_config, train_config, folder, watched=True)
            print(f"   {dataset} {model_config.arch} {model_config.hidden} z={model_config.latent_dim}, "
                  f"{train_config.epochs} epochs: unwatched {alone['steps/s']:.1f}, watched {watched['steps/s']:.1f} "
                  f"(ratio {watched['steps/s'] / alone['steps/s']:.2f}); page poll median "
                  f"{statistics.median(watched['polls']) * 1000:.0f} ms over {len(watched['polls'])} polls; test MSE "
                  f"{alone['metrics']['mse']:.4f} vs PCA {alone['metrics']['pca_mse']:.4f}; {load()}")
        if not args.skip_default:
            model_config, train_config = configs("mnist", None)
            t = run("mnist", model_config, train_config, folder)
            print(f"2. default MNIST run ({train_config.epochs} epochs), Train pressed -> model saved: "
                  f"{t['total']:.1f} s (start {t['start']:.1f} s, training {t['train']:.1f} s, evaluation + save "
                  f"{t['save']:.1f} s); {t['steps/s']:.1f} steps/s; {load()}")
        model_config, train_config = configs("mnist", 3)
        model = build_model(model_config).eval()
        images = load_dataset("mnist", "test", download=False).images[:2000]
        page_work(model, images)  # warm-up
        idle = statistics.median(page_work(model, images) for _ in range(args.repeats))
        job = registry().submit("mnist", model_config, train_config, name="bench", out_dir=folder)
        while job.steps_done < 2 and job.active:
            time.sleep(0.01)
        busy = statistics.median(page_work(model, images) for _ in range(args.repeats))
        registry().stop(job.id)
        while job.active:
            time.sleep(0.05)
    print(f"3. page work (encode {len(images)} images + a figure) in the server process: idle {idle * 1000:.0f} ms, "
          f"during a run {busy * 1000:.0f} ms (ratio {busy / idle:.2f}); {load()}")


if __name__ == "__main__":
    main()
