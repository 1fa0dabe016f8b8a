"""A class on one server: N concurrent sessions, each a student's journey, in real browser pages.

One `streamlit run` on 127.0.0.1 (the repo's .streamlit/config.toml), one headless chromium with one
context per student (cookies and websockets apart, as separate laptops would be). Each session:
open the Latent space map, click points, drag the Latent sliders, open AE vs VAE, switch model, and
click again. Then one extra session starts a training run on the Train page and every session clicks
again while it trains. Prints per N: p50/p95 of each interaction, errors, sessions lost, server RSS
and CPU, memory per extra session, click -> image against the N = 1 figure, and with/without training.

Why browsers and not protocol-level clients: what a click costs depends on the front end (Plotly's
selection event, the widget states the page sends back, the images it then fetches), and a hand-written
websocket client would measure our imitation of it. The price: chromium shares the CPU with the server.
Its threads run at nice 19, so the server goes first (a student's browser runs on their own laptop), but a
click still waits for chromium to draw the answer: on a small machine the latencies are an upper
bound on what the server alone would give (the server's own CPU share is printed beside them). The map is
drawn by st.plotly_chart (LVM_LIVE_DECODING=0): every click and slider step is then a server round trip,
the worst case for the server (with live decoding the browser does the sliders' decoding itself).

    LVM_DATA_DIR=../shared/data python benchmarks/classroom.py [--sessions 1 10 30] [--clicks 3]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from browser_support import CHROMIUM, CHROMIUM_ARGS, AppServer, isolated_points  # noqa: E402

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
MAP_DRAWN_JS = """() => { const g = document.querySelector('.js-plotly-plot');
  return !!(g && g._fullData && g._fullData.length && g._fullData[0].x && g._fullData[0].x.length); }"""
POINTS_JS = """() => {
  const gd = document.querySelector('.js-plotly-plot'), L = gd._fullLayout, box = gd.getBoundingClientRect(), out = [];
  gd._fullData.forEach(t => { if (t.visible !== true) return;
    for (let i = 0; i < t.x.length; i++) { const cd = t.customdata ? t.customdata[i] : null;
      out.push({px: box.left + L._size.l + L.xaxis.l2p(t.x[i]), py: box.top + L._size.t + L.yaxis.l2p(t.y[i]),
                custom: cd !== null && typeof cd === 'object' ? cd[0] : cd}); } });
  return out; }"""
# Resolves with ms from the last mousedown to the clicked point's original and reconstruction on screen.
CLICK_JS = """([index, timeoutMs]) => new Promise((resolve, reject) => {
  const start = window.__down;
  const loaded = e => { const i = e.querySelector('img'); return i && i.complete && i.naturalWidth > 0; };
  const tick = () => {
    const now = performance.now();
    const shown = Array.from(document.querySelectorAll('[data-testid=stMarkdown]'))
      .some(e => e.innerText.startsWith('Point ' + index + ' ·'));
    const key = Array.from(document.querySelectorAll('[data-testid=stImage]'))
      .filter(e => /original x|reconstruction/.test(e.innerText));
    if (shown && key.length && key.every(loaded)) return resolve(now - start);
    if (now - start > timeoutMs) return reject(new Error('no image for point ' + index));
    requestAnimationFrame(tick);
  };
  tick();
})"""
RECORD_DOWN_JS = "() => document.addEventListener('mousedown', () => { window.__down = performance.now(); }, true)"
STEP_TIMEOUT_MS = 180_000


def proc_stats(pid: int) -> tuple[float, float]:
    """(RSS in MB, CPU seconds user+system) of a process and its children (the training worker)."""
    rss = cpu = 0.0
    pids = [pid] + [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    tick = os.sysconf("SC_CLK_TCK")
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rss += int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, StopIteration):
            continue
    return rss, cpu


class Student:
    """One browser context on the app: its journey's timings, errors, and whether it was lost."""

    def __init__(self, browser, url: str, name: str):
        self.browser, self.url, self.name = browser, url, name
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.page = None

    async def start(self):
        context = await self.browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = await context.new_page()

    async def timed(self, what: str, action):
        start = time.perf_counter()
        try:
            result = await action()
        except Exception as exc:  # a step that failed: counted, the journey goes on
            self.errors.append(f"{what}: {type(exc).__name__}: {str(exc).splitlines()[0][:100]}")
            return None
        self.times[what].append(time.perf_counter() - start)
        return result

    async def idle(self, settle_ms: int = 150):
        await self.page.wait_for_timeout(settle_ms)
        await self.page.wait_for_selector(IDLE, timeout=STEP_TIMEOUT_MS)

    async def open_map(self):
        await self.page.goto(self.url, wait_until="commit")
        await self.page.wait_for_function(MAP_DRAWN_JS, timeout=STEP_TIMEOUT_MS, polling=100)
        await self.idle()

    async def click_points(self, k: int, label: str = "click -> image"):
        await self.idle()
        await self.page.evaluate(RECORD_DOWN_JS)
        points = await self.page.evaluate(POINTS_JS)
        for target in isolated_points(points, k):
            async def one():
                await self.page.mouse.move(target["px"] - 4, target["py"] - 4)
                await self.page.mouse.move(target["px"], target["py"])
                await self.page.wait_for_timeout(80)   # plotly picks the hovered point on mousemove
                await self.page.mouse.down()
                await self.page.mouse.up()
                ms = await self.page.evaluate(CLICK_JS, [int(target["custom"]), STEP_TIMEOUT_MS])
                self.times[label].append(ms / 1000)
            start = len(self.errors)
            await self.timed("(click total)", one)
            if len(self.errors) > start:   # keep the per-click label for the error count
                self.errors[-1] = label + ": " + self.errors[-1]
            await self.idle(50)

    async def drag_slider(self):
        await self.page.goto(f"{self.url}/sliders", wait_until="commit")
        await self.idle()
        slider = self.page.get_by_role("slider").first
        await slider.focus()
        for _ in range(3):
            await self.timed("slider step", lambda: self._key_and_idle("ArrowRight"))

    async def _key_and_idle(self, key: str):
        await self.page.keyboard.press(key)
        await self.idle(100)

    async def compare(self):
        await self.page.goto(f"{self.url}/compare", wait_until="commit")
        await self.page.locator('[data-testid=stImage] img').nth(2).wait_for(timeout=STEP_TIMEOUT_MS)
        await self.idle()

    async def switch_model(self, option: int):
        await self.page.goto(self.url, wait_until="commit")
        await self.page.wait_for_function(MAP_DRAWN_JS, timeout=STEP_TIMEOUT_MS, polling=100)
        await self.idle()
        picker = self.page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").nth(1)
        await picker.click()
        options = self.page.get_by_role("option")
        await options.first.wait_for(timeout=STEP_TIMEOUT_MS)   # the list opens after the click
        await options.nth(option % await options.count()).click()
        await self.idle()
        await self.page.wait_for_function(MAP_DRAWN_JS, timeout=STEP_TIMEOUT_MS, polling=100)

    async def journey(self, clicks: int):
        """The part every student does on the same models: memory measured after it is per session."""
        await self.timed("open map", self.open_map)
        await self.click_points(clicks)
        await self.timed("open sliders", self.drag_slider)
        await self.timed("open AE vs VAE", self.compare)

    async def other_model(self, clicks: int, index: int):
        """Then each student picks a model of their own: memory grows per model, not per session."""
        await self.timed("switch model", lambda: self.switch_model(index))
        await self.click_points(clicks)

    async def alive(self) -> bool:
        """Still connected: the app answers a rerun (the page's own R key) and shows no exception."""
        try:
            await self.page.wait_for_selector(IDLE, timeout=60_000)
            return await self.page.locator('[data-testid=stException]').count() == 0
        except Exception:
            return False


async def start_training(browser, url: str) -> Student:
    """One more session that presses Train (the page's defaults) and keeps watching the run."""
    trainer = Student(browser, url, "trainer")
    await trainer.start()

    async def press_train():
        await trainer.page.goto(f"{url}/train", wait_until="commit")
        await trainer.idle()
        await trainer.page.locator(".st-key-train_start button").click(timeout=STEP_TIMEOUT_MS)
        await trainer.page.locator(".st-key-train_stop").wait_for(timeout=STEP_TIMEOUT_MS)   # the run started
    await trainer.timed("start a training run", press_train)
    return trainer


async def stop_training(trainer: Student) -> None:
    """The trainer presses Stop and waits for the run to end (its Stop button gone). The page redraws
    the button every poll, so a click can land on a detached one: try again until it is gone."""
    stop = trainer.page.locator(".st-key-train_stop")
    deadline = time.monotonic() + STEP_TIMEOUT_MS / 1000
    while await stop.count() and time.monotonic() < deadline:
        try:
            await stop.locator("button").click(timeout=5_000)
            await stop.wait_for(state="detached", timeout=30_000)
        except Exception:
            continue
    if await stop.count():
        trainer.errors.append("stop: the run's Stop button was still there after 180 s")


def percentiles(values: list[float]) -> str:
    if not values:
        return "   no data"
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"p50 {statistics.median(values) * 1000:7.0f} ms  p95 {p95 * 1000:7.0f} ms  (n={len(values)})"


async def run_class(browser, app: AppServer, n: int, clicks: int, budget_s: float) -> dict:
    students = [Student(browser, app.url, f"s{i}") for i in range(n)]
    await asyncio.gather(*(s.start() for s in students))
    rss0, cpu0 = proc_stats(app.proc.pid)
    wall0 = time.perf_counter()
    done, pending = await asyncio.wait([asyncio.create_task(s.journey(clicks)) for s in students], timeout=budget_s)
    for task in pending:
        task.cancel()
    shared_rss, _ = proc_stats(app.proc.pid)
    done, more = await asyncio.wait([asyncio.create_task(s.other_model(clicks, i)) for i, s in enumerate(students)],
                                    timeout=budget_s)
    for task in more:
        task.cancel()
    pending = pending | more
    wall = time.perf_counter() - wall0
    rss, cpu = proc_stats(app.proc.pid)
    load = os.getloadavg()
    # Click latency while another student trains (one extra session starts a run on the Train page).
    trainer = await start_training(browser, app.url)
    for s in students:
        s.page.set_default_timeout(STEP_TIMEOUT_MS)
    await asyncio.wait([asyncio.create_task(s.click_points(clicks, "click -> image, one run training"))
                        for s in students], timeout=budget_s)
    training_rss, _ = proc_stats(app.proc.pid)
    lost = sum(not ok for ok in await asyncio.gather(*(s.alive() for s in students)))
    await stop_training(trainer)   # the next N starts on a machine without a run
    result = dict(n=n, students=students, wall=wall, cpu=cpu - cpu0, rss=rss, rss0=rss0, training_rss=training_rss,
                  shared_rss=shared_rss,
                  lost=lost, unfinished=len(pending), load=load, trainer_errors=trainer.errors)
    await asyncio.gather(*(s.page.context.close() for s in students + [trainer]), return_exceptions=True)
    return result


def report(r: dict, base: dict | None) -> None:
    times = defaultdict(list)
    for s in r["students"]:
        for what, values in s.times.items():
            times[what] += values
    errors = [e for s in r["students"] for e in s.errors]
    print(f"\nN = {r['n']} sessions  (load average {', '.join(f'{x:.1f}' for x in r['load'])}; "
          f"{os.cpu_count()} cores)")
    for what in ("open map", "click -> image", "open sliders", "slider step", "open AE vs VAE", "switch model",
                 "click -> image, one run training"):
        print(f"  {what:34s} {percentiles(times[what])}")
    print(f"  errors {len(errors)}, sessions lost {r['lost']}, journeys cut by the time budget {r['unfinished']}; "
          f"journeys took {r['wall']:.0f} s, "
          f"server CPU {r['cpu']:.0f} s ({r['cpu'] / max(r['wall'], 1e-9):.2f} cores)")
    for e in (errors + r["trainer_errors"])[:5]:
        print(f"    {e}")
    print(f"  server RSS {r['shared_rss']:.0f} MB with every session on the same models, {r['rss']:.0f} MB once each "
          f"opened a model of its own, {r['training_rss']:.0f} MB with one run training (worker included)")
    if base is not None and r["n"] > base["n"]:
        per = (r["shared_rss"] - base["shared_rss"]) / (r["n"] - base["n"])
        print(f"  memory per extra session (same models): {per:.1f} MB (vs N = {base['n']}: {base['shared_rss']:.0f} MB; "
              f"target <= 20 MB); each session on a model of its own: {(r['rss'] - base['rss']) / (r['n'] - base['n']):.1f} MB")
        ours, one = times["click -> image"], [t for s in base["students"] for t in s.times["click -> image"]]
        if ours and one:
            p95, p95_1 = (sorted(v)[min(len(v) - 1, round(0.95 * (len(v) - 1)))] for v in (ours, one))
            print(f"  p95 click -> image {p95 * 1000:.0f} ms = {p95 / p95_1:.1f}x the N = {base['n']} figure "
                  f"({p95_1 * 1000:.0f} ms; target <= 4x)")
    alone, training = times["click -> image"], times["click -> image, one run training"]
    if alone and training:
        print(f"  click -> image median without / with a run training: {statistics.median(alone) * 1000:.0f} / "
              f"{statistics.median(training) * 1000:.0f} ms")


async def keep_browsers_niced(server_pid: int) -> None:
    """Every chromium thread at the lowest CPU priority, again every second (chromium sets its own
    priorities, -8 for some threads, as it starts processes): in a class each student's browser runs
    on their own laptop; here they share the server's cores, so they yield to it (else the figures
    measure chromium drawing 30 Plotly maps without a GPU, not the server)."""
    while True:
        for task in Path("/proc").glob("[0-9]*/task/[0-9]*"):
            try:
                if "chrom" in (task / "comm").read_text() and int(task.parent.parent.name) != server_pid:
                    os.setpriority(os.PRIO_PROCESS, int(task.name), 19)
            except (OSError, ValueError):
                continue
        await asyncio.sleep(1.0)


async def main_async(args) -> None:
    from playwright.async_api import async_playwright

    env = {"LVM_DATA_DIR": os.environ.get("LVM_DATA_DIR", str(ROOT.parent / "shared" / "data")),
           "LVM_LIVE_DECODING": "0"}
    with tempfile.TemporaryDirectory() as tmp:
        env["LVM_MODELS_DIR"] = str(Path(tmp) / "models")
        with AppServer(env=env, log_path=Path(tmp) / "app.log") as app:
            rss, _ = proc_stats(app.proc.pid)
            print(f"server on {app.url}, pid {app.proc.pid}: {rss:.0f} MB RSS before any session; "
                  f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                nicer = asyncio.create_task(keep_browsers_niced(app.proc.pid))
                base = None
                for n in args.sessions:
                    result = await run_class(browser, app, n, args.clicks, args.budget)
                    report(result, base)
                    base = base or result
                nicer.cancel()
                await browser.close()
            errors = [line for line in app.log_text().splitlines() if "Traceback" in line or "Error" in line]
            print(f"\nserver log: {len(errors)} error lines" + (f"; last: {errors[-1][:150]}" if errors else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--clicks", type=int, default=3, help="clicks per session, before and after switching model")
    parser.add_argument("--budget", type=float, default=900, help="seconds allowed for each N's journeys")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
