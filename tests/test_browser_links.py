"""Real browser: a teacher picks a point, copies the address bar, a student opens it and sees the same."""
import re

import pytest
from playwright.sync_api import expect

from lvm_app.harness import open_page, requires_chromium, wait_idle

pytestmark = [pytest.mark.browser, requires_chromium]
TIMEOUT_MS = 90_000
ORIGINAL_BYTES = """async () => {
  const img = [...document.querySelectorAll('[data-testid=stImage]')]
      .find(e => e.innerText.includes('original x')).querySelector('img');
  const bytes = new Uint8Array(await (await fetch(img.src)).arrayBuffer());
  return Array.from(bytes).join(',');
}"""


def shown_point(page, index: int):
    heading = page.locator("[data-testid=stMarkdown]", has_text=re.compile(rf"^Point {index} · class "))
    heading.wait_for(timeout=TIMEOUT_MS)
    page.get_by_text("original x").first.wait_for(timeout=TIMEOUT_MS)
    return heading.inner_text()


def test_a_link_opens_the_same_point_and_image(app_url, browser_page, chromium_browser):
    teacher = browser_page
    open_page(teacher, app_url, "?dataset=digits&method=pca")
    box = teacher.get_by_label("Point (index in the split)")
    box.fill("17")
    box.press("Enter")
    heading = shown_point(teacher, 17)
    teacher.wait_for_function("() => location.search.includes('point=17')", timeout=TIMEOUT_MS)
    wait_idle(teacher)
    link = teacher.url
    assert "dataset=digits" in link and "model=" in link and "method=pca" in link
    image = teacher.evaluate(ORIGINAL_BYTES)

    context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        student = context.new_page()
        student.goto(link, wait_until="domcontentloaded")
        assert shown_point(student, 17) == heading
        assert student.evaluate(ORIGINAL_BYTES) == image
        # The box is filled on the page's rerun that draws the point; wait for it, don't race it.
        expect(student.get_by_label("Point (index in the split)")).to_have_value("17", timeout=TIMEOUT_MS)
    finally:
        context.close()
