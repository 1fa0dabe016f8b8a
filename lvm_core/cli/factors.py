"""`python -m lvm_core` commands about hidden factors: factors, debias, rare."""
from __future__ import annotations

import json


from lvm_core.cli import checks
from lvm_core.cli.models import CHECKPOINT, checked_checkpoint
from lvm_core.storage.files import write_npy
from lvm_core.errors import InvalidInput


def add_commands(sub, data_args) -> None:
    from lvm_core.factors.measure import FACTORS

    def split_command(name: str, help: str, *suffixes: str):
        p = sub.add_parser(name, help=help)
        p.add_argument("checkpoint", type=CHECKPOINT)
        p.add_argument("--split", choices=["test", "train"], default="test")
        data_args(p)
        p.add_argument("--out", type=checks.output_file(*suffixes), required=True)
        return p

    p = sub.add_parser("factors", help="hidden factors of a model: probe R^2, traversal, removal, identity kept")
    p.add_argument("checkpoint", type=CHECKPOINT)
    p.add_argument("--factor", nargs="+", choices=list(FACTORS), default=list(FACTORS))
    data_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.set_defaults(run=cmd_factors)
    p = split_command("debias", "decode a split with one factor removed: .npy (N x H x W) in [0, 1]", ".npy")
    p.add_argument("--factor", choices=list(FACTORS), default="slant")
    p.add_argument("--method", choices=["mean-difference", "leace"], default="mean-difference",
                   help="mean-difference: along the factor's direction until a probe reads the mean; leace: "
                        "least-squares concept erasure (no linear probe reads it afterwards)")
    p.set_defaults(run=cmd_debias)
    p = split_command("rare", "the images whose codes are rarest under a Gaussian mixture: .png grid or .npy indices",
                      ".npy", ".png")
    p.add_argument("--n", type=checks.POINTS, default=64)
    p.set_defaults(run=cmd_rare)


def _single_channel(ckpt) -> None:
    if ckpt.config.image_shape[0] != 1:
        raise InvalidInput(f"{ckpt.name}: hidden factors are measured on single-channel images; this model draws "
                           f"{ckpt.config.image_shape[0]} channels")


def cmd_factors(args) -> None:
    from lvm_core.factors.report import factor_report, format_report
    from lvm_core.analysis.quality import find_classifier

    ckpt, splits = checked_checkpoint(args, _single_channel)
    report = factor_report(ckpt, splits["train"], splits["test"], find_classifier(ckpt.dataset), args.factor)
    print(json.dumps({"checkpoint": args.checkpoint, **report}) if args.json else format_report(report))


def cmd_debias(args) -> None:
    from lvm_core.factors.erasure import fit_eraser
    from lvm_core.factors.measure import split_factors
    from lvm_core.generation.inference import decode, encode

    ckpt, splits = checked_checkpoint(args, _single_channel)
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

    def before_data(ckpt):   # .npy holds n indices; a .png grid n images
        if args.out.lower().endswith(".png"):
            checks.check_grid("--n", args.n, ckpt.config.image_shape)

    ckpt, splits = checked_checkpoint(args, before_data)
    data, train = splits[args.split], splits["train"]
    idx = rarest(log_density(encode(ckpt.model, data.images, data.labels),
                             fit_codes=encode(ckpt.model, train.images, train.labels)), args.n)
    if args.out.endswith(".png"):
        atomic_write_bytes(args.out, grid_png(to_display(data.images[idx])))
    else:
        write_npy(args.out, idx)
    print(f"wrote {args.out}: the {len(idx)} rarest {args.split} images (indices {', '.join(map(str, idx[:8]))}...)")
