"""A server's start, as a class meets it: start -> first page answered, the warm-up, and a new t-SNE map.

One fresh `streamlit run` with an empty cache folder (no computed map, numba's compiled UMAP not on disk:
the first start of a clean clone, the worst case; --warm keeps the project's cache folder instead), and two
headless chromium students:
1. s0 opens the app as the server starts: start -> health check answered, -> the first page's map drawn;
2. s0 clicks points while the warm-up (dataset, encoding, UMAP's compilation) runs, then once it is done
   (the idle figure);
3. s1 opens a link to a t-SNE map no one has computed (5,000 points) and, while it computes, s0 clicks
   more points: another student's click latency while a map computes, against idle (goal <= 1.5x).
Prints each figure with the load average. Run it on each version to compare (a same-run baseline is the
idle figure).

    LVM_DATA_DIR=../shared/data python benchmarks/server_start.py [--clicks 5] [--warm]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

from classroom import IDLE, MAP_DRAWN_JS, POINTS_JS, STEP_TIMEOUT_MS, Student, p95

from lvm_app.cache import WARM_UP_DONE
from lvm_app.harness import CHROMIUM, CHROMIUM_ARGS, AppServer, isolated_points

ROOT = Path(__file__).resolve().parent.parent
MAP_CAPTION_JS = "() => document.body.innerText.includes('t-SNE, 5,000 points (computed now')"


def load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def figures(values: list[float]) -> str:
    if not values:
        return "no clicks"
    return f"p50 {statistics.median(values) * 1000:5.0f} ms  p95 {p95(values) * 1000:5.0f} ms  (n={len(values)})"


async def click_each(s0: Student, targets: list[dict], label: str) -> None:
    """Click each target once (a point not clicked before: the page has to answer)."""
    await s0.page.wait_for_selector(IDLE, timeout=STEP_TIMEOUT_MS)
    for target in targets:
        await s0.click_one(target, label)
        await s0.page.wait_for_selector(IDLE, timeout=STEP_TIMEOUT_MS)


async def main_async(args) -> None:
    from playwright.async_api import async_playwright

    print(f"server start, {'warm' if args.warm else 'empty'} cache folder; load average {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        env = {"LVM_DATA_DIR": os.environ.get("LVM_DATA_DIR", str(ROOT.parent / "shared" / "data")),
               "LVM_LIVE_DECODING": "0", "LVM_MODELS_DIR": str(Path(tmp) / "models")}
        if not args.warm:
            env["LVM_CACHE_DIR"] = str(Path(tmp) / "cache")
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            s0, s1 = Student(browser, "", "s0"), Student(browser, "", "s1")
            await s0.start()
            await s1.start()
            start = time.perf_counter()
            with AppServer(env=env, log_path=Path(tmp) / "app.log") as app:
                healthy = time.perf_counter() - start
                s0.url = s1.url = app.url
                await s0.page.goto(app.url, wait_until="commit")
                await s0.page.wait_for_function(MAP_DRAWN_JS, timeout=STEP_TIMEOUT_MS, polling=100)
                first_map = time.perf_counter() - start
                await s0.page.evaluate("() => document.addEventListener('mousedown', "
                                       "() => { window.__down = performance.now(); }, true)")
                targets = isolated_points(await s0.page.evaluate(POINTS_JS), 3 * args.clicks)
                warm_up_running = WARM_UP_DONE not in app.log_text()
                await click_each(s0, targets[:args.clicks], "during the warm-up")
                while WARM_UP_DONE not in app.log_text():
                    await asyncio.sleep(0.2)
                warmed = time.perf_counter() - start
                warm_line = next(line for line in app.log_text().splitlines() if WARM_UP_DONE in line).strip()
                await click_each(s0, targets[args.clicks:2 * args.clicks], "idle")
                asked = time.perf_counter()
                await s1.page.goto(f"{app.url}/?method=tsne&n=5000", wait_until="commit")
                computing = asyncio.create_task(
                    s1.page.wait_for_function(MAP_CAPTION_JS, timeout=STEP_TIMEOUT_MS * 2, polling=200))
                await s1.page.wait_for_selector("[data-testid=stProgress]", timeout=STEP_TIMEOUT_MS)
                await click_each(s0, targets[2 * args.clicks:], "while a t-SNE map computes")
                clicks_done_before_map = not computing.done()
                await computing
                tsne = time.perf_counter() - asked
            await browser.close()
    print(f"  start -> health check answered     {healthy:6.1f} s")
    print(f"  start -> first page's map drawn     {first_map:6.1f} s  (goal <= 10 s)")
    print(f"  start -> warm-up done               {warmed:6.1f} s  ({warm_line})")
    print(f"  s0 click -> image, during the warm-up: {figures(s0.times['during the warm-up'])}"
          + ("" if warm_up_running else "  (the warm-up had ended before the first click)"))
    print(f"  s0 click -> image, idle:               {figures(s0.times['idle'])}")
    busy, idle = s0.times["while a t-SNE map computes"], s0.times["idle"]
    ratio = f"{statistics.median(busy) / statistics.median(idle):.2f}x idle (median; goal <= 1.5x)" if busy else ""
    print(f"  s0 click -> image, while s1's t-SNE map computes: {figures(busy)}  {ratio}"
          + ("" if clicks_done_before_map else "  (the map was done before the last click)"))
    print(f"  s1 link -> its new 5,000-point t-SNE map drawn: {tsne:5.1f} s; load average {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=5, help="clicks per phase")
    parser.add_argument("--warm", action="store_true", help="keep the project's cache folder (compiled UMAP, maps)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
