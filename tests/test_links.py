"""Links to a view: query parameters <-> session state (pure), and the app opening a link (AppTest)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import APP, assert_clean
from lvm_app.links import read_view, view_params
from lvm_core.settings import SHIPPED_DIR


@dataclass
class Entry:   # the fields of catalog.ModelEntry that links read
    path: Path
    dataset: str
    shipped: bool = False


MODELS = [Entry(SHIPPED_DIR / "mnist-vae-conv-32.safetensors", "mnist", shipped=True),
          Entry(Path("/u/digits-ae.safetensors"), "digits")]
DATASETS = ("mnist", "digits")


def test_a_view_survives_the_round_trip_through_a_link():
    state = {"dataset": "digits", "model_path": "/u/digits-ae.safetensors", "split": "all", "map_method": "umap",
             "map_n": 5000, "map_3d": True, "map_colour": "reconstruction error", "selected_index": 17,
             "slider_code": [0.5, -1.25], "unrelated": 3}
    params = view_params(state)
    assert params == {"dataset": "digits", "model": "digits-ae", "from": "user", "split": "all", "method": "umap",
                      "n": "5000", "dims": "3", "colour": "error", "point": "17", "code": "0.5,-1.25"}
    updates, messages = read_view(params, MODELS, DATASETS)
    assert messages == []
    assert updates == {**{k: v for k, v in state.items() if k not in ("unrelated", "slider_code")},
                       "link_code": [0.5, -1.25]}


def test_a_link_to_a_missing_model_says_so_and_keeps_the_rest():
    updates, messages = read_view({"dataset": "mnist", "model": "gone", "point": "3"}, MODELS, DATASETS)
    assert updates == {"dataset": "mnist", "selected_index": 3}
    assert messages == ["The link's model 'gone' no longer exists: showing the default model instead."]
    # a model of another dataset than the link's is not taken either
    assert "model_path" not in read_view({"dataset": "mnist", "model": "digits-ae"}, MODELS, DATASETS)[0]


def test_a_model_alone_brings_its_dataset_and_bad_values_are_ignored_with_a_message():
    updates, messages = read_view({"model": "digits-ae", "n": "-4", "split": "everything", "code": "1,x",
                                   "dataset": "cifar"}, MODELS, DATASETS)
    assert updates == {"model_path": "/u/digits-ae.safetensors", "dataset": "digits"}
    assert len(messages) == 4 and "cifar" in messages[0]


def test_the_tour_step_and_presenter_mode_round_trip_and_are_read_strictly():
    from lvm_core.lesson.story import STEPS

    params = view_params({"tour_step": STEPS[2].key, "presenting": True})
    assert params == {"tour": STEPS[2].key, "present": "1"}
    assert read_view(params, MODELS, DATASETS) == ({"tour_step": STEPS[2].key, "presenting": True}, [])
    assert view_params({"tour_step": "gone", "presenting": False}) == {}     # not touring, not presenting
    for bad in (STEPS[2].key.upper(), "ｍａｐ", STEPS[2].key + "\n", "[a](http://x)"):
        updates, messages = read_view({"tour": bad}, MODELS, DATASETS)
        assert updates == {"tour_step": STEPS[0].key}, bad                   # step 1, and one warning
        assert len(messages) == 1 and bad not in messages[0]                # a foreign value is never echoed
    assert read_view({"present": "0"}, MODELS, DATASETS) == ({"presenting": False}, [])
    updates, messages = read_view({"present": "yes"}, MODELS, DATASETS)
    assert updates == {} and len(messages) == 1


def digits_model() -> Path:
    from lvm_core.storage.catalog import SHIPPED_DIR

    path = SHIPPED_DIR / "digits-vae-mlp-8.safetensors"
    if not path.exists():
        pytest.skip("digits-vae-mlp-8 not shipped")
    return path




def test_the_app_opens_a_link_on_its_point_and_writes_the_view_back(isolated):
    from streamlit.testing.v1 import AppTest

    path = digits_model()
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"dataset": "digits", "model": path.stem, "split": "test", "method": "pca",
                            "n": "360", "point": "17"})
    at.run()
    assert_clean(at, "linked view")
    assert at.session_state["model_path"] == str(path) and at.session_state["selected_index"] == 17
    assert any(m.value.startswith("**Point 17**") for m in at.markdown)
    # the run wrote the whole view back, with what the link left to defaults
    assert at.query_params["point"] == "17" and at.query_params["dims"] == "2" and at.query_params["colour"] == "class"


def test_a_link_to_a_deleted_model_opens_the_default_with_a_warning(isolated):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"dataset": "digits", "model": "deleted-model", "method": "pca"})
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["The link's model 'deleted-model' no longer exists: showing the "
                                             "default model instead."]
    assert at.session_state["model_path"] and at.title[0].value == "Latent space"


def test_a_link_to_the_sliders_page_starts_them_at_its_code(isolated):
    from streamlit.testing.v1 import AppTest

    path = digits_model()
    code = [0.25, -0.5, 0.75, 0.0, 0.125, -0.25, 0.5, 1.0]
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params.update({"dataset": "digits", "model": path.stem, "split": "test",
                            "code": ",".join(map(str, code))})
    at.run()
    at.switch_page("pages/sliders.py").run()
    assert_clean(at, "sliders from a link")
    token = at.session_state["slider_token"]
    assert token.endswith("link")
    assert [at.session_state[f"z{d}-{token}"] for d in range(8)] == pytest.approx(code)
    assert [float(v) for v in at.query_params["code"].split(",")] == pytest.approx(code)
    at.button(key="slider_reset").click().run()   # Reset leaves the link's code for the page's own start
    assert not at.session_state["slider_token"].endswith("link")


@pytest.mark.parametrize("params", [{"point": "²"}, {"n": "9" * 5000}, {"point": "-3"}, {"code": "1," * 3000},
                                    {"code": "1e999,2"}, {"code": "nan,1"}, {"dims": "３"}, {"split": "[x](http://e)"},
                                    {"method": "t\u202esne"}, {"colour": "class\n"}, {"present": "１"},
                                    {"from": "User"}, {"from": "user\n"}, {"from": "[u](http://e)"}])
def test_a_bad_field_is_one_warning_that_does_not_echo_it_and_the_default_view(params):
    updates, messages = read_view(params, MODELS, DATASETS)
    assert updates == {} and len(messages) == 1
    assert list(params.values())[0][:20] not in messages[0]


def test_a_user_model_named_like_a_shipped_one_round_trips_to_itself():
    shipped = Entry(SHIPPED_DIR / "digits-vae-mlp-8.safetensors", "digits", shipped=True)
    user = Entry(Path("/u/digits-vae-mlp-8.safetensors"), "digits")
    models = [shipped, user]                 # the catalog's order: shipped first
    for entry in models:
        params = view_params({"dataset": "digits", "model_path": str(entry.path)})
        assert params.get("from") == (None if entry.shipped else "user")
        assert read_view(params, models, DATASETS) == ({"dataset": "digits", "model_path": str(entry.path)}, [])
    # an older link (no from) opens the shipped one, as before; from=shipped says so; a bad from is one warning
    for params in ({"model": "digits-vae-mlp-8"}, {"model": "digits-vae-mlp-8", "from": "shipped"}):
        assert read_view(params, models, DATASETS)[0]["model_path"] == str(shipped.path)
    updates, messages = read_view({"model": "digits-vae-mlp-8", "from": "users"}, models, DATASETS)
    assert updates["model_path"] == str(shipped.path)
    assert messages == ["The link's from is not one of shipped, user: a model of that name is looked for among the "
                        "shipped ones first."]
    # from=user names a user model: a name only shipped is not one
    updates, messages = read_view({"model": "mnist-vae-conv-32", "from": "user"}, MODELS, DATASETS)
    assert "model_path" not in updates and "no longer exists" in messages[0]


def test_the_app_opens_a_user_model_named_like_a_shipped_one_from_its_link(isolated, tmp_path):
    import shutil

    from streamlit.testing.v1 import AppTest

    shipped = digits_model()
    user = tmp_path / "user_models" / shipped.name     # the isolated fixture's user models folder
    user.parent.mkdir()
    shutil.copy(shipped, user)
    from lvm_app import cache

    cache.models.clear()   # the model list is cached for 5 s: another test's folder must not show
    for path in (user, shipped):
        first = AppTest.from_file(APP, default_timeout=120)
        first.session_state["dataset"], first.session_state["model_path"] = "digits", str(path)
        first.run()
        assert_clean(first, "the model's view")
        link = {k: first.query_params[k] for k in ("dataset", "model", "from") if k in first.query_params}
        assert link.get("from") == (None if path == shipped else "user") and link["model"] == shipped.stem
        opened = AppTest.from_file(APP, default_timeout=120)
        opened.query_params.update(link)
        opened.run()
        assert_clean(opened, "the link")
        assert opened.session_state["model_path"] == str(path)


def test_a_dataset_or_model_name_is_quoted_only_when_it_is_a_plain_name():
    _, messages = read_view({"dataset": "[click](http://evil)", "model": "gone-2"}, MODELS, DATASETS)
    assert messages == ["The link's dataset is not on this server: showing the default.",
                        "The link's model 'gone-2' no longer exists: showing the default model instead."]


def test_a_link_with_a_non_ascii_digit_renders_the_page_with_a_warning(isolated):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["point"] = "²"
    at.query_params["n"] = "9" * 5000
    at.run()
    assert not at.exception
    assert [w.value for w in at.warning] == ["The link's n is not a whole number: ignored.",
                                             "The link's point is not a whole number: ignored."]
