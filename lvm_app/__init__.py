"""The Streamlit side of LVM Explorer: cached access to lvm_core and the shared sidebar.
Pages import from here; lvm_core never imports this."""
