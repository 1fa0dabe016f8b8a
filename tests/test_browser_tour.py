"""Real browser: the guided tour walked with the keyboard, and presenter mode on a 1024x768 projector.
Every wait is on a condition: the URL naming the step, the step's words in the bar, the view drawn."""
from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from lvm_app.harness import cut_labels, map_on_screen, open_page, requires_chromium, sidebar_width, wait_idle
from lvm_core.lesson.story import STEPS

pytestmark = [pytest.mark.browser, requires_chromium]
TIMEOUT_MS = 120_000
# What shows that a step's page drew its view (the components draw in shadow roots: Playwright's CSS pierces them)
VIEW = {
    "latent_space": '[data-testid="stMain"] .lvm-map-plot .js-plotly-plot',        # the live latent map
    "sliders": ".lvm-sliders canvas[data-testid=lvm-live-frame]",                   # the live sliders
    "compare": '[data-testid="stMain"] [data-testid="stImage"] img',                # the samples grids
    "interpolate": ".lvm-scrubber canvas[data-testid=lvm-live-frame]",              # the path scrubber
    "nonlinear_pca": '[data-testid="stMain"] .js-plotly-plot',                      # error against size
    "anomalies": '[data-testid="stMain"] [data-testid="stImage"] img',              # the most anomalous
}
BAR = ".st-key-lvm_tour_bar"


def expect_step(page, number: int) -> None:
    """The page shows tour step `number` (0-based): its words in the bar, its page and key in the URL, its view."""
    step = STEPS[number]
    page.wait_for_function("key => new URLSearchParams(location.search).get('tour') === key", arg=step.key,
                           timeout=TIMEOUT_MS)
    bar = page.locator(BAR)
    expect(bar).to_contain_text(f"Step {number + 1} of {len(STEPS)}", timeout=TIMEOUT_MS)
    expect(bar).to_contain_text(step.text, timeout=TIMEOUT_MS)
    expect(bar).to_contain_text(step.question, timeout=TIMEOUT_MS)
    # The default page (Latent space) has the app's root address; /latent_space opens it too.
    assert urlparse(page.url).path.strip("/") == ("" if step.page == "latent_space" else step.page), page.url
    page.locator(VIEW[step.page]).first.wait_for(state="visible", timeout=TIMEOUT_MS)
    if step.page == "compare":
        expect(page.locator(VIEW["compare"])).to_have_count(3, timeout=TIMEOUT_MS)   # AE, VAE, the fixed AE
    wait_idle(page)   # the next key goes to the listener of this run


def test_the_tour_walks_forward_and_back_with_the_arrow_keys(app_url, browser_page):
    page = browser_page
    open_page(page, app_url, "tour")
    page.get_by_role("button", name="Start the tour").click()
    expect_step(page, 0)
    for number in range(1, len(STEPS)):
        page.keyboard.press("ArrowRight")
        expect_step(page, number)
    page.keyboard.press("ArrowRight")              # past the last step: nowhere to go
    wait_idle(page)
    assert parse_qs(urlparse(page.url).query)["tour"] == [STEPS[-1].key]
    for number in reversed(range(len(STEPS) - 1)):
        page.keyboard.press("ArrowLeft")
        expect_step(page, number)
    # a reload (a new session) opens the same step from the URL alone
    page.reload(wait_until="domcontentloaded")
    expect_step(page, 0)


@pytest.mark.parametrize("projector_page", [(1024, 768)], indirect=True, ids=["1024x768"])
def test_presenter_mode_fits_the_map_on_a_1024x768_projector(app_url, projector_page):
    page = projector_page
    open_page(page, app_url, "?present=1")
    box = map_on_screen(page)
    assert box["width"] >= 0.5 * page.viewport_size["width"], box      # of the whole screen: the sidebar is folded away
    assert sidebar_width(page) == 0
    assert cut_labels(page) == []
    expect(page.locator('[data-testid="stMainMenu"]')).to_be_hidden()
    assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "20px"
    # on a map step the tour bar above the map leaves it fully on screen (the bar is compact, the page's
    # title gives way to the bar's)
    open_page(page, app_url, "?present=1&tour=map")
    page.locator(BAR).wait_for(timeout=TIMEOUT_MS)
    assert map_on_screen(page)["width"] >= 0.5 * page.viewport_size["width"]
    assert cut_labels(page) == []
    # the mode survives a page switch through the navigation (the session keeps it, the URL says it)
    page.locator('[data-testid="stExpandSidebarButton"]').click()
    page.get_by_role("link", name="Latent sliders").click()
    page.locator(VIEW["sliders"]).first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function("() => location.pathname.endsWith('/sliders') && location.search.includes('present=1')")
    assert page.evaluate("() => getComputedStyle(document.documentElement).fontSize") == "20px"


def test_presenter_keys_r_redraws_the_samples_and_space_plays_the_path(app_url, browser_page):
    page = browser_page
    open_page(page, app_url, "compare?present=1")
    seed = page.get_by_label("Seed")
    expect(seed).to_have_value("0", timeout=TIMEOUT_MS)
    grids = page.locator(VIEW["compare"])
    expect(grids).to_have_count(3, timeout=TIMEOUT_MS)
    before = grids.first.get_attribute("src")
    page.keyboard.press("r")
    expect(grids.first).not_to_have_attribute("src", before, timeout=TIMEOUT_MS)
    wait_idle(page)   # the Seed input is redrawn under a new key: old and new stand side by side until then
    expect(seed).to_have_value("1", timeout=TIMEOUT_MS)           # the New samples button's own callback ran

    open_page(page, app_url, "interpolate?present=1")
    slider = page.locator(".lvm-scrubber input[type=range]")
    slider.wait_for(timeout=TIMEOUT_MS)
    wait_idle(page)
    assert slider.input_value() == "0"
    page.keyboard.press(" ")
    expect(slider).to_have_value(slider.get_attribute("max"), timeout=TIMEOUT_MS)
    expect(page.locator(".lvm-scrubber .play")).to_have_text("Play", timeout=TIMEOUT_MS)
