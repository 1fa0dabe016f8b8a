"""The application pages' numbers, measured: each against a baseline from the same run.

1. Anomalies: AUROC of reconstruction error for the class the shipped *-no7 AE and VAE never saw
   (baseline: chance, 0.5), and detection / false-alarm rates at the 99th percentile of the
   seen classes' errors.
2. Denoising: PSNR (pooled) / mean SSIM (scikit-image) on the test split for the noisy input, the plain AE
   and the denoising AE, per noise type (baseline: the plain AE of the same shape).
3. Features: 5-NN and logistic-regression test accuracy on raw pixels, PCA codes and AE / VAE
   codes of the same size (baseline: raw pixels).
4. Nonlinear PCA: the shipped sweep's test MSE for PCA and the AE per latent size (ratio PCA / AE).

    LVM_DATA_DIR=../shared/data python benchmarks/applications.py [--dataset mnist] [--n-train 10000]
"""
from __future__ import annotations

import argparse
import time


from lvm_core import load_checkpoint, load_dataset  # noqa: E402
from lvm_core.analysis.anomaly import anomaly_scores, held_out_roc  # noqa: E402
from lvm_core.storage.catalog import find_model, list_models  # noqa: E402
from lvm_core.analysis.denoising import LEVELS, denoise_scores  # noqa: E402
from lvm_core.analysis.features import feature_table  # noqa: E402
from lvm_core.analysis.sweep import load_sweep  # noqa: E402
from lvm_core.training.threads import set_cpu_threads  # noqa: E402


def anomalies(dataset: str, entries) -> None:
    test = load_dataset(dataset, "test")
    held = [e for e in entries if e.dataset == dataset and e.excluded]
    print(f"\n## Anomalies: a class the model never saw ({dataset} test split, {len(test):,} images)")
    print("| model | held out | AUROC | vs chance | flagged at p99 of seen | false alarms |")
    print("|---|---|---|---|---|---|")
    for entry in held:
        ckpt = load_checkpoint(entry.path)
        errors, _ = anomaly_scores(ckpt.model, test.images)
        r = held_out_roc(errors, test.labels.numpy(), entry.excluded)
        print(f"| {entry.name} | {','.join(map(str, r.held_out))} | {r.auroc:.3f} | {r.auroc / 0.5:.2f}x "
              f"| {r.detected:.1%} of {r.n_unseen} | {r.false_alarms:.1%} of {r.n_seen:,} |")


def denoising(dataset: str, entries, n: int) -> None:
    dae = next((e for e in entries if e.dataset == dataset and e.kind == "ae" and e.denoising and not e.excluded), None)
    plain = find_model(dataset, "ae", dae.arch, dae.latent_dim, entries=entries) if dae else None
    if dae is None or plain is None:
        print(f"\n(no denoising AE / plain AE pair for {dataset})")
        return
    models = {"noisy input": None, plain.name: load_checkpoint(plain.path).model,
              dae.name: load_checkpoint(dae.path).model}
    test = load_dataset(dataset, "test").images[:n]
    print(f"\n## Denoising ({dataset}, first {len(test):,} test images; "
          "PSNR dB of the pooled MSE / mean SSIM, higher is better)")
    print("| noise | level | " + " | ".join(models) + " | DAE - plain AE |")
    print("|---|---|" + "---|" * (len(models) + 1))
    for noise, (_, level) in LEVELS.items():
        scores = {name: denoise_scores(m, test, noise, level, seed=0) for name, m in models.items()}
        cells = " | ".join(f"{p:.2f} / {s:.3f}" for p, s in scores.values())
        gain = scores[dae.name][0] - scores[plain.name][0]
        print(f"| {noise} | {level:g} | {cells} | {gain:+.2f} dB |")


def features(dataset: str, entries, n_train: int | None) -> None:
    ae = find_model(dataset, "ae", "mlp", entries=entries)
    vae = find_model(dataset, "vae", "mlp", ae.latent_dim, entries=entries) if ae else None
    models = {f"{e.name} codes": load_checkpoint(e.path).model for e in (ae, vae) if e is not None}
    train, test = load_dataset(dataset, "train"), load_dataset(dataset, "test")
    start = time.perf_counter()
    rows = feature_table(train, test, models, n_train=n_train, n_test=None)
    took = time.perf_counter() - start
    print(f"\n## Latent codes as features ({dataset}: {min(n_train or len(train), len(train)):,} train images, "
          f"all {len(test):,} test images; {took:.0f} s)")
    print("| features | size | 5-NN accuracy | logistic regression accuracy |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r.name} | {r.dims} | {r.knn5:.3f} | {r.logreg:.3f} |")


def sweep(dataset: str) -> None:
    s = load_sweep(dataset)
    if s is None:
        print(f"\n(no shipped sweep for {dataset})")
        return
    print(f"\n## Nonlinear PCA ({dataset}: test per-pixel MSE; AE = {s['ae_model']}; shipped {s['created'][:10]})")
    print("| latent size | PCA | AE | PCA / AE |")
    print("|---|---|---|---|")
    for k, p, a in zip(s["sizes"], s["pca_mse"], s["ae_mse"]):
        print(f"| {k} | {p:.4f} | {a:.4f} | {p / a:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--n-train", type=int, default=10_000, help="train images for the feature classifiers (0: all)")
    parser.add_argument("--n-denoise", type=int, default=10_000, help="test images for PSNR / SSIM")
    args = parser.parse_args()
    set_cpu_threads(1)
    entries = list_models()
    anomalies(args.dataset, entries)
    denoising(args.dataset, entries, args.n_denoise)
    features(args.dataset, entries, args.n_train or None)
    sweep(args.dataset)


if __name__ == "__main__":
    main()
