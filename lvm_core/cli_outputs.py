"""`python -m lvm_core` commands that write a model's outputs: encode, reconstruct, sample."""
from __future__ import annotations

import numpy as np

from .cli_models import checked_checkpoint
from .errors import InvalidInput, LvmError


def add_commands(sub, data_args) -> None:
    for name, what in (("encode", "codes (N x latent)"), ("reconstruct", "reconstructions (N x H x W)")):
        p = sub.add_parser(name, help=f"write the {what} of a split as .npy, in dataset order")
        p.add_argument("checkpoint")
        p.add_argument("--split", choices=["test", "train"], default="test")
        data_args(p)
        p.add_argument("--out", required=True)
        p.set_defaults(run=cmd_encode if name == "encode" else cmd_reconstruct)

    p = sub.add_parser("sample", help="decode random codes: .npy (N x H x W) or .png grid")
    p.add_argument("checkpoint")
    p.add_argument("--n", type=int, default=64)
    p.add_argument("--prior", choices=["normal", "gmm"], default="normal")
    p.add_argument("--seed", type=int, default=0)
    data_args(p)
    p.add_argument("--out", required=True)
    p.set_defaults(run=cmd_sample)


def _check_out(path: str) -> None:
    """Before any work: a folder that does not exist is the user's to fix, said in one line."""
    from pathlib import Path

    if not Path(path).resolve().parent.is_dir():
        raise LvmError(f"{path}: No such file or directory (its folder does not exist)")


def _write_split(args, compute, describe) -> None:
    """compute(model, images) -> an array of the whole split, saved as .npy in dataset order."""
    _check_out(args.out)
    ckpt, splits = checked_checkpoint(args)
    out = compute(ckpt.model, splits[args.split].images)
    np.save(args.out, out)
    print(f"wrote {args.out}: {describe(out)}")


def cmd_encode(args) -> None:
    from .inference import encode

    _write_split(args, encode, lambda codes: f"{codes.shape[0]} codes of size {codes.shape[1]}")


def cmd_reconstruct(args) -> None:
    from .inference import reconstruct

    _write_split(args, reconstruct, lambda r: f"{r.shape[0]} images of {r.shape[1]}x{r.shape[2]}")


def cmd_sample(args) -> None:
    from .images import save_grid_png
    from .inference import decode, encode
    from .sampling import GaussianMixtureSampler, sample_normal
    if args.n < 1:
        raise InvalidInput("--n must be at least 1")
    if not args.out.endswith((".npy", ".png")):  # before any work, not after it
        raise InvalidInput("--out must end in .npy or .png")
    _check_out(args.out)
    if args.prior == "normal":
        from .checkpoints import load_checkpoint

        ckpt = load_checkpoint(args.checkpoint)
        z = sample_normal(args.n, ckpt.config.latent_dim, args.seed)
    else:
        ckpt, splits = checked_checkpoint(args)
        z = GaussianMixtureSampler(seed=args.seed).fit(encode(ckpt.model, splits["train"].images)).sample(args.n, args.seed)
    images = decode(ckpt.model, z)
    if args.out.endswith(".png"):
        save_grid_png(images, args.out)
    else:
        np.save(args.out, images)
    print(f"wrote {args.out}: {len(images)} samples from the {args.prior} prior")
