"""The static lesson (export-lesson) in headless Chromium opened from disk (file://): its bytes per file against
the 15 MB budget, time to the first hover (page open -> a hover shows a point), hover -> preview, and slider
drag frames as benchmarks/live_decoding.py measures them; beside, in the same run, a bare file:// page that
only loads the same plotly.js and draws the same 10k points (plotly's own hover event sets the same data
attributes, no images), and the page's animation-frame rate with no work (the slider's ceiling).

    LVM_DATA_DIR=../shared/data python benchmarks/static_lesson.py [--opens 5] [--hovers 15]
"""
from __future__ import annotations

import argparse
import base64
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from lvm_app.harness import isolated_points, launch_chromium, plotly_points  # noqa: E402
from interaction_latency import HOVER_WAIT_JS, MAP_DRAWN_JS, RECORD_MOVE_JS  # noqa: E402
from live_decoding import DRAGS, IDLE_FRAME_RATE, MOVES, PACED_DRAG, drag  # noqa: E402
from lvm_core.storage.files import atomic_write_bytes  # noqa: E402
from lvm_core.lesson.export import BUDGET_BYTES, lesson_files, open_pair, write_lesson  # noqa: E402
from lvm_core.maps.payload import unpack_map  # noqa: E402

PAIR = ROOT / "checkpoints" / "mnist-ae-mlp-32.safetensors", ROOT / "checkpoints" / "mnist-vae-mlp-32.safetensors"
VIEWPORT = {"width": 1400, "height": 1000}
# The baseline: plotly.js and the same points, one scattergl trace per class, plotly's own hover picking the
# point; it writes what the lesson's preview writes (data-index, data-shown-at) so HOVER_WAIT_JS reads both.
BARE_HTML = """<!doctype html><html><head><meta charset="utf-8"><script src="plotly-gl2d.min.js"></script>
<script src="points.js"></script></head><body><div id="map" style="height:640px"></div>
<div class="lvm-map-preview"></div><script>
const traces = POINTS.classes.map((c) => ({type: "scattergl", mode: "markers", name: String(c),
  x: POINTS.x[c], y: POINTS.y[c], customdata: POINTS.index[c], marker: {size: 4, opacity: 0.8}}));
const gd = document.getElementById("map"), preview = document.querySelector(".lvm-map-preview");
Plotly.newPlot(gd, traces, {hovermode: "closest", dragmode: "pan", margin: {l: 10, r: 10, t: 28, b: 6},
  yaxis: {scaleanchor: "x"}}, {scrollZoom: true}).then(() => {
  gd.on("plotly_hover", (e) => { preview.dataset.index = String(e.points[0].customdata);
    preview.dataset.shownAt = String(performance.now()); });
});
</script></body></html>"""


def load() -> str:
    return "load " + " ".join(f"{v:.2f}" for v in os.getloadavg())


def bare_page(folder: Path, files: dict[str, bytes]) -> Path:
    """The baseline folder: plotly.js and the lesson map's own points (places, classes, indices)."""
    text = files["data/map-data.js"].decode()
    header, arrays = unpack_map(base64.b64decode(text[text.index('"') + 1:text.rindex('"')]))
    classes = sorted(set(arrays["labels"].tolist()))
    rows = {c: (arrays["labels"] == c).nonzero()[0] for c in classes}
    points = {"classes": classes, "x": {c: arrays["xy"][r, 0].tolist() for c, r in rows.items()},
              "y": {c: arrays["xy"][r, 1].tolist() for c, r in rows.items()},
              "index": {c: arrays["indices"][r].tolist() for c, r in rows.items()}}
    atomic_write_bytes(folder / "plotly-gl2d.min.js", files["assets/plotly-gl2d.min.js"])
    atomic_write_bytes(folder / "points.js", f"window.POINTS = {json.dumps(points)};\n".encode())
    return atomic_write_bytes(folder / "index.html", BARE_HTML.encode())


def hover(page, target: dict, timeout_ms: int = 30_000) -> list[float]:
    """Move onto target; [ms from the move to the preview naming it, ms to the next frame on screen]."""
    page.mouse.move(target["px"] - 12, target["py"] - 12)
    page.mouse.move(target["px"], target["py"])
    return page.evaluate(HOVER_WAIT_JS, [int(target["custom"]), timeout_ms])


def first_hovers(browser, url: str, opens: int) -> tuple[list[float], list[float]]:
    """Fresh pages: (s from page open to the map drawn, s from page open to a hover showing a point). The
    point is one that stands apart, found on a first page (the layout is the same every time)."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url)
    page.wait_for_function(MAP_DRAWN_JS, timeout=180_000)
    target = isolated_points(plotly_points(page), 1)[0]
    page.close()
    drawn, hovered = [], []
    for _ in range(opens):
        context = browser.new_context(viewport=VIEWPORT)
        page = context.new_page()
        start = time.perf_counter()
        page.goto(url, wait_until="commit")
        page.wait_for_function(MAP_DRAWN_JS, timeout=180_000, polling="raf")
        drawn.append(time.perf_counter() - start)
        page.evaluate(RECORD_MOVE_JS)
        hover(page, target)
        hovered.append(time.perf_counter() - start)
        context.close()
    return drawn, hovered


def hover_times(browser, url: str, k: int) -> list[list[float]]:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url)
    page.wait_for_function(MAP_DRAWN_JS, timeout=180_000)
    page.evaluate(RECORD_MOVE_JS)
    times = []
    for target in isolated_points(plotly_points(page), k):
        try:
            times.append(hover(page, target, 10_000))
        except Exception as exc:  # a point hidden under another: say so, keep measuring
            print(f"  no preview for point {int(target['custom'])} ({type(exc).__name__})")
    page.close()
    return times


def slider_drags(browser, url: str) -> dict:
    """live_decoding.py's figures on the lesson's sliders: frames before release per pointer drag, their
    rate, decode + draw per frame; display-paced drags against the page's idle animation-frame rate."""
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url)
    root = page.locator(".lvm-sliders")
    root.wait_for()
    handle = page.locator('.lvm-sliders input[type="range"]').first
    fps, frames, draw_ms = [], [], []
    for i in range(DRAGS):
        before = int(root.get_attribute("data-frames")), float(root.get_attribute("data-draw-ms") or 0)
        start = page.evaluate("performance.now()")
        drag(page, handle, i)
        after = int(root.get_attribute("data-frames")), float(root.get_attribute("data-draw-ms"))
        end = float(root.get_attribute("data-last-frame-ms"))
        page.mouse.up()
        n = after[0] - before[0]
        frames.append(n)
        fps.append(n / ((end - start) / 1000) if n else 0.0)
        draw_ms.append((after[1] - before[1]) / max(n, 1))
    paced, idle = [], []
    for i in range(3):
        idle.append(page.evaluate(IDLE_FRAME_RATE))
        paced.append(page.locator('.lvm-sliders input[type="range"]').nth(i % 2).evaluate(PACED_DRAG))
    page.close()
    return {"fps": statistics.median(fps), "frames": statistics.median(frames), "draw_ms": statistics.median(draw_ms),
            "paced_fps": statistics.median(paced), "idle_fps": statistics.median(idle)}


def median_ms(times: list, which: int = 0) -> str:
    values = [t[which] for t in times]
    return f"median {statistics.median(values):5.1f} ms (min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"


def seconds(values: list[float]) -> str:
    return f"median {statistics.median(values):5.2f} s (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opens", type=int, default=5, help="fresh pages timed to their first hover")
    parser.add_argument("--hovers", type=int, default=15)
    parser.add_argument("--n", type=int, default=10_000, help="map points")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"static lesson benchmark: {PAIR[0].name} + {PAIR[1].name}, {args.n:,} test points [{load()}]")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        files = lesson_files(*open_pair(*PAIR), n=args.n)
        write_lesson(Path(tmp) / "lesson", files)
        print(f"export: {time.perf_counter() - start:.1f} s (load, encode 10k twice, pack, write)")
        total = sum(len(data) for data in files.values())
        for name, data in sorted(files.items(), key=lambda item: -len(item[1])):
            print(f"  {len(data):>12,} bytes  {name}")
        print(f"  {total:>12,} bytes  in all: {total / BUDGET_BYTES:.0%} of the {BUDGET_BYTES / 1e6:.0f} MB budget")
        lesson = (Path(tmp) / "lesson" / "index.html").as_uri()
        bare = bare_page(Path(tmp) / "bare", files).as_uri()
        with sync_playwright() as p:
            browser = launch_chromium(p)
            results = {}
            for label, url in (("lesson", f"{lesson}#code"), ("bare", bare)):
                results[label] = first_hovers(browser, url, args.opens), hover_times(browser, url, args.hovers)
                print(f"  measured {label} [{load()}]")
            sliders = slider_drags(browser, f"{lesson}#factors")
            browser.close()
    print(f"\nheadless Chromium from file:// ({args.opens} fresh pages, {args.hovers} hovers) [{load()}]")
    for label, name in (("lesson", "the lesson"), ("bare", "bare plotly page (baseline)")):
        (drawn, hovered), hovers = results[label]
        print(f"{name}:")
        print(f"  page open -> map drawn:            {seconds(drawn)}")
        print(f"  page open -> a hover shows a point: {seconds(hovered)}")
        print(f"  hover -> preview (computed):        {median_ms(hovers)}")
        print(f"  hover -> preview (next frame):      {median_ms(hovers, 1)}")
    ratio = statistics.median(results["lesson"][0][1]) / statistics.median(results["bare"][0][1])
    print(f"first hover, lesson / bare page: {ratio:.2f}x")
    print(f"slider drags ({DRAGS}, {MOVES} pointer moves each): {sliders['frames']:.0f} frames per drag before release "
          f"({sliders['fps']:.1f}/s), decode+draw {sliders['draw_ms']:.2f} ms/frame; display-paced drag "
          f"{sliders['paced_fps']:.1f} frames/s vs {sliders['idle_fps']:.1f}/s for the same page's idle "
          "animation frames")


if __name__ == "__main__":
    main()
