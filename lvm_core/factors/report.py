"""One model's hidden factors in numbers: for the CLI (`python -m lvm_core factors`) and the benchmark.

Directions and probes are fitted on the train split; everything is scored on the test split.
"""
from __future__ import annotations

import numpy as np

from lvm_core.factors.directions import fit_direction, probe_table, remove_factor, traverse
from lvm_core.factors.measure import FACTORS, split_factors
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
    removal and their ratio; classifier accuracy before / after and identity_kept (their ratio)."""
    unknown = [f for f in factors if f not in FACTORS]
    if unknown:
        raise ValueError(f"unknown factor {unknown[0]!r}; choose from {', '.join(FACTORS)}")
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
    return {"model": ckpt.name, "kind": ckpt.config.kind, "dataset": ckpt.dataset, "factors": rows,
            "class_probe_r2": probes["class"]}


def format_report(report: dict) -> str:
    """A few lines of text for a terminal."""
    lines = [f"{report['model']} ({report['dataset']}): class probe R^2 {report['class_probe_r2']:.3f}"]
    for name, r in report["factors"].items():
        kept = "" if r["identity_kept"] is None else f", identity kept {r['identity_kept']:.3f}"
        lines.append(f"  {name:9s} R^2 {r['probe_r2']:.3f}  rho {r['rho']:+.3f}  -2..+2 steps: {r['low']:.2f} -> "
                     f"{r['high']:.2f} {r['unit']} (data p20..p80 {r['data_p20']:.2f}..{r['data_p80']:.2f}"
                     f"{', spans' if r['spans_p20_p80'] else ', does NOT span'})  removed: spread "
                     f"{r['spread_before']:.2f} -> {r['spread_after']:.2f} ({r['spread_ratio']:.2f}x){kept}")
    return "\n".join(lines)
