"""Keep every page under the router (streamlit_app.py), whatever URL a session opens first."""
import runpy

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

# The router's one Streamlit internal, kept here and guarded by tests/test_routing.py. Streamlit's supported
# way out is a pages folder with another name (its docs call pages/ "legacy" and their guide says app_pages/):
# renaming pages/ would let require_router go. Until then, this flag (1.36 to at least 1.67) is the way.
try:
    from streamlit.runtime.pages_manager import PagesManager
except ImportError:   # pragma: no cover - a Streamlit without the flag has no such mode to leave
    PagesManager = None


def require_router() -> None:
    """Call first in every page. When the page is running alone, runs the router instead (which
    runs this page again, with the shared sidebar) and stops the lone run.

    A folder named pages/ beside the main script puts Streamlit in its old pages-folder mode until
    some run calls st.navigation: a deep link such as /train on a freshly started server (and every
    AppTest run) would run pages/train.py by itself, without the sidebar. The router resolves the
    same URL to the same page, within this run, so no widget value or click is lost.
    """
    if PagesManager is None or not getattr(PagesManager, "uses_pages_directory", False):
        return
    PagesManager.uses_pages_directory = False   # from now on Streamlit runs the router first
    runpy.run_path(get_script_run_ctx().main_script_path, run_name="__main__")
    st.stop()
