"""Cold 10k-point t-SNE: LVM Explorer's openTSNE settings vs sklearn's TSNE() defaults on the same codes.

Prints each method's seconds and trustworthiness (sklearn's definition, k=5) and the speed ratio.
Target (issue 3): ours >= 2x faster at trustworthiness >= 0.98. Also prints warm UMAP and PCA for scale.

    LVM_DATA_DIR=../shared/data python benchmarks/projection_speed.py [--checkpoint PATH] [--n 10000]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


from lvm_core import load_checkpoint, load_dataset  # noqa: E402
from lvm_core.storage.catalog import SHIPPED_DIR  # noqa: E402
from lvm_core.generation.inference import encode  # noqa: E402
from lvm_core.data.builtin import subset_indices  # noqa: E402
from lvm_core.maps.projection import project, warm_up_umap  # noqa: E402
from lvm_core.maps.trustworthiness import trustworthiness  # noqa: E402
from lvm_core.startup import configure  # noqa: E402

PREFERRED = ["mnist-vae-conv-32", "mnist-ae-conv-32", "mnist-vae-mlp-32", "mnist-ae-mlp-32", "digits-vae-mlp-8"]


def default_checkpoint() -> Path:
    for name in PREFERRED:
        path = SHIPPED_DIR / f"{name}.safetensors"
        if path.exists():
            return path
    sys.exit(f"no shipped checkpoint in {SHIPPED_DIR}; pass --checkpoint")


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=None)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--split", default="test")
    parser.add_argument("--trust-sample", type=int, default=2000, help="query points for trustworthiness")
    parser.add_argument("--skip-sklearn", action="store_true")
    args = parser.parse_args()
    configure(threads=1)
    ckpt = load_checkpoint(args.checkpoint or default_checkpoint())
    data = load_dataset(ckpt.dataset, args.split)
    idx = subset_indices(len(data), args.n)
    codes = encode(ckpt.model, data.images[idx])
    print(f"model {ckpt.name} ({ckpt.title}); {len(codes)} codes of {args.split} split, dim {codes.shape[1]}")

    def trust(embedding):
        return trustworthiness(codes, embedding, sample=args.trust_sample)

    rows = []
    ours, ours_s = timed(lambda: project(codes, "tsne"))
    rows.append(("t-SNE, ours (openTSNE, PCA init, FFT, 125+375 iters)", ours_s, trust(ours)))
    if not args.skip_sklearn:
        from sklearn.manifold import TSNE

        theirs, theirs_s = timed(lambda: TSNE(random_state=0).fit_transform(codes))
        rows.append(("t-SNE, sklearn TSNE() defaults", theirs_s, trust(theirs)))
    pca, pca_s = timed(lambda: project(codes, "pca"))
    rows.append(("PCA", pca_s, trust(pca)))
    _, compile_s = timed(warm_up_umap)
    umap_map, umap_s = timed(lambda: project(codes, "umap"))
    rows.append((f"UMAP, warm (compile/warm-up took {compile_s:.1f} s)", umap_s, trust(umap_map)))

    print(f"{'method':58s} {'seconds':>8s} {'trustworthiness':>16s}")
    for name, seconds, t in rows:
        print(f"{name:58s} {seconds:8.1f} {t:16.4f}")
    if not args.skip_sklearn:
        ratio = theirs_s / ours_s
        ok = ratio >= 2 and rows[0][2] >= 0.98
        print(f"speed-up of our t-SNE over sklearn TSNE(): {ratio:.2f}x "
              f"(target >= 2x at trustworthiness >= 0.98: {'met' if ok else 'NOT met'})")


if __name__ == "__main__":
    main()
