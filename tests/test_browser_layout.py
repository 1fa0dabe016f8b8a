"""Projector sizes (#15): at 1280x720 and 1024x768 the main pages cut no widget label, and the Latent
space map sits inside the viewport. Waits are on conditions (the script idle, the elements present)."""
from __future__ import annotations

import pytest
from lvm_app.harness import cut_labels, map_on_screen, open_page, requires_chromium, sidebar_width, wait_idle

pytestmark = [pytest.mark.browser, requires_chromium]

PROJECTORS = [(1280, 720), (1024, 768)]      # the projector_page fixture (conftest.py) opens a page this size
PAGES = ["", "compare", "anomalies", "nonlinear_pca", "denoising", "features"]   # "": Latent space


@pytest.mark.parametrize("projector_page", PROJECTORS, indirect=True, ids=["1280x720", "1024x768"])
@pytest.mark.parametrize("path", PAGES, ids=[p or "latent_space" for p in PAGES])
def test_no_widget_label_is_cut(app_url, projector_page, path):
    page = projector_page
    open_page(page, app_url, path)
    page.wait_for_selector('[data-testid="stMain"] [data-testid="stWidgetLabel"]')
    wait_idle(page, settle_ms=300)
    assert cut_labels(page) == []


@pytest.mark.parametrize("projector_page", PROJECTORS, indirect=True, ids=["1280x720", "1024x768"])
def test_the_latent_space_map_is_inside_the_viewport(app_url, projector_page):
    page = projector_page
    open_page(page, app_url, "")
    box = map_on_screen(page)
    assert box["width"] >= 0.5 * (page.viewport_size["width"] - sidebar_width(page)), box


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
