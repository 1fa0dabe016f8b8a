"""`python -m lvm_core` commands about models: train, evaluate, table, iwae, export."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from lvm_core.errors import InvalidInput


def add_commands(sub, data_args) -> None:
    from lvm_core.data.datasets import DATASETS
    from lvm_core.models import ARCHS, MODEL_KINDS

    p = sub.add_parser("train", help="train a model and save a checkpoint")
    p.add_argument("--model", choices=sorted(MODEL_KINDS), default="ae")
    p.add_argument("--arch", choices=sorted(ARCHS), default="mlp")
    p.add_argument("--dataset", default="mnist", metavar="NAME_OR_PATH",
                   help=f"{', '.join(DATASETS)}, a name from datasets.toml, or a folder / .npz of your images")
    p.add_argument("--image-size", type=int, help="your images: square side to resize to (default 28)")
    data_args(p)
    p.add_argument("--latent-dim", type=int, default=32)
    p.add_argument("--hidden", type=int, nargs="+",
                   help="mlp widths or conv channels (default: 128 / 32 64, training.defaults)")
    p.add_argument("--beta", type=float, default=1.0, help="VAE, CVAE: weight of the KL term")
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
    p.add_argument("--write", action="store_true",
                   help="also store iwae_nll, its standard error, k and n in the checkpoint")
    p.set_defaults(run=cmd_iwae)

    p = sub.add_parser("export", help="write a checkpoint's decoder as ONNX (z -> image), for use outside the app")
    p.add_argument("checkpoint")
    p.add_argument("--out", required=True, help="ONNX file to write, e.g. decoder.onnx")
    p.set_defaults(run=cmd_export)


def cmd_train(args) -> None:
    """The one training run (lvm_core.training.run) with a progress bar, saved to --out."""
    from tqdm import tqdm

    from lvm_core.data.own import dataset_name, report_problems
    from lvm_core.storage.checkpoints import save_checkpoint
    from lvm_core.training.distributed import is_main_process
    from lvm_core.training.run import RunHooks, train_run

    main = is_main_process()   # under torchrun only rank 0 logs and saves
    args.dataset = dataset_name(args.dataset, args.image_size)
    spec = run_spec(args)
    bar = tqdm(total=args.epochs, unit="epoch", desc=f"{args.model}-{args.arch} on {args.dataset}", disable=not main)

    def on_epoch(record):
        bar.set_postfix(loss=f"{record['loss']:.4g}", test=f"{record.get('test_loss', float('nan')):.4g}")
        bar.update()

    def phase(text):
        if text == "training" and main:
            report_problems(args.dataset)     # the own dataset's skipped files, once it is loaded
        elif text != "loading the dataset":
            bar.write(text)

    try:
        outcome = train_run(spec, RunHooks(phase=phase, on_epoch=on_epoch))
    finally:
        bar.close()
    if not main:
        return
    if spec.logdir is not None:
        print(f"TensorBoard files in {args.logdir}: tensorboard --logdir {args.logdir}")
    name = args.name or Path(args.out).stem
    out = save_checkpoint(args.out, outcome.model, dataset=args.dataset, class_names=outcome.class_names,
                          train_config=outcome.train_config, metrics=outcome.metrics, history=outcome.fit.history,
                          name=name)
    print(f"saved {out}: {fmt(outcome.metrics)}")


def run_spec(args):
    """train's arguments -> a RunSpec; the configs check that they go together (their ValueErrors are the
    user's: one line)."""
    from lvm_core.config import ModelConfig, TrainConfig
    from lvm_core.data.datasets import DATASETS
    from lvm_core.models import is_conditional
    from lvm_core.training.fit import resolve_device
    from lvm_core.training.defaults import default_hidden
    from lvm_core.training.run import RunSpec

    try:
        info = DATASETS[args.dataset]
        model = ModelConfig(kind=args.model, arch=args.arch, image_shape=info.image_shape,
                            latent_dim=args.latent_dim, hidden=tuple(args.hidden or default_hidden(args.arch)),
                            beta=args.beta, n_classes=len(info.class_names) if is_conditional(args.model) else 0)
        train = TrainConfig(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed,
                            device=args.device, threads=args.threads, input_noise=args.noise,
                            exclude_classes=tuple(args.exclude_class), debias_alpha=args.debias_alpha)
        resolve_device(train.device)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    return RunSpec(args.dataset, model, train, name=args.name or Path(args.out).stem, data_dir=args.data_dir,
                   binarize=args.binarize, debias_from=args.debias_from, measure_rare=bool(args.debias_from),
                   logdir=Path(args.logdir) if args.logdir else None)


def fmt(metrics: dict) -> str:
    return ", ".join(f"{k}={v:.4g}" for k, v in metrics.items())


def checked_checkpoint(args):
    """The checkpoint and its dataset's splits, checked to fit each other."""
    from lvm_core.storage.checkpoints import check_image_shape, load_checkpoint
    from lvm_core.data.datasets import load_dataset

    ckpt = load_checkpoint(args.checkpoint)
    splits = {s: load_dataset(ckpt.dataset, s, args.data_dir) for s in ("train", "test")}
    check_image_shape(ckpt, splits["test"].image_shape, ckpt.dataset)
    return ckpt, splits


def cmd_evaluate(args) -> None:
    from lvm_core.storage.checkpoints import update_metrics
    from lvm_core.analysis.metrics import evaluate

    ckpt, splits = checked_checkpoint(args)
    if ckpt.metrics.get("binarized"):     # trained with --binarize: measured on the same binary images
        from lvm_core.analysis.likelihood import binarized

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
    from lvm_core.storage.checkpoints import load_checkpoint
    from lvm_core.storage.files import write_text

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
        lines.append(f"| `{p.name}` | {ck.title.split(' on ')[0]} | {ck.dataset} | {epochs} | "
                     + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    if args.out:
        out = Path(args.out)
        old = out.read_text() if out.exists() else ""
        start, end = "<!-- metrics:start -->", "<!-- metrics:end -->"
        if start in old and end in old:  # replace only the generated block of a hand-written README
            text = old[:old.index(start) + len(start)] + "\n" + text + old[old.index(end):]
        write_text(out, text)
        print(f"wrote {args.out}: {len(paths)} checkpoints")
    else:
        sys.stdout.write(text)


def cmd_iwae(args) -> None:
    from lvm_core.storage.checkpoints import update_metrics
    from lvm_core.errors import InvalidInput
    from lvm_core.analysis.likelihood import binarized, iwae_nll

    if args.k < 1 or args.n < 2:
        raise InvalidInput("--k must be at least 1 and --n at least 2")
    ckpt, splits = checked_checkpoint(args)
    from lvm_core.models import is_conditional, is_variational

    if not is_variational(ckpt.model) or is_conditional(ckpt.model):
        raise InvalidInput(f"{Path(args.checkpoint).name} is a {ckpt.config.kind}: the bound on -log p(x) is for a VAE")
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
    from lvm_core.storage.checkpoints import load_checkpoint
    from lvm_core.generation.export import export_onnx

    ckpt = load_checkpoint(args.checkpoint)
    out = export_onnx(ckpt, args.out)
    c = ckpt.config
    given = f", y (batch, {c.n_classes}) one-hot" if c.n_classes else ""
    print(f"wrote {out}: input z (batch, {c.latent_dim}){given} -> image (batch, {', '.join(map(str, c.image_shape))}) "
          f"in [0, 1], {out.stat().st_size} bytes")
