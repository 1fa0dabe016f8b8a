"""`python -m lvm_core` commands behind the shipped files: table (checkpoints/README.md's metrics),
train-classifier, sweep, project."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from lvm_core.cli import checks
from lvm_core.cli.models import CHECKPOINT, fmt, load_model
from lvm_core.errors import InvalidInput


def add_commands(sub, data_args) -> None:
    from lvm_core.data.datasets import DATASETS

    p = sub.add_parser("table", help="write a Markdown table of the metrics stored in checkpoints")
    p.add_argument("folder", type=checks.input_folder)
    p.add_argument("--out", type=checks.output_file(), help="file to write (default: stdout); in a file that has "
                   "<!-- metrics:start --> and <!-- metrics:end -->, only what is between them is replaced")
    p.set_defaults(run=cmd_table)

    p = sub.add_parser("train-classifier", help="train the LeNet that scores sample quality (Fréchet distance)")
    p.add_argument("--dataset", choices=list(DATASETS), default="mnist")
    data_args(p)
    p.add_argument("--epochs", type=checks.EPOCHS, default=4)
    p.add_argument("--batch-size", type=checks.BATCH_SIZE, default=128)
    p.add_argument("--seed", type=checks.SEED, default=0)
    p.add_argument("--threads", type=checks.THREADS, help="CPU threads (default: 1)")
    p.add_argument("--out", type=checks.output_file(".safetensors"),
                   help="default: checkpoints/classifiers/<dataset>-lenet.safetensors")
    p.set_defaults(run=cmd_train_classifier)

    p = sub.add_parser("sweep", help="test MSE vs latent size for PCA and AE checkpoints (nonlinear PCA curve)")
    p.add_argument("checkpoints", type=CHECKPOINT, nargs="+", help="AEs of one dataset, one per latent size")
    data_args(p)
    p.add_argument("--out", type=checks.output_file(".json"),
                   help="JSON file (default: checkpoints/nonlinear_pca_<dataset>.json)")
    p.set_defaults(run=cmd_sweep)

    p = sub.add_parser("project",
                       help="compute latent maps (t-SNE, UMAP, ...) of checkpoints, stored as the app reads them")
    p.add_argument("checkpoints", type=CHECKPOINT, nargs="+")
    p.add_argument("--method", nargs="+", choices=["pca", "tsne", "umap", "raw"], default=["tsne", "umap"])
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--n", type=checks.POINTS, default=10_000,
                   help="points per map (default 10000; fewer if the split is smaller)")
    p.add_argument("--dims", type=int, choices=[2, 3], default=2)
    data_args(p)
    p.add_argument("--out-dir", type=checks.output_folder(),
                   help="default: checkpoints/projections, the shipped maps the app reads first")
    p.set_defaults(run=cmd_project)


def cmd_table(args) -> None:
    from lvm_core.storage.checkpoints import load_checkpoint
    from lvm_core.storage.files import write_text
    from lvm_core.text import clean, markdown_plain

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
        file = f"`{clean(p.name)}`" if "`" not in p.name else markdown_plain(p.name)   # names are the user's text
        lines.append(f"| {file} | {ck.title.split(' on ')[0]} | {markdown_plain(ck.dataset)} | {epochs} | "
                     + " | ".join(cells) + " |")
    text = "\n".join(lines) + "\n"
    if args.out:
        out = Path(args.out)
        old = _old_text(out)
        start, end = "<!-- metrics:start -->", "<!-- metrics:end -->"
        if start in old and end in old:  # replace only the generated block of a hand-written README
            text = old[:old.index(start) + len(start)] + "\n" + text + old[old.index(end):]
        write_text(out, text)
        print(f"wrote {args.out}: {len(paths)} checkpoints")
    else:
        sys.stdout.write(text)


def _old_text(out: Path) -> str:
    """The text of a file `table` rewrites ("" when there is none yet)."""
    from lvm_core.errors import LvmError
    from lvm_core.storage.files import read_bytes

    if not out.exists():
        return ""
    try:
        return read_bytes(out, 16 * 2**20, str(out), limit="a Markdown file this rewrites").decode("utf-8")
    except UnicodeDecodeError:
        raise LvmError(f"{out}: not a text (UTF-8) file; give a Markdown file to write the table into") from None


def cmd_train_classifier(args) -> None:
    from lvm_core.data.datasets import load_dataset
    from lvm_core.analysis.quality import classifier_path, save_classifier, train_classifier
    from lvm_core.training.threads import set_cpu_threads

    set_cpu_threads(args.threads)
    train = load_dataset(args.dataset, "train", args.data_dir)
    test = load_dataset(args.dataset, "test", args.data_dir)
    clf = train_classifier(train, test, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                           on_epoch=lambda r: print(f"epoch {r['epoch']}: loss {r['loss']:.4f}", flush=True))
    out = save_classifier(clf, args.out or classifier_path(args.dataset))
    print(f"saved {out}: {fmt(clf.metrics)}")


def cmd_sweep(args) -> None:
    from lvm_core.data.datasets import load_dataset
    from lvm_core.analysis.sweep import run_sweep, sweep_path
    from lvm_core.storage.files import write_text

    ckpts = [load_model(p) for p in args.checkpoints]
    dataset = ckpts[0].dataset
    out = Path(args.out) if args.out else sweep_path(dataset)
    result = run_sweep(ckpts, load_dataset(dataset, "train", args.data_dir),
                       load_dataset(dataset, "test", args.data_dir), folder=out.parent)
    write_text(out, json.dumps(result, indent=1) + "\n")
    for k, p, a in zip(result["sizes"], result["pca_mse"], result["ae_mse"]):
        print(f"z={k:3d}  PCA {p:.5f}  AE {a:.5f}")
    print(f"wrote {out}")


def cmd_project(args) -> None:
    from lvm_core import load_dataset
    from lvm_core.generation.inference import encode_split
    from lvm_core.maps.store import PROJECTIONS_DIR, MapStore, store_maps
    from lvm_core.maps.projection import available_methods

    store = MapStore(write_dir=Path(args.out_dir) if args.out_dir else PROJECTIONS_DIR, max_bytes=None)
    ckpts = [load_model(path) for path in args.checkpoints]
    for path, ckpt in zip(args.checkpoints, ckpts):    # every model checked before the first map is computed
        if not [m for m in args.method if m in available_methods(ckpt.config.latent_dim, args.dims)]:
            raise InvalidInput(f"{Path(path).name}: none of --method {' '.join(args.method)} draws a {args.dims}-D "
                               f"map of its {ckpt.config.latent_dim}-d codes: nothing to do")
    for ckpt in ckpts:
        data = load_dataset(ckpt.dataset, args.split, args.data_dir, download=False)
        methods = [m for m in args.method if m in available_methods(ckpt.config.latent_dim, args.dims)]
        enc = encode_split(ckpt.model, data.images, data.labels)
        for key, m, out in store_maps(store, ckpt.digest, args.split, args.n, methods, args.dims, enc):
            print(f"{ckpt.name}: {key.method} {key.dims}-D, {len(m)} points, {m.seconds:.1f} s, "
                  f"trustworthiness {m.trustworthiness:.4f} -> {out}", flush=True)
