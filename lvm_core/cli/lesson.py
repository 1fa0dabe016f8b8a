"""`python -m lvm_core export-lesson`: the static lesson folder (lvm_core/lesson/export.py)."""
from __future__ import annotations

import sys

from lvm_core.cli import checks
from lvm_core.cli.models import CHECKPOINT


def add_commands(sub, data_args) -> None:
    p = sub.add_parser("export-lesson", help="write the lesson as a static folder (index.html: opens from disk, "
                                             "no server, no network): map, sliders, AE vs VAE samples, interpolation")
    p.add_argument("ae", metavar="CKPT_AE", type=CHECKPOINT,
                   help="the autoencoder (its map of the test codes, its samples)")
    p.add_argument("vae", metavar="CKPT_VAE", type=CHECKPOINT, help="the VAE of the same dataset (sliders, samples)")
    p.add_argument("--n", type=checks.POINTS, default=10_000,
                   help="points on the map (default 10000; fewer if the split is)")
    p.add_argument("--seed", type=checks.SEED, default=0, help="the first random samples and the interpolation pair")
    data_args(p)
    p.add_argument("--out", type=checks.output_folder(new=True), required=True,
                   help="a new or empty folder (the lesson never replaces a file)")
    p.set_defaults(run=cmd_export_lesson)


def _progress(message: str) -> None:
    print(f"export-lesson: {message}", file=sys.stderr, flush=True)


def cmd_export_lesson(args) -> None:
    from lvm_core.lesson.export import BUDGET_BYTES, check_out, lesson_files, open_pair, write_lesson

    check_out(args.out)     # before any work (again: the parser checked it; a folder can fill since)
    ae, vae, test = open_pair(args.ae, args.vae, args.data_dir, _progress)
    files = lesson_files(ae, vae, test, n=args.n, seed=args.seed, progress=_progress)
    write_lesson(args.out, files)
    total = sum(len(data) for data in files.values())
    for name, data in sorted(files.items(), key=lambda item: -len(item[1])):
        print(f"{len(data):>12,} bytes  {name}")
    print(f"wrote {args.out}: {len(files)} files, {total:,} bytes "
          f"({total / BUDGET_BYTES:.0%} of the {BUDGET_BYTES / 1e6:.0f} MB budget); open {args.out}/index.html")
