"""Real browser (Debian chromium via Playwright) against a running app: the Latent Space page."""
import pytest

from browser_support import open_page, requires_chromium

pytestmark = [pytest.mark.browser, requires_chromium]


def test_app_opens_on_the_latent_space_page(app_url, browser_page):
    open_page(browser_page, app_url)
    assert browser_page.get_by_role("heading", name="Latent space").is_visible()
