"""AppTest: the Hidden factors page for every shipped model; moving the step changes the frame; the
rare-styles weights follow the α slider."""
import re

import pytest

from conftest import assert_clean, has_dataset, open_page
from test_app_explorer import describe, model_params

PAGE = "pages/hidden_factors.py"


pytestmark = pytest.mark.usefixtures("isolated")   # conftest.py


def check_page(path):
    at = open_page(PAGE, describe(path)["dataset"], str(path), map_n=1000)
    assert at.title[0].value == "Hidden factors"
    assert [m.label for m in at.metric][:1] and any("Identity kept" == m.label for m in at.metric)
    assert any("R²" in c.value for c in at.caption)
    at.toggle(key="factors_probes").set_value(True).run()
    assert_clean(at, f"{path.stem} probes")
    [table] = at.dataframe
    assert "class (reference)" in table.value.index and 1 <= len(table.value.columns) <= 2
    for name in ("slant", "thickness"):
        at.radio(key="factor_name").set_value(name).run()
        assert_clean(at, f"{path.stem} {name}")
    return at


# digits models always; 28x28 models are slow and need their dataset on disk
SHIPPED = model_params(digits=True) + [pytest.param(*p.values, id=p.id, marks=[pytest.mark.slow, *p.marks])
                                       for p in model_params(digits=False)]


@pytest.mark.parametrize("path", SHIPPED)
def test_page_renders_for_each_shipped_model(path):
    if path is not None and not has_dataset(describe(path)["dataset"]):
        pytest.skip(f"{describe(path)['dataset']} not in $LVM_DATA_DIR")
    check_page(path)


def frame(at) -> tuple[str, str]:
    """(url, caption) of the single frame at the chosen step: the image whose caption names the step."""
    [found] = [(u, c) for image in at.image for u, c in zip(image.value, image.captions)
               if re.match(r"[+-]\d\.\d steps: ", c)]
    return found


def test_moving_the_step_changes_the_frame_and_its_measured_value():
    from conftest import ROOT

    at = open_page(PAGE, "digits", str(ROOT / "checkpoints" / "digits-vae-mlp-8.safetensors"))
    url, caption = frame(at)
    assert caption.startswith("+0.0 steps")
    at.select_slider(key="factor_step").set_value(2.0).run()
    assert_clean(at, "step +2")
    moved_url, moved_caption = frame(at)
    assert moved_caption.startswith("+2.0 steps") and moved_url != url
    assert moved_caption.split(": ")[1] != caption.split(": ")[1]   # the measured value moved too
    at.slider(key="factors_alpha").set_value(1.0).run()
    assert_clean(at, "alpha 1")
    assert any(c.value.startswith("Effective sample size") for c in at.caption)
    at.toggle(key="factors_probes").set_value(True).run()
    assert list(at.dataframe[0].value.columns) == ["VAE: digits-vae-mlp-8", "AE: digits-ae-mlp-8"]   # side by side


def test_scores_tab_shows_mig_dci_sap_and_a_heatmap_and_leace_sits_beside_mean_difference():
    from conftest import ROOT

    at = open_page(PAGE, "digits", str(ROOT / "checkpoints" / "digits-vae-mlp-8.safetensors"))
    assert any("Locatello" in c.value for c in at.caption)
    at.toggle(key="factors_scores").set_value(True).run()
    assert_clean(at, "scores")
    values = {m.label: float(m.value) for m in at.metric if m.label in ("MIG", "SAP", "DCI disentanglement")}
    assert len(values) == 3 and all(0 <= v <= 1 for v in values.values())
    heatmap = at.get("plotly_chart")[-1]
    assert '"heatmap"' in heatmap.proto.spec and '"z7"' in heatmap.proto.spec   # 8 code dimensions down
    at.radio(key="factors_matrix").set_value("importance").run()
    assert_clean(at, "importance matrix")
    at.toggle(key="factors_leace").set_value(True).run()
    assert_clean(at, "leace")
    [table] = at.dataframe
    assert list(table.value.columns) == ["mean-difference", "leace"]
    assert table.value.loc["probe R² after (refitted)", "leace"] < 0.05 < table.value.loc["probe R² before", "leace"]


@pytest.mark.slow
def test_beta_sweep_chart_has_one_point_per_shipped_sweep_vae():
    from conftest import ROOT
    from lvm_core.factors.report import beta_sweep

    sweep = beta_sweep()
    if not sweep or not has_dataset("mnist"):
        pytest.skip("no β-sweep checkpoints or no MNIST")
    at = open_page(PAGE, "digits", str(ROOT / "checkpoints" / "digits-vae-mlp-8.safetensors"))
    at.toggle(key="factors_sweep").set_value(True).run()
    assert_clean(at, "sweep")
    import json

    [mig, dci] = json.loads(at.get("plotly_chart")[-1].proto.spec)["data"]
    assert mig["text"] == [f"β = {b:g}" for b, _ in sweep] and len(dci["x"]) == len(sweep)
