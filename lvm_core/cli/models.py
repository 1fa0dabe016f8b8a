"""`python -m lvm_core` commands about models: train, evaluate, iwae, export."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from lvm_core.cli import checks
from lvm_core.errors import InvalidInput
from lvm_core.storage.checkpoints import MAX_FILE_BYTES

CHECKPOINT = checks.input_file(MAX_FILE_BYTES, "any model this app builds")   # a checkpoint argument


def add_commands(sub, data_args) -> None:
    from lvm_core.data.datasets import DATASETS
    from lvm_core.models import ARCHS, MODEL_KINDS

    p = sub.add_parser("train", help="train a model and save a checkpoint")
    p.add_argument("--model", choices=sorted(MODEL_KINDS), default="ae")
    p.add_argument("--arch", choices=sorted(ARCHS), default="mlp")
    p.add_argument("--dataset", default="mnist", metavar="NAME_OR_PATH",
                   help=f"{', '.join(DATASETS)}, a name from datasets.toml, or a folder / .npz of your images")
    p.add_argument("--image-size", type=checks.IMAGE_SIZE, help="your images: square side to resize to (default 28)")
    data_args(p)
    p.add_argument("--latent-dim", type=checks.LATENT_DIM, default=32)
    p.add_argument("--hidden", type=checks.HIDDEN, nargs="+",
                   help="mlp widths or conv channels (default: 128 / 32 64, training.defaults)")
    p.add_argument("--beta", type=checks.BETA, default=1.0, help="VAE, CVAE: weight of the KL term")
    p.add_argument("--epochs", type=checks.EPOCHS, default=10)
    p.add_argument("--batch-size", type=checks.BATCH_SIZE, default=128)
    p.add_argument("--lr", type=checks.LR, default=1e-3)
    p.add_argument("--seed", type=checks.SEED, default=0)
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda", "mps"])
    p.add_argument("--threads", type=checks.THREADS,
                   help="CPU threads (default: the cores free at start, so 1 on a busy machine)")
    p.add_argument("--noise", type=checks.NOISE, default=0.0, help="input noise std: >0 trains a denoising AE")
    p.add_argument("--exclude-class", type=checks.CLASS, nargs="*", default=[], help="classes left out of training")
    p.add_argument("--binarize", action="store_true",
                   help="train and test on stochastically binarized images (fixed per seed; for `iwae`)")
    p.add_argument("--debias-alpha", type=checks.DEBIAS_ALPHA, default=0.0,
                   help="sample images by 1/density^A of their codes (rare styles more often; 0 = off)")
    p.add_argument("--debias-from", type=CHECKPOINT,
                   help="model whose codes give the density (default: a shipped VAE of the dataset)")
    p.add_argument("--name", type=checks.name_text, default="", help="display name stored in the checkpoint")
    p.add_argument("--out", type=checks.output_file(".safetensors"), required=True,
                   help="checkpoint path (.safetensors; an existing file is replaced)")
    p.add_argument("--logdir", type=checks.output_folder(),
                   help="write TensorBoard files to LOGDIR/<name>-<time> (tensorboard --logdir LOGDIR)")
    p.set_defaults(run=cmd_train)

    p = sub.add_parser("evaluate", help="test-split metrics of a checkpoint")
    p.add_argument("checkpoint", type=CHECKPOINT)
    data_args(p)
    p.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    p.add_argument("--write", action="store_true", help="also store the metrics in the checkpoint")
    p.set_defaults(run=cmd_evaluate)

    p = sub.add_parser("iwae", help="importance-weighted bound on -log p(x) of a VAE on binarized test images")
    p.add_argument("checkpoint", type=CHECKPOINT)
    p.add_argument("--k", type=checks.IWAE_K, default=1000, help="importance samples per image (default 1000)")
    p.add_argument("--n", type=checks.IWAE_N, default=10_000, help="test images scored, the first n (default: all)")
    p.add_argument("--seed", type=checks.SEED, default=0)
    data_args(p)
    p.add_argument("--write", action="store_true",
                   help="also store iwae_nll, its standard error, k and n in the checkpoint")
    p.set_defaults(run=cmd_iwae)

    p = sub.add_parser("export", help="write a checkpoint's decoder as ONNX (z -> image), for use outside the app")
    p.add_argument("checkpoint", type=CHECKPOINT)
    p.add_argument("--out", type=checks.output_file(".onnx"), required=True,
                   help="ONNX file to write, e.g. decoder.onnx")
    p.set_defaults(run=cmd_export)


def cmd_train(args) -> None:
    """The one training run (lvm_core.training.run) with a progress bar, saved to --out."""
    from tqdm import tqdm

    from lvm_core.data.own import dataset_name, report_problems
    from lvm_core.storage.checkpoints import save_checkpoint
    from lvm_core.training.distributed import is_main_process
    from lvm_core.training.run import RunHooks, debias_reference, train_run

    main = is_main_process()   # under torchrun only rank 0 logs and saves
    args.dataset = dataset_name(args.dataset, args.image_size)
    spec = run_spec(args)
    if spec.train.debias_alpha > 0 or spec.debias_from:
        debias_reference(spec)   # no such model, or one of other images: said before the run starts
    bars = []                    # the bar appears when training starts: an error before it is one line

    def started(total_steps):
        bars.append(tqdm(total=args.epochs, unit="epoch", desc=f"{args.model}-{args.arch} on {args.dataset}",
                         disable=not main))

    def on_epoch(record):
        bars[0].set_postfix(loss=f"{record['loss']:.4g}", test=f"{record.get('test_loss', float('nan')):.4g}")
        bars[0].update()

    def phase(text):
        if text == "training" and main:
            report_problems(args.dataset)     # the own dataset's skipped files, once it is loaded
        elif text != "loading the dataset":
            tqdm.write(text)

    try:
        outcome = train_run(spec, RunHooks(phase=phase, on_epoch=on_epoch, started=started))
    finally:
        for bar in bars:
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

    checks.check_layers(args.hidden)
    checks.check_classes(DATASETS[args.dataset], args.exclude_class)    # before the data is loaded
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


def load_model(path):
    """load_checkpoint, refused (a bad file) when one image's forward pass alone would pass LVM_MODEL_MEMORY_MB."""
    from lvm_core.models.memory import check_checkpoint
    from lvm_core.storage.checkpoints import load_checkpoint

    return check_checkpoint(load_checkpoint(path), Path(path).name)


def checked_checkpoint(args, before_data=None):
    """The checkpoint and its dataset's splits, checked to fit each other. before_data(ckpt): the command's
    checks that need the model (its kind, the bytes an output takes), run before the data is loaded."""
    from lvm_core.storage.checkpoints import check_image_shape
    from lvm_core.data.datasets import load_dataset

    ckpt = load_model(args.checkpoint)
    if before_data is not None:
        before_data(ckpt)
    splits = {s: load_dataset(ckpt.dataset, s, args.data_dir) for s in ("train", "test")}
    check_image_shape(ckpt, splits["test"].image_shape, ckpt.dataset)
    return ckpt, splits


def cmd_evaluate(args) -> None:
    from lvm_core.storage.checkpoints import update_metrics
    from lvm_core.analysis.metrics import evaluate

    if args.write:
        checks.check_replaceable(args.checkpoint, "--write")
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


def cmd_iwae(args) -> None:
    from lvm_core.storage.checkpoints import update_metrics
    from lvm_core.analysis.likelihood import BATCH, binarized, check_iwae_memory, iwae_nll
    from lvm_core.models import is_conditional, is_variational

    def before_data(ckpt):
        if not is_variational(ckpt.model) or is_conditional(ckpt.model):
            kind = "plain autoencoder (AE)" if not is_variational(ckpt.model) else "conditional VAE"
            raise InvalidInput(f"{Path(args.checkpoint).name} is a {kind}: the bound on -log p(x) is for a VAE "
                               "(an encoder that gives q(z|x), and no class)")
        check_iwae_memory(args.k, BATCH)

    if args.write:
        checks.check_replaceable(args.checkpoint, "--write")
    ckpt, splits = checked_checkpoint(args, before_data)
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
    from lvm_core.generation.export import export_onnx

    ckpt = load_model(args.checkpoint)
    out = export_onnx(ckpt, args.out)
    c = ckpt.config
    given = f", y (batch, {c.n_classes}) one-hot" if c.n_classes else ""
    print(f"wrote {out}: input z (batch, {c.latent_dim}){given} -> image (batch, {', '.join(map(str, c.image_shape))}) "
          f"in [0, 1], {out.stat().st_size} bytes")
