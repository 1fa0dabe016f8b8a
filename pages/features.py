"""Latent codes as features: how well does a simple classifier do on the codes, against raw pixels
and PCA codes of the same size?"""
from dataclasses import asdict

import streamlit as st

from lvm_app import cache
from lvm_app.sidebar import current
from lvm_core.storage.catalog import find_model
from lvm_core.analysis.features import codes_csv, feature_table
from lvm_core.text import clean, file_stem
from lvm_core.models import is_conditional

sel = current()
ckpt = sel.ckpt
st.title("Latent codes as features")
st.caption("The encoder was trained without labels, yet its codes may make classes easy to separate. "
           "Two simple classifiers, fitted on train-split features and scored on the test split, measure it: "
           "5 nearest neighbours (local structure) and logistic regression (linear separability).")

if is_conditional(ckpt.model):
    st.info("This model is conditional: its encoder was given each image's class, so its codes need not hold "
            "it, and they score low here. That is the point of a CVAE: the class lives in y, the style in z.")
config = ckpt.config
other_kind = "vae" if config.kind == "ae" else "ae"
trained = ckpt.train_config
partner = find_model(sel.dataset, other_kind, config.arch, config.latent_dim, entries=cache.models(),
                     denoising=bool(trained and trained.input_noise > 0),
                     excluded=tuple(trained.exclude_classes) if trained else ())
models = {f"{config.kind.upper()} codes ({clean(ckpt.name) or 'selected'})": ckpt}   # a table row's name
if partner is not None:
    models[f"{other_kind.upper()} codes ({clean(partner.name)})"] = cache.open_model(partner.path)

left, right = st.columns(2)
n_train = left.select_slider("Train images for the classifiers", [1000, 2000, 5000, 10000, 20000, "all"],
                             value=2000, key="features_n_train")
n_test = right.select_slider("Test images scored", [1000, 2000, 5000, "all"], value=2000, key="features_n_test")


@st.cache_data(show_spinner="Fitting classifiers…", max_entries=32)
def _table(digests: tuple[str, ...], _models: dict, dataset: str, n_train, n_test) -> list[dict]:
    rows = feature_table(cache.dataset(dataset, "train"), cache.dataset(dataset, "test"),
                         {name: c.model for name, c in _models.items()},
                         n_train=None if n_train == "all" else n_train, n_test=None if n_test == "all" else n_test)
    return [asdict(r) for r in rows]


rows = _table(tuple(c.digest for c in models.values()), models, sel.dataset, n_train, n_test)
st.dataframe(rows, hide_index=True, column_config={
    "name": "features", "dims": "size",
    "knn5": st.column_config.NumberColumn("5-NN accuracy", format="%.3f"),
    "logreg": st.column_config.NumberColumn("logistic regression accuracy", format="%.3f")})
st.caption("PCA is fitted on the same train images, with as many components as the model's code. "
           "Subsets keep this quick: logistic regression on all 60,000 MNIST pixels takes minutes on a CPU. "
           "VAE codes are posterior means.")

enc = cache.encoded(ckpt.digest, ckpt, sel.split)
st.download_button(f"Download the {sel.split} split's codes (CSV)", data=lambda: codes_csv(enc.codes, enc.labels),
                   file_name=f"{file_stem(ckpt.name)}-{sel.split}-codes.csv", mime="text/csv", key="features_download")
