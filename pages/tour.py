"""Tour: the tutorial's argument as steps over the app's own pages (lvm_app/tour.py draws it)."""
import streamlit as st

from lvm_app.exports import lesson_download_button
from lvm_app.pair import pick_pair
from lvm_app.routing import require_router
from lvm_app.sidebar import current
from lvm_app.tour import overview

require_router()
overview()

st.subheader("The lesson, anywhere", anchor=False)
st.caption("The same steps as a folder of files that any browser opens from disk or a static web host: no "
           "server, no network, no Python. A student at home or on a phone follows along; a class of any "
           "size costs this server nothing.")
sel = current()
if sel is not None:
    ae, vae = pick_pair(sel.dataset)
    lesson_download_button(ae, vae, sel.dataset)
