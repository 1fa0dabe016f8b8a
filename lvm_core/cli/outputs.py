"""`python -m lvm_core` commands that write a model's outputs: encode, reconstruct, sample, export-map."""
from __future__ import annotations


from lvm_core.cli.models import checked_checkpoint
from lvm_core.storage.files import write_npy
from lvm_core.errors import InvalidInput, LvmError


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
    p.add_argument("--class", dest="label", type=int,
                   help="a conditional model: the class to draw (default: every class in turn)")
    data_args(p)
    p.add_argument("--out", required=True)
    p.set_defaults(run=cmd_sample)

    p = sub.add_parser("export-map", help="write a map's codes, labels and sprite for the Embedding Projector, "
                                         "and a Parquet table (pandas, Embedding Atlas)")
    p.add_argument("checkpoint")
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--n", type=int, default=10_000, help="points (default 10000; fewer if the split is smaller)")
    p.add_argument("--method", choices=["pca", "tsne", "umap", "raw"], default="pca", help="map x/y (default pca)")
    p.add_argument("--dims", type=int, choices=[2, 3], default=2)
    data_args(p)
    p.add_argument("--out", required=True, help="folder to write")
    p.set_defaults(run=cmd_export_map)


def _check_out(path: str) -> None:
    """Before any work: a folder that does not exist is the user's to fix, said in one line."""
    from pathlib import Path

    if not Path(path).resolve().parent.is_dir():
        raise LvmError(f"{path}: No such file or directory (its folder does not exist)")


def _write_split(args, compute, describe) -> None:
    """compute(model, images, labels) -> an array of the whole split, saved as .npy in dataset order."""
    _check_out(args.out)
    ckpt, splits = checked_checkpoint(args)
    out = compute(ckpt.model, splits[args.split].images, splits[args.split].labels)
    write_npy(args.out, out)
    print(f"wrote {args.out}: {describe(out)}")


def cmd_encode(args) -> None:
    from lvm_core.generation.inference import encode

    _write_split(args, encode, lambda codes: f"{codes.shape[0]} codes of size {codes.shape[1]}")


def cmd_reconstruct(args) -> None:
    from lvm_core.generation.inference import reconstruct

    _write_split(args, reconstruct, lambda r: f"{r.shape[0]} images of {r.shape[1]}x{r.shape[2]}")


def cmd_sample(args) -> None:
    from lvm_core.data.images import grid_png
    from lvm_core.storage.files import atomic_write_bytes
    from lvm_core.generation.inference import decode, encode
    from lvm_core.generation.sampling import GaussianMixtureSampler, sample_normal
    from lvm_core.models import is_conditional

    if args.n < 1:
        raise InvalidInput("--n must be at least 1")
    if not args.out.endswith((".npy", ".png")):  # before any work, not after it
        raise InvalidInput("--out must end in .npy or .png")
    _check_out(args.out)
    if args.prior == "normal":
        from lvm_core.storage.checkpoints import load_checkpoint

        ckpt = load_checkpoint(args.checkpoint)
        z = sample_normal(args.n, ckpt.config.latent_dim, args.seed)
    else:
        ckpt, splits = checked_checkpoint(args)
        train = splits["train"]
        z = GaussianMixtureSampler(seed=args.seed).fit(encode(ckpt.model, train.images,
                                                              train.labels)).sample(args.n, args.seed)
    labels = None
    if is_conditional(ckpt.model):    # a CVAE draws each z as a class: the one asked for, else each in turn
        k = ckpt.config.n_classes
        if args.label is not None and not 0 <= args.label < k:
            raise InvalidInput(f"--class must be from 0 to {k - 1} for this model")
        labels = [args.label] * args.n if args.label is not None else [i % k for i in range(args.n)]
    elif args.label is not None:
        raise InvalidInput("--class is for a conditional model (cvae); this one takes no class")
    images = decode(ckpt.model, z, labels)
    if args.out.endswith(".png"):
        atomic_write_bytes(args.out, grid_png(images))
    else:
        write_npy(args.out, images)
    print(f"wrote {args.out}: {len(images)} samples from the {args.prior} prior")


def cmd_export_map(args) -> None:
    from lvm_core.generation.inference import encode_split
    from lvm_core.maps.export import split_map_files, write_files
    from lvm_core.maps.store import MapKey, compute_map
    from lvm_core.maps.projection import available_methods

    ckpt, splits = checked_checkpoint(args)
    data = splits[args.split]
    if args.method not in available_methods(ckpt.config.latent_dim, args.dims):
        raise InvalidInput(f"{args.method} {args.dims}-D is not available for a code of {ckpt.config.latent_dim}")
    enc = encode_split(ckpt.model, data.images, data.labels)
    key = MapKey.make(ckpt.digest, args.split, min(args.n, len(data)), args.method, args.dims)
    latent_map = compute_map(key, enc.codes, enc.labels, enc.errors)
    paths = write_files(args.out, split_map_files(latent_map, enc, data.images, data.class_names, name=ckpt.name))
    print(f"wrote {len(latent_map)} points of {ckpt.name} ({args.split}, {args.method}) to {args.out}: "
          + ", ".join(p.name for p in paths))
