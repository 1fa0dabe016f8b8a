"""The Train page in a real browser: a run's progress bar advances by itself, another session sees
the run (but cannot stop it) and queues behind it, and Stop keeps the model."""
from __future__ import annotations

import pytest
from lvm_app.harness import open_page, requires_chromium, wait_idle

pytestmark = [pytest.mark.browser, requires_chromium]

BAR = '[data-testid="stMain"] [role="progressbar"]'
BAR_ABOVE = """([selector, v]) => {
  const bar = document.querySelector(selector);
  return bar !== null && Number(bar.getAttribute('aria-valuenow')) > v;
}"""


def bar_value(page) -> float:
    """The progress bar's value (0-100), or -1 while there is none."""
    bar = page.locator(BAR)
    return float(bar.first.get_attribute("aria-valuenow") or 0) if bar.count() else -1.0


def open_train_page(page, app_url):
    open_page(page, app_url, "train")
    return page.get_by_test_id("stMain")


def test_a_run_advances_on_its_own_outlives_its_tab_queues_others_and_stops(app_url, app_models_dir,
                                                                             browser_page, chromium_browser):
    page = browser_page
    main = open_train_page(page, app_url)
    main.get_by_test_id("stSelectbox").filter(has_text="Dataset").click()
    page.get_by_role("option", name="scikit-learn 8x8 digits (offline)").click()
    wait_idle(page)
    # A run long enough to watch, queue behind and stop, however fast the machine: the default digits
    # model takes 0.07 s an epoch here (1000 epochs could end mid-test), 512-512 hidden layers ~0.3 s.
    hidden = main.get_by_role("textbox", name="Hidden sizes")
    hidden.fill("512, 512")
    hidden.press("Enter")
    epochs = main.get_by_label("Epochs")
    epochs.fill("1000")  # 1% of the bar is 10 epochs
    epochs.press("Enter")
    main.get_by_label("Name").fill("browser run")
    main.get_by_label("Name").press("Enter")
    wait_idle(page)
    main.get_by_role("button", name="Train").click()

    # No clicks from here on: the page polls the run by itself. The run's worker process starts at low
    # CPU priority (on a busy machine its first steps can take minutes).
    page.wait_for_function(BAR_ABOVE, arg=[BAR, 0], timeout=300_000)
    first = bar_value(page)
    page.wait_for_function(BAR_ABOVE, arg=[BAR, first], timeout=300_000)
    assert 0 < first < bar_value(page) < 100
    assert "left" in main.get_by_test_id("stProgress").inner_text()  # the ETA

    # Another browser session (or this tab, closed and opened again) finds the run going, and its
    # own run waits in the queue instead of loading the CPU.
    other = chromium_browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    try:
        other.set_default_timeout(60_000)
        other_main = open_train_page(other, app_url)
        other_main.get_by_text("browser-run · VAE mlp z=8 on digits · running").wait_for()
        other.wait_for_function(BAR_ABOVE, arg=[BAR, 0])  # polled: the bar is redrawn every second
        other_main.get_by_text("only its own session can stop it").wait_for()  # watch, not stop
        assert other_main.get_by_role("button", name="Stop").count() == 0
        other_main.get_by_text("New run").click()
        other_main.get_by_role("button", name="Train").click()
        other.get_by_text("Queued: 1st in line").wait_for()     # where its run stands in the queue
        other_main.get_by_role("button", name="Stop").click()
        other.get_by_text("cancelled before it started").wait_for()
    finally:
        other.context.close()

    main.get_by_role("button", name="Stop").click()
    page.get_by_text("stopped early").wait_for(timeout=60_000)
    assert page.locator(BAR).count() == 0
    assert (app_models_dir / "browser-run.safetensors").exists()
    assert main.get_by_role("button", name="Explore this model").is_visible()
