"""The Hidden factors page in a real browser: moving the factor slider redraws the decoded frame."""
import re

import pytest

from lvm_app.harness import open_page, requires_chromium, wait_idle
from test_browser_generate import IMAGE, NEW_SOURCE

pytestmark = [pytest.mark.browser, requires_chromium]
SLOW_MS = 300_000   # a busy CI machine: the first page of a fresh server can take minutes


def test_moving_the_factor_slider_changes_the_frame(app_url, browser_page):
    page = browser_page
    open_page(page, app_url, "", timeout_ms=SLOW_MS)
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()
    page.get_by_role("option", name="scikit-learn 8x8 digits (offline)", exact=True).click()
    wait_idle(page, SLOW_MS)
    page.get_by_test_id("stSidebarNav").get_by_text("Hidden factors", exact=True).click()
    page.get_by_role("heading", name="Hidden factors").wait_for(timeout=SLOW_MS)
    page.get_by_text("+0.0 steps:", exact=False).first.wait_for(timeout=SLOW_MS)
    wait_idle(page, SLOW_MS)
    before = page.locator(IMAGE).first.get_attribute("src")
    # drag the step slider's knob (the first slider on the page) to the right
    knob = page.locator('[data-testid="stSlider"] input[type="range"]').first.locator("xpath=../..")
    box = knob.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 120, box["y"] + box["height"] / 2, steps=5)
    page.mouse.up()
    page.wait_for_function(NEW_SOURCE, arg=[IMAGE, before], timeout=SLOW_MS)
    wait_idle(page, SLOW_MS)
    assert page.get_by_text(re.compile(r"^\+[12]\.\d steps: ")).count() == 1   # the frame now sits further along
    assert page.get_by_role("heading", name="Hidden factors").is_visible()
