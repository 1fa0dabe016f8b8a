"""A link to a view: the URL's query parameters hold what makes the view, so a link someone sends
opens the same page, dataset, model, split, map and selected point:

    /latent_space?dataset=mnist&model=mnist-vae-conv-32&split=test&method=umap&n=10000&dims=2&colour=class&point=17
    /sliders?dataset=digits&model=digits-vae-mlp-8&split=test&code=0.5,-1.2,...
    /compare?dataset=mnist&tour=samples&present=1      (a step of the guided tour, in presenter mode)

The page is the URL's path (Streamlit's navigation). read_view and view_params are pure (tested
without Streamlit); apply_link and sync_url connect them to a session.
"""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from lvm_core.lesson.story import STEP_KEYS

COLOURS = {"class": "class", "error": "reconstruction error", "dim": "one latent dimension"}  # Latent space page
SPLITS = ("test", "train", "all")
METHODS = ("pca", "tsne", "umap", "raw")
MAX_CODE = 1024        # numbers a linked code may hold
# Every URL field this module reads and writes: sync_url removes the ones the session does not set.
FIELDS = ("dataset", "model", "split", "method", "n", "dims", "colour", "point", "code", "tour", "present")
TOUR_STATE, PRESENT_STATE = "tour_step", "presenting"      # their session_state keys (lvm_app.tour, .presenter)


def view_params(state: Mapping) -> dict[str, str]:
    """A session's view (session_state keys) -> query parameters, for the keys that are set."""
    out = {}
    if state.get("dataset"):
        out["dataset"] = str(state["dataset"])
    if state.get("model_path"):
        out["model"] = Path(str(state["model_path"])).stem
    if state.get("split") in SPLITS:
        out["split"] = state["split"]
    if state.get("map_method") in METHODS:
        out["method"] = state["map_method"]
    if isinstance(state.get("map_n"), int):
        out["n"] = str(state["map_n"])
    if state.get("map_3d") is not None:
        out["dims"] = "3" if state["map_3d"] else "2"
    colour = {v: k for k, v in COLOURS.items()}.get(state.get("map_colour"))
    if colour:
        out["colour"] = colour
    if state.get("selected_index") is not None:
        out["point"] = str(int(state["selected_index"]))
    code = state.get("slider_code")   # what the sliders page shows now; a link brings it back as link_code
    if code is not None:
        out["code"] = ",".join(f"{float(v):.4g}" for v in code)
    if state.get(TOUR_STATE) in STEP_KEYS:
        out["tour"] = state[TOUR_STATE]
    if state.get(PRESENT_STATE):
        out["present"] = "1"
    return out


def read_view(params: Mapping[str, str], models, datasets) -> tuple[dict, list[str]]:
    """Query parameters -> (session_state updates, one message per part of the link that cannot be
    honoured). models: catalog ModelEntry list; datasets: the dataset names the app knows."""
    updates, messages = {}, []
    dataset = params.get("dataset")
    if dataset is not None:
        if dataset in datasets:
            updates["dataset"] = dataset
        else:
            messages.append(f"The link's dataset {dataset!r} is not on this server: showing the default.")
            dataset = None
    model = params.get("model")
    if model is not None:
        found = [e for e in models if e.path.stem == model and (dataset is None or e.dataset == dataset)]
        if found:
            updates["model_path"] = str(found[0].path)
            updates.setdefault("dataset", found[0].dataset)
        else:
            messages.append(f"The link's model {model!r} no longer exists: showing the default model instead.")
    _choice(params, "split", SPLITS, updates, "split", messages)
    _choice(params, "method", METHODS, updates, "map_method", messages)
    _choice(params, "colour", tuple(COLOURS), updates, "map_colour", messages, COLOURS.get)
    for name, key in (("n", "map_n"), ("point", "selected_index")):
        if name in params:
            value = params[name]
            if value.isdigit():
                updates[key] = int(value)
            else:
                messages.append(f"The link's {name} {value!r} is not a whole number: ignored.")
    if params.get("dims") in ("2", "3"):
        updates["map_3d"] = params["dims"] == "3"
    if params.get("code"):
        try:
            code = [float(v) for v in params["code"].split(",")[:MAX_CODE + 1]]
            if len(code) > MAX_CODE or not all(abs(v) < 1e6 for v in code):
                raise ValueError
            updates["link_code"] = code
        except ValueError:
            messages.append("The link's code is not a list of numbers: ignored.")
    _tour_fields(params, updates, messages)
    return updates, messages


def _tour_fields(params, updates, messages) -> None:
    """?tour=<step key> and ?present=1|0, read strictly: a known ASCII key, or a message. A link can come from
    anywhere, so a value that is not ours is never echoed into the page (the warning renders Markdown)."""
    if "tour" in params:
        key = params["tour"]
        updates[TOUR_STATE] = key if key.isascii() and key in STEP_KEYS else STEP_KEYS[0]
        if updates[TOUR_STATE] != key:
            messages.append("The link's tour step is not one of the tour's steps: starting the tour at step 1.")
    if "present" in params:
        if params["present"] in ("0", "1"):
            updates[PRESENT_STATE] = params["present"] == "1"
        else:
            messages.append("The link's present field is not 1 or 0: presenter mode is left as it was.")


def _choice(params, name, allowed, updates, key, messages, convert=lambda v: v) -> None:
    if name in params:
        if params[name] in allowed:
            updates[key] = convert(params[name])
        else:
            messages.append(f"The link's {name} {params[name]!r} is not one of {', '.join(allowed)}: ignored.")


# --- Streamlit ---------------------------------------------------------------------------------

def apply_link() -> None:
    """On a session's first run, before any widget is drawn: the URL's view into session_state, and
    a warning for what the link asked that this server cannot show."""
    import streamlit as st

    from lvm_core import DATASETS

    from . import cache

    if st.session_state.get("link_applied"):
        return
    st.session_state.link_applied = True
    updates, messages = read_view(st.query_params.to_dict(), cache.models(), DATASETS)
    for key, value in updates.items():
        st.session_state[key] = value
    if "dataset" in updates:   # the sidebar keeps a selected point only while (dataset, split) is unchanged
        st.session_state.selection_of = (updates["dataset"], updates.get("split", cache.SPLITS[0]))
    for message in messages:
        st.warning(message)


def linked_start(start_code):
    """The sliders page's start: a link's code (?code=...) while the session keeps it (Reset,
    Randomize and a new start drop it), else start_code. Returns (code (D,) float32, token tag)."""
    import numpy as np
    import streamlit as st

    code = st.session_state.get("link_code")
    if code is None or len(code) != len(start_code):
        return start_code, ""
    return np.asarray(code, np.float32), "link"


def show_code(z) -> None:
    """Record the sliders' code (D,) and put it in the URL."""
    import streamlit as st

    st.session_state.slider_code = [float(v) for v in z]
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
