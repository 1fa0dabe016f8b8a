"""The tutorial's lesson in numbers: Fréchet distance (LeNet features) of decoded samples to the train images.

For the shipped like-for-like pair (mnist-ae-mlp-32 vs mnist-vae-mlp-32) prints, for n samples each:
test images (the floor), VAE from N(0, I), AE from N(0, I), AE from a 10-component Gaussian mixture
fitted to its train codes (and the VAE from one, for symmetry), each with classifier confidence and
its ratio to the floor. Target (issue 4): VAE N(0, I) <= 110 and AE N(0, I) >= 300.
Reference measured with such a LeNet: VAE-32 ~105, AE-32 ~460, AE-32 GMM-10 ~35, test vs train ~0.5.

    LVM_DATA_DIR=../shared/data python benchmarks/sample_quality.py [--ae PATH --vae PATH] [--n 10000]
"""
from __future__ import annotations

import argparse
import sys
import time


from lvm_core import load_checkpoint, load_dataset  # noqa: E402
from lvm_core.storage.catalog import SHIPPED_DIR  # noqa: E402
from lvm_core.generation.inference import decode, encode  # noqa: E402
from lvm_core.analysis.quality import classifier_path, load_classifier, score_samples  # noqa: E402
from lvm_core.generation.sampling import GaussianMixtureSampler, sample_normal  # noqa: E402
from lvm_core.training.threads import set_cpu_threads  # noqa: E402

VAE_MAX, AE_MIN = 110.0, 300.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ae", default=str(SHIPPED_DIR / "mnist-ae-mlp-32.safetensors"))
    parser.add_argument("--vae", default=str(SHIPPED_DIR / "mnist-vae-mlp-32.safetensors"))
    parser.add_argument("--n", type=int, default=10_000, help="samples per score (the test split has 10,000)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    set_cpu_threads(1)

    ae, vae = load_checkpoint(args.ae), load_checkpoint(args.vae)
    if ae.dataset != vae.dataset or ae.config.latent_dim != vae.config.latent_dim:
        sys.exit(f"not a like-for-like pair: {ae.title} vs {vae.title}")
    clf = load_classifier(classifier_path(ae.dataset))
    train, test = load_dataset(ae.dataset, "train"), load_dataset(ae.dataset, "test")
    print(f"{ae.title}  vs  {vae.title}; LeNet test accuracy {clf.metrics['test_acc']:.4f}; "
          f"{args.n} samples per row, seed {args.seed}")

    rows = [("test images vs train (floor)", lambda: test.images[:args.n, 0].numpy())]
    for name, ckpt in (("VAE", vae), ("AE", ae)):
        rows.append((f"{name} z ~ N(0, I)", lambda c=ckpt: decode(c.model, sample_normal(args.n, c.config.latent_dim,
                                                                                         args.seed))))
    for name, ckpt in (("AE", ae), ("VAE", vae)):
        def mixture(c=ckpt):
            sampler = GaussianMixtureSampler(10, seed=args.seed).fit(encode(c.model, train.images))
            return decode(c.model, sampler.sample(args.n, args.seed))
        rows.append((f"{name} z ~ GMM-10 of its codes", mixture))

    scores = {}
    print(f"{'samples':34s} {'Fréchet':>9s} {'x floor':>9s} {'confidence':>11s} {'seconds':>8s}")
    for label, make in rows:
        start = time.perf_counter()
        q = score_samples(clf, make())
        scores[label] = q.frechet
        floor = scores[rows[0][0]]
        print(f"{label:34s} {q.frechet:9.1f} {q.frechet / floor:9.0f} {q.confidence:11.3f} "
              f"{time.perf_counter() - start:8.1f}")

    vae_fd, ae_fd = scores["VAE z ~ N(0, I)"], scores["AE z ~ N(0, I)"]
    ok = vae_fd <= VAE_MAX and ae_fd >= AE_MIN
    print(f"AE / VAE Fréchet ratio from N(0, I): {ae_fd / vae_fd:.1f}x")
    print(f"target VAE <= {VAE_MAX:g} and AE >= {AE_MIN:g}: {'met' if ok else 'NOT met'} "
          f"(VAE {vae_fd:.1f}, AE {ae_fd:.1f})")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
