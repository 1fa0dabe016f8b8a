"""The router's one use of Streamlit internals, checked so that a Streamlit upgrade that changes it fails here,
loudly, rather than silently putting pages back in the old pages-folder mode (no shared sidebar)."""
from pathlib import Path

from streamlit.testing.v1 import AppTest

from lvm_app import routing

ROOT = Path(__file__).resolve().parent.parent


def test_streamlit_still_has_the_pages_directory_flag():
    from streamlit.runtime.pages_manager import PagesManager

    assert routing.PagesManager is PagesManager, \
        "streamlit.runtime.pages_manager.PagesManager moved: see lvm_app/routing.py"
    assert isinstance(getattr(PagesManager, "uses_pages_directory", None), (bool, type(None))), \
        "PagesManager.uses_pages_directory changed: lvm_app/routing.py must find another way to leave pages-folder mode"


def test_a_deep_link_on_a_fresh_server_runs_the_page_under_the_router(monkeypatch):
    """A fresh server with a pages/ folder is in pages-folder mode: a URL such as /latent_space runs that page
    by itself. require_router must leave the mode and run the router, so the shared sidebar is there."""
    monkeypatch.setattr(routing.PagesManager, "uses_pages_directory", True)
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.session_state["dataset"] = "digits"
    at.switch_page("pages/latent_space.py")
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert routing.PagesManager.uses_pages_directory is False
    assert at.title[0].value == "Latent space" and len(at.title) == 1        # the page ran once
    assert at.session_state["selection"] is not None                        # under the router's sidebar
