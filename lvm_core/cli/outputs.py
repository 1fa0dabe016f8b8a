"""`python -m lvm_core` commands that write a model's outputs: encode, reconstruct, sample, export-map."""
from __future__ import annotations


from lvm_core.cli import checks
from lvm_core.cli.models import CHECKPOINT, checked_checkpoint, load_model
from lvm_core.storage.files import write_npy
from lvm_core.errors import InvalidInput


def add_commands(sub, data_args) -> None:
    for name, what in (("encode", "codes (N x latent)"), ("reconstruct", "reconstructions (N x H x W)")):
        p = sub.add_parser(name, help=f"write the {what} of a split as .npy, in dataset order")
        p.add_argument("checkpoint", type=CHECKPOINT)
        p.add_argument("--split", choices=["test", "train"], default="test")
        data_args(p)
        p.add_argument("--out", type=checks.output_file(".npy"), required=True)
        p.set_defaults(run=cmd_encode if name == "encode" else cmd_reconstruct)

    p = sub.add_parser("sample", help="decode random codes: .npy (N x H x W) or .png grid")
    p.add_argument("checkpoint", type=CHECKPOINT)
    p.add_argument("--n", type=checks.POINTS, default=64)
    p.add_argument("--prior", choices=["normal", "gmm"], default="normal")
    p.add_argument("--seed", type=checks.SEED, default=0)
    p.add_argument("--class", dest="label", type=checks.CLASS,
                   help="a conditional model: the class to draw (default: every class in turn)")
    data_args(p)
    p.add_argument("--out", type=checks.output_file(".npy", ".png"), required=True)
    p.set_defaults(run=cmd_sample)

    p = sub.add_parser("export-map", help="write a map's codes, labels and sprite for the Embedding Projector, "
                                         "and a Parquet table (pandas, Embedding Atlas)")
    p.add_argument("checkpoint", type=CHECKPOINT)
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--n", type=checks.POINTS, default=10_000,
                   help="points (default 10000; fewer if the split is smaller)")
    p.add_argument("--method", choices=["pca", "tsne", "umap", "raw"], default="pca", help="map x/y (default pca)")
    p.add_argument("--dims", type=int, choices=[2, 3], default=2)
    data_args(p)
    p.add_argument("--out", type=checks.output_folder(), required=True,
                   help="folder to write (new, or an existing one: its files of these names are replaced)")
    p.set_defaults(run=cmd_export_map)


def _write_split(args, compute, describe) -> None:
    """compute(model, images, labels) -> an array of the whole split, saved as .npy in dataset order."""
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

    def before_data(ckpt):   # the samples' bytes and the class, before any is drawn
        checks.check_samples(args.out, "--n", args.n, ckpt.config.image_shape)
        if is_conditional(ckpt.model):
            if args.label is not None and not 0 <= args.label < ckpt.config.n_classes:
                raise InvalidInput(f"--class must be from 0 to {ckpt.config.n_classes - 1} for this model")
        elif args.label is not None:
            raise InvalidInput("--class is for a conditional model (cvae); this one takes no class")

    if args.prior == "normal":
        ckpt = load_model(args.checkpoint)
        before_data(ckpt)
        z = sample_normal(args.n, ckpt.config.latent_dim, args.seed)
    else:
        ckpt, splits = checked_checkpoint(args, before_data)
        train = splits["train"]
        z = GaussianMixtureSampler(seed=args.seed).fit(encode(ckpt.model, train.images,
                                                              train.labels)).sample(args.n, args.seed)
    labels = None
    if is_conditional(ckpt.model):    # a CVAE draws each z as a class: the one asked for, else each in turn
        k = ckpt.config.n_classes
        labels = [args.label] * args.n if args.label is not None else [i % k for i in range(args.n)]
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

    def before_data(ckpt):
        if args.method not in available_methods(ckpt.config.latent_dim, args.dims):
            raise InvalidInput(f"--method {args.method}: no {args.dims}-D map of {ckpt.config.latent_dim}-d codes; "
                               f"it has {', '.join(available_methods(ckpt.config.latent_dim, args.dims)) or 'none'}")

    ckpt, splits = checked_checkpoint(args, before_data)
    data = splits[args.split]
    n = min(args.n, len(data))
    # tensors.tsv holds each code number as ~12 characters of text; the sprite is capped (maps/export.py)
    checks.check_bytes(f"--n {n:,} (the files of {n:,} codes of size {ckpt.config.latent_dim})",
                       n * ckpt.config.latent_dim * 16)
    enc = encode_split(ckpt.model, data.images, data.labels)
    key = MapKey.make(ckpt.digest, args.split, n, args.method, args.dims)
    latent_map = compute_map(key, enc.codes, enc.labels, enc.errors)
    paths = write_files(args.out, split_map_files(latent_map, enc, data.images, data.class_names, name=ckpt.name))
    print(f"wrote {len(latent_map)} points of {ckpt.name} ({args.split}, {args.method}) to {args.out}: "
          + ", ".join(p.name for p in paths))
