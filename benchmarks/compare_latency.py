"""AE vs VAE: how long "New samples" takes on a warm server, and the old way beside it.

Starts the app (`streamlit run`) and headless Chromium, opens AE vs VAE on --dataset, waits until the
first seed's scores are in (warm: models, codes, mixture and classifier loaded), then clicks
"New samples" --clicks times and prints the seconds from the click until all three grids show new
images (the scores fill in afterwards from the background scorer; each click waits for them first).
Baseline, measured in the same run: drawing and scoring three grids of 2,000 samples in one process,
which the page did on every click before (#15: 8.9 s). Target: median well under a second.

    LVM_DATA_DIR=../shared/data python benchmarks/compare_latency.py [--dataset mnist] [--clicks 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from lvm_app.harness import AppServer, launch_chromium, open_page, wait_idle  # noqa: E402

from lvm_core import load_checkpoint  # noqa: E402
from lvm_core.storage.catalog import SHIPPED_DIR  # noqa: E402
from lvm_core.data.builtin import subset_indices  # noqa: E402
from lvm_core.data.datasets import DATASETS, load_dataset  # noqa: E402
from lvm_core.generation.inference import decode, encode  # noqa: E402
from lvm_core.analysis.quality import find_classifier, score_samples  # noqa: E402
from lvm_core.generation.sampling import GaussianMixtureSampler, sample_normal  # noqa: E402

TARGET_S = 1.0
IMAGE = '[data-testid="stMain"] [data-testid="stImage"] img'
SCORED = "() => [...document.querySelectorAll('strong')].filter(e => e.textContent.startsWith('Fréchet')).length === 3"
ALL_NEW = ("([sel, old]) => { const i = [...document.querySelectorAll(sel)].map(e => e.src);"
           " return i.length === 3 && i.every((s, k) => s !== old[k]); }")


def baseline(dataset: str, seed: int) -> float:
    """Seconds to draw and score the three grids (2,000 samples each) as the old page did on a click."""
    ae = load_checkpoint(SHIPPED_DIR / f"{dataset}-ae-mlp-32.safetensors")
    vae = load_checkpoint(SHIPPED_DIR / f"{dataset}-vae-mlp-32.safetensors")
    clf = find_classifier(dataset)
    train = load_dataset(dataset, "train")
    gmm = GaussianMixtureSampler(10, seed=0).fit(encode(ae.model, train.images[subset_indices(len(train), 10_000)]))
    start = time.perf_counter()
    for model, z in ((ae.model, sample_normal(2000, 32, seed)), (vae.model, sample_normal(2000, 32, seed)),
                     (ae.model, gmm.sample(2000, seed))):
        score_samples(clf, decode(model, z))
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--clicks", type=int, default=5)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    clicks = []
    with tempfile.TemporaryDirectory() as tmp, AppServer(log_path=Path(tmp) / "app.log") as app, \
            sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1280, "height": 720})
        open_page(page, app.url, "")
        page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
        page.get_by_role("option", name=DATASETS[args.dataset].title, exact=True).click()
        wait_idle(page)
        page.get_by_test_id("stSidebarNav").get_by_text("AE vs VAE", exact=True).click()
        page.wait_for_function(SCORED, timeout=600_000)
        for _ in range(args.clicks):
            before = [page.locator(IMAGE).nth(i).get_attribute("src") for i in range(3)]
            start = time.perf_counter()
            page.get_by_role("button", name="New samples").click()
            page.wait_for_function(ALL_NEW, arg=[IMAGE, before], timeout=120_000, polling=20)
            clicks.append(time.perf_counter() - start)
            page.wait_for_function(SCORED, timeout=300_000)      # warm again before the next click
            wait_idle(page)
        browser.close()
    old = baseline(args.dataset, 1)
    load = os.getloadavg()
    print(f"{args.dataset}, {args.clicks} clicks at 1280x720, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"New samples -> three new grids (warm server): median {statistics.median(clicks):.3f} s, "
          f"max {max(clicks):.3f} s")
    print(f"baseline, the old click: three grids drawn and scored in-process: {old:.3f} s")
    ok = statistics.median(clicks) < TARGET_S
    print(f"target median < {TARGET_S:g} s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
