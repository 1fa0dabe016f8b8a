"""The live latent map in a real browser: hovering shows a point's images with no rerun, a click leaves a
ring on the map, hovering the empty plane of a 2-d model decodes that spot like the server does, and the
map fits a projector's screen."""
from __future__ import annotations

import json

import numpy as np
import pytest
from lvm_app.harness import isolated_points, open_page, plotly_points, requires_chromium, wait_idle
from test_browser_generate import go_to

pytestmark = [pytest.mark.browser, requires_chromium]
TIMEOUT_MS = 90_000
READY = ".lvm-map-plot[data-ready='1']"
PREVIEW = "() => { const p = document.querySelector('.lvm-map-preview'); return {...p.dataset, " \
          "caption: p.querySelector('.lvm-map-caption').textContent}; }"
# Counts the script runs that start from now on (the app element's script state turning "running").
COUNT_RUNS = """() => { window.__runs = 0; const app = document.querySelector('[data-testid=stApp]');
  new MutationObserver(() => { if (app.dataset.testScriptState === 'running') window.__runs++; })
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"""
# Counts the messages the page sends its server: a rerun (or any widget value) is one. WebSocket.send is
# called synchronously by whatever handler asks for a rerun, so once the preview shows a hovered point any
# message that hover caused has been counted: the check needs no waiting.
COUNT_SENDS = """() => { window.__sends = 0; const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (...args) { window.__sends++; return send.apply(this, args); }; }"""
RECON_PIXELS = """() => { const c = document.querySelector('.lvm-recon');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  return [c.height, c.width, Array.from({length: c.width * c.height}, (_, i) => d[4 * i])]; }"""


def open_map(page, app_url) -> list[dict]:
    open_page(page, app_url)
    page.wait_for_selector(READY, timeout=TIMEOUT_MS)
    return plotly_points(page)


def hover(page, px: float, py: float) -> None:
    page.mouse.move(px - 15, py - 15)
    page.mouse.move(px, py, steps=3)


def test_hovering_points_shows_each_ones_images_with_no_rerun(app_url, browser_page):
    page = browser_page
    page.add_init_script(COUNT_SENDS.join(("(", ")()")))
    points = open_map(page, app_url)
    wait_idle(page)
    page.evaluate(COUNT_RUNS)
    sends = page.evaluate("() => window.__sends")
    assert sends > 0       # the counter sees the page's messages (its first run asked for one)
    for target in isolated_points(points, 3):
        hover(page, target["px"], target["py"])
        page.wait_for_function("i => document.querySelector('.lvm-map-preview').dataset.index === String(i)",
                               arg=int(target["custom"]), timeout=10_000)
        shown = page.evaluate(PREVIEW)
        assert shown["kind"] == "point"
        assert shown["caption"] == f"Point {int(target['custom'])} · class {target['name']}"
    sizes = page.evaluate("() => ['.lvm-original', '.lvm-recon'].map(s => document.querySelector(s).width)")
    assert min(sizes) > 0
    assert page.evaluate("() => window.__sends") == sends     # no message: no rerun was asked for
    assert page.evaluate("() => window.__runs") == 0


def test_a_clicked_point_stays_ringed_after_the_mouse_leaves(app_url, browser_page):
    page = browser_page
    target = isolated_points(open_map(page, app_url), 1)[0]
    index = int(target["custom"])
    hover(page, target["px"], target["py"])
    page.mouse.down()
    page.mouse.up()
    page.locator("[data-testid=stMarkdown]", has_text=f"Point {index} ·").wait_for(timeout=TIMEOUT_MS)
    page.mouse.move(5, 5)   # off the map
    wait_idle(page)
    rings = page.evaluate("() => document.querySelector('.js-plotly-plot').layout.shapes"
                          ".map(s => [s.type, s.xanchor, s.yanchor])")
    assert rings and all(r == ["circle", pytest.approx(target["x"]), pytest.approx(target["y"])] for r in rings)
    assert page.evaluate(PREVIEW)["caption"].startswith(f"Selected point {index} ·")
    # the details below the map make the page scroll; hovering still means the point under the mouse
    page.evaluate("() => document.querySelector('[data-testid=stMain]').scrollBy(0, 120)")
    page.wait_for_function("() => document.querySelector('[data-testid=stMain]').scrollTop > 0")
    other = isolated_points(plotly_points(page), 2)[1]
    hover(page, other["px"], other["py"])
    page.wait_for_function("i => document.querySelector('.lvm-map-preview').dataset.index === String(i)",
                           arg=int(other["custom"]), timeout=10_000)


def empty_spot(page, points: list[dict]) -> tuple[float, float]:
    """The pixel of the plotting area farthest from every point (a spot no image has)."""
    box = page.evaluate("() => { const g = document.querySelector('.js-plotly-plot'), L = g._fullLayout, "
                        "r = g.getBoundingClientRect(); return [r.left + L._size.l, r.top + L._size.t, L._size.w, "
                        "L._size.h]; }")
    xs = np.linspace(box[0] + 20, box[0] + box[2] - 20, 40)
    ys = np.linspace(box[1] + 20, box[1] + box[3] - 20, 30)
    grid = np.array([(x, y) for x in xs for y in ys])
    xy = np.array([[p["px"], p["py"]] for p in points])
    far = ((grid[:, None] - xy[None]) ** 2).sum(-1).min(1)
    return tuple(grid[far.argmax()])


def test_hovering_the_empty_plane_of_a_2d_model_decodes_that_spot(app_url, app_models_dir, digits_2d_vae,
                                                                   browser_page):
    import torch

    from lvm_core import load_checkpoint
    from lvm_core.generation.inference import decode

    model = load_checkpoint(digits_2d_vae(app_models_dir)).model
    page = browser_page
    go_to(page, app_url, "Latent space")
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").nth(1).click()
    page.get_by_role("option", name="digits-vae-2 · VAE mlp z=2 (trained here)", exact=True).click(timeout=30_000)
    page.get_by_text("raw axes (2-d latent)", exact=True).click(timeout=TIMEOUT_MS)
    page.wait_for_selector(".lvm-map-plot[data-ready='1'][data-method='raw']", timeout=TIMEOUT_MS)
    wait_idle(page)
    assert page.get_by_text("Points on the map").count() == 0   # 360 test images: no one-value slider
    hover(page, *empty_spot(page, plotly_points(page)))
    page.wait_for_function("() => document.querySelector('.lvm-map-preview').dataset.kind === 'decoded'",
                           timeout=10_000)
    z = np.array(json.loads(page.evaluate(PREVIEW)["z"]), np.float32)
    height, width, pixels = page.evaluate(RECON_PIXELS)
    server = decode(model, torch.as_tensor(z[None]).numpy())[0]
    assert (height, width) == server.shape
    browser = np.array(pixels, np.float32).reshape(height, width) / 255
    assert np.abs(browser - server).max() <= 0.5 / 255 + 1e-4   # 8-bit rounding of the same decode


TRUNCATED = """() => Array.from(document.querySelectorAll('[data-testid=stMain] *')).filter(e => {
  const s = getComputedStyle(e);
  return s.textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1 && e.innerText.trim();
}).map(e => e.innerText.trim())"""


@pytest.mark.parametrize("width, height", [(1280, 720), (1024, 768)])
def test_the_map_fits_a_projector_screen_with_no_cut_label(app_url, chromium_browser, width, height):
    context = chromium_browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    try:
        open_map(page, app_url)
        wait_idle(page)
        plot = page.locator(".js-plotly-plot").first.bounding_box()
        main = page.get_by_test_id("stMain").bounding_box()
        assert plot["y"] >= 0 and plot["y"] + plot["height"] <= height, plot
        assert plot["x"] >= 0 and plot["x"] + plot["width"] <= width, plot
        assert plot["width"] >= main["width"] / 2, (plot, main)
        assert page.evaluate(TRUNCATED) == []
        captions = page.locator(".lvm-map-preview figcaption")
        assert [captions.nth(i).inner_text() for i in range(2)] == ["original", "reconstruction"]
        assert all(captions.nth(i).bounding_box()["height"] < 30 for i in range(2))   # one line, not broken
    finally:
        context.close()
