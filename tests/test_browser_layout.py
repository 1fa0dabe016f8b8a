"""Projector sizes (#15): at 1280x720 and 1024x768 the main pages cut no widget label, and the Latent
space map sits inside the viewport. Waits are on conditions (the script idle, the elements present)."""
from __future__ import annotations

import pytest
from lvm_app.harness import open_page, requires_chromium, wait_idle

pytestmark = [pytest.mark.browser, requires_chromium]

PROJECTORS = [(1280, 720), (1024, 768)]
PAGES = ["", "compare", "anomalies", "nonlinear_pca", "denoising", "features"]   # "": Latent space
# a label whose text is wider than its box is cut ("3.." for "3-D"); tab labels count as labels too
CUT_LABELS = """() => [...document.querySelectorAll(
    '[data-testid="stMain"] [data-testid="stWidgetLabel"] p, [data-testid="stMain"] [role="tab"] p')]
  .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1).map(e => e.textContent)"""
SIDEBAR_WIDTH = "() => document.querySelector('[data-testid=stSidebar]')?.getBoundingClientRect().width ?? 0"
MAP = '[data-testid="stMain"] .js-plotly-plot, [data-testid="stMain"] iframe'


@pytest.fixture
def projector_page(chromium_browser, request):
    width, height = request.param
    context = chromium_browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(120_000)
    yield page
    context.close()


@pytest.mark.parametrize("projector_page", PROJECTORS, indirect=True, ids=["1280x720", "1024x768"])
@pytest.mark.parametrize("path", PAGES, ids=[p or "latent_space" for p in PAGES])
def test_no_widget_label_is_cut(app_url, projector_page, path):
    page = projector_page
    open_page(page, app_url, path)
    page.wait_for_selector('[data-testid="stMain"] [data-testid="stWidgetLabel"]')
    wait_idle(page, settle_ms=300)
    assert page.evaluate(CUT_LABELS) == []


@pytest.mark.parametrize("projector_page", PROJECTORS, indirect=True, ids=["1280x720", "1024x768"])
def test_the_latent_space_map_is_inside_the_viewport(app_url, projector_page):
    page = projector_page
    open_page(page, app_url, "")
    page.wait_for_selector(MAP)
    wait_idle(page, settle_ms=300)
    box = page.locator(MAP).first.bounding_box()
    viewport = page.viewport_size
    assert box["y"] >= 0 and box["y"] + box["height"] <= viewport["height"] + 1, box
    sidebar = page.evaluate(SIDEBAR_WIDTH)
    assert box["width"] >= 0.5 * (viewport["width"] - sidebar), box


# Image strips a class must read from the back of the room: each digit at least this many CSS pixels.
STRIP_DIGIT_PX = 64
STRIP_WIDTH = """caption => { const box = """ \
              """[...document.querySelectorAll('[data-testid="stMain"] [data-testid="stImage"]')]
  .find(e => e.innerText.includes(caption)); """ \
              """return box ? box.querySelector('img').getBoundingClientRect().width : 0 }"""


@pytest.mark.parametrize("projector_page", PROJECTORS, indirect=True, ids=["1280x720", "1024x768"])
def test_the_anomaly_strip_shows_each_digit_large_and_labels_its_rows(app_url, projector_page):
    page = projector_page
    open_page(page, app_url, "anomalies")
    caption = "rows: original · reconstruction · |difference|"
    page.wait_for_function(f"() => ({STRIP_WIDTH})({caption!r}) > 0")
    wait_idle(page, settle_ms=300)
    columns = 8    # the page's default count of most anomalous images
    assert page.evaluate(STRIP_WIDTH, caption) / columns >= STRIP_DIGIT_PX
