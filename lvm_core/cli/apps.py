"""`python -m lvm_core` commands behind the applications' shipped files: train-classifier, sweep, project."""
from __future__ import annotations

import json
from pathlib import Path

from lvm_core.cli.models import fmt
from lvm_core.errors import InvalidInput


def add_commands(sub, data_args) -> None:
    from lvm_core.data.datasets import DATASETS

    p = sub.add_parser("train-classifier", help="train the LeNet that scores sample quality (Fréchet distance)")
    p.add_argument("--dataset", choices=list(DATASETS), default="mnist")
    data_args(p)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, help="CPU threads (default: 1)")
    p.add_argument("--out", help="default: checkpoints/classifiers/<dataset>-lenet.safetensors")
    p.set_defaults(run=cmd_train_classifier)

    p = sub.add_parser("sweep", help="test MSE vs latent size for PCA and AE checkpoints (nonlinear PCA curve)")
    p.add_argument("checkpoints", nargs="+", help="AEs of one dataset, one per latent size")
    data_args(p)
    p.add_argument("--out", help="JSON file (default: checkpoints/nonlinear_pca_<dataset>.json)")
    p.set_defaults(run=cmd_sweep)

    p = sub.add_parser("project",
                       help="compute latent maps (t-SNE, UMAP, ...) of checkpoints, stored as the app reads them")
    p.add_argument("checkpoints", nargs="+")
    p.add_argument("--method", nargs="+", choices=["pca", "tsne", "umap", "raw"], default=["tsne", "umap"])
    p.add_argument("--split", choices=["test", "train"], default="test")
    p.add_argument("--n", type=int, default=10_000,
                   help="points per map (default 10000; fewer if the split is smaller)")
    p.add_argument("--dims", type=int, choices=[2, 3], default=2)
    data_args(p)
    p.add_argument("--out-dir", help="default: checkpoints/projections, the shipped maps the app reads first")
    p.set_defaults(run=cmd_project)


def cmd_train_classifier(args) -> None:
    from lvm_core.data.datasets import load_dataset
    from lvm_core.analysis.quality import classifier_path, save_classifier, train_classifier
    from lvm_core.training.threads import set_cpu_threads

    if args.epochs < 1:
        raise InvalidInput("--epochs must be at least 1")
    set_cpu_threads(args.threads)
    train = load_dataset(args.dataset, "train", args.data_dir)
    test = load_dataset(args.dataset, "test", args.data_dir)
    clf = train_classifier(train, test, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                           on_epoch=lambda r: print(f"epoch {r['epoch']}: loss {r['loss']:.4f}", flush=True))
    out = save_classifier(clf, args.out or classifier_path(args.dataset))
    print(f"saved {out}: {fmt(clf.metrics)}")


def cmd_sweep(args) -> None:
    from lvm_core.storage.checkpoints import load_checkpoint
    from lvm_core.data.datasets import load_dataset
    from lvm_core.analysis.sweep import run_sweep, sweep_path
    from lvm_core.storage.files import write_text

    ckpts = [load_checkpoint(p) for p in args.checkpoints]
    dataset = ckpts[0].dataset
    out = Path(args.out) if args.out else sweep_path(dataset)
    result = run_sweep(ckpts, load_dataset(dataset, "train", args.data_dir),
                       load_dataset(dataset, "test", args.data_dir), folder=out.parent)
    write_text(out, json.dumps(result, indent=1) + "\n")
    for k, p, a in zip(result["sizes"], result["pca_mse"], result["ae_mse"]):
        print(f"z={k:3d}  PCA {p:.5f}  AE {a:.5f}")
    print(f"wrote {out}")


def cmd_project(args) -> None:
    from lvm_core import load_checkpoint, load_dataset
    from lvm_core.generation.inference import encode_split
    from lvm_core.maps.store import PROJECTIONS_DIR, MapStore, store_maps
    from lvm_core.maps.projection import available_methods

    store = MapStore(write_dir=Path(args.out_dir) if args.out_dir else PROJECTIONS_DIR, max_bytes=None)
    for path in args.checkpoints:
        ckpt = load_checkpoint(path)
        data = load_dataset(ckpt.dataset, args.split, args.data_dir, download=False)
        methods = [m for m in args.method if m in available_methods(ckpt.config.latent_dim, args.dims)]
        enc = encode_split(ckpt.model, data.images, data.labels)
        for key, m, out in store_maps(store, ckpt.digest, args.split, args.n, methods, args.dims, enc):
            print(f"{ckpt.name}: {key.method} {key.dims}-D, {len(m)} points, {m.seconds:.1f} s, "
                  f"trustworthiness {m.trustworthiness:.4f} -> {out}", flush=True)
