"""Messages that say what is actually wrong: a single value is not "constant",
rows appended twice are not "unsorted", values too large to square are refused
before diagnose crashes, and a straight line diagnoses without a traceback.
(The doctor's lag-copying and --auto's budget notes: test_explain, test_auto.)"""

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ar_series
from lstmcast.cli.app import app
from lstmcast.core.errors import DataError
from lstmcast.data.loading import load
from lstmcast.diagnosis.diagnose import diagnose

runner = CliRunner()


def daily(values, start: str = "2020-01-01") -> pd.DataFrame:
    return pd.DataFrame({"date": pd.date_range(start, periods=len(values)),
                         "y": values})


def test_one_row_is_too_little_data_not_a_constant(tmp_path):
    path = tmp_path / "one.csv"
    daily([5.0]).to_csv(path, index=False)
    with pytest.raises(DataError, match=r"single value \(5\): there is no history"
                                        ) as info:
        load(path)
    assert "constant" not in str(info.value)


def test_one_value_among_empty_cells_says_the_others_are_empty():
    with pytest.raises(DataError, match=r"single value \(5\); its other 3 cells "
                                        r"are empty"):
        load(daily([np.nan, 5.0, np.nan, np.nan]), target="y", trim="none")


def test_rows_appended_twice_are_named_as_such(tmp_path):
    frame = daily(np.arange(100.0))
    twice = pd.concat([frame, frame.iloc[49:60].assign(y=lambda f: f.y + 0.5)])
    path = tmp_path / "twice.csv"
    twice.to_csv(path, index=False)
    with pytest.raises(DataError) as info:
        load(path)
    message = str(info.value)
    assert "not sorted" not in message
    assert "line 102 (2020-02-19) repeats line 51" in message
    assert "11 rows in all repeat an earlier stamp" in message
    assert "appended twice" in message and "--unsorted sort --duplicates last" in \
        message
    fixed = load(path, unsorted="sort", duplicates="last")
    assert len(fixed) == 100 and fixed.y[49] == 49.5  # the later copy


def test_rows_out_of_order_are_still_unsorted(tmp_path):
    frame = daily(np.arange(10.0))
    path = tmp_path / "swapped.csv"
    frame.iloc[[0, 1, 3, 2, 4, 5, 6, 7, 8, 9]].to_csv(path, index=False)
    with pytest.raises(DataError, match=r"is not sorted: line 5 \(2020-01-03\) comes "
                                        r"after line 4 \(2020-01-04\)"):
        load(path)


def test_values_near_1e300_are_refused_with_the_rescale_not_a_traceback(tmp_path):
    frame = ar_series(120)
    frame["y"] *= 1e299
    path = tmp_path / "huge.csv"
    frame.to_csv(path, index=False)
    res = runner.invoke(app, ["diagnose", str(path), "--target", "y"])
    assert res.exit_code == 2 and "Traceback" not in res.output
    assert "too large to compute with (beyond ±1e150)" in res.output
    assert "divide it by 1e297" in res.output
    frame["y"] /= 1e151  # about 1e148: computed with
    assert diagnose(frame, target="y").stationarity["verdict"]


def test_a_straight_line_diagnoses_without_a_traceback():
    """Its changes are constant, which KPSS's lag choice cannot test."""
    found = diagnose(daily(np.arange(100.0)), target="y")
    assert found.stationarity["ndiffs"] == 1
