"""`python -m lvm_core export-lesson`: the static lesson folder (lvm_core/lesson/export.py)."""
from __future__ import annotations

import sys


def add_commands(sub, data_args) -> None:
    p = sub.add_parser("export-lesson", help="write the lesson as a static folder (index.html: opens from disk, "
                                             "no server, no network): map, sliders, AE vs VAE samples, interpolation")
    p.add_argument("ae", metavar="CKPT_AE", help="the autoencoder (its map of the test codes, its samples)")
    p.add_argument("vae", metavar="CKPT_VAE", help="the VAE of the same dataset (sliders, samples)")
    p.add_argument("--n", type=int, default=10_000, help="points on the map (default 10000; fewer if the split is)")
    p.add_argument("--seed", type=int, default=0, help="the first random samples and the interpolation pair")
    data_args(p)
    p.add_argument("--out", required=True, help="a new or empty folder")
    p.set_defaults(run=cmd_export_lesson)


def _progress(message: str) -> None:
    print(f"export-lesson: {message}", file=sys.stderr, flush=True)


def cmd_export_lesson(args) -> None:
    from lvm_core.lesson.export import BUDGET_BYTES, LessonError, check_out, lesson_files, open_pair, write_lesson

    if args.n < 1:
        raise LessonError("--n must be at least 1 (points on the map)")
    check_out(args.out)     # before any work
    ae, vae, test = open_pair(args.ae, args.vae, args.data_dir, _progress)
    files = lesson_files(ae, vae, test, n=args.n, seed=args.seed, progress=_progress)
    write_lesson(args.out, files)
    total = sum(len(data) for data in files.values())
    for name, data in sorted(files.items(), key=lambda item: -len(item[1])):
        print(f"{len(data):>12,} bytes  {name}")
    print(f"wrote {args.out}: {len(files)} files, {total:,} bytes "
          f"({total / BUDGET_BYTES:.0%} of the {BUDGET_BYTES / 1e6:.0f} MB budget); open {args.out}/index.html")
