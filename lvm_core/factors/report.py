"""One model's hidden factors in numbers: for the CLI (`python -m lvm_core factors`) and the benchmark.

Directions and probes are fitted on the train split; everything is scored on the test split.
"""
from __future__ import annotations

import numpy as np

from lvm_core.errors import InvalidInput
from lvm_core.factors.directions import fit_direction, probe_table, remove_factor, traverse
from lvm_core.factors.measure import FACTORS, split_factors
from lvm_core.factors.scores import disentanglement_scores
from lvm_core.generation.inference import encode

TRAVERSE_N = 300     # test codes moved along each direction (evenly spaced: MNIST's test split is ordered
                     # by writer group)


def spaced(total: int, n: int) -> np.ndarray:
    """n indices spread evenly over range(total) (all of them when n >= total)."""
    return np.unique(np.linspace(0, total - 1, min(n, total)).round().astype(int))


def factor_report(ckpt, train, test, classifier=None, factors=tuple(FACTORS), traverse_n: int = TRAVERSE_N) -> dict:
    """{"model", "dataset", "factors": {name: {...}}, "class_probe_r2"} for a Checkpoint and its
    dataset's train / test ImageDatasets. Per factor: probe_r2 (ridge, test split); rho (Spearman of
    step vs mean measured factor along the direction, -2..+2 steps); low / high (mean factor at -2 / +2)
    against the test data's p20 / p80 and whether the traversal spans them; spread before / after
    removal and their ratio; classifier accuracy before / after and identity_kept (their ratio). "scores":
    MIG, DCI and SAP against every measured factor and the label (lvm_core.factors.scores)."""
    unknown = [f for f in factors if f not in FACTORS]
    if unknown:
        raise InvalidInput(f"unknown factor {unknown[0]!r}; choose from {', '.join(FACTORS)}")
    model = ckpt.model
    train_codes, test_codes = encode(model, train.images, train.labels), encode(model, test.images, test.labels)
    train_table = split_factors(train.name, "train", train.images)
    test_table = split_factors(test.name, "test", test.images)
    probes = probe_table(train_codes, {f: train_table[f] for f in factors}, train.labels.numpy(),
                         test_codes, {f: test_table[f] for f in factors}, test.labels.numpy())
    base = test_codes[spaced(len(test_codes), traverse_n)]
    rows = {}
    for name in factors:
        direction = fit_direction(train_codes, train_table[name], name)
        walk = traverse(model, base, direction, labels=test.labels.numpy()[spaced(len(test_codes), traverse_n)])
        removal = remove_factor(model, test_codes, direction, test.labels.numpy(), classifier)
        p20, p80 = np.percentile(test_table[name], [20, 80])
        low, high = float(walk.mean[0]), float(walk.mean[-1])
        rows[name] = {
            "unit": FACTORS[name].unit, "probe_r2": probes[name], "rho": walk.rho, "low": low, "high": high,
            "data_p20": float(p20), "data_p80": float(p80), "spans_p20_p80": bool(low <= p20 and high >= p80),
            "spread_before": removal.spread_before, "spread_after": removal.spread_after,
            "spread_ratio": removal.spread_ratio, "accuracy_before": removal.accuracy_before,
            "accuracy_after": removal.accuracy_after, "identity_kept": removal.identity_kept,
        }
    scores = disentanglement_scores(train_codes, {**train_table, "label": train.labels.numpy()},
                                    test_codes, {**test_table, "label": test.labels.numpy()})
    return {"model": ckpt.name, "kind": ckpt.config.kind, "dataset": ckpt.dataset, "factors": rows,
            "class_probe_r2": probes["class"], "scores": scores}


def format_report(report: dict) -> str:
    """A few lines of text for a terminal."""
    lines = [f"{report['model']} ({report['dataset']}): class probe R^2 {report['class_probe_r2']:.3f}"]
    for name, r in report["factors"].items():
        kept = "" if r["identity_kept"] is None else f", identity kept {r['identity_kept']:.3f}"
        lines.append(f"  {name:9s} R^2 {r['probe_r2']:.3f}  rho {r['rho']:+.3f}  -2..+2 steps: {r['low']:.2f} -> "
                     f"{r['high']:.2f} {r['unit']} (data p20..p80 {r['data_p20']:.2f}..{r['data_p80']:.2f}"
                     f"{', spans' if r['spans_p20_p80'] else ', does NOT span'})  removed: spread "
                     f"{r['spread_before']:.2f} -> {r['spread_after']:.2f} ({r['spread_ratio']:.2f}x){kept}")
    s = report["scores"]
    lines.append(f"  scores vs {', '.join(s['factors'])}: MIG {s['mig']:.3f}  DCI disentanglement "
                 f"{s['dci']['disentanglement']:.3f} completeness {s['dci']['completeness']:.3f} informativeness "
                 f"{s['dci']['informativeness']:.3f}  SAP {s['sap']:.3f}")
    return "\n".join(lines)


SCORES_TRAIN_N = 10_000   # train codes the scores and erasers are fitted on (evenly spaced): seconds, not minutes
ERASURE_DECODE_N = 2000   # test codes decoded to measure an erasure's spread and identity kept


def scores_report(model, train, test, train_n: int = SCORES_TRAIN_N) -> dict:
    """disentanglement_scores of a model's codes (train_n train codes, every test code) against every
    measured factor and the label, plus "reconstruction_mse" (per pixel, test split)."""
    from lvm_core.generation.inference import per_pixel_mse, reconstruct

    idx = spaced(len(train), train_n)
    train_table = {k: v[idx] for k, v in split_factors(train.name, "train", train.images).items()}
    train_table["label"] = train.labels.numpy()[idx]
    test_table = {**split_factors(test.name, "test", test.images), "label": test.labels.numpy()}
    # labels: a CVAE encodes x given y (its code then holds the style, not the class)
    scores = disentanglement_scores(encode(model, train.images[idx], train.labels[idx]), train_table,
                                    encode(model, test.images, test.labels), test_table)
    return {**scores, "reconstruction_mse": per_pixel_mse(test.images, reconstruct(model, test.images, test.labels))}


def erasure_rows(model, train, test, factors=("slant", "thickness"), methods=("mean-difference", "leace"),
                 classifier=None, train_n: int = SCORES_TRAIN_N, decode_n: int = ERASURE_DECODE_N) -> list[dict]:
    """lvm_core.factors.erasure.compare_erasure for every factor and method: erasers and probes fitted on
    train_n train codes, probes scored on every test code, decode_n test images decoded."""
    from lvm_core.factors.erasure import compare_erasure

    idx = spaced(len(train), train_n)
    train_codes = encode(model, train.images[idx], train.labels[idx])
    test_codes = encode(model, test.images, test.labels)
    train_table = split_factors(train.name, "train", train.images)
    test_table = split_factors(test.name, "test", test.images)
    decode_idx = spaced(len(test), decode_n)
    return [compare_erasure(model, method, name, train_codes, train_table[name][idx], test_codes, test_table[name],
                            decode_idx, test.labels.numpy(), classifier)
            for name in factors for method in methods]


def beta_sweep(folder=None) -> list[tuple[float, object]]:
    """[(beta, checkpoint path)] of the β-sweep VAEs (checkpoints/sweep/mnist-vae-mlp-10-beta*.safetensors,
    trained by `python -m lvm_core train --model vae --beta B --latent-dim 10`), by increasing β."""
    from pathlib import Path

    from lvm_core import settings

    paths = Path(folder or settings.SHIPPED_DIR / "sweep").glob("mnist-vae-mlp-10-beta*.safetensors")
    return sorted((float(p.stem.rsplit("beta", 1)[1]), p) for p in paths)
