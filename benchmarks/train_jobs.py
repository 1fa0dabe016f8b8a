"""The Train page's background runs: what a job costs over a bare fit(), how long the page's
default MNIST run takes, and how much slower other work in the process gets while a run trains.

1. fit() alone vs the same run as a TrainingJob (snapshots, progress, evaluation, save):
   seconds per epoch of each and the ratio; and, as a yardstick that stays fair on a busy
   machine, the epoch of the tutorial's 784-128-32 MLP AE measured just before.
2. The default MNIST run end to end (Train pressed -> model in the picker): training, then
   evaluation + save, and the total.
3. Page responsiveness: the median time of a page-sized piece of work (encode 2,000 test
   images and build a figure) with no run going, and while a run trains; the ratio.

    LVM_DATA_DIR=../shared/data python benchmarks/train_jobs.py [--epochs 10] [--dataset mnist]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lvm_core import DATASETS, build_model, fit, load_dataset  # noqa: E402
from lvm_core.inference import encode  # noqa: E402
from lvm_core.jobs import JobRegistry, default_configs  # noqa: E402
from lvm_core.training import set_cpu_threads  # noqa: E402


def run_job(dataset, model_config, train_config, folder) -> dict:
    """Submit one run and watch its phases: seconds to the first step, training, evaluation + save."""
    marks = {"submitted": time.perf_counter()}
    job = JobRegistry().submit(dataset, model_config, train_config, name="bench", out_dir=folder)
    while job.active:
        if job.steps_done and "first step" not in marks:
            marks["first step"] = time.perf_counter()
        if job.phase.startswith("measuring") and "trained" not in marks:
            marks["trained"] = time.perf_counter()
        time.sleep(0.01)
    marks["saved"] = time.perf_counter()
    if job.status != "done":
        raise SystemExit(f"the run ended {job.status}: {job.message}")
    return {"start": marks["first step"] - marks["submitted"], "train": marks["trained"] - marks["first step"],
            "save": marks["saved"] - marks["trained"], "total": marks["saved"] - marks["submitted"],
            "test_loss": job.history[-1]["test_loss"]}


def page_work(model, images) -> float:
    """Seconds for what a page does on a click: encode a few thousand images, build a figure."""
    import plotly.graph_objects as go

    start = time.perf_counter()
    codes = encode(model, images)
    go.Figure(go.Scatter(x=codes[:, 0], y=codes[:, 1], mode="markers")).to_json()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist", choices=list(DATASETS))
    parser.add_argument("--epochs", type=int, help="default: the Train page's default for the dataset")
    parser.add_argument("--repeats", type=int, default=15, help="page-work timings per condition")
    args = parser.parse_args()
    set_cpu_threads(1)
    model_config, train_config = default_configs(args.dataset, DATASETS[args.dataset].image_shape)
    if args.epochs:
        train_config = type(train_config)(**{**train_config.to_dict(), "epochs": args.epochs})
    train, test = (load_dataset(args.dataset, split, download=False) for split in ("train", "test"))
    print(f"{args.dataset}: {model_config.kind} {model_config.arch} hidden={model_config.hidden} "
          f"z={model_config.latent_dim}, {train_config.epochs} epochs, batch {train_config.batch_size}, 1 thread")

    tutorial = type(model_config)(kind="ae", arch="mlp", image_shape=model_config.image_shape, latent_dim=32,
                                  hidden=(128,))
    one_epoch = type(train_config)(**{**train_config.to_dict(), "epochs": 1, "batch_size": 128})
    yardstick = fit(build_model(tutorial, seed=0), train.images, one_epoch, test_images=test.images).seconds
    result = fit(build_model(model_config, seed=0), train.images, train_config, test_images=test.images)
    fit_epoch = result.seconds / train_config.epochs
    with tempfile.TemporaryDirectory() as folder:
        t = run_job(args.dataset, model_config, train_config, Path(folder))
    job_epoch = t["train"] / train_config.epochs
    print(f"1. fit() alone: {fit_epoch:.2f} s/epoch; as a job: {job_epoch:.2f} s/epoch "
          f"(ratio {job_epoch / fit_epoch:.2f}); the 784-128-32 AE: {yardstick:.2f} s/epoch "
          f"(default / AE: {fit_epoch / yardstick:.2f})")
    print(f"2. default run, Train pressed -> model saved: {t['total']:.1f} s (start {t['start']:.1f} s, training "
          f"{t['train']:.1f} s, evaluation + save {t['save']:.1f} s); test loss {t['test_loss']:.4g}")

    model = build_model(model_config).eval()
    images = test.images[:2000]
    page_work(model, images)  # warm-up
    idle = statistics.median(page_work(model, images) for _ in range(args.repeats))
    with tempfile.TemporaryDirectory() as folder:
        registry = JobRegistry()
        job = registry.submit(args.dataset, model_config, train_config, name="bench", out_dir=Path(folder))
        while job.steps_done < 2:
            time.sleep(0.01)
        busy = statistics.median(page_work(model, images) for _ in range(args.repeats))
        registry.stop(job.id)
        while job.active:
            time.sleep(0.05)
    print(f"3. page work (encode {len(images)} images + a figure): idle {idle * 1000:.0f} ms, "
          f"during a run {busy * 1000:.0f} ms (ratio {busy / idle:.2f})")


if __name__ == "__main__":
    main()
