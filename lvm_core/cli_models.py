"""`python -m lvm_core` commands about models: train, evaluate, table, iwae, export."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from .errors import InvalidInput


def add_commands(sub, data_args) -> None:
    from .data import DATASETS
    from .models import ARCHS, MODEL_KINDS

    p = sub.add_parser("train", help="train a model and save a checkpoint")
    p.add_argument("--model", choices=sorted(MODEL_KINDS), default="ae")
    p.add_argument("--arch", choices=sorted(ARCHS), default="mlp")
    p.add_argument("--dataset", default="mnist", metavar="NAME_OR_PATH",
                   help=f"{', '.join(DATASETS)}, a name from datasets.toml, or a folder / .npz of your images")
    p.add_argument("--image-size", type=int, help="your images: square side to resize to (default 28)")
    data_args(p)
    p.add_argument("--latent-dim", type=int, default=32)
    p.add_argument("--hidden", type=int, nargs="+", help="mlp widths or conv channels (default: 128 / 32 64)")
    p.add_argument("--beta", type=float, default=1.0, help="VAE: weight of the KL term")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--threads", type=int, help="CPU threads (default: the cores free at start, so 1 on a busy machine)")
    p.add_argument("--noise", type=float, default=0.0, help="input noise std: >0 trains a denoising AE")
    p.add_argument("--exclude-class", type=int, nargs="*", default=[], help="classes left out of training")
    p.add_argument("--binarize", action="store_true",
                   help="train and test on stochastically binarized images (fixed per seed; for `iwae`)")
    p.add_argument("--debias-alpha", type=float, default=0.0,
                   help="sample images by 1/density^A of their codes (rare styles more often; 0 = off)")
    p.add_argument("--debias-from", help="model whose codes give the density (default: a shipped VAE of the dataset)")
    p.add_argument("--name", default="", help="display name stored in the checkpoint")
    p.add_argument("--out", required=True, help="checkpoint path (.safetensors)")
    p.add_argument("--logdir", help="write TensorBoard files to LOGDIR/<name>-<time> (tensorboard --logdir LOGDIR)")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("evaluate", help="test-split metrics of a checkpoint")
    p.add_argument("checkpoint")
    data_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--write", action="store_true", help="also store the metrics in the checkpoint")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("table", help="write a Markdown table of the metrics stored in checkpoints")
    p.add_argument("folder")
    p.add_argument("--out", help="file to write (default: stdout)")
    p.set_defaults(run=cmd_table)

    p = sub.add_parser("iwae", help="importance-weighted bound on -log p(x) of a VAE on binarized test images")
    p.add_argument("checkpoint")
    p.add_argument("--k", type=int, default=1000, help="importance samples per image (default 1000)")
    p.add_argument("--n", type=int, default=10_000, help="test images scored, the first n (default: all 10000)")
    p.add_argument("--seed", type=int, default=0)
    data_args(p)
    p.add_argument("--write", action="store_true", help="also store iwae_nll, its standard error, k and n in the checkpoint")
    p.set_defaults(run=cmd_iwae)

    p = sub.add_parser("export", help="write a checkpoint's decoder as ONNX (z -> image), for use outside the app")
    p.add_argument("checkpoint")
    p.add_argument("--out", required=True, help="ONNX file to write, e.g. decoder.onnx")
    p.set_defaults(run=cmd_export)


def cmd_train(args) -> None:
    from tqdm import tqdm

    from .checkpoints import save_checkpoint
    from .cli_factors import debias_reference
    from .config import ModelConfig, TrainConfig
    from .data import load_dataset
    from .density import debias_split, rare_decile_error
    from .distributed import fit_across_processes, is_main_process
    from .metrics import evaluate
    from .models import build_model
    from .own_data import dataset_name, report_problems
    from .cpu_threads import free_cpu_threads
    from .training import resolve_device

    main = is_main_process()   # under torchrun only rank 0 logs and saves
    args.dataset = dataset_name(args.dataset, args.image_size)
    train = load_dataset(args.dataset, "train", args.data_dir)
    test = load_dataset(args.dataset, "test", args.data_dir)
    if main:
        report_problems(args.dataset)
    if args.binarize:
        from .likelihood import binarized

        train, test = binarized(train, args.seed), binarized(test)
    hidden = tuple(args.hidden) if args.hidden else ((128,) if args.arch == "mlp" else (32, 64))
    try:    # the configs check that the arguments go together; only their ValueErrors are the user's
        config = ModelConfig(kind=args.model, arch=args.arch, image_shape=train.image_shape,
                             latent_dim=args.latent_dim, hidden=hidden, beta=args.beta)
        tconf = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                            device=args.device, threads=args.threads or free_cpu_threads(), input_noise=args.noise,
                            exclude_classes=tuple(args.exclude_class), debias_alpha=args.debias_alpha)
        resolve_device(tconf.device)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
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

    reference = debias_reference(args, train.image_shape) if tconf.debias_alpha > 0 or args.debias_from else None
    weights = rare = None
    if reference is not None:
        weights, rare = debias_split(reference, train_fit.images, test.images, tconf.debias_alpha, args.seed)
    if tconf.debias_alpha == 0:
        weights = None      # --debias-from alone: a plain run, measured on the same rare decile
    try:
        result = fit_across_processes(model, train_fit.images, tconf, test_images=test.images, on_epoch=on_epoch,
                                      sample_weights=weights, on_step=board.on_step if board else None)
    finally:
        bar.close()
    if not main:
        return
    model.cpu().eval()
    metrics = evaluate(model, train, test) | ({"binarized": 1.0} if args.binarize else {})
    if reference is not None:   # also a plain run with --debias-from: the baseline to compare with
        metrics["rare_decile_mse"] = rare_decile_error(model, test.images, rare).rare
    if board:
        board.close(metrics)
        print(f"TensorBoard files in {board.logdir}: tensorboard --logdir {args.logdir}")
    out = save_checkpoint(args.out, model, dataset=args.dataset, class_names=train.class_names,
                          train_config=tconf, metrics=metrics, history=result.history,
                          name=args.name or Path(args.out).stem)
    print(f"saved {out}: {fmt(metrics)}")


def fmt(metrics: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in metrics.items())


def checked_checkpoint(args):
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

    ckpt, splits = checked_checkpoint(args)
    if ckpt.metrics.get("binarized"):     # trained with --binarize: measured on the same binary images
        from .likelihood import binarized

        seed = ckpt.train_config.seed if ckpt.train_config else 0
        splits = {name: binarized(split, seed) for name, split in splits.items()}
    metrics = evaluate(ckpt.model, splits["train"], splits["test"])
    if args.write:
        update_metrics(args.checkpoint, metrics)
    if args.json:
        print(json.dumps({"checkpoint": args.checkpoint, "dataset": ckpt.dataset, **metrics}))
    else:
        print(f"{args.checkpoint} ({ckpt.title}): {fmt(metrics)}")


def cmd_table(args) -> None:
    from .checkpoints import load_checkpoint

    paths = sorted(Path(args.folder).glob("*.safetensors"))
    if not paths:
        raise InvalidInput(f"no .safetensors files in {args.folder}")
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


def cmd_iwae(args) -> None:
    from .checkpoints import update_metrics
    from .errors import InvalidInput
    from .likelihood import binarized, iwae_nll

    if args.k < 1 or args.n < 2:
        raise InvalidInput("--k must be at least 1 and --n at least 2")
    ckpt, splits = checked_checkpoint(args)
    test = binarized(splits["test"])
    images = test.images[:args.n]

    def progress(done, total):
        print(f"\r{done}/{total} images", end="", file=sys.stderr, flush=True)

    est = iwae_nll(ckpt.model, images, k=args.k, seed=args.seed, progress=progress)
    print(file=sys.stderr)
    if args.write:
        update_metrics(args.checkpoint, {"iwae_nll": est.nll, "iwae_se": est.standard_error,
                                         "iwae_k": float(est.k), "iwae_n": float(est.n)})
    print(f"{args.checkpoint}: -log p(x) <= {est.nll:.2f} ± {est.standard_error:.2f} nats (IWAE bound, K={est.k}, "
          f"first {est.n} binarized {ckpt.dataset} test images)")


def cmd_export(args) -> None:
    from .checkpoints import load_checkpoint
    from .export import export_onnx

    ckpt = load_checkpoint(args.checkpoint)
    out = export_onnx(ckpt, args.out)
    c = ckpt.config
    print(f"wrote {out}: input z (batch, {c.latent_dim}) -> image (batch, {', '.join(map(str, c.image_shape))}) "
          f"in [0, 1], {out.stat().st_size} bytes")
