"""Disentanglement scores on codes where the answer is known: each factor copied into its own
dimension scores near 1; the same codes randomly rotated score low."""
import numpy as np
import pytest

from lvm_core.factors.scores import dci, discretise, disentanglement_scores, known_answer_codes, mig, sap


def split(rotate: bool):
    codes, table = known_answer_codes(4000, rotate=rotate)
    train = {k: v[:3000] for k, v in table.items()}
    test = {k: v[3000:] for k, v in table.items()}
    return codes[:3000], train, codes[3000:], test


def test_discretise_makes_equal_width_bins_over_each_column():
    binned = discretise(np.array([[0.0, 5.0], [0.5, 5.0], [1.0, 5.0]]), bins=4)
    assert binned[:, 0].tolist() == [0, 2, 3] and binned[:, 1].tolist() == [0, 0, 0]   # a constant column: bin 0


@pytest.mark.parametrize("rotate", [False, True])
def test_mig_is_high_for_copied_factors_and_low_when_rotated(rotate):
    _, _, codes, table = split(rotate)
    score, mi = mig(codes, table)
    assert mi.shape == (6, 6)
    if rotate:
        assert score < 0.2
    else:
        assert score > 0.8 and (mi.argmax(axis=0) == np.arange(6)).all()   # factor k lives in dimension k


@pytest.mark.parametrize("rotate", [False, True])
def test_dci_disentanglement_and_completeness_follow_the_rotation(rotate):
    scores, importance = dci(*split(rotate))
    np.testing.assert_allclose(importance.sum(axis=0), 1.0)
    assert scores["informativeness"] > 0.8   # a rotation keeps what is linearly readable
    if rotate:
        assert scores["disentanglement"] < 0.3 and scores["completeness"] < 0.3
    else:
        assert scores["disentanglement"] > 0.85 and scores["completeness"] > 0.85


@pytest.mark.parametrize("rotate", [False, True])
def test_sap_is_high_for_copied_factors_and_low_when_rotated(rotate):
    score, matrix = sap(*split(rotate))
    assert matrix.shape == (6, 6)
    assert (score < 0.4) if rotate else (score > 0.9)


def test_the_bundle_is_json_ready_and_names_its_factors():
    import json

    report = disentanglement_scores(*split(False))
    assert report["factors"] == ["slant", "thickness", "width", "height", "mass", "label"]
    assert np.array(json.loads(json.dumps(report))["mi"]).shape == (6, 6)


def test_a_factor_that_never_varies_is_left_out_not_scored_zero():
    train_codes, train, test_codes, test = split(False)
    report = disentanglement_scores(train_codes, {**train, "height": 0 * train["height"]},
                                    test_codes, {**test, "height": 0 * test["height"]})
    assert "height" not in report["factors"] and report["mig"] > 0.8
