"""Latent sliders in a real browser: each slider's strip (its low to its high end) is drawn and follows the
code on release, and a conditional model's class picker redraws the image as another class (the sliders
component, lvm_app/components/decoder/sliders.js; Playwright's CSS selectors pierce the component's shadow root)."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lvm_app.harness import open_page, requires_chromium, wait_idle
from waiting import wait_until

pytestmark = [pytest.mark.browser, requires_chromium]

DIGITS_SIDE = 8                 # the digits models draw 8x8 images: a strip of 7 is 7 * 8 + 6 px wide
PIXELS = "c => c.toDataURL()"
INK = """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let dark = 0; for (let i = 0; i < d.length; i += 4) dark += d[i] < 128; return dark / (d.length / 4); }"""


def sliders(page, model: str):
    """The Latent sliders page of a shipped digits model, once its component has drawn a frame."""
    open_page(page, page.app_url, f"sliders?dataset=digits&model={model}")
    root = page.locator(".lvm-sliders")
    expect(root).to_have_attribute("data-frames", re.compile(r"^[1-9]"), timeout=60_000)
    wait_idle(page)
    return root


@pytest.fixture
def page(app_url, browser_page):
    browser_page.app_url = app_url
    return browser_page


def test_every_slider_has_a_drawn_strip_and_a_label_naming_its_factor(page):
    root = sliders(page, "digits-vae-mlp-8")
    strips, names = root.locator("canvas.lvm-strip"), root.locator(".row .name")
    assert strips.count() == root.locator('input[type="range"]').count() == 8
    for i in range(strips.count()):
        assert strips.nth(i).evaluate("c => c.width") == 7 * DIGITS_SIDE + 6
        assert 0.05 < strips.nth(i).evaluate(INK) < 1          # drawn: digits on black, white gaps between
    assert all(re.fullmatch(r"z\d+ · .+ r = −?\d\.\d\d", names.nth(i).inner_text()) for i in range(names.count()))
    # the strips follow the code: moving the first slider redraws the others' strips on release
    first, second = root.locator('input[type="range"]').first, strips.nth(1)
    before, extras = second.evaluate(PIXELS), int(root.get_attribute("data-extras"))
    first.evaluate("i => { i.value = i.max; i.dispatchEvent(new Event('input')); "
                   "i.dispatchEvent(new Event('change')); }")                  # a drag to the end, released
    expect(root).not_to_have_attribute("data-extras", str(extras))
    assert second.evaluate(PIXELS) != before
    assert root.locator("select.lvm-class").is_hidden() and root.locator("canvas.lvm-every").is_hidden()


def test_the_class_picker_redraws_the_image_as_another_class(page):
    root = sliders(page, "digits-cvae-mlp-8")
    frame, picker = root.locator("canvas.lvm-frame"), root.locator("select.lvm-class")
    assert picker.is_visible() and picker.locator("option").count() == 10
    every = root.locator("canvas.lvm-every")
    assert every.is_visible() and every.evaluate("c => c.width") == 10 * DIGITS_SIDE + 9   # one code, ten classes
    seen = {picker.input_value(): frame.evaluate(PIXELS)}
    for label in ("3", "8"):
        picker.select_option(label)                  # the change handler redraws at once, in the browser
        seen[label] = frame.evaluate(PIXELS)
    assert len(set(seen.values())) == 3, "each class decodes the same code to a different image"
    strips = root.locator("canvas.lvm-strip")
    assert strips.count() == 8 and strips.first.evaluate(INK) > 0.05
    # the row follows a drag before release (ten 8x8 decodes are far inside a frame's budget)
    row = every.evaluate(PIXELS)
    # to the end farther from where the slider stands (a linked code may start it at one end)
    root.locator('input[type="range"]').first.evaluate(
        "i => { const v = +i.value, lo = +i.min, hi = +i.max; i.value = v - lo > hi - v ? i.min : i.max; "
        "i.dispatchEvent(new Event('input')); }")
    wait_until(lambda: every.evaluate(PIXELS) != row, timeout=30, what="the every-class row redrawn for the drag")
    wait_idle(page)          # the pick reached Python (a state value): the page reran without an error
    assert page.get_by_text("Live decoding is off").count() == 0
    assert page.locator('[data-testid="stException"]').count() == 0
