"""Tests of panels in long format: a broken series costs a note, not the run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmcast.core.errors import DataError
from lstmcast.data.panel_loading import load_panel


def clean_panel(n_series: int = 4, length: int = 30) -> pd.DataFrame:
    rows = []
    for k in range(n_series):
        t = np.arange(1, length + k + 1)
        rows.append(pd.DataFrame({"unique_id": f"s{k}", "ds": t,
                                  "y": 10.0 + k + 0.5 * t}))
    return pd.concat(rows, ignore_index=True)


def every_bad_case() -> pd.DataFrame:
    """A clean panel plus one series of each kind of trouble."""
    bad = [
        pd.DataFrame({"unique_id": "text", "ds": [1, 2, 3], "y": ["1", "x", "3"]}),
        pd.DataFrame({"unique_id": "empty", "ds": [1, 2, 3], "y": [np.nan] * 3}),
        pd.DataFrame({"unique_id": "dup", "ds": [1, 1, 2], "y": [1.0, 2, 3]}),
        pd.DataFrame({"unique_id": "inf", "ds": [1, 2, 3], "y": [1.0, np.inf, 3]}),
        pd.DataFrame({"unique_id": "gap", "ds": [1, 2, 5, 6], "y": [1.0, 2, 3, 4]}),
        pd.DataFrame({"unique_id": "holes", "ds": [1, 2, 3, 4, 5],
                      "y": [np.nan, 2.0, np.nan, 4, np.nan]}),
        pd.DataFrame({"unique_id": "flat", "ds": [1, 2, 3, 4], "y": [7.0] * 4}),
        pd.DataFrame({"unique_id": 42, "ds": [3, 1, 2], "y": [3.0, 1, 2]}),
        pd.DataFrame({"unique_id": [None], "ds": [1], "y": [5.0]}),
    ]
    return pd.concat([clean_panel(), *bad], ignore_index=True)


def test_a_clean_panel_keeps_every_series_in_time_order():
    panel = load_panel(clean_panel(), id="unique_id")
    assert panel.ids == ("s0", "s1", "s2", "s3")
    assert panel.target == "y" and panel.time_name == "ds" and panel.step == 1
    assert list(panel.lengths()) == [30, 31, 32, 33]
    assert np.array_equal(panel.y(2), 12.0 + 0.5 * np.arange(1, 33))
    assert list(panel.future_stamps(0, 3)) == [31, 32, 33]
    assert not panel.dropped and not panel.notes


def test_every_broken_series_costs_a_note_and_the_rest_is_kept():
    panel = load_panel(every_bad_case(), id="unique_id")
    assert set(panel.dropped) == {"text", "empty", "dup", "inf"}
    assert "'x'" in panel.dropped["text"] and "text" in panel.dropped["text"]
    assert "no values" in panel.dropped["empty"]
    assert "more than once" in panel.dropped["dup"]
    assert "infinite" in panel.dropped["inf"]
    assert {"s0", "s1", "s2", "s3", "gap", "holes", "flat", 42} == set(panel.ids)
    assert "missing inside the series" in panel.notes["gap"][0]
    holes = panel.notes["holes"]
    assert any("leading" in n for n in holes) and any("missing value" in n
                                                     for n in holes)
    assert np.array_equal(panel.y(panel.ids.index("holes")), [2.0, np.nan, 4.0],
                          equal_nan=True)
    assert "constant" in panel.notes["flat"][0]
    assert "sorted" in panel.notes[42][0]  # ids keep their type (an int here)
    assert np.array_equal(panel.y(panel.ids.index(42)), [1.0, 2.0, 3.0])
    assert "empty 'unique_id'" in panel.notes["(no id)"][0]


def test_duplicates_can_be_combined_and_gaps_refused():
    panel = load_panel(every_bad_case(), id="unique_id", duplicates="mean",
                       gaps="error")
    assert np.array_equal(panel.y(panel.ids.index("dup")), [1.5, 3.0])
    assert "missing inside" in panel.dropped["gap"]


def test_dates_get_the_panel_frequency_and_future_stamps():
    frame = clean_panel()
    frame["ds"] = [pd.Timestamp("2000-01-01") + pd.DateOffset(months=int(t) - 1)
                   for t in clean_panel()["ds"]]
    panel = load_panel(frame, id="unique_id", time="ds")
    assert panel.freq == "MS"
    assert list(panel.future_stamps(0, 2)) == [pd.Timestamp("2002-07-01"),
                                               pd.Timestamp("2002-08-01")]


def test_drop_last_and_last_split_every_series():
    panel = load_panel(clean_panel(), id="unique_id")
    train = panel.drop_last(5)
    assert list(train.lengths()) == [25, 26, 27, 28]
    assert np.array_equal(panel.last(5)[1], panel.y(1)[-5:])
    assert np.array_equal(train.y(3), panel.y(3)[:-5])


def test_a_panel_with_no_usable_series_is_an_error_naming_why():
    frame = pd.DataFrame({"unique_id": ["a", "a"], "ds": [1, 2],
                          "y": [np.nan, np.nan]})
    with pytest.raises(DataError, match="No series .* can be used.*no values"):
        load_panel(frame, id="unique_id")


def test_a_missing_id_column_is_named():
    with pytest.raises(DataError, match="Id column 'series' is not in"):
        load_panel(clean_panel(), id="series")
