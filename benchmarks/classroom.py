"""A class on one server: N concurrent sessions, each a student's journey, for N = 1, 10, 30.

For each N a fresh `streamlit run` on 127.0.0.1 (the repo's .streamlit/config.toml) and:
1. one student in a real headless chromium page (s0) opens the Latent space map, clicks points, drags the
   Latent sliders and opens AE vs VAE; its messages to the server are recorded (the first N's);
2. N - 1 more students replay that journey as protocol-level clients (replay_clients.py): each its own
   session, sending the browser's reruns with its widget states and fetching every image, drawing nothing.
   Server RSS is read with s0 alone and again with all N, each once through the journey: memory per
   extra session;
3. while the replayed students go round their journeys again (a pause of --think s between actions),
   s0 clicks points, switches model and clicks again: click -> image with the class busy, against the
   N = 1 figure;
4. one more browser session presses Train (the page's defaults) and s0 clicks again while it trains.
Prints per N: p50/p95 of each of s0's interactions and of the replayed actions, errors, sessions lost,
server RSS and CPU.

Why one browser and replayed students: a click costs what the front end makes it cost (Plotly's selection
event, the widget states the page sends back, the images it then fetches), so one real browser measures
it, and the replayed students send exactly what that browser sent. Thirty headless chromiums drawing
Plotly maps on the server's own 2 cores (no GPU) measured chromium, not the server: their clicks took
8-10 s while the server used 0.2 of a core. Chromium's threads run at nice 19, so the server goes
first. The map is drawn by st.plotly_chart (LVM_LIVE_DECODING=0): every click and slider step is a
server round trip, the worst case for the server (with live decoding the browser decodes the sliders).

With N = 1 (or --costs alone) one replayed student also goes through the journey alone, each action once,
and the server CPU each action costs is printed by kind (page load, fragment rerun, widget).

    LVM_DATA_DIR=../shared/data python benchmarks/classroom.py [--sessions 1 10 30] [--clicks 3] [--think 3]
    LVM_DATA_DIR=../shared/data python benchmarks/classroom.py --costs
"""
from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

import replay_clients  # noqa: E402
from lvm_app.cache import WARM_UP_DONE  # noqa: E402
from lvm_app.harness import CHROMIUM, CHROMIUM_ARGS, AppServer, isolated_points  # noqa: E402
from replay_clients import Recording, ReplayStudent  # noqa: E402

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
# what the map shows: its first points' coordinates (another model's map has other ones)
MAP_SIGNATURE_JS = """() => { const g = document.querySelector('.js-plotly-plot');
  return g && g._fullData && g._fullData.length ? JSON.stringify(g._fullData.map(t => """ \
                   """[Array.from(t.x || []).slice(0, 5), Array.from(t.y || []).slice(0, 5)])) : null; }"""
SCORED_JS = "() => !document.body.innerText.includes('scoring 2,000 samples')"
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
            start = len(self.errors)
            await self.timed("(click total)", lambda: self.click_one(target, label))
            if len(self.errors) > start:   # keep the per-click label for the error count
                self.errors[-1] = label + ": " + self.errors[-1]
            await self.idle(50)

    async def click_one(self, target: dict, label: str) -> None:
        """Click one point of POINTS_JS; its time to the point's images goes under label."""
        await self.page.mouse.move(target["px"] - 4, target["py"] - 4)
        await self.page.mouse.move(target["px"], target["py"])
        await self.page.wait_for_timeout(80)   # plotly picks the hovered point on mousemove
        await self.page.mouse.down()
        await self.page.mouse.up()
        ms = await self.page.evaluate(CLICK_JS, [int(target["custom"]), STEP_TIMEOUT_MS])
        self.times[label].append(ms / 1000)

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

    async def scores_shown(self):
        """Until the Compare page's sample scores are in (computed in the background, then cached):
        memory read before that would count the scorer's work as a session's."""
        await self.page.wait_for_function(SCORED_JS, timeout=STEP_TIMEOUT_MS * 3, polling=500)

    async def switch_model(self, option: int):
        await self.page.goto(self.url, wait_until="commit")
        await self.page.wait_for_function(MAP_DRAWN_JS, timeout=STEP_TIMEOUT_MS, polling=100)
        await self.idle()
        picker = self.page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").nth(1)
        options = self.page.get_by_role("option")
        for _ in range(10):   # a click that lands while the sidebar redraws opens nothing: click again
            await picker.click()
            try:
                await options.first.wait_for(timeout=10_000)
                break
            except Exception:
                await self.idle()
        before = await self.page.evaluate(MAP_SIGNATURE_JS)
        await options.nth(option % await options.count()).click()
        # until the other model's map is drawn: points read from the old map would be clicked on the new one
        await self.page.wait_for_function(f"old => {{ const now = ({MAP_SIGNATURE_JS})(); "
                                          "return now !== null && now !== old; }",
                                          arg=before, timeout=STEP_TIMEOUT_MS, polling=100)
        await self.idle()

    async def journey(self, clicks: int):
        """The part every student does on the same models: memory measured after it is per session."""
        await self.timed("open map", self.open_map)
        await self.click_points(clicks)
        await self.timed("open sliders", self.drag_slider)
        await self.timed("open AE vs VAE", self.compare)

    async def other_model(self, clicks: int, index: int, label: str = "click -> image"):
        """Then the student picks another model and clicks on its map."""
        await self.timed("switch model", lambda: self.switch_model(index))
        await self.click_points(clicks, label)

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


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def percentiles(values: list[float]) -> str:
    if not values:
        return "   no data"
    return f"p50 {statistics.median(values) * 1000:7.0f} ms  p95 {p95(values) * 1000:7.0f} ms  (n={len(values)})"


async def run_class(browser, env: dict, tmp: Path, n: int, clicks: int, budget_s: float,
                    journey: list[list[bytes]] | None) -> dict:
    """One class of n on a fresh server: a browser student (s0) and n - 1 replayed students (see
    replay_clients.py). Returns the figures, and the journey s0 recorded when none was given."""
    with AppServer(env=env, log_path=tmp / f"app-{n}.log") as app:
        nicer = asyncio.create_task(keep_browsers_niced(app.proc.pid))
        s0 = Student(browser, app.url, "s0")
        await s0.start()
        recording = Recording()
        recording.attach(s0.page)
        await s0.journey(clicks)                 # the first student in: every shared cache filled now
        await s0.timed("AE vs VAE scores shown", s0.scores_shown)
        journey = journey or recording.journey()
        costs = await action_costs(app.url, journey, app.proc.pid) if n == 1 else []
        rss_1 = await settled_rss(app.proc.pid)
        others = [ReplayStudent(app.url, journey, f"r{i}") for i in range(1, n)]
        _, cpu_j0 = proc_stats(app.proc.pid)
        cut = await wait_all([r.journey() for r in others], budget_s)
        _, cpu_j1 = proc_stats(app.proc.pid)    # the replayed journeys: shared caches already warm
        journey_actions = sum(len(r.latencies) for r in others)
        rss_n = await settled_rss(app.proc.pid)   # n sessions open, each once through the journey
        _, cpu0 = proc_stats(app.proc.pid)
        busy = asyncio.Event()
        loops = [asyncio.create_task(go_round(r, busy)) for r in others]
        wall0 = time.perf_counter()
        await s0.timed("back to the map", s0.open_map)
        await s0.click_points(clicks, "click -> image, class busy")
        await s0.other_model(clicks, 1, "click -> image, class busy")
        wall, (_, cpu1) = time.perf_counter() - wall0, proc_stats(app.proc.pid)
        trainer = await start_training(browser, app.url)
        await s0.click_points(clicks, "click -> image, one run training")
        training_rss, _ = proc_stats(app.proc.pid)
        await stop_training(trainer)
        busy.set()
        await wait_all(loops, budget_s)
        lost = sum(not ok for ok in await asyncio.gather(s0.alive(), *(r.alive() for r in others)))
        await asyncio.gather(*(r.close() for r in others), s0.page.context.close(), trainer.page.context.close(),
                             return_exceptions=True)
        nicer.cancel()
        log_errors = [line for line in app.log_text().splitlines() if "Traceback" in line or "Error" in line]
    return dict(n=n, s0=s0, others=others, rss_1=rss_1, rss_n=rss_n, training_rss=training_rss,
                cpu=cpu1 - cpu0, wall=wall, journey_cpu=cpu_j1 - cpu_j0, journey_actions=journey_actions,
                lost=lost, cut=cut, load=os.getloadavg(),
                trainer_errors=trainer.errors, log_errors=log_errors, journey=journey, costs=costs)


async def action_costs(url: str, journey: list[list[bytes]], pid: int) -> list[tuple[str, float, float]]:
    """One replayed student alone, each recorded action once: (what it was, server CPU s it cost, seconds
    to its answer). The CPU is read once the server's CPU time stops growing, so work an action started in
    the background (a figure's scores) is counted as that action's."""
    costs = []

    class Costing(ReplayStudent):
        previous: bytes | None = None

        async def close(self) -> None:   # a new connection: its first message is a page load
            self.previous = None
            await super().close()

        async def _act(self, message: bytes) -> None:
            _, cpu0 = proc_stats(pid)
            start = time.perf_counter()
            await super()._act(message)
            took = time.perf_counter() - start
            cpu1 = await settled_cpu(pid)
            costs.append((replay_clients.describe(message, self.previous), cpu1 - cpu0, took))
            self.previous = message

    saved, replay_clients.THINK_S = replay_clients.THINK_S, 0.0
    try:
        student = Costing(url, journey, "costs")
        await student.journey()
        await student.close()
    finally:
        replay_clients.THINK_S = saved
    return costs


async def costs_only(browser, env: dict, tmp: Path, clicks: int, profile: str | None) -> None:
    """--costs: a fresh server, the browser student's journey recorded and replayed once (caches filled), then
    replayed again, each action's server CPU read (and, with profile, py-spy recording the server's GIL)."""
    with AppServer(env=env, log_path=tmp / "app-costs.log") as app:
        s0 = Student(browser, app.url, "s0")
        await s0.start()
        recording = Recording()
        recording.attach(s0.page)
        await s0.journey(clicks)
        await s0.timed("AE vs VAE scores shown", s0.scores_shown)
        await s0.page.context.close()
        deadline = time.monotonic() + 600   # the warm-up the first page started: not counted as a click's
        while WARM_UP_DONE not in app.log_text() and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        await action_costs(app.url, recording.journey(), app.proc.pid)   # every per-session cache filled once
        profiler = None
        if profile:
            spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            profiler = subprocess.Popen([spy, "record", "--format", "raw", "-r", "100", "-o", profile,
                                         "-p", str(app.proc.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
            await asyncio.sleep(2)
        costs = await action_costs(app.url, recording.journey(), app.proc.pid)
        if profiler is not None:
            profiler.send_signal(signal.SIGINT)
            profiler.wait(timeout=60)
        report_costs(costs)


async def settled_cpu(pid: int, timeout_s: float = 20.0) -> float:
    """The server's CPU seconds once they stop growing (under 10 ms over 0.3 s)."""
    last = proc_stats(pid)[1]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        await asyncio.sleep(0.3)
        now = proc_stats(pid)[1]
        if now - last < 0.01:
            return now
        last = now
    return last


def report_costs(costs: list[tuple[str, float, float]]) -> None:
    print("  server CPU per action, one student alone, caches warm (what each costs the server):")
    by_kind = defaultdict(list)
    for what, cpu, took in costs:
        by_kind[what].append((cpu, took))
    for what, rows in by_kind.items():
        print(f"    {what:58s} CPU {statistics.mean(c for c, _ in rows):6.3f} s  answer "
              f"{statistics.mean(t for _, t in rows) * 1000:6.0f} ms  (n={len(rows)})")
    mean = statistics.mean(c for _, c, _ in costs)
    print(f"  server CPU per student action: mean {mean:.3f} s over {len(costs)} actions (target <= 0.08 s)")


async def settled_rss(pid: int, within_mb: float = 3.0, timeout_s: float = 120.0) -> float:
    """The server's RSS once it holds still (the same within within_mb over 3 s): work a page started
    in the background (a map, the warm-up) would otherwise be counted as a session's."""
    readings = [proc_stats(pid)[0]]
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        await asyncio.sleep(1.0)
        readings.append(proc_stats(pid)[0])
        if len(readings) >= 4 and max(readings[-4:]) - min(readings[-4:]) <= within_mb:
            break
    return readings[-1]


async def wait_all(work: list, timeout: float) -> int:
    """Wait for coroutines or tasks, at most timeout s; cancel the unfinished and return their number."""
    if not work:
        return 0
    _, pending = await asyncio.wait([asyncio.ensure_future(w) for w in work], timeout=timeout)
    for task in pending:
        task.cancel()
    return len(pending)


async def go_round(student: ReplayStudent, done: asyncio.Event) -> None:
    """A replayed student going through its journey again and again until done is set."""
    while not done.is_set():
        await student.journey(done)


def report(r: dict, base: dict | None) -> None:
    s0, others = r["s0"], r["others"]
    errors = s0.errors + r["trainer_errors"] + [e for o in others for e in o.errors]
    print(f"\nN = {r['n']} sessions: 1 browser + {r['n'] - 1} replayed (load average "
          f"{', '.join(f'{x:.1f}' for x in r['load'])}; {os.cpu_count()} cores)")
    for what in ("open map", "click -> image", "open sliders", "slider step", "open AE vs VAE",
                 "AE vs VAE scores shown", "back to the map", "click -> image, class busy", "switch model",
                 "click -> image, one run training"):
        print(f"  browser: {what:32s} {percentiles(s0.times[what])}")
    replayed = [t for o in others for t in o.latencies]
    if replayed:
        print(f"  replayed students, action -> answer and images: {percentiles(replayed)} over {len(replayed)} actions")
    print(f"  errors {len(errors)}, sessions lost {r['lost']}, replayed journeys cut by the time budget {r['cut']}; "
          f"server CPU {r['cpu']:.0f} s over {r['wall']:.0f} s with the class busy "
          f"({r['cpu'] / max(r['wall'], 1e-9):.2f} cores); "
          f"server log error lines {len(r['log_errors'])}")
    if r["journey_actions"]:
        per_action = r["journey_cpu"] / r["journey_actions"]
        print(f"  server CPU per replayed action {per_action:.2f} s ({r['journey_actions']} actions, caches warm): "
              f"one core keeps up with ~{(replay_clients.THINK_S + per_action) / per_action:.0f} students who act "
              f"every {replay_clients.THINK_S:g} s")
    if r["costs"]:
        report_costs(r["costs"])
    for e in errors[:5] + r["log_errors"][-2:]:
        print(f"    {e[:160]}")
    print(f"  server RSS {r['rss_1']:.0f} MB with the first student, {r['rss_n']:.0f} MB with all {r['n']}, "
          f"{r['training_rss']:.0f} MB with one run training (worker included)")
    if r["n"] > 1:
        print(f"  memory per extra session: {(r['rss_n'] - r['rss_1']) / (r['n'] - 1):.1f} MB (target <= 20 MB)")
    if base is not None:
        ours, one = s0.times["click -> image, class busy"], base["s0"].times["click -> image, class busy"]
        if ours and one:
            now, first = p95(ours), p95(one)
            print(f"  p95 click -> image with the class busy {now * 1000:.0f} ms = {now / first:.1f}x the N = "
                  f"{base['n']} figure ({first * 1000:.0f} ms; target <= 4x)")
    alone, training = s0.times["click -> image, class busy"], s0.times["click -> image, one run training"]
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

    replay_clients.THINK_S = args.think
    env = {"LVM_DATA_DIR": os.environ.get("LVM_DATA_DIR", str(ROOT.parent / "shared" / "data")),
           "LVM_LIVE_DECODING": "0"}
    print(f"a fresh server per N; replayed students pause {args.think:g} s between actions; "
          f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        env["LVM_MODELS_DIR"] = str(Path(tmp) / "models")
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            base, journey = None, None
            if args.costs:
                await costs_only(browser, env, Path(tmp), args.clicks, args.profile)
                args.sessions = []
            for n in args.sessions:
                result = await run_class(browser, env, Path(tmp), n, args.clicks, args.budget, journey)
                journey = result["journey"]
                report(result, base)
                base = base or result
            await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 30])
    parser.add_argument("--clicks", type=int, default=3, help="clicks per session, before and after switching model")
    parser.add_argument("--budget", type=float, default=900, help="seconds allowed for each N's journeys")
    parser.add_argument("--think", type=float, default=3.0, help="seconds a replayed student pauses between actions")
    parser.add_argument("--costs", action="store_true", help="only each action's server CPU, one student alone")
    parser.add_argument("--profile", help="with --costs: py-spy's raw samples of the server's GIL to this file")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
