"""`python -m lvm_core` commands about hidden factors: factors, debias, rare."""
from __future__ import annotations

import json


from lvm_core.cli.models import checked_checkpoint
from lvm_core.storage.files import write_npy
from lvm_core.errors import InvalidInput


def add_commands(sub, data_args) -> None:
    from lvm_core.factors.measure import FACTORS

    def split_command(name: str, help: str):
        p = sub.add_parser(name, help=help)
        p.add_argument("checkpoint")
        p.add_argument("--split", choices=["test", "train"], default="test")
        data_args(p)
        p.add_argument("--out", required=True)
        return p

    p = sub.add_parser("factors", help="hidden factors of a model: probe R^2, traversal, removal, identity kept")
    p.add_argument("checkpoint")
    p.add_argument("--factor", nargs="+", choices=list(FACTORS), default=list(FACTORS))
    data_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=cmd_factors)
    p = split_command("debias", "decode a split with one factor removed: .npy (N x H x W) in [0, 1]")
    p.add_argument("--factor", choices=list(FACTORS), default="slant")
    p.add_argument("--method", choices=["mean-difference", "leace"], default="mean-difference",
                   help="mean-difference: along the factor's direction until a probe reads the mean; leace: "
                        "least-squares concept erasure (no linear probe reads it afterwards)")
    p.set_defaults(run=cmd_debias)
    p = split_command("rare", "the images whose codes are rarest under a Gaussian mixture: .png grid or .npy indices")
    p.add_argument("--n", type=int, default=64)
    p.set_defaults(run=cmd_rare)


def cmd_factors(args) -> None:
    from lvm_core.factors.report import factor_report, format_report
    from lvm_core.analysis.quality import find_classifier

    ckpt, splits = checked_checkpoint(args)
    report = factor_report(ckpt, splits["train"], splits["test"], find_classifier(ckpt.dataset), args.factor)
    print(json.dumps({"checkpoint": args.checkpoint, **report}) if args.json else format_report(report))


def cmd_debias(args) -> None:
    from lvm_core.factors.erasure import fit_eraser
    from lvm_core.factors.measure import split_factors
    from lvm_core.generation.inference import decode, encode

    ckpt, splits = checked_checkpoint(args)
    train, data = splits["train"], splits[args.split]
    eraser = fit_eraser(args.method, encode(ckpt.model, train.images, train.labels),
                        split_factors(train.name, "train", train.images)[args.factor], args.factor)
    images = decode(ckpt.model, eraser.remove(encode(ckpt.model, data.images, data.labels)), data.labels)
    write_npy(args.out, images)
    print(f"wrote {args.out}: {len(images)} {args.split} images decoded without {args.factor} ({args.method})")


def cmd_rare(args) -> None:
    from lvm_core.factors.density import log_density, rarest
    from lvm_core.data.images import grid_png
    from lvm_core.storage.files import atomic_write_bytes
    from lvm_core.generation.inference import encode, to_display

    if args.n < 1 or not args.out.endswith((".npy", ".png")):
        raise InvalidInput("--n must be at least 1 and --out must end in .npy or .png")
    ckpt, splits = checked_checkpoint(args)
    data, train = splits[args.split], splits["train"]
    idx = rarest(log_density(encode(ckpt.model, data.images, data.labels),
                             fit_codes=encode(ckpt.model, train.images, train.labels)), args.n)
    if args.out.endswith(".png"):
        atomic_write_bytes(args.out, grid_png(to_display(data.images[idx])))
    else:
        write_npy(args.out, idx)
    print(f"wrote {args.out}: the {len(idx)} rarest {args.split} images (indices {', '.join(map(str, idx[:8]))}...)")
