"""A fresh server answers its first page while its warm-up (UMAP's compilation, in the map worker process)
is still running: the class does not wait for it."""
import os

import pytest

from lvm_app.cache import WARM_UP_DONE
from lvm_app.harness import AppServer, open_page, requires_chromium

pytestmark = [pytest.mark.browser, requires_chromium]


def test_the_first_pages_answer_while_the_warm_up_runs(tmp_path, chromium_browser):
    # An empty cache folder: numba's compiled UMAP is not on disk, so compiling it takes 30-75 s of a core.
    env = {"LVM_DATA_DIR": os.environ["LVM_DATA_DIR"], "LVM_MODELS_DIR": str(tmp_path / "models"),
           "LVM_CACHE_DIR": str(tmp_path / "cache"), "LVM_WARM_UP": "1", "LVM_LIVE_DECODING": "0"}
    with AppServer(env=env, log_path=tmp_path / "app.log") as app:
        pages = []
        for _ in range(2):   # the first session starts the warm-up; a second one is answered beside it
            context = chromium_browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            open_page(page, app.url)
            page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
            pages.append(context)
        log = app.log_text()
        assert "background warm-up failed" not in log
        assert WARM_UP_DONE not in log, "both pages answered before UMAP's compilation ended"
        for context in pages:
            context.close()
