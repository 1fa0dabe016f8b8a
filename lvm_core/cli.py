"""python -m lvm_core {train,evaluate,encode,reconstruct,sample,table,train-classifier,sweep,project,export,factors,debias,rare}: the engine without the app.

Bad arguments and bad files exit non-zero with one line on stderr, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .errors import LvmError


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not argparse's usage block
        sys.stderr.write(f"{self.prog}: error: {message}\n")
        raise SystemExit(2)


def _data_args(p):
    p.add_argument("--data-dir", help="dataset folder (default: $LVM_DATA_DIR, else ./data)")


def _split_command(sub, name: str, help: str):
    """A subcommand reading CHECKPOINT and one split of its dataset, writing --out."""
    c = sub.add_parser(name, help=help)
    c.add_argument("checkpoint")
    c.add_argument("--split", choices=["test", "train"], default="test")
    _data_args(c)
    c.add_argument("--out", required=True)
    return c


def build_parser() -> argparse.ArgumentParser:
    from .data import DATASETS
    from .models import ARCHS, MODEL_KINDS

    parser = _Parser(prog="python -m lvm_core", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    t = sub.add_parser("train", help="train a model and save a checkpoint")
    t.add_argument("--model", choices=sorted(MODEL_KINDS), default="ae")
    t.add_argument("--arch", choices=sorted(ARCHS), default="mlp")
    t.add_argument("--dataset", default="mnist", metavar="NAME_OR_PATH",
                   help=f"{', '.join(DATASETS)}, a name from datasets.toml, or a folder / .npz of your images")
    t.add_argument("--image-size", type=int, help="your images: square side to resize to (default 28)")
    _data_args(t)
    t.add_argument("--latent-dim", type=int, default=32)
    t.add_argument("--hidden", type=int, nargs="+", help="mlp widths or conv channels (default: 128 / 32 64)")
    t.add_argument("--beta", type=float, default=1.0, help="VAE: weight of the KL term")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=128)
    t.add_argument("--lr", type=float, default=1e-3)
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    t.add_argument("--threads", type=int, help="CPU threads (default: 1, measured fastest here)")
    t.add_argument("--noise", type=float, default=0.0, help="input noise std: >0 trains a denoising AE")
    t.add_argument("--exclude-class", type=int, nargs="*", default=[], help="classes left out of training")
    t.add_argument("--name", default="", help="display name stored in the checkpoint")
    t.add_argument("--debias-alpha", type=float, default=0.0,
                   help="sample images by 1/density^A of their codes (rare styles more often; 0 = off)")
    t.add_argument("--debias-from", help="model whose codes give the density (default: a shipped VAE of the dataset)")
    t.add_argument("--out", required=True, help="checkpoint path (.safetensors)")
    t.add_argument("--logdir", help="write TensorBoard files to LOGDIR/<name>-<time> (tensorboard --logdir LOGDIR)")

    e = sub.add_parser("evaluate", help="test-split metrics of a checkpoint")
    e.add_argument("checkpoint")
    _data_args(e)
    e.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    e.add_argument("--write", action="store_true", help="also store the metrics in the checkpoint")

    for name, what in (("encode", "codes (N x latent)"), ("reconstruct", "reconstructions (N x H x W)")):
        _split_command(sub, name, f"write the {what} of a split as .npy, in dataset order")

    s = sub.add_parser("sample", help="decode random codes: .npy (N x H x W) or .png grid")
    s.add_argument("checkpoint")
    s.add_argument("--n", type=int, default=64)
    s.add_argument("--prior", choices=["normal", "gmm"], default="normal")
    s.add_argument("--seed", type=int, default=0)
    _data_args(s)
    s.add_argument("--out", required=True)

    q = sub.add_parser("train-classifier", help="train the LeNet that scores sample quality (Fréchet distance)")
    q.add_argument("--dataset", choices=list(DATASETS), default="mnist")
    _data_args(q)
    q.add_argument("--epochs", type=int, default=4)
    q.add_argument("--batch-size", type=int, default=128)
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--threads", type=int, help="CPU threads (default: 1)")
    q.add_argument("--out", help="default: checkpoints/classifiers/<dataset>-lenet.safetensors")

    sw = sub.add_parser("sweep", help="test MSE vs latent size for PCA and AE checkpoints (nonlinear PCA curve)")
    sw.add_argument("checkpoints", nargs="+", help="AEs of one dataset, one per latent size")
    _data_args(sw)
    sw.add_argument("--out", help="JSON file (default: checkpoints/nonlinear_pca_<dataset>.json)")

    pj = sub.add_parser("project", help="compute latent maps (t-SNE, UMAP, ...) of checkpoints, stored as the app reads them")
    pj.add_argument("checkpoints", nargs="+")
    pj.add_argument("--method", nargs="+", choices=["pca", "tsne", "umap", "raw"], default=["tsne", "umap"])
    pj.add_argument("--split", choices=["test", "train"], default="test")
    pj.add_argument("--n", type=int, default=10_000, help="points per map (default 10000; fewer if the split is smaller)")
    pj.add_argument("--dims", type=int, choices=[2, 3], default=2)
    _data_args(pj)
    pj.add_argument("--out-dir", help="default: checkpoints/projections, the shipped maps the app reads first")

    _hidden_factor_args(sub)

    ex = sub.add_parser("export", help="write a checkpoint's decoder as ONNX (z -> image), for use outside the app")
    ex.add_argument("checkpoint")
    ex.add_argument("--out", required=True, help="ONNX file to write, e.g. decoder.onnx")

    em = sub.add_parser("export-map", help="write a map's codes, labels and sprite for the Embedding Projector, "
                                          "and a Parquet table (pandas, Embedding Atlas)")
    em.add_argument("checkpoint")
    em.add_argument("--split", choices=["test", "train"], default="test")
    em.add_argument("--n", type=int, default=10_000, help="points (default 10000; fewer if the split is smaller)")
    em.add_argument("--method", choices=["pca", "tsne", "umap", "raw"], default="pca", help="map x/y (default pca)")
    em.add_argument("--dims", type=int, choices=[2, 3], default=2)
    _data_args(em)
    em.add_argument("--out", required=True, help="folder to write")

    tb = sub.add_parser("table", help="write a Markdown table of the metrics stored in checkpoints")
    tb.add_argument("folder")
    tb.add_argument("--out", help="file to write (default: stdout)")
    return parser


def main(argv=None) -> int:
    from .startup import configure

    args = build_parser().parse_args(argv)
    configure(threads=None)     # commands set their own threads (--threads)
    try:
        return COMMANDS[args.command](args) or 0
    except LvmError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    except ValueError as exc:  # config validation: bad combinations of valid-looking arguments
        sys.stderr.write(f"error: {exc}\n")
        return 2
    except OSError as exc:  # an --out folder that does not exist, a full disk, no permission
        sys.stderr.write(f"error: {exc.strerror or exc}: {exc.filename or ''}\n")
        return 1
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130


def cmd_train(args) -> None:
    from tqdm import tqdm

    from .checkpoints import save_checkpoint
    from .config import ModelConfig, TrainConfig
    from .data import load_dataset
    from .metrics import evaluate
    from .models import build_model
    from .distributed import fit_across_processes, is_main_process
    from .own_data import dataset_name, report_problems

    main = is_main_process()   # under torchrun only rank 0 logs and saves
    args.dataset = dataset_name(args.dataset, args.image_size)
    train = load_dataset(args.dataset, "train", args.data_dir)
    test = load_dataset(args.dataset, "test", args.data_dir)
    if main:
        report_problems(args.dataset)
    hidden = tuple(args.hidden) if args.hidden else ((128,) if args.arch == "mlp" else (32, 64))
    config = ModelConfig(kind=args.model, arch=args.arch, image_shape=train.image_shape,
                         latent_dim=args.latent_dim, hidden=hidden, beta=args.beta)
    tconf = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                        device=args.device, threads=args.threads, input_noise=args.noise,
                        exclude_classes=tuple(args.exclude_class))
    train_fit = train.without_classes(tconf.exclude_classes) if tconf.exclude_classes else train
    model = build_model(config, seed=args.seed)
    bar = tqdm(total=args.epochs, unit="epoch", desc=f"{args.model}-{args.arch} on {args.dataset}", disable=not main)

    board = None
    if args.logdir and main:
        from .run_log import TensorBoardRun, run_dir

        board = TensorBoardRun(run_dir(args.logdir, args.name or Path(args.out).stem), model, tconf,
                               test.images, test.labels, test.class_names, dataset=args.dataset)

    def on_epoch(record):
        bar.set_postfix(loss=f"{record['loss']:.4g}", test=f"{record.get('test_loss', float('nan')):.4g}")
        bar.update()
        if board:
            board.on_epoch(record)

    weights = _debias_weights(args, train_fit) if args.debias_alpha > 0 else None
    try:
        result = fit_across_processes(model, train_fit.images, tconf, test_images=test.images, on_epoch=on_epoch,
                                      sample_weights=weights, on_step=board.on_step if board else None)
    finally:
        bar.close()
    if not main:
        return
    model.cpu().eval()
    metrics = evaluate(model, train, test)
    if weights is not None or args.debias_from:   # a plain run with --debias-from: the baseline to compare with
        metrics.update(_rare_decile_metrics(args, model, train_fit, test))
    if board:
        board.close(metrics)
        print(f"TensorBoard files in {board.logdir}: tensorboard --logdir {args.logdir}")
    out = save_checkpoint(args.out, model, dataset=args.dataset, class_names=train.class_names,
                          train_config=tconf, metrics=metrics, history=result.history,
                          name=args.name or Path(args.out).stem)
    print(f"saved {out}: {_fmt(metrics)}")


def _fmt(metrics: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in metrics.items())


def _load(args):
    """The checkpoint and its dataset's splits, checked to fit each other."""
    from .checkpoints import check_image_shape, load_checkpoint
    from .data import load_dataset

    ckpt = load_checkpoint(args.checkpoint)
    splits = {s: load_dataset(ckpt.dataset, s, args.data_dir) for s in ("train", "test")}
    check_image_shape(ckpt, splits["test"].image_shape, ckpt.dataset)
    return ckpt, splits


def cmd_evaluate(args) -> None:
    from .checkpoints import update_metrics
    from .metrics import evaluate

    ckpt, splits = _load(args)
    metrics = evaluate(ckpt.model, splits["train"], splits["test"])
    if args.write:
        update_metrics(args.checkpoint, metrics)
    if args.json:
        print(json.dumps({"checkpoint": args.checkpoint, "dataset": ckpt.dataset, **metrics}))
    else:
        print(f"{args.checkpoint} ({ckpt.title}): {_fmt(metrics)}")


def cmd_encode(args) -> None:
    from .inference import encode

    ckpt, splits = _load(args)
    codes = encode(ckpt.model, splits[args.split].images)
    np.save(args.out, codes)
    print(f"wrote {args.out}: {codes.shape[0]} codes of size {codes.shape[1]}")


def cmd_reconstruct(args) -> None:
    from .inference import reconstruct

    ckpt, splits = _load(args)
    recon = reconstruct(ckpt.model, splits[args.split].images)
    np.save(args.out, recon)
    print(f"wrote {args.out}: {recon.shape[0]} images of {recon.shape[1]}x{recon.shape[2]}")


def cmd_sample(args) -> None:
    from .images import save_grid_png
    from .inference import decode, encode
    from .sampling import GaussianMixtureSampler, sample_normal
    from .training import set_cpu_threads

    set_cpu_threads()
    if args.n < 1:
        raise ValueError("--n must be at least 1")
    if not args.out.endswith((".npy", ".png")):  # before any work, not after it
        raise ValueError("--out must end in .npy or .png")
    if args.prior == "normal":
        from .checkpoints import load_checkpoint

        ckpt = load_checkpoint(args.checkpoint)
        z = sample_normal(args.n, ckpt.config.latent_dim, args.seed)
    else:
        ckpt, splits = _load(args)
        z = GaussianMixtureSampler(seed=args.seed).fit(encode(ckpt.model, splits["train"].images)).sample(args.n, args.seed)
    images = decode(ckpt.model, z)
    if args.out.endswith(".png"):
        save_grid_png(images, args.out)
    else:
        np.save(args.out, images)
    print(f"wrote {args.out}: {len(images)} samples from the {args.prior} prior")


def cmd_train_classifier(args) -> None:
    from .data import load_dataset
    from .quality import classifier_path, save_classifier, train_classifier
    from .training import set_cpu_threads

    if args.epochs < 1:
        raise ValueError("--epochs must be at least 1")
    set_cpu_threads(args.threads)
    train = load_dataset(args.dataset, "train", args.data_dir)
    test = load_dataset(args.dataset, "test", args.data_dir)
    clf = train_classifier(train, test, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                           on_epoch=lambda r: print(f"epoch {r['epoch']}: loss {r['loss']:.4f}", flush=True))
    out = save_classifier(clf, args.out or classifier_path(args.dataset))
    print(f"saved {out}: {_fmt(clf.metrics)}")


def cmd_table(args) -> None:
    from .checkpoints import load_checkpoint

    paths = sorted(Path(args.folder).glob("*.safetensors"))
    if not paths:
        raise ValueError(f"no .safetensors files in {args.folder}")
    cols = ["mse", "pca_mse", "neg_elbo", "knn5_acc"]
    lines = ["| file | model | dataset | epochs | " + " | ".join(cols) + " |",
             "|---|---|---|---|" + "---|" * len(cols)]
    for p in paths:
        ck = load_checkpoint(p)
        m = ck.metrics
        cells = [f"{m[c]:.4f}" if c in m and c != "neg_elbo" else (f"{m[c]:.1f}" if c in m else "") for c in cols]
        epochs = ck.train_config.epochs if ck.train_config else ""
        lines.append(f"| `{p.name}` | {ck.title.split(' on ')[0]} | {ck.dataset} | {epochs} | " + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    if args.out:
        out = Path(args.out)
        old = out.read_text() if out.exists() else ""
        start, end = "<!-- metrics:start -->", "<!-- metrics:end -->"
        if start in old and end in old:  # replace only the generated block of a hand-written README
            text = old[:old.index(start) + len(start)] + "\n" + text + old[old.index(end):]
        out.write_text(text)
        print(f"wrote {args.out}: {len(paths)} checkpoints")
    else:
        sys.stdout.write(text)


def cmd_sweep(args) -> None:
    from .checkpoints import load_checkpoint
    from .data import load_dataset
    from .sweep import run_sweep, sweep_path

    ckpts = [load_checkpoint(p) for p in args.checkpoints]
    dataset = ckpts[0].dataset
    out = Path(args.out) if args.out else sweep_path(dataset)
    result = run_sweep(ckpts, load_dataset(dataset, "train", args.data_dir),
                       load_dataset(dataset, "test", args.data_dir), folder=out.parent)
    out.write_text(json.dumps(result, indent=1) + "\n")
    for k, p, a in zip(result["sizes"], result["pca_mse"], result["ae_mse"]):
        print(f"z={k:3d}  PCA {p:.5f}  AE {a:.5f}")
    print(f"wrote {out}")


def cmd_project(args) -> None:
    from . import load_checkpoint, load_dataset
    from .inference import encode_split
    from .map_store import PROJECTIONS_DIR, MapStore, store_maps
    from .projection import available_methods

    store = MapStore(write_dir=Path(args.out_dir) if args.out_dir else PROJECTIONS_DIR, max_bytes=None)
    for path in args.checkpoints:
        ckpt = load_checkpoint(path)
        data = load_dataset(ckpt.dataset, args.split, args.data_dir, download=False)
        methods = [m for m in args.method if m in available_methods(ckpt.config.latent_dim, args.dims)]
        enc = encode_split(ckpt.model, data.images, data.labels)
        for key, m, out in store_maps(store, ckpt.digest, args.split, args.n, methods, args.dims, enc):
            print(f"{ckpt.name}: {key.method} {key.dims}-D, {len(m)} points, {m.seconds:.1f} s, "
                  f"trustworthiness {m.trustworthiness:.4f} -> {out}", flush=True)


def _hidden_factor_args(sub) -> None:
    from .factors import FACTORS

    f = sub.add_parser("factors", help="hidden factors of a model: probe R^2, traversal, removal, identity kept")
    f.add_argument("checkpoint")
    f.add_argument("--factor", nargs="+", choices=list(FACTORS), default=list(FACTORS))
    _data_args(f)
    f.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    d = _split_command(sub, "debias", "decode a split with one factor removed: .npy (N x H x W) in [0, 1]")
    d.add_argument("--factor", choices=list(FACTORS), default="slant")
    r = _split_command(sub, "rare", "the images whose codes are rarest under a Gaussian mixture: .png grid or .npy indices")
    r.add_argument("--n", type=int, default=64)


def _debias_weights(args, train):
    """The debiased sampling weights of `train --debias-alpha`: from --debias-from's codes."""
    from .catalog import SHIPPED_DIR
    from .checkpoints import load_checkpoint
    from .density import debias_weights

    source = args.debias_from or next(iter(sorted(SHIPPED_DIR.glob(f"{args.dataset}-vae-*.safetensors"))), None)
    if source is None:
        raise ValueError(f"no shipped {args.dataset} VAE to measure densities with: pass --debias-from CKPT")
    args.debias_from = str(source)
    return debias_weights(load_checkpoint(source).model, train.images, args.debias_alpha, seed=args.seed)


def _rare_decile_metrics(args, model, train, test) -> dict:
    """Reconstruction error on the test split's rarest decile (density of --debias-from's codes)."""
    from .checkpoints import load_checkpoint
    from .density import log_density, rare_decile_error, rare_mask
    from .inference import encode

    ref = load_checkpoint(args.debias_from).model
    rare = rare_mask(log_density(encode(ref, test.images), seed=args.seed, fit_codes=encode(ref, train.images)))
    err = rare_decile_error(model, test.images, rare)
    return {"rare_decile_mse": err.rare, "debias_alpha": args.debias_alpha}


def cmd_factors(args) -> None:
    from .factor_report import factor_report, format_report
    from .quality import find_classifier

    ckpt, splits = _load(args)
    report = factor_report(ckpt, splits["train"], splits["test"], find_classifier(ckpt.dataset), args.factor)
    print(json.dumps({"checkpoint": args.checkpoint, **report}) if args.json else format_report(report))


def cmd_debias(args) -> None:
    from .directions import fit_direction
    from .factors import split_factors
    from .inference import decode, encode

    ckpt, splits = _load(args)
    train = splits["train"]
    direction = fit_direction(encode(ckpt.model, train.images), split_factors(train.name, "train", train.images)[
        args.factor], args.factor)
    images = decode(ckpt.model, direction.remove(encode(ckpt.model, splits[args.split].images)))
    np.save(args.out, images)
    print(f"wrote {args.out}: {len(images)} {args.split} images decoded without {args.factor}")


def cmd_rare(args) -> None:
    from .density import log_density, rarest
    from .images import save_grid_png
    from .inference import encode

    if args.n < 1 or not args.out.endswith((".npy", ".png")):
        raise ValueError("--n must be at least 1 and --out must end in .npy or .png")
    ckpt, splits = _load(args)
    data = splits[args.split]
    idx = rarest(log_density(encode(ckpt.model, data.images), fit_codes=encode(ckpt.model, splits["train"].images)),
                 args.n)
    if args.out.endswith(".png"):
        save_grid_png(data.images[idx, 0].numpy(), args.out)
    else:
        np.save(args.out, idx)
    print(f"wrote {args.out}: the {len(idx)} rarest {args.split} images (indices {', '.join(map(str, idx[:8]))}...)")


def cmd_export(args) -> None:
    from .checkpoints import load_checkpoint
    from .export import export_onnx

    ckpt = load_checkpoint(args.checkpoint)
    out = export_onnx(ckpt, args.out)
    c = ckpt.config
    print(f"wrote {out}: input z (batch, {c.latent_dim}) -> image (batch, {', '.join(map(str, c.image_shape))}) "
          f"in [0, 1], {out.stat().st_size} bytes")


def cmd_export_map(args) -> None:
    from .inference import encode_split
    from .map_export import split_map_files, write_files
    from .map_store import MapKey, compute_map
    from .projection import available_methods

    ckpt, splits = _load(args)
    data = splits[args.split]
    if args.method not in available_methods(ckpt.config.latent_dim, args.dims):
        raise ValueError(f"{args.method} {args.dims}-D is not available for a code of {ckpt.config.latent_dim}")
    enc = encode_split(ckpt.model, data.images, data.labels)
    key = MapKey.make(ckpt.digest, args.split, min(args.n, len(data)), args.method, args.dims)
    latent_map = compute_map(key, enc.codes, enc.labels, enc.errors)
    paths = write_files(args.out, split_map_files(latent_map, enc, data.images, data.class_names, name=ckpt.name))
    print(f"wrote {len(latent_map)} points of {ckpt.name} ({args.split}, {args.method}) to {args.out}: "
          + ", ".join(p.name for p in paths))


COMMANDS = {"train": cmd_train, "evaluate": cmd_evaluate, "encode": cmd_encode,
            "reconstruct": cmd_reconstruct, "sample": cmd_sample, "table": cmd_table,
            "train-classifier": cmd_train_classifier, "sweep": cmd_sweep, "project": cmd_project,
            "export": cmd_export, "export-map": cmd_export_map, "factors": cmd_factors, "debias": cmd_debias,
            "rare": cmd_rare}
