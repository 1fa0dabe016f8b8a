"""AE vs VAE: how long "🎲 New samples" takes on a warm session, and the old way beside it.

Opens the page in Streamlit's AppTest (the page's script as the server runs it), waits until the
first seed's scores are in (warm: models, codes, mixture and classifier loaded), then clicks
"New samples" --clicks times and prints the seconds until the page's script returned with the new
grids (the scores fill in afterwards from the background scorer). Baseline, measured in the same run:
scoring the three new grids in the script, as the page did before (#15: 8.9 s).
Target: well under a second.

    LVM_DATA_DIR=../shared/data python benchmarks/compare_latency.py [--dataset mnist] [--clicks 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

from lvm_core import load_checkpoint  # noqa: E402
from lvm_core.quality import find_classifier, score_samples  # noqa: E402

TARGET_S = 1.0


def scored(at: AppTest, timeout: float = 300) -> int:
    deadline = time.monotonic() + timeout
    while sum("Fréchet distance" in m.value for m in at.markdown) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)
        at.run()
    return sum("Fréchet distance" in m.value for m in at.markdown)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("--clicks", type=int, default=5)
    args = parser.parse_args()
    from lvm_app import generate

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=300)
    at.session_state["dataset"] = args.dataset
    at.run()
    at.switch_page("pages/compare.py").run()
    if scored(at) < 3:
        sys.exit("the first seed's scores never came")
    clicks, baselines, reruns = [], [], []
    clf = find_classifier(args.dataset)
    for _ in range(args.clicks):
        start = time.perf_counter()
        at.button(key="new_samples").click().run()
        clicks.append(time.perf_counter() - start)
        seed = at.number_input(key="sample_seed").value
        scored(at)                                  # let the background scorer finish before the next click
        start = time.perf_counter()                 # the page's own floor: a rerun that changes nothing
        at.run()
        reruns.append(time.perf_counter() - start)
        ae, vae = (load_checkpoint(at.selectbox(key=k).value) for k in ("pair_ae", "pair_vae"))
        start = time.perf_counter()                 # the old page: draw and score a fresh seed in the script
        for ckpt, prior in ((ae, "normal"), (vae, "normal"), (ae, "gmm")):
            score_samples(clf, generate.samples(ckpt.digest, ckpt, prior, seed + 10_000))
        baselines.append(time.perf_counter() - start)
    load = os.getloadavg()
    print(f"{args.dataset}, {args.clicks} clicks, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"New samples (grids shown, scores in the background): median {statistics.median(clicks):.3f} s, "
          f"max {max(clicks):.3f} s")
    print(f"a rerun of the page with nothing new (the floor of any click): median {statistics.median(reruns):.3f} s")
    print(f"baseline, the three grids drawn and scored in the script: median {statistics.median(baselines):.3f} s")
    ok = statistics.median(clicks) < TARGET_S
    print(f"target median < {TARGET_S:g} s: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
