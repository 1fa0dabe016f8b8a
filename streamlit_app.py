"""LVM Explorer: a router over pages/ with one sidebar shared by every page."""
from pathlib import Path

import streamlit as st

from lvm_app import presenter, serving, tour
from lvm_app.cache import start_warm_up
from lvm_app.links import apply_link, sync_url
from lvm_app.sidebar import render_sidebar
from lvm_core import LvmError
from lvm_core.startup import configure
from lvm_core.text import MESSAGE_LIMIT, markdown_plain

configure()   # once per process, before anything else: numba's cache folder, the umask, one torch thread
serving.skip_source_scan()

# Icons are Material Symbols, whose font Streamlit bundles: emoji show as empty boxes where the browser has no
# colour-emoji font. The tab's icon is a file: Streamlit fetches a Material favicon from fonts.gstatic.com.
FAVICON = Path(__file__).parent / "lvm_app" / "assets" / "favicon.svg"
st.set_page_config(page_title="LVM Explorer", page_icon=str(FAVICON), layout="wide")

DEFAULT_PAGE = "latent_space"   # the page "/" opens (its url_path is ""); /latent_space opens it too

PAGES = {
    "Start": [
        st.Page("pages/tour.py", title="Tour", icon=":material/tour:"),
    ],
    "Explore": [
        st.Page(f"pages/{DEFAULT_PAGE}.py", title="Latent space", icon=":material/map:", default=True),
        st.Page("pages/hidden_factors.py", title="Hidden factors", icon=":material/draw:"),
    ],
    "Generate": [
        st.Page("pages/sliders.py", title="Latent sliders", icon=":material/tune:"),
        st.Page("pages/compare.py", title="AE vs VAE", icon=":material/compare:"),
        st.Page("pages/interpolate.py", title="Interpolation", icon=":material/animation:"),
    ],
    "Applications": [
        st.Page("pages/anomalies.py", title="Anomalies", icon=":material/report:"),
        st.Page("pages/denoising.py", title="Denoising", icon=":material/cleaning_services:"),
        st.Page("pages/nonlinear_pca.py", title="Nonlinear PCA", icon=":material/trending_down:"),
        st.Page("pages/features.py", title="Latent features", icon=":material/label:"),
    ],
    "Models": [
        st.Page("pages/train.py", title="Train", icon=":material/fitness_center:"),
    ],
}

page = st.navigation(PAGES)
apply_link()   # a link's view (?dataset=...&model=...&point=...) into the session, before any widget
presenter.page_style()   # after the link (its ?present=1), before the sidebar it folds away
selection = st.session_state.selection = render_sidebar()
with st.sidebar:
    presenter.toggle("sidebar")
try:
    tour.bar(page.url_path or DEFAULT_PAGE)   # while touring: the step's bar above its page; the keyboard either way
    page.run()
except LvmError as exc:   # a model deleted or damaged mid-session, broken codes: one line, never a traceback
    st.error(markdown_plain(exc, MESSAGE_LIMIT))   # its file names and values are the user's text
finally:   # once per server process, after the first page (even one that stops early): it never delays it
    sync_url()   # the address bar is a link to what is shown
    if selection is not None:
        start_warm_up(selection.dataset, selection.split, str(selection.ckpt.path) if selection.ckpt.path else None)
