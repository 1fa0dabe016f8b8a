"""The Generate pages in a real browser: new samples on the Compare page; click the decoded plane of a
2-d model. Dragging a latent slider: tests/test_browser_live.py."""
from __future__ import annotations

import pytest
from lvm_app.harness import click_plotly_point, open_page, requires_chromium, wait_idle

pytestmark = [pytest.mark.browser, requires_chromium]

IMAGE = '[data-testid="stMain"] [data-testid="stImage"] img'
AXES = "i => { const L = document.querySelectorAll('.js-plotly-plot')[i]._fullLayout; " \
       "return [L.xaxis.range, L.yaxis.range]; }"
NEW_SOURCE = "([sel, old]) => { const i = document.querySelector(sel); " \
             "return i !== null && i.getAttribute('src') !== old; }"
# every grid shows a new image (the three are redrawn one after another, not at once)
ALL_NEW = """([sel, old]) => { const now = [...document.querySelectorAll(sel)].map(i => i.getAttribute('src'));
  return now.length === old.length && now.every((src, k) => src !== old[k]); }"""

SCORED = "() => [...document.querySelectorAll('strong')].filter(e => e.textContent.startsWith('Fréchet')).length === 3"


def go_to(page, app_url: str, title: str, dataset: str = "scikit-learn 8x8 digits (offline)") -> None:
    open_page(page, app_url, "")
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name=dataset, exact=True).click()
    wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait_idle(page, settle_ms=300)


def test_new_samples_redraw_the_grids(app_url, browser_page):
    page = browser_page
    go_to(page, app_url, "AE vs VAE")
    grids = page.locator(IMAGE)
    grids.nth(2).wait_for()   # under load the page's run may start after go_to's settle time
    assert grids.count() == 3
    before = [grids.nth(i).get_attribute("src") for i in range(3)]
    page.get_by_role("button", name="New samples").click()
    page.wait_for_function(ALL_NEW, arg=[IMAGE, before], timeout=60_000)
    wait_idle(page)
    after = [grids.nth(i).get_attribute("src") for i in range(3)]
    assert all(a != b for a, b in zip(after, before))
    # the scores come from the background scorer after the grids: wait for one per grid, with its verdict
    page.wait_for_function(SCORED, timeout=120_000)
    verdicts = page.locator("strong", has_text="→").all_inner_texts()
    assert len(verdicts) == 3 and verdicts[0].startswith("noise → ") and verdicts[2].startswith("fitted prior → ")
    # the scores' polling reruns did not take the grids back to the old seed
    wait_idle(page)
    assert [grids.nth(i).get_attribute("src") for i in range(3)] == after
    assert page.get_by_label("Seed").input_value() == "1"


def test_clicking_the_decoded_plane_decodes_that_spot(app_url, app_models_dir, digits_2d_vae, browser_page):
    digits_2d_vae(app_models_dir)     # listed "(trained here)" (a script's) on the next page: the folder changed
    page = browser_page
    go_to(page, app_url, "Latent sliders")
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").nth(1).click()
    page.get_by_role("option", name="digits-vae-2 · VAE mlp z=2 (trained here)", exact=True).click(timeout=30_000)
    wait_idle(page, settle_ms=300)
    page.get_by_text("Click a spot of the plane.").wait_for()
    plot = 0                                                # a 2-d model's plane is at the top (#15)
    page.locator(".js-plotly-plot").nth(plot).scroll_into_view_if_needed()
    x_range, y_range = page.evaluate(AXES, plot)
    centre = (sum(x_range) / 2, sum(y_range) / 2)
    click_plotly_point(page, *centre, plot_index=plot)
    caption = page.get_by_test_id("stImageCaption").filter(has_text="z = (")   # not plotly's hover label
    caption.wait_for(timeout=30_000)
    x, y = (float(v) for v in caption.inner_text().strip("z = ()").split(","))
    # the clickable lattice has 60 points a side: the decoded spot is the one nearest the click
    assert abs(x - centre[0]) < (x_range[1] - x_range[0]) / 30 and abs(y - centre[1]) < (y_range[1] - y_range[0]) / 30
    assert page.locator(IMAGE).count() == 1                 # the clicked spot (decode(z) is drawn live)
    # the spot stays marked on the plane (#15), beside the sliders' code
    marks = "i => document.querySelectorAll('.js-plotly-plot')[i]._fullData.map(t => t.name)"
    page.wait_for_function(f"i => ({marks})(i).includes('clicked spot')", arg=plot, timeout=30_000)
    assert "sliders' code" in page.evaluate(marks, plot)
