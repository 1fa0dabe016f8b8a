import streamlit as st

from lvm_app.sidebar import current

sel = current()
st.title("Latent space")
st.write(sel.ckpt.title)
