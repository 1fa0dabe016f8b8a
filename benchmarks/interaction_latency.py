"""Latent Space in a real browser (headless Debian chromium): time to the first map, and click -> image.

Prints, in one run:
  - time to first map: page opened -> map drawn, on a fresh server (first visit) and in a new session;
  - click latency: mouse down on a point -> its original image and reconstruction shown, median over
    --clicks clicks at 10k points (and at the whole 70k MNIST with --full);
  - the same click latency on a bare Streamlit page that only shows the clicked point's image (the
    floor any Streamlit app pays), and our ratio to it.
Targets (issue 3): first map <= 3 s at 10k; click -> image <= 400 ms median at 10k.

    LVM_DATA_DIR=../shared/data python benchmarks/interaction_latency.py [--clicks 15] [--full]
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
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import AppServer, launch_chromium, plotly_points, wait_idle  # noqa: E402
from lvm_app.cache import WARM_UP_DONE  # noqa: E402

BARE_APP = '''
import numpy as np, plotly.graph_objects as go, streamlit as st
from lvm_core import load_dataset

@st.cache_resource
def data():
    test = load_dataset("{dataset}", "test")
    flat = test.images.reshape(len(test), -1).numpy()
    xy = (flat - flat.mean(0)) @ np.linalg.svd(flat - flat.mean(0), full_matrices=False)[2][:2].T
    return test.images[:, 0].numpy(), xy
images, xy = data()
fig = go.Figure(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", customdata=np.arange(len(xy))[:, None]))
event = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key="bare")
points = event["selection"]["points"]
if points:
    cd = points[0]["customdata"]
    index = int(cd["0"] if isinstance(cd, dict) else cd[0] if isinstance(cd, list) else cd)
    st.markdown(f"Point {{index}} ·")
    st.image(np.repeat(np.repeat(images[index], 4, 0), 4, 1), caption="original x", output_format="PNG")
'''

# Resolves with ms from the last mousedown to: the text "Point <index> ·" on the page and every image
# under it decoded. Polls each animation frame, so the time is what a person would see.
WAIT_JS = """([index, timeoutMs]) => new Promise((resolve, reject) => {
  const start = window.__down;
  const done = () => {
    const el = Array.from(document.querySelectorAll('[data-testid=stMarkdown]'))
      .find(e => e.innerText.startsWith('Point ' + index + ' ·'));
    if (!el) return false;
    const imgs = Array.from(document.querySelectorAll('[data-testid=stImage] img'));
    return imgs.length > 0 && imgs.every(i => i.complete && i.naturalWidth > 0);
  };
  const tick = () => {
    if (done()) return resolve(performance.now() - start);
    if (performance.now() - start > timeoutMs) return reject(new Error('no image for point ' + index));
    requestAnimationFrame(tick);
  };
  tick();
})"""
RECORD_DOWN_JS = "() => document.addEventListener('mousedown', () => { window.__down = performance.now(); }, true)"
MAP_DRAWN_JS = """() => { const g = document.querySelector('.js-plotly-plot');
  return !!(g && g._fullData && g._fullData.length && g._fullData[0].x && g._fullData[0].x.length); }"""


def spread_points(points: list[dict], k: int) -> list[dict]:
    """k points that each stand apart from their neighbours on screen, so a click can only mean them."""
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    xy = np.array([[p["px"], p["py"]] for p in points])
    lo, hi = np.percentile(xy, 5, axis=0), np.percentile(xy, 95, axis=0)
    inner = np.flatnonzero(((xy > lo) & (xy < hi)).all(1))
    dist, _ = NearestNeighbors(n_neighbors=2).fit(xy).kneighbors(xy[inner])
    return [points[i] for i in inner[np.argsort(-dist[:, 1])[:k]]]


def time_to_map(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(MAP_DRAWN_JS, timeout=180_000, polling="raf")
    return time.perf_counter() - start


def click_latencies(page, clicks: int, warm_up: int = 2) -> list[float]:
    """ms from mouse down to the clicked point's images, for `clicks` distinct points (after warm_up clicks)."""
    wait_idle(page)
    page.evaluate(RECORD_DOWN_JS)
    targets = spread_points(plotly_points(page), clicks + warm_up)
    times = []
    for target in targets:
        page.mouse.move(target["px"] - 4, target["py"] - 4)
        page.mouse.move(target["px"], target["py"])
        page.wait_for_timeout(80)   # plotly picks the hovered point on mousemove
        page.mouse.down()
        page.mouse.up()
        try:
            times.append(page.evaluate(WAIT_JS, [int(target["custom"]), 60_000]))
        except Exception as exc:  # a click that picked another point, or none: say so, keep measuring
            print(f"  no image for point {int(target['custom'])} within 60 s ({type(exc).__name__})")
        wait_idle(page, settle_ms=50)
    return times[warm_up:]


def show_all_points(page) -> None:
    """Sidebar split 'all', then the largest N on the slider (70,000 for MNIST)."""
    page.locator("[data-testid=stSidebar]").get_by_text("all", exact=True).click()
    wait_idle(page)
    page.get_by_role("slider").first.focus()
    page.keyboard.press("End")
    wait_idle(page)
    page.wait_for_function(MAP_DRAWN_JS, timeout=600_000)


def median_ms(times: list[float]) -> str:
    return f"median {statistics.median(times):6.0f} ms (min {min(times):.0f}, max {max(times):.0f}, n={len(times)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=15)
    parser.add_argument("--full", action="store_true", help="also click on the whole 70k MNIST (train + test)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from lvm_core.data import is_available

    dataset = "mnist" if is_available("mnist") else "digits"
    env = {"LVM_DATA_DIR": os.environ.get("LVM_DATA_DIR", str(ROOT.parent / "shared" / "data"))}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        with AppServer(env={**env, "LVM_MODELS_DIR": str(Path(tmp) / "models")}, log_path=Path(tmp) / "app.log") as app:
            first = time_to_map(page, app.url)
            # The server compiles UMAP etc. in the background after start; measure once that is done.
            deadline = time.monotonic() + 600
            while WARM_UP_DONE not in app.log_text() and time.monotonic() < deadline:
                time.sleep(1)
            warm_up = next((line for line in app.log_text().splitlines() if WARM_UP_DONE in line), "no warm-up line")
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            second = time_to_map(page, app.url)
            wait_idle(page)
            n_points = len(plotly_points(page))
            print(f"app: {dataset}, default model, {n_points:,} points on the first map")
            print(f"time to first map, first visit after server start: {first:6.2f} s (target <= 3 s)")
            print(f"time to first map, new session after the server's warm-up: {second:6.2f} s ({warm_up.strip()})")
            ours = click_latencies(page, args.clicks)
            print(f"click -> image, LVM Explorer, {n_points:,} points: {median_ms(ours)}")
            if args.full and dataset == "mnist":
                start = time.perf_counter()
                show_all_points(page)
                n_all = len(plotly_points(page))
                seconds = time.perf_counter() - start
                print(f"switch to all {n_all:,} points (encodes 60k more images, then its map): {seconds:.1f} s")
                full = click_latencies(page, args.clicks)
                print(f"click -> image, LVM Explorer, {n_all:,} points: {median_ms(full)}")
        bare_script = Path(tmp) / "bare_app.py"
        bare_script.write_text(f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + BARE_APP.format(dataset=dataset))
        with AppServer(script=str(bare_script), env=env) as bare:
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            bare_first = time_to_map(page, bare.url)
            page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
            bare_second = time_to_map(page, bare.url)
            print(f"time to first map, bare Streamlit page (baseline): first visit {bare_first:.2f} s, "
                  f"new session {bare_second:.2f} s")
            xy_bare = plotly_points(page)
            floor = click_latencies(page, args.clicks)
            print(f"click -> image, bare Streamlit page (baseline), {len(xy_bare):,} points: {median_ms(floor)}")
        ratio = statistics.median(ours) / statistics.median(floor)
        verdict = "met" if statistics.median(ours) <= 400 and first <= 3 else "NOT met"
        print(f"ours / bare: {ratio:.2f}x; targets (first map <= 3 s, click <= 400 ms): {verdict}")
        browser.close()


if __name__ == "__main__":
    main()
