"""Live decoding in headless Chromium: decoded frames per second while dragging a latent slider, and the
Streamlit reruns the drag causes, for an MLP and a conv model; today's server path (LVM_LIVE_DECODING=0:
Streamlit sliders, one server decode per release) measured in the same run. Also: bytes sent per model and
per 10k codes, and (with --ort-dir) the browser runtime choice: our typed-array kernels against
onnxruntime-web on the same exported decoder (load time, per-frame decode time).

Targets (issue #10): >= 30 frames/s while dragging, 0 reruns during a drag.

    LVM_DATA_DIR=../shared/data python benchmarks/live_decoding.py [--models mnist-vae-mlp-32 mnist-vae-conv-32]
        [--ort-dir /path/to/node_modules/onnxruntime-web/dist]
"""
from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import statistics
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from lvm_app.harness import AppServer, count_runs, counted_runs, launch_chromium, open_page, wait_idle  # noqa: E402
from lvm_core.storage.catalog import SHIPPED_DIR, list_models  # noqa: E402
from lvm_core.storage.checkpoints import load_checkpoint  # noqa: E402
from lvm_core.data.datasets import DATASETS  # noqa: E402
from lvm_core.generation.export import decoder_payload, encode_array, export_onnx, payload_bytes  # noqa: E402
from slider_latency import choose, slider_thumb  # noqa: E402

DRAGS, MOVES = 6, 40                  # drags per model and path; pointer moves per drag
DECODER_JS = ROOT / "lvm_app" / "components" / "decoder" / "decoder.js"


def open_sliders(page, url: str, entry) -> None:
    page.set_default_timeout(180_000)                        # a first run loads and encodes a dataset
    open_page(page, url, timeout_ms=180_000)
    choose(page, 0, DATASETS[entry.dataset].title)
    choose(page, 1, entry.label)
    page.get_by_test_id("stSidebarNav").get_by_text("Latent sliders", exact=True).click()
    wait_idle(page, timeout_ms=180_000)


def drag(page, handle, i: int) -> None:
    """Press the handle and move MOVES times, back and forth by turns; the caller releases."""
    handle.scroll_into_view_if_needed()
    box = handle.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + (80 if i % 2 == 0 else -80), y, steps=MOVES)


# A drag at the display's pace: every animation frame moves the slider and fires its input event, as a
# pointer does (pointer events are coalesced to animation frames); 2 s of it, frames counted by the page.
PACED_DRAG = """(input) => new Promise((done) => {
  const root = input.closest('.lvm-sliders'), lo = Number(input.min), hi = Number(input.max);
  const frames0 = Number(root.dataset.frames), t0 = performance.now();
  let k = 0;
  const step = () => {
    const t = performance.now() - t0;
    if (t > 2000) { done((Number(root.dataset.frames) - frames0) / (t / 1000)); return; }
    input.value = String(lo + (hi - lo) * (0.5 + 0.4 * Math.sin(k++ / 10)));
    input.dispatchEvent(new Event('input', {bubbles: true}));
    requestAnimationFrame(step);
  };
  requestAnimationFrame(step);
})"""


IDLE_FRAME_RATE = """() => new Promise((done) => {
  const t0 = performance.now();
  let ticks = 0;
  const tick = () => { ticks++; const t = performance.now() - t0; if (t > 2000) done(ticks / (t / 1000)); """ \
                  """else requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
})"""


def live_drags(page) -> dict:
    """Pointer drags: frames drawn before release, per second of the drag (bounded by how fast Playwright sends
    pointer moves), and reruns; then paced drags: frames per second at the display's pace."""
    root = page.locator(".lvm-sliders")
    root.wait_for()
    handle = page.locator('.lvm-sliders input[type="range"]').first
    fps, frames, runs, draw_ms = [], [], 0, []
    for i in range(DRAGS):
        wait_idle(page, settle_ms=100)
        count_runs(page)
        before = int(root.get_attribute("data-frames")), float(root.get_attribute("data-draw-ms") or 0)
        start = page.evaluate("performance.now()")
        drag(page, handle, i)
        after = int(root.get_attribute("data-frames")), float(root.get_attribute("data-draw-ms"))
        end = float(root.get_attribute("data-last-frame-ms"))
        runs += counted_runs(page)                           # counted before the release
        page.mouse.up()
        n = after[0] - before[0]
        frames.append(n)
        fps.append(n / ((end - start) / 1000) if n else 0.0)
        draw_ms.append((after[1] - before[1]) / max(n, 1))
    wait_idle(page, settle_ms=300)                           # the last release's rerun is not the paced drags'
    count_runs(page)
    paced, idle = [], []
    for i in range(3):      # alternate with the page's own animation-frame rate doing nothing: the machine's ceiling
        idle.append(page.evaluate(IDLE_FRAME_RATE))
        paced.append(page.locator('.lvm-sliders input[type="range"]').nth(i % 2).evaluate(PACED_DRAG))
    return {"fps": statistics.median(fps), "frames": statistics.median(frames), "runs": runs + counted_runs(page),
            "draw_ms": statistics.median(draw_ms), "paced_fps": statistics.median(paced),
            "idle_fps": statistics.median(idle)}


WATCH_IMAGE = """(old) => {
  const stamp = window.__frames = {srcs: new Set(), up: null, done: null};
  document.addEventListener('pointerup', () => { stamp.up = performance.now(); }, {capture: true, once: true});
  new MutationObserver(() => {
    const img = document.querySelector('[data-testid="stImage"] img');
    if (!img || img.src === old) return;
    if (stamp.up === null) stamp.srcs.add(img.src); else if (stamp.done === null) stamp.done = performance.now();
  }).observe(document.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['src']});
}"""


def server_drags(page) -> dict:
    """Today's path: distinct images shown during each drag (before release), and release -> new image."""
    image = page.locator('[data-testid="stImage"] img').first
    image.wait_for()
    frames, runs, latency = [], 0, []
    for i in range(DRAGS):
        wait_idle(page, settle_ms=100)
        count_runs(page)
        page.evaluate(WATCH_IMAGE, image.get_attribute("src"))
        drag(page, slider_thumb(page, 0), i)
        frames.append(page.evaluate("window.__frames.srcs.size"))
        runs += counted_runs(page)
        page.mouse.up()
        page.wait_for_function("window.__frames.done !== null", timeout=60_000)
        latency.append(page.evaluate("window.__frames.done - window.__frames.up"))
    return {"frames": statistics.median(frames), "runs": runs, "latency_ms": statistics.median(latency)}


def payload_table(entries) -> None:
    print("\nPayload (JSON over the websocket, once per model per session; codes as base64 float32):")
    print(f"{'model':24s} {'decoder weights':>16s} {'10k codes':>10s}")
    seen = set()
    for e in sorted(entries, key=lambda e: len(e.name)):     # the plain model of each shape, not its -no7 twin
        key = (e.arch, e.latent_dim, e.dataset)
        if key in seen:
            continue
        seen.add(key)
        ckpt = load_checkpoint(e.path)
        codes = len(json.dumps(encode_array([[0.0] * e.latent_dim] * 10_000)))
        print(f"{e.name:24s} {payload_bytes(decoder_payload(ckpt)) / 1e3:13.0f} kB {codes / 1e3:7.0f} kB")


RUNTIMES_JS = """async ([useOrt, latentDim]) => {
  const t0 = performance.now();
  let run;
  if (useOrt) {
    await new Promise((ok, fail) => { const s = document.createElement('script'); s.src = 'ort.wasm.min.js';
      s.onload = ok; s.onerror = fail; document.head.appendChild(s); });
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create('decoder.onnx', {executionProviders: ['wasm']});
    run = async (z) => (await session.run({z: new ort.Tensor('float32', z, [1, latentDim])})).image.data;
  } else {
    await new Promise((ok, fail) => { const s = document.createElement('script'); s.src = 'decoder.js';
      s.onload = ok; s.onerror = fail; document.head.appendChild(s); });
    const decoder = LvmDecoder.loadDecoder(await (await fetch('payload.json')).json());
    run = async (z) => decoder.decode(z);
  }
  await run(new Float32Array(latentDim));
  const load = performance.now() - t0, times = [];
  for (let i = 0; i < 200; i++) {
    const z = Float32Array.from({length: latentDim}, () => Math.random() * 4 - 2), s = performance.now();
    await run(z);
    times.push(performance.now() - s);
  }
  times.sort((a, b) => a - b);
  return [load, times[100]];
}"""


def runtime_choice(browser, ort_dir: Path, entries) -> None:
    """Our kernels vs onnxruntime-web (wasm, one thread), each page loaded fresh from a local server."""
    print(f"\nBrowser runtime (fresh page; load = script + weights + first decode; median of 200 decodes); "
          f"onnxruntime-web wasm {(ort_dir / 'ort-wasm-simd-threaded.wasm').stat().st_size / 1e6:.1f} MB:")
    for e in entries:
        ckpt = load_checkpoint(e.path)
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            for name in ("ort.wasm.min.js", "ort-wasm-simd-threaded.wasm", "ort-wasm-simd-threaded.mjs"):
                os.symlink(ort_dir / name, folder / name)
            os.symlink(DECODER_JS, folder / "decoder.js")
            (folder / "payload.json").write_text(json.dumps(decoder_payload(ckpt)))
            export_onnx(ckpt, folder / "decoder.onnx")
            (folder / "index.html").write_text("<html><body></body></html>")
            handler = functools.partial(QuietHandler, directory=str(folder))
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            for label, use_ort in (("typed-array kernels", False), ("onnxruntime-web", True)):
                context = browser.new_context()
                page = context.new_page()
                page.goto(f"http://127.0.0.1:{server.server_address[1]}/index.html")
                load, per_frame = page.evaluate(RUNTIMES_JS, [use_ort, e.latent_dim])
                print(f"  {e.name:22s} {label:20s} load {load:7.1f} ms   decode {per_frame:6.3f} ms/frame")
                context.close()
            server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".mjs": "text/javascript"}

    def log_message(self, *args):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["mnist-vae-mlp-32", "mnist-vae-conv-32"])
    parser.add_argument("--ort-dir", type=Path, help="onnxruntime-web's dist folder (npm install onnxruntime-web)")
    args = parser.parse_args()
    shipped = list_models([SHIPPED_DIR])
    entries = [next(e for e in shipped if e.name == name) for name in args.models]
    print(f"load average at start: {os.getloadavg()}")
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as p:
        browser = launch_chromium(p)
        if args.ort_dir:
            runtime_choice(browser, args.ort_dir, entries)
        env = {"LVM_WARM_UP": "0"}
        with AppServer(env=env) as live, AppServer(env={**env, "LVM_LIVE_DECODING": "0"}) as server:
            for e in entries:
                pages = {}
                for path, app in (("live", live), ("server", server)):
                    pages[path] = browser.new_page(viewport={"width": 1400, "height": 1000})
                    open_sliders(pages[path], app.url, e)
                results[e.name] = {"live": live_drags(pages["live"]), "server": server_drags(pages["server"])}
                for page in pages.values():
                    page.close()
        browser.close()
    print(f"\nSlider drags ({DRAGS} per model and path, {MOVES} pointer moves each; load average now "
          f"{os.getloadavg()}):")
    ok = True
    for name, r in results.items():
        live, server = r["live"], r["server"]
        print(f"  {name:20s} live:   {live['paced_fps']:6.1f} frames/s in a display-paced drag (the same page's "
              f"animation frames with no work: {live['idle_fps']:.1f}/s); pointer drags: "
              f"{live['frames']:.0f} frames per {MOVES}-move drag before release ({live['fps']:.1f}/s), decode+draw "
              f"{live['draw_ms']:.2f} ms/frame; reruns during drags: {live['runs']}")
        print(f"  {name:20s} server: {server['frames']:6.0f} frames while dragging, one image "
              f"{server['latency_ms']:.0f} ms after release, reruns during drags: {server['runs']}")
        ok &= live["paced_fps"] >= 30 and live["runs"] == 0
    payload_table([e for e in shipped if e.kind in ("ae", "vae")])
    print(f"\ntargets (>= 30 frames/s, 0 reruns during a drag): {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
