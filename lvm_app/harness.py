"""The app in a real browser, for tests and benchmarks: a Streamlit server in a subprocess and Debian's
chromium via Playwright (dev requirements; never imported by the app itself).

Fixtures in conftest.py wrap this (use those in tests):
    app_url       (session) "http://127.0.0.1:PORT" of `streamlit run streamlit_app.py`, headless,
                  LVM_DATA_DIR set, LVM_MODELS_DIR = a fresh temp folder (fixture `app_models_dir`).
    browser_page  (function) a fresh Playwright page (own context) in one shared chromium.

Helpers for driving the app:
    open_page(page, app_url, "latent_space")   open a page by its url path and wait for the script to finish
    wait_idle(page)                            wait until the script has finished its current run
    plotly_point_pixel(page, x, y)             page pixel of data point (x, y) in a plotly chart
    plotly_points(page)                        every point of a chart: data and pixel coordinates, customdata[0]
    click_plotly_point(page, x, y)             hover + click there (selects it in Streamlit >= 1.35)
    choose_plotly_tool(page, "select")         press a chart toolbar button (select, lasso, pan, zoom)
    box_select(page, (x0, y0), (x1, y1))       choose the box tool and drag a box in data coordinates
    isolated_points(points, k)                 k points of plotly_points(...) that stand apart on screen
    cut_labels(page)                           widget and tab labels whose text is wider than their box
    map_on_screen(page), sidebar_width(page)   the Latent space map's box (asserted inside the viewport);
                                               the sidebar's width

Tests using these get `@pytest.mark.browser` and `requires_chromium`; they skip only when
/usr/bin/chromium is missing (CI installs it).
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from lvm_core import settings

ROOT = settings.PROJECT_ROOT
CHROMIUM = settings.raw("LVM_CHROMIUM")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-quic", "--no-first-run"]
SERVER_START_TIMEOUT_S = 60
SCRIPT_TIMEOUT_MS = 60_000

requires_chromium = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                       reason=f"no chromium at {CHROMIUM} (apt-get install chromium; CI installs it)")


def free_port() -> int:
    """A localhost TCP port nobody is listening on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    """`streamlit run <script>` on a free localhost port, stopped by stop() (or as a context manager)."""

    def __init__(self, script: str = "streamlit_app.py", env: dict | None = None, port: int | None = None,
                 log_path: Path | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        cmd = [sys.executable, "-m", "streamlit", "run", str(ROOT / script),
               "--server.headless", "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
               "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
               "--global.developmentMode", "false"]
        full_env = settings.child_environment({"PYTHONUNBUFFERED": "1", **(env or {})})
        self._log = open(log_path, "wb") if log_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise

    def _wait_healthy(self) -> None:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {self.proc.returncode}; log: {self.log_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"streamlit did not answer on {self.url} within {SERVER_START_TIMEOUT_S} s")

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path and self.log_path.exists() else ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self._log is not subprocess.DEVNULL:
            self._log.close()

    def __enter__(self) -> "AppServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def launch_chromium(playwright, headless: bool = True):
    """Debian's chromium (Playwright's own download is not available offline)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=headless, args=CHROMIUM_ARGS)


def wait_idle(page, timeout_ms: int = SCRIPT_TIMEOUT_MS, settle_ms: int = 150) -> None:
    """Wait until the Streamlit script is not running. A short settle first, because a rerun
    triggered by the last action may not have started yet when this is called."""
    page.wait_for_timeout(settle_ms)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms)


def open_page(page, app_url: str, url_path: str = "", timeout_ms: int = SCRIPT_TIMEOUT_MS) -> None:
    """Open one app page (url_path: the page's url path, "" for the default page) and wait for its first run."""
    page.goto(f"{app_url}/{url_path}", wait_until="domcontentloaded")
    page.wait_for_selector('[data-testid="stApp"]', timeout=timeout_ms)
    wait_idle(page, timeout_ms)


_PIXEL_JS = """([x, y, index]) => {
  const gd = document.querySelectorAll('.js-plotly-plot')[index];
  if (!gd || !gd._fullLayout) return null;
  const L = gd._fullLayout, box = gd.getBoundingClientRect();
  return [box.left + L._size.l + L.xaxis.l2p(x), box.top + L._size.t + L.yaxis.l2p(y)];
}"""


def plotly_point_pixel(page, x: float, y: float, plot_index: int = 0) -> tuple[float, float]:
    """Page pixel (px, py) of data coordinates (x, y) in the plot_index-th plotly chart (2-D cartesian)."""
    page.wait_for_function("i => { const g = document.querySelectorAll('.js-plotly-plot')[i];"
                           " return g && g._fullLayout && g._fullLayout.xaxis; }", arg=plot_index)
    xy = page.evaluate(_PIXEL_JS, [x, y, plot_index])
    if xy is None:
        raise AssertionError(f"no plotly chart #{plot_index} on the page")
    return xy[0], xy[1]


_POINTS_JS = """(index) => {
  const gd = document.querySelectorAll('.js-plotly-plot')[index];
  const L = gd._fullLayout, box = gd.getBoundingClientRect(), out = [];
  gd._fullData.forEach((t, c) => {
    if (t.visible !== true) return;
    for (let i = 0; i < t.x.length; i++) {
      const cd = t.customdata ? t.customdata[i] : null;   // a row (2-D customdata) or one value
      out.push([c, i, t.x[i], t.y[i], box.left + L._size.l + L.xaxis.l2p(t.x[i]),
                box.top + L._size.t + L.yaxis.l2p(t.y[i]), cd !== null && typeof cd === 'object' ? cd[0] : cd, t.name]);
    }
  });
  return out;
}"""


def plotly_points(page, plot_index: int = 0) -> list[dict]:
    """Every visible point of a 2-D plotly chart: curve, point, x, y, page pixel (px, py), customdata[0], name."""
    plotly_point_pixel(page, 0, 0, plot_index)   # waits for the chart
    rows = page.evaluate(_POINTS_JS, plot_index)
    keys = ("curve", "point", "x", "y", "px", "py", "custom", "name")
    return [dict(zip(keys, row)) for row in rows]


def click_plotly_point(page, x: float, y: float, plot_index: int = 0) -> None:
    """Hover, then press and release at a data point: how a person selects one point."""
    px, py = plotly_point_pixel(page, x, y, plot_index)
    page.mouse.move(px - 3, py - 3)
    page.mouse.move(px, py)
    page.wait_for_timeout(50)  # plotly picks the hovered point on mousemove; give it a frame
    page.mouse.down()
    page.mouse.up()


def choose_plotly_tool(page, dragmode: str, plot_index: int = 0) -> None:
    """Press a chart's toolbar button: dragmode "select" (box), "lasso", "pan" or "zoom".
    In Streamlit a click selects a point only in pan/zoom mode; box and lasso select regions."""
    chart = page.locator(".js-plotly-plot").nth(plot_index)
    chart.hover()   # the toolbar shows on hover
    chart.locator(f'.modebar-btn[data-attr="dragmode"][data-val="{dragmode}"]').click()


def box_select(page, corner0: tuple[float, float], corner1: tuple[float, float], plot_index: int = 0,
               steps: int = 8) -> None:
    """Choose the box tool, then drag a box between two data-coordinate corners."""
    choose_plotly_tool(page, "select", plot_index)
    x0, y0 = plotly_point_pixel(page, *corner0, plot_index)
    x1, y1 = plotly_point_pixel(page, *corner1, plot_index)
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move(x1, y1, steps=steps)
    page.mouse.up()


# Counts the app's script runs as the browser sees them: stApp's script-state turning to "running".
_COUNT_RUNS_JS = """() => {
  window.__lvmRuns = 0;
  if (window.__lvmRunObserver) return;       // one observer per page: a second would count each run twice
  const app = document.querySelector('[data-testid="stApp"]');
  window.__lvmRunObserver = new MutationObserver(() => {
    if (app.getAttribute('data-test-script-state') === 'running') window.__lvmRuns++;
  });
  window.__lvmRunObserver.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""


def count_runs(page) -> None:
    """Start counting Streamlit reruns in this page; read the count with counted_runs(page)."""
    page.evaluate(_COUNT_RUNS_JS)


def counted_runs(page) -> int:
    return page.evaluate("() => window.__lvmRuns")


def isolated_points(points: list[dict], k: int) -> list[dict]:
    """k points (of plotly_points) among the inner 90% of the map that stand farthest from their nearest
    neighbour on screen, most isolated first: the mouse on one of them can only mean it."""
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    xy = np.array([[p["px"], p["py"]] for p in points])
    lo, hi = np.percentile(xy, 5, axis=0), np.percentile(xy, 95, axis=0)
    inner = np.flatnonzero(((xy > lo) & (xy < hi)).all(1))
    dist, _ = NearestNeighbors(n_neighbors=2).fit(xy).kneighbors(xy[inner])
    return [points[i] for i in inner[np.argsort(-dist[:, 1])[:k]]]


# --- Layout on a projector (test_browser_layout.py, test_browser_tour.py) ---

# a label whose text is wider than its box is cut ("3.." for "3-D"); tab labels count as labels too
_CUT_LABELS_JS = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stWidgetLabel"] p, [data-testid="stMain"] [role="tab"] p')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""
_SIDEBAR_WIDTH_JS = "() => document.querySelector('[data-testid=stSidebar]')?.getBoundingClientRect().width ?? 0"
MAP = '[data-testid="stMain"] .js-plotly-plot, [data-testid="stMain"] iframe'   # the Latent space map, either way


def cut_labels(page) -> list[str]:
    """The texts of the visible widget and tab labels that are cut."""
    return page.evaluate(_CUT_LABELS_JS)


def sidebar_width(page) -> float:
    """CSS px the sidebar takes on screen (0 when collapsed or absent)."""
    return page.evaluate(_SIDEBAR_WIDTH_JS)


def map_on_screen(page) -> dict:
    """The Latent space map's bounding box {x, y, width, height}, once it is drawn and the script is idle,
    after asserting that the whole map is inside the viewport, top to bottom."""
    page.wait_for_selector(MAP)
    wait_idle(page, settle_ms=300)
    box = page.locator(MAP).first.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= page.viewport_size["height"] + 1, box
    return box
