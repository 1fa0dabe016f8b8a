"""The explorer's shared figure rules (lvm_app.plots, lvm_app.train_charts): readable log ticks, one class
colour set, contrasting pairs, whole-number epochs."""
from __future__ import annotations

import numpy as np

from lvm_app.plots import PAIR_COLOURS, log_axis
from lvm_app.train_charts import epoch_figures, step_figure


def test_log_ticks_are_labelled_plain_numbers_that_cover_the_data():
    axis = log_axis([0.013, 0.02, 0.4, np.nan, 0.0])   # NaN and 0 have no place on a log axis
    assert axis["type"] == "log"
    assert axis["ticktext"] == ["0.01", "0.02", "0.05", "0.1", "0.2", "0.5"]
    assert axis["tickvals"][0] <= 0.013 and axis["tickvals"][-1] >= 0.4
    counts = log_axis([1, 7, 300, 12_000])
    assert counts["ticktext"] == ["1", "10", "100", "1,000", "10,000"]   # five decades: powers of ten
    wide = log_axis([1e-6, 1e6])                         # many decades: powers of ten only, at most 13
    powers = np.log10(wide["tickvals"])
    assert np.allclose(powers, np.round(powers)) and len(powers) == 13
    assert log_axis([]) == {"type": "log"}


def test_train_charts_use_the_pair_colours_readable_log_ticks_and_whole_epochs():
    history = [{"epoch": e, "recon": 1.0 / e, "test_recon": 1.1 / e, "kl": 0.5, "test_kl": 0.6} for e in (1, 2, 3)]
    recon, kl = epoch_figures("plots-test", history, variational=True)
    assert [t.line.color for t in recon.data] == list(PAIR_COLOURS)   # train vs test, not two class colours
    assert recon.layout.xaxis.dtick == 1 and recon.layout.xaxis.tickmode == "linear"
    steps = step_figure("plots-test", (np.arange(1, 101), np.geomspace(300.0, 90.0, 100)), variational=True)
    assert steps.layout.yaxis.type == "log" and "100" in steps.layout.yaxis.ticktext
