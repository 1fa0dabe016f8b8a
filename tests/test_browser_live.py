"""Live decoding in a real browser: a drag redraws the frame on every input event before release,
with no Streamlit rerun until the release (Latent sliders, Interpolation scrubber)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from lvm_app.harness import count_runs, counted_runs, requires_chromium, wait_idle
from test_browser_generate import go_to

pytestmark = [pytest.mark.browser, requires_chromium]

STAR_X = """() => { const maps = [...document.querySelectorAll('.js-plotly-plot')]
  .filter(g => g._fullLayout && (g._fullLayout.annotations || []).some(a => a.text === '★'));
  return maps.length ? maps[0]._fullLayout.annotations[0].x : null; }"""


def drag_and_watch(page, root_selector: str, slider, dx: float = 120, steps: int = 12) -> tuple[set[str], int]:
    """Press a range input, move in steps reading the frame after each, release.
    Returns the distinct frames (canvas data URLs) seen before release and the runs counted before it."""
    # the component draws its first frame once its decoders have loaded: drag only after that
    expect(page.locator(root_selector)).to_have_attribute("data-frames", re.compile(r"^[1-9]"), timeout=60_000)
    count_runs(page)
    canvas = page.locator(f"{root_selector} canvas").first
    slider.scroll_into_view_if_needed()
    box = slider.bounding_box()
    x, y = box["x"] + box["width"] * 0.3, box["y"] + box["height"] / 2
    seen = {canvas.evaluate("c => c.toDataURL()")}
    page.mouse.move(x, y)
    page.mouse.down()
    for i in range(1, steps + 1):
        page.mouse.move(x + dx * i / steps, y)
        seen.add(canvas.evaluate("c => c.toDataURL()"))
    runs = counted_runs(page)
    page.mouse.up()
    return seen, runs


def test_slider_drag_redraws_before_release_without_reruns(app_url, browser_page):
    page = browser_page
    go_to(page, app_url, "Latent sliders")
    root = page.locator(".lvm-sliders")
    root.wait_for(timeout=60_000)
    page.wait_for_function(STAR_X)
    star_before = page.evaluate(STAR_X)
    frames_before = int(root.get_attribute("data-frames"))
    seen, runs = drag_and_watch(page, ".lvm-sliders", page.locator('.lvm-sliders input[type="range"]').first)
    assert len(seen) >= 4, f"only {len(seen)} distinct frames while dragging"
    assert runs == 0, f"{runs} Streamlit reruns during the drag"
    assert int(root.get_attribute("data-frames")) >= frames_before + 4
    # on release Python gets the code: the star on the map follows
    # (the star moving is the proof that Python got it: a run counter can miss a fragment's quick rerun)
    page.wait_for_function(f"old => ({STAR_X})() !== old", arg=star_before, timeout=30_000)
    wait_idle(page)
    assert page.get_by_text("Live decoding is off").count() == 0


def test_interpolation_scrubber_follows_the_drag(app_url, browser_page):
    page = browser_page
    go_to(page, app_url, "Interpolation")
    root = page.locator(".lvm-scrubber")
    root.wait_for(timeout=60_000)
    assert root.locator("canvas").count() == 2                 # the AE's frame and the VAE's
    seen, runs = drag_and_watch(page, ".lvm-scrubber", root.locator('input[type="range"]'), dx=200)
    assert len(seen) >= 4 and runs == 0
    wait_idle(page)
    assert root.locator(".value").inner_text().startswith("t=")
