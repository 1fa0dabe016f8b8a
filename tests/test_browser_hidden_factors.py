"""The Hidden factors page in a real browser: moving the factor slider redraws the decoded frame."""
import pytest

from browser_support import requires_chromium, wait_idle
from test_browser_generate import IMAGE, NEW_SOURCE, go_to

pytestmark = [pytest.mark.browser, requires_chromium]


def test_moving_the_factor_slider_changes_the_frame(app_url, browser_page):
    page = browser_page
    go_to(page, app_url, "Hidden factors")
    page.get_by_role("heading", name="Hidden factors").wait_for(timeout=90_000)
    frame = page.locator(IMAGE).first
    frame.wait_for(timeout=90_000)
    wait_idle(page)
    before = frame.get_attribute("src")
    page.get_by_text("+0.0 steps:", exact=False).first.wait_for()
    knob = page.locator('[data-testid="stSlider"] [role="slider"]').first
    knob.focus()
    knob.press("ArrowRight")
    knob.press("ArrowRight")
    page.wait_for_function(NEW_SOURCE, arg=[IMAGE, before], timeout=60_000)
    wait_idle(page)
    page.get_by_text("+1.0 steps:", exact=False).first.wait_for()
    assert page.get_by_role("heading", name="Hidden factors").is_visible()
