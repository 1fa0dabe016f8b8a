"""The guided tour: a mode of the app's own pages. lvm_core.lesson.story holds the steps; while a session
tours (session_state tour_step, the URL's ?tour=<step key>), the router draws this bar above the page:
where we are, the step's words, Back / Next (the arrow keys too) and a link to the step's view. Each step's
view is its app page as it is: nothing is drawn twice.

The step's page is the file pages/<step.page>.py, whose URL path Streamlit derives from the file name.
"""
from __future__ import annotations

import streamlit as st

from lvm_core.lesson.story import STEP_KEYS, STEPS, Step

from . import presenter
from .components.keys import keyboard
from .links import TOUR_STATE, view_params

ARROWS = {"ArrowRight": {"send": "next"}, "ArrowLeft": {"send": "back"}}


def current() -> Step | None:
    """The step this session is on, None when it is not touring."""
    key = st.session_state.get(TOUR_STATE)
    return STEPS[STEP_KEYS.index(key)] if key in STEP_KEYS else None


def go(index: int) -> None:
    """Tour step STEPS[index]: its page, with the step in the URL (a reload or a copied link opens it)."""
    step = STEPS[index]
    st.session_state[TOUR_STATE] = step.key
    st.switch_page(page_file(step), query_params=view_params(st.session_state))


def end() -> None:
    st.session_state[TOUR_STATE] = None


def page_file(step: Step) -> str:
    return f"pages/{step.page}.py"


def bar(page_path: str) -> None:
    """Call in the router before the page runs (page_path: its URL path). Mounts the keyboard (the tour's
    arrows, the presenter's keys) and, while touring, draws the tour bar."""
    step = current()
    pressed = keyboard({**presenter.page_keys(page_path), **(ARROWS if step else {})})
    if step is None:
        return
    index = STEPS.index(step)
    moves = {"back": index - 1, "next": index + 1}
    if pressed in moves and 0 <= moves[pressed] < len(STEPS):
        go(moves[pressed])
    with st.container(key="lvm_tour_bar", border=True):
        if presenter.on():
            _compact_bar(index, step, page_path)
        else:
            _bar(index, step, page_path)


def _bar(index: int, step: Step, page_path: str) -> None:
    st.markdown(f"**Step {index + 1} of {len(STEPS)} · {step.title}.** {step.text}")
    look, question = st.columns(2)
    look.markdown(f":material/visibility: **Look:** {step.look}")
    question.markdown(f":material/help: **Ask:** {step.question}")
    with st.container(horizontal=True, vertical_alignment="center"):
        _moves(index)
        _more(index, step, page_path)


def _compact_bar(index: int, step: Step, page_path: str) -> None:
    """On a projector the view needs the room (the Latent space map fully on a 1024x768 screen): the step's
    words and question beside the moves; what to look at and the rest behind More."""
    words, moves = st.columns([5, 2], vertical_alignment="center")
    words.markdown(f"**Step {index + 1} of {len(STEPS)} · {step.title}.** {step.text}  \n"
                   f":material/help: **Ask:** {step.question}")
    with moves.container(horizontal=True, vertical_alignment="center"):
        _moves(index)
        with st.popover("More", icon=":material/more_horiz:"):
            st.markdown(f":material/visibility: **Look:** {step.look}")
            _more(index, step, page_path)


def _moves(index: int) -> None:
    if st.button("Back", key="tour_back", icon=":material/arrow_back:", disabled=index == 0, help="Left arrow key"):
        go(index - 1)
    if st.button("Next", key="tour_next", icon=":material/arrow_forward:", type="primary",
                 disabled=index == len(STEPS) - 1, help="Right arrow key"):
        go(index + 1)


def _more(index: int, step: Step, page_path: str) -> None:
    st.button("End tour", key="tour_end", icon=":material/close:", on_click=end)
    if page_path != step.page and st.button("Open this step's page", key="tour_open", icon=":material/open_in_new:"):
        go(index)
    st.page_link(page_file(step), label="Link to this step's view", icon=":material/link:",
                 query_params=view_params(st.session_state))
    presenter.toggle("tour")


def overview() -> None:
    """The Tour page: the steps in order, a start button, and a button per step to begin there."""
    st.title("A guided tour")
    st.caption(f"{len(STEPS)} steps through what a latent variable model is, each shown on the app page that "
               "shows it best. A bar above the page holds the step's words and Back / Next; the arrow keys "
               "work too. The address bar always names the step, so a reload or a copied link opens it.")
    if st.button("Start the tour", key="tour_start", icon=":material/play_arrow:", type="primary"):
        go(0)
    for index, step in enumerate(STEPS):
        text, action = st.columns([5, 1], vertical_alignment="center")
        text.markdown(f"**{index + 1}. {step.title}**  \n{step.text}")
        if action.button("Begin here", key=f"tour_from_{step.key}", width="stretch"):
            go(index)
