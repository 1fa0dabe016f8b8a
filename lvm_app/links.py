"""A link to a view: the URL's query parameters hold what makes the view, so a link someone sends
opens the same page, dataset, model, split, map and selected point:

    /latent_space?dataset=mnist&model=mnist-vae-conv-32&split=test&method=umap&n=10000&dims=2&colour=class&point=17
    /latent_space?dataset=digits&model=digits-vae-mlp-8&from=user     (a user model named like a shipped one)
    /sliders?dataset=digits&model=digits-vae-mlp-8&split=test&code=0.5,-1.2,...
    /compare?dataset=mnist&tour=samples&present=1      (a step of the guided tour, in presenter mode)

The page is the URL's path (Streamlit's navigation). read_view and view_params are pure (tested
without Streamlit); apply_link and sync_url connect them to a session.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lvm_core.lesson.story import STEP_KEYS

from . import state

# The tables live in lvm_app.state; these names are this module's for its callers.
COLOURS, SPLITS, METHODS, MAX_CODE = state.COLOURS, state.SPLITS, state.METHODS, state.MAX_CODE
FIELDS = state.FIELD_NAMES
TOUR_STATE, PRESENT_STATE = state.TOUR_STEP, state.PRESENTING      # lvm_app.tour, lvm_app.presenter


def view_params(session: Mapping) -> dict[str, str]:
    """A session's view (session_state keys) -> query parameters, for the keys that are set."""
    out = {}
    if session.get(state.DATASET):
        out["dataset"] = str(session[state.DATASET])
    if session.get(state.MODEL_PATH):
        out["model"] = Path(str(session[state.MODEL_PATH])).stem
    out.update(state.show_fields(session))
    if session.get(state.TOUR_STEP) in STEP_KEYS:
        out["tour"] = session[state.TOUR_STEP]
    return {name: out[name] for name in FIELDS if name in out}


def read_view(params: Mapping[str, str], models, datasets) -> tuple[dict, list[str]]:
    """Query parameters -> (session_state updates, one message per part of the link that cannot be
    honoured). models: catalog ModelEntry list; datasets: the dataset names the app knows."""
    updates, messages = {}, []
    dataset = params.get("dataset")
    if dataset is not None:
        if dataset in datasets:
            updates[state.DATASET] = dataset
        else:
            messages.append(f"The link's dataset{state.plain(dataset)} is not on this server: showing the default.")
            dataset = None
    state.read_fields(params, updates, messages)
    folder = updates.pop(state.LINK_FOLDER, None)   # ?from=: None (an older link): shipped models first
    model = params.get("model")
    if model is not None:
        found = [e for e in models if e.path.stem == model and (dataset is None or e.dataset == dataset)
                 and (folder is None or e.shipped == (folder == "shipped"))]
        if found:
            updates[state.MODEL_PATH] = str(found[0].path)
            updates.setdefault(state.DATASET, found[0].dataset)
        else:
            messages.append(f"The link's model{state.plain(model)} no longer exists: showing the default model "
                            "instead.")
    _tour_fields(params, updates, messages)
    return updates, messages


def _tour_fields(params, updates, messages) -> None:
    """?tour=<step key>, read strictly: a known ASCII key, or a message and step 1. A link can come from
    anywhere, so a value that is not ours is never echoed into the page (the warning renders Markdown)."""
    if "tour" in params:
        key = params["tour"]
        updates[TOUR_STATE] = key if key.isascii() and key in STEP_KEYS else STEP_KEYS[0]
        if updates[TOUR_STATE] != key:
            messages.append("The link's tour step is not one of the tour's steps: starting the tour at step 1.")


# --- Streamlit ---------------------------------------------------------------------------------

def apply_link() -> None:
    """On a session's first run, before any widget is drawn: the URL's view into session_state, and
    a warning for what the link asked that this server cannot show."""
    import streamlit as st

    from lvm_core import DATASETS
    from lvm_core.text import MESSAGE_LIMIT, markdown_plain

    from . import cache

    if st.session_state.get(state.LINK_APPLIED):
        return
    st.session_state[state.LINK_APPLIED] = True
    updates, messages = read_view(st.query_params.to_dict(), cache.models(), DATASETS)
    for key, value in updates.items():
        st.session_state[key] = value
    if state.DATASET in updates:   # the sidebar keeps a selected point only while (dataset, split) is unchanged
        st.session_state[state.SELECTION_OF] = (updates[state.DATASET], updates.get(state.SPLIT, cache.SPLITS[0]))
    for message in messages:
        st.warning(markdown_plain(message, MESSAGE_LIMIT))   # they quote the link: anyone's text


def linked_start(start_code):
    """The sliders page's start: a link's code (?code=...) while the session keeps it (Reset,
    Randomize and a new start drop it), else start_code. Returns (code (D,) float32, token tag)."""
    import numpy as np
    import streamlit as st

    code = st.session_state.get(state.LINK_CODE)
    if code is None or len(code) != len(start_code):
        return start_code, ""
    return np.asarray(code, np.float32), "link"


def show_code(z) -> None:
    """Record the sliders' code (D,) and put it in the URL."""
    import streamlit as st

    st.session_state[state.SLIDER_CODE] = [float(v) for v in z]
    sync_url()


def sync_url() -> None:
    """Write the session's view into the URL, so the address bar is always a link to it (other
    parameters, such as the Train page's run, are kept)."""
    import streamlit as st

    wanted = view_params(st.session_state)
    for name in FIELDS:
        if name in wanted and st.query_params.get(name) != wanted[name]:
            st.query_params[name] = wanted[name]
        elif name not in wanted and name in st.query_params:
            del st.query_params[name]
