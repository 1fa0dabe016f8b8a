"""The guided tour and presenter mode in AppTest: the Tour page, Next / Back over the steps' own pages, the
URL's ?tour= and ?present= fields, and every step on every dataset with a shipped AE / VAE pair."""
from __future__ import annotations

import io
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from conftest import APP, assert_clean, has_dataset, open_page
from lvm_app import cache
from lvm_core.lesson.export import lesson_zip
from lvm_core.lesson.story import STEPS

TITLES = {   # each step page's st.title: the page that ran
    "latent_space": "Latent space", "sliders": "Latent sliders", "compare": "AE vs VAE: sampling",
    "interpolate": "Interpolation", "nonlinear_pca": "An autoencoder is a nonlinear PCA",
    "anomalies": "Anomaly detection",
}


def press(at: AppTest, key: str) -> AppTest:
    """Click a button and run. A browser then asks for the page st.switch_page went to; AppTest's next run
    would go back to the page it was last given, so it is given the step's page here."""
    at.button(key=key).click().run()
    step = at.session_state["tour_step"] if "tour_step" in at.session_state else None
    if step is not None:
        at.switch_page(f"pages/{STEPS[[s.key for s in STEPS].index(step)].page}.py")
    return at


def bar_text(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def assert_on_step(at: AppTest, number: int) -> None:
    step = STEPS[number]
    assert_clean(at, step.key)
    assert at.session_state["tour_step"] == step.key
    assert at.query_params["tour"] == step.key        # a reload or a copied link opens this step
    assert f"Step {number + 1} of {len(STEPS)} · {step.title}." in bar_text(at)
    assert step.question in bar_text(at)
    assert at.title[-1].value == TITLES[step.page]


def test_the_tour_page_lists_the_steps_and_starts_at_step_1():
    at = open_page("pages/tour.py")
    assert at.title[0].value == "A guided tour"
    assert all(f"**{n + 1}. {step.title}**" in bar_text(at) for n, step in enumerate(STEPS))
    assert "tour" not in at.query_params and "Step 1 of" not in bar_text(at)     # not touring: no bar
    press(at, "tour_start")
    assert_on_step(at, 0)


def test_next_and_back_move_over_the_steps_pages():
    at = open_page("pages/tour.py")
    press(at, f"tour_from_{STEPS[1].key}")
    assert_on_step(at, 1)
    assert at.button(key="tour_back").disabled is False
    press(at, "tour_next")
    assert_on_step(at, 2)
    press(at, "tour_back")
    press(at, "tour_back")
    assert_on_step(at, 0)
    assert at.button(key="tour_back").disabled


def test_the_last_step_has_no_next_and_end_tour_leaves_the_mode():
    at = open_page("pages/tour.py")
    press(at, f"tour_from_{STEPS[-1].key}")
    assert_on_step(at, len(STEPS) - 1)
    assert at.button(key="tour_next").disabled
    press(at, "tour_end")
    assert_clean(at, "after the tour")
    assert at.session_state["tour_step"] is None and "tour" not in at.query_params
    assert at.title[-1].value == TITLES[STEPS[-1].page]    # the page stays


@pytest.mark.parametrize("value", ["nonsense", "ｍａｐ", "map; drop", ""])
def test_an_unknown_tour_step_warns_once_and_opens_step_1(value):
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset"] = "digits"
    at.query_params["tour"] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [w.value for w in at.warning] == ["The link's tour step is not one of the tour's steps: starting the "
                                             "tour at step 1."]
    assert at.session_state["tour_step"] == STEPS[0].key
    assert f"Step 1 of {len(STEPS)}" in bar_text(at)


def test_a_link_opens_its_tour_step():
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset"] = "digits"
    at.query_params["tour"] = STEPS[2].key
    at.run()
    assert_on_step(at, 2)


def test_the_present_field_sets_presenter_mode_and_the_toggles_leave_it():
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset"] = "digits"
    at.query_params["present"] = "1"
    at.run()
    assert_clean(at, "presenter")
    assert at.session_state["presenting"] is True
    assert at.toggle(key="presenter_toggle_sidebar").value is True
    assert any("font-size: 20px" in h.proto.body for h in at.get("html"))     # the presenter's styles
    at.switch_page("pages/compare.py").run()                                   # it survives a page switch
    assert at.session_state["presenting"] is True and at.query_params["present"] == "1"
    at.toggle(key="presenter_toggle_sidebar").set_value(False).run()
    assert at.session_state["presenting"] is False and "present" not in at.query_params
    assert not any("font-size: 20px" in h.proto.body for h in at.get("html"))


def test_a_bad_present_field_is_one_warning():
    at = AppTest.from_file(APP, default_timeout=120)
    at.session_state["dataset"] = "digits"
    at.query_params["present"] = "yes please"
    at.run()
    assert [w.value for w in at.warning] == ["The link's present field is not 1 or 0: presenter mode is left as "
                                             "it was."]
    assert at.toggle(key="presenter_toggle_sidebar").value is False


def _dataset(name: str):
    marks = [] if name == "digits" else [pytest.mark.slow]
    if not has_dataset(name):
        marks.append(pytest.mark.skip(reason=f"{name} not in $LVM_DATA_DIR"))
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("dataset", [_dataset(d) for d in ("digits", "mnist", "fashion-mnist")])
def test_every_step_renders_on_every_dataset(dataset):
    at = open_page("pages/tour.py", dataset)
    press(at, "tour_start")
    for number in range(len(STEPS)):
        assert_on_step(at, number)
        assert at.session_state["dataset"] == dataset
        if number < len(STEPS) - 1:
            press(at, "tour_next")


def test_the_tour_page_offers_the_lesson_as_a_download_of_the_dataset_pair():
    at = open_page("pages/tour.py")
    [button] = [b for b in at.get("download_button") if b.proto.label.startswith("Download the lesson")]
    assert button.proto.label.endswith("no server)")
    # what the button builds when clicked, for the pair the page shows
    ae, vae = (cache.open_model(at.session_state[key]) for key in ("pair_ae", "pair_vae"))
    names = zipfile.ZipFile(io.BytesIO(lesson_zip(ae, vae, cache.dataset("digits", "test")))).namelist()
    assert "lvm-lesson/index.html" in names
