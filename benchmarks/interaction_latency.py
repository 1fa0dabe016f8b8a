"""Latent Space in a real browser (headless Debian chromium): time to the first map, hover -> preview,
and click -> image.

Prints, in one run (with the load averages beside each figure):
  - hover -> preview: mouse moved onto a point -> its original and reconstruction drawn in the live
    map's preview panel (no server round-trip), median over --hovers points at 10k (and 70k with
    --full); the Streamlit reruns the hovers caused (websocket messages the browser sent: target 0);
  - websocket bytes the browser received: the first map (the packed map: codes, originals and
    reconstructions, sent once) and one click's rerun (the map is not sent again);
  - time to first map: page opened -> map drawn, on a fresh server (first visit) and in a new session;
  - click latency: mouse down on a point -> its original image and reconstruction shown (and -> every
    image under it), median over --clicks clicks at 10k points (and at the whole 70k MNIST with --full);
  - the same on a bare Streamlit page: one 10k-point PCA map of the same images (Scattergl) that shows
    the clicked point's image, and nothing else: the floor any Streamlit + Plotly app pays here, for
    the first map and for a click (with --full also at 70k, ?split=all), and our ratio to it.
Targets: first map <= 3 s at 10k; click -> image <= 400 ms median at 10k (issue 3); hover -> preview
<= 50 ms median at 10k and 70k, 0 reruns per hover (issue 10). Headless chromium here has no GPU:
WebGL is drawn on the CPU, so these are floors for a real browser.

    LVM_DATA_DIR=../shared/data python benchmarks/interaction_latency.py [--clicks 15] [--hovers 30] [--full]
"""
from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from lvm_app.harness import AppServer, isolated_points, launch_chromium, plotly_points, wait_idle  # noqa: E402
from lvm_app.cache import WARM_UP_DONE  # noqa: E402

BARE_APP = '''
import numpy as np, plotly.graph_objects as go, streamlit as st
from lvm_core import load_dataset

@st.cache_resource
def data(split):
    parts = [load_dataset("{dataset}", s) for s in (("train", "test") if split == "all" else ("test",))]
    images = np.concatenate([p.images[:, 0].numpy() for p in parts])
    flat = images.reshape(len(images), -1)
    xy = (flat - flat.mean(0)) @ np.linalg.svd(flat[::10] - flat.mean(0), full_matrices=False)[2][:2].T
    return images, xy
images, xy = data(st.query_params.get("split", "test"))
fig = go.Figure(go.Scattergl(x=xy[:, 0], y=xy[:, 1], mode="markers", customdata=np.arange(len(xy))[:, None]))
event = st.plotly_chart(fig, on_select="rerun", selection_mode="points", key="bare")
points = event["selection"]["points"]
if points:
    cd = points[0]["customdata"]
    index = int(cd["0"] if isinstance(cd, dict) else cd[0] if isinstance(cd, list) else cd)
    st.markdown(f"Point {{index}} ·")
    st.image(np.repeat(np.repeat(images[index], 4, 0), 4, 1), caption="original x", output_format="PNG")
'''

# Resolves with [ms to the point's original and reconstruction on screen, ms to every image under it],
# both from the last mousedown: the text "Point <index> ·" shown and the images decoded. Polls each
# animation frame, so the times are what a person would see.
WAIT_JS = """([index, timeoutMs]) => new Promise((resolve, reject) => {
  const start = window.__down;
  let first = null;
  const loaded = e => { const i = e.querySelector('img'); return i && i.complete && i.naturalWidth > 0; };
  const tick = () => {
    const now = performance.now();
    const shown = Array.from(document.querySelectorAll('[data-testid=stMarkdown]'))
      .some(e => e.innerText.startsWith('Point ' + index + ' ·'));
    const images = Array.from(document.querySelectorAll('[data-testid=stImage]'));
    if (shown && images.length) {
      const key = images.filter(e => /original x|reconstruction/.test(e.innerText));
      if (first === null && key.length && key.every(loaded)) first = now - start;
      if (first !== null && images.every(loaded)) return resolve([first, now - start]);
    }
    if (now - start > timeoutMs) return reject(new Error('no image for point ' + index));
    requestAnimationFrame(tick);
  };
  tick();
})"""
RECORD_DOWN_JS = "() => document.addEventListener('mousedown', () => { window.__down = performance.now(); }, true)"
# Resolves with [ms from the last mousemove to the preview showing `index` (computed), ms to the next
# animation frame after that (on screen)]; polls each frame.
HOVER_WAIT_JS = """([index, timeoutMs]) => new Promise((resolve, reject) => {
  const preview = document.querySelector('.lvm-map-preview'), start = performance.now();
  const tick = () => {
    if (preview.dataset.index === String(index) && Number(preview.dataset.shownAt) >= window.__move) {
      const shown = Number(preview.dataset.shownAt) - window.__move;
      return requestAnimationFrame(() => resolve([shown, performance.now() - window.__move]));
    }
    if (performance.now() - start > timeoutMs) return reject(new Error('no preview for point ' + index));
    requestAnimationFrame(tick);
  };
  tick();
})"""
RECORD_MOVE_JS = "() => document.addEventListener('mousemove', () => { window.__move = performance.now(); }, true)"
MAP_DRAWN_JS = """() => { const g = document.querySelector('.js-plotly-plot');
  return !!(g && g._fullData && g._fullData.length && g._fullData[0].x && g._fullData[0].x.length); }"""


def time_to_map(page, url: str) -> float:
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(MAP_DRAWN_JS, timeout=180_000, polling="raf")
    return time.perf_counter() - start


def prepare_clicks(page, k: int) -> list[dict]:
    """k well separated points of the page's map; the page records the time of every mouse down."""
    wait_idle(page)
    page.evaluate(RECORD_DOWN_JS)
    return isolated_points(plotly_points(page), k)


def click(page, target: dict) -> list | None:
    """[ms to the original and reconstruction, ms to all images] from mouse down on target (None, with
    a line, if they never came)."""
    page.mouse.move(target["px"] - 4, target["py"] - 4)
    page.mouse.move(target["px"], target["py"])
    page.wait_for_timeout(80)   # plotly picks the hovered point on mousemove
    page.mouse.down()
    page.mouse.up()
    try:
        return page.evaluate(WAIT_JS, [int(target["custom"]), 60_000])
    except Exception as exc:  # a click that picked another point, or none: say so, keep measuring
        print(f"  no image for point {int(target['custom'])} within 60 s ({type(exc).__name__})")
        return None
    finally:
        wait_idle(page, settle_ms=50)


def show_all_points(page) -> None:
    """PCA, sidebar split 'all', then the largest N on the slider (70,000 for MNIST)."""
    page.get_by_text("PCA", exact=True).click()
    wait_idle(page)
    page.locator("[data-testid=stSidebar]").get_by_text("all", exact=True).click()
    wait_idle(page)
    page.get_by_role("slider").first.focus()
    page.keyboard.press("End")
    wait_idle(page, timeout_ms=900_000)
    page.wait_for_function(MAP_DRAWN_JS, timeout=600_000)


class Frames:
    """Websocket traffic of a page: bytes received and messages sent (a rerun is a message the browser sends)."""

    def __init__(self, page):
        self.received = self.sent = 0
        page.on("websocket", self._watch)

    def _watch(self, ws) -> None:
        ws.on("framereceived", lambda payload: setattr(self, "received", self.received + len(payload)))
        ws.on("framesent", lambda payload: setattr(self, "sent", self.sent + 1))


def load() -> str:
    return "load " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def hover_times(page, frames: Frames, k: int) -> tuple[list, int]:
    """Hover k well separated points of the live map: ([shown ms, on-screen ms] per point, messages sent)."""
    wait_idle(page)
    page.evaluate(RECORD_MOVE_JS)
    targets, times, sent = isolated_points(plotly_points(page), k), [], frames.sent
    for target in targets:
        page.mouse.move(target["px"] - 12, target["py"] - 12)
        page.mouse.move(target["px"], target["py"])
        try:
            times.append(page.evaluate(HOVER_WAIT_JS, [int(target["custom"]), 10_000]))
        except Exception as exc:  # a point hidden under another: say so, keep measuring
            print(f"  no preview for point {int(target['custom'])} ({type(exc).__name__})")
    page.wait_for_timeout(500)   # a rerun, had a hover asked for one, would be sent by now
    return times, frames.sent - sent


def median_ms(times: list, which: int = 0) -> str:
    """times: click() results; which: 0 = original and reconstruction shown, 1 = every image shown."""
    times = [t[which] for t in times if t is not None]
    return f"median {statistics.median(times):6.0f} ms (min {min(times):.0f}, max {max(times):.0f}, n={len(times)})"


def wait_for_warm_up(app: AppServer, timeout_s: float = 900) -> str:
    """The server compiles UMAP etc. in a background thread after start; wait for its line in the log."""
    deadline = time.monotonic() + timeout_s
    while WARM_UP_DONE not in app.log_text() and time.monotonic() < deadline:
        time.sleep(1)
    return next((line.strip() for line in app.log_text().splitlines() if WARM_UP_DONE in line), "no warm-up line")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=15)
    parser.add_argument("--hovers", type=int, default=30)
    parser.add_argument("--sessions", type=int, default=5, help="new sessions timed to their first map")
    parser.add_argument("--full", action="store_true", help="also click on the whole 70k MNIST (train + test)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    from lvm_core.data.datasets import is_available

    dataset = "mnist" if is_available("mnist") else "digits"
    env = {"LVM_DATA_DIR": os.environ.get("LVM_DATA_DIR", str(ROOT.parent / "shared" / "data"))}
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as p:
        browser = launch_chromium(p)

        def new_page():
            return browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()

        bare_script = Path(tmp) / "bare_app.py"
        bare_script.write_text(BARE_APP.format(dataset=dataset))
        # Both servers run side by side and are measured in alternation, so both see the same load.
        app_env = {**env, "LVM_MODELS_DIR": str(Path(tmp) / "models")}
        with AppServer(env=app_env, log_path=Path(tmp) / "app.log") as app, \
                AppServer(script=str(bare_script), env=env, log_path=Path(tmp) / "bare.log") as bare:
            first = {}
            for name, url in (("ours", app.url), ("bare", bare.url)):
                page = new_page()
                first[name] = time_to_map(page, url)
                page.context.close()
            warm_up = wait_for_warm_up(app)
            later = {"ours": [], "bare": []}
            for _ in range(args.sessions):
                for name, url in (("ours", app.url), ("bare", bare.url)):
                    page = new_page()   # alone in the browser while timed
                    later[name].append(time_to_map(page, url))
                    page.context.close()
            pages = {"ours": new_page(), "bare": new_page()}   # the sessions clicked on
            frames = Frames(pages["ours"])
            for name, url in (("ours", app.url), ("bare", bare.url)):
                time_to_map(pages[name], url)
            wait_idle(pages["ours"])
            first_bytes = frames.received
            points = {name: len(plotly_points(page)) for name, page in pages.items()}
            print(f"app: {dataset}, default model, {points['ours']:,} points on the first map; "
                  f"bare page: {points['bare']:,} points")
            print(f"time to first map, first visit after server start: {first['ours']:6.2f} s "
                  f"(bare page {first['bare']:.2f} s; target <= 3 s) [{load()}]")
            ours_s, bare_s = statistics.median(later["ours"]), statistics.median(later["bare"])
            print(f"time to first map, new session after warm-up ({warm_up}): median {ours_s:6.2f} s "
                  f"(runs {', '.join(f'{t:.2f}' for t in later['ours'])}); bare page {bare_s:.2f} s "
                  f"(runs {', '.join(f'{t:.2f}' for t in later['bare'])}); "
                  f"ours / bare {ours_s / bare_s:.2f}x [{load()}]")
            hovers, sent = hover_times(pages["ours"], frames, args.hovers)
            print(f"hover -> preview (computed), {points['ours']:,} points: {median_ms(hovers)} [{load()}]")
            print(f"hover -> preview (next frame on screen): {median_ms(hovers, 1)}; target <= 50 ms")
            print(f"Streamlit reruns caused by {len(hovers)} hovers: {sent} websocket messages sent (target 0)")
            targets = {name: prepare_clicks(page, args.clicks + 2) for name, page in pages.items()}
            times = {"ours": [], "bare": []}
            clicked_bytes = frames.received
            for i in range(args.clicks + 2):
                for name, page in pages.items():
                    times[name].append(click(page, targets[name][i]))
            per_click = (frames.received - clicked_bytes) / (args.clicks + 2)
            print(f"websocket bytes received: first map {first_bytes / 1e6:.2f} MB (the packed map, sent once); "
                  f"per click (a rerun of the map fragment) {per_click / 1e3:.1f} kB")
            ours, floor = times["ours"][2:], times["bare"][2:]   # two warm-up clicks each
            print(f"click -> original + reconstruction, LVM Explorer, {points['ours']:,} points: {median_ms(ours)}")
            print(f"click -> every image (+ neighbours, q(z|x) samples), LVM Explorer: {median_ms(ours, 1)}")
            print(f"click -> image, bare Streamlit page (baseline): {median_ms(floor)}")
            ratio = statistics.median([t[0] for t in ours if t]) / statistics.median([t[0] for t in floor if t])
            print(f"ours / bare: {ratio:.2f}x (target: click -> reconstruction <= 400 ms median at 10k) [{load()}]")
            if args.full and dataset == "mnist":
                page = pages["ours"]
                start, before = time.perf_counter(), frames.received
                show_all_points(page)
                n_all = len(plotly_points(page))
                seconds = time.perf_counter() - start
                print(f"switch to all {n_all:,} points (encodes 60k more images, then a PCA map): {seconds:.1f} s")
                received = frames.received
                hovers, sent = hover_times(page, frames, args.hovers)
                print(f"websocket bytes received for the {n_all:,}-point map: {(received - before) / 1e6:.1f} MB")
                print(f"hover -> preview (computed), {n_all:,} points: {median_ms(hovers)} [{load()}]")
                print(f"hover -> preview (next frame on screen), {n_all:,} points: {median_ms(hovers, 1)}; "
                      f"reruns caused: {sent} messages sent")
                targets = prepare_clicks(page, args.clicks + 2)
                full = [click(page, t) for t in targets][2:]
                page = pages["bare"]
                page.goto(f"{bare.url}/?split=all", wait_until="commit")
                page.wait_for_function(MAP_DRAWN_JS, timeout=600_000)
                targets = prepare_clicks(page, args.clicks + 2)
                bare_full = [click(page, t) for t in targets][2:]
                print(f"click -> original + reconstruction, LVM Explorer, {n_all:,} points: {median_ms(full)}")
                print(f"click -> every image, LVM Explorer, {n_all:,} points: {median_ms(full, 1)}")
                print(f"click -> image, bare Streamlit page, {len(plotly_points(page)):,} points: "
                      f"{median_ms(bare_full)}")
                ratio = statistics.median([t[0] for t in full if t]) / statistics.median([t[0] for t in bare_full if t])
                print(f"ours / bare at {n_all:,} points: {ratio:.2f}x")
        browser.close()


if __name__ == "__main__":
    main()
