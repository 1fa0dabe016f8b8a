"""`python -m lvm_core` commands about hidden factors: factors, debias, rare; and the model whose
codes give `train --debias-alpha`'s densities."""
from __future__ import annotations

import json

import numpy as np

from .cli_models import checked_checkpoint
from .errors import InvalidInput


def add_commands(sub, data_args) -> None:
    from .factors import FACTORS

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
    p.set_defaults(run=cmd_debias)
    p = split_command("rare", "the images whose codes are rarest under a Gaussian mixture: .png grid or .npy indices")
    p.add_argument("--n", type=int, default=64)
    p.set_defaults(run=cmd_rare)


def debias_reference(args, image_shape):
    """The model whose codes give `train --debias-alpha`'s densities: --debias-from, else the dataset's
    shipped VAE (density.reference_vae)."""
    from .checkpoints import load_checkpoint
    from .density import reference_vae

    if not args.debias_from:
        entry = reference_vae(args.dataset)
        if entry is None:
            raise InvalidInput(f"no shipped {args.dataset} VAE to measure densities with: pass --debias-from CKPT")
        args.debias_from = str(entry.path)
    reference = load_checkpoint(args.debias_from)
    if reference.config.image_shape != tuple(image_shape):
        raise InvalidInput(f"--debias-from is a model of {reference.dataset} images, not of {args.dataset}")
    return reference.model


def cmd_factors(args) -> None:
    from .factor_report import factor_report, format_report
    from .quality import find_classifier

    ckpt, splits = checked_checkpoint(args)
    report = factor_report(ckpt, splits["train"], splits["test"], find_classifier(ckpt.dataset), args.factor)
    print(json.dumps({"checkpoint": args.checkpoint, **report}) if args.json else format_report(report))


def cmd_debias(args) -> None:
    from .directions import fit_direction
    from .factors import split_factors
    from .inference import decode, encode

    ckpt, splits = checked_checkpoint(args)
    train = splits["train"]
    direction = fit_direction(encode(ckpt.model, train.images),
                              split_factors(train.name, "train", train.images)[args.factor], args.factor)
    images = decode(ckpt.model, direction.remove(encode(ckpt.model, splits[args.split].images)))
    np.save(args.out, images)
    print(f"wrote {args.out}: {len(images)} {args.split} images decoded without {args.factor}")


def cmd_rare(args) -> None:
    from .density import log_density, rarest
    from .images import save_grid_png
    from .inference import encode, to_display

    if args.n < 1 or not args.out.endswith((".npy", ".png")):
        raise InvalidInput("--n must be at least 1 and --out must end in .npy or .png")
    ckpt, splits = checked_checkpoint(args)
    data = splits[args.split]
    idx = rarest(log_density(encode(ckpt.model, data.images), fit_codes=encode(ckpt.model, splits["train"].images)),
                 args.n)
    if args.out.endswith(".png"):
        save_grid_png(to_display(data.images[idx]), args.out)
    else:
        np.save(args.out, idx)
    print(f"wrote {args.out}: the {len(idx)} rarest {args.split} images (indices {', '.join(map(str, idx[:8]))}...)")
