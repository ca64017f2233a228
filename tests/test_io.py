"""Tests of lstmcast.data.loading: every input error names the problem and the fix; the
happy paths give a sorted float64 frame with the right frequency."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lstmcast.core.errors import DataError
from lstmcast.data.loading import load
from lstmcast.data.series import SeriesData
from lstmcast.data.split import check_length


def write(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def csv_of(dates: list[str], values: list[object], time: str = "date") -> str:
    rows = "".join(f"{d},{v}\n" for d, v in zip(dates, values, strict=True))
    return f"{time},value\n{rows}"


DAYS = [f"2020-01-{d:02d}" for d in range(1, 11)]
VALUES = [1.0, 3.0, 2.0, 5.0, 4.0, 6.0, 8.0, 7.0, 9.0, 10.0]


# --- 1. files ---------------------------------------------------------------

def test_missing_file_is_named_with_a_close_match(tmp_path):
    write(tmp_path, csv_of(DAYS, VALUES), "sales.csv")
    with pytest.raises(DataError, match=r"sale\.csv does not exist\. Did you mean "
                                        r".*sales\.csv"):
        load(tmp_path / "sale.csv")


def test_empty_file(tmp_path):
    with pytest.raises(DataError, match=r"is empty\. Write a header line"):
        load(write(tmp_path, ""))


def test_header_without_rows(tmp_path):
    with pytest.raises(DataError, match=r"header \(date, value\) but no data rows"):
        load(write(tmp_path, "date,value\n"))


def test_unknown_extension(tmp_path):
    with pytest.raises(DataError, match=r"Unknown file type .*data\.xlsx.*\.csv.*"
                                        r"pass the DataFrame"):
        load(write(tmp_path, "x", "data.xlsx"))


def test_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "data.csv"
    path.write_bytes(b"date,value\n2020-01-01,\xff\xfe\x00\x81\n")
    with pytest.raises(DataError, match=r"not UTF-8 text.*Save it as a UTF-8 CSV"):
        load(path)


def test_parquet_without_pyarrow_says_what_to_install(tmp_path, monkeypatch):
    path = write(tmp_path, "not parquet", "data.parquet")
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyarrow" else real(name, *a))
    with pytest.raises(DataError, match=r"pip install 'lstmcast\[parquet\]'"):
        load(path)


def test_broken_parquet(tmp_path):
    with pytest.raises(DataError, match=r"as Parquet: .*save it again"):
        load(write(tmp_path, "not parquet", "data.pq"))


def test_unsupported_source():
    with pytest.raises(DataError, match=r"Cannot load a list: pass a file path"):
        load([1, 2, 3])


# --- 2. columns -------------------------------------------------------------

def test_several_numeric_columns_need_a_target(tmp_path):
    text = "date,a,b\n" + "".join(f"{d},{i},{i * 2}\n" for i, d in enumerate(DAYS))
    with pytest.raises(DataError, match=r"Several numeric columns in file .*data\.csv "
                                        r"could be the target: a, b\. .*target=NAME"):
        load(write(tmp_path, text))


@pytest.mark.parametrize("kwargs, role, name", [
    ({"target": "vlue"}, "Target", "vlue"),
    ({"time": "Dat"}, "Time", "Dat"),
    ({"covariates": ["valeu"]}, "Covariate", "valeu"),
])
def test_missing_column_lists_columns_and_suggests(tmp_path, kwargs, role, name):
    path = write(tmp_path, csv_of(DAYS, VALUES))
    with pytest.raises(DataError, match=rf"{role} column '{name}' is not in file "
                                        r".*Available columns: date, value\. "
                                        r"Did you mean '(value|date)'\?"):
        load(path, **kwargs)


def test_target_cannot_be_a_covariate(tmp_path):
    with pytest.raises(DataError, match=r"both the target and a covariate"):
        load(write(tmp_path, csv_of(DAYS, VALUES)), target="value",
             covariates=["value"])


@pytest.mark.parametrize("name, value", [("duplicates", "median"), ("gaps", "drop")])
def test_bad_policy(tmp_path, name, value):
    with pytest.raises(DataError, match=rf"'{name}' parameter must be one of .*"
                                        rf"Got '{value}'"):
        load(write(tmp_path, csv_of(DAYS, VALUES)), **{name: value})


# --- 3-5. time column -------------------------------------------------------

def test_unparseable_time_cells_are_listed(tmp_path):
    dates = [*DAYS[:2], "not a date", *DAYS[3:]]
    with pytest.raises(DataError, match=r"Time column 'date' has cells that do not "
                                        r"parse.*line 4 \('not a date'\)"):
        load(write(tmp_path, csv_of(dates, VALUES)))


def test_empty_time_cells_are_listed(tmp_path):
    dates = [*DAYS[:5], "", *DAYS[6:]]
    with pytest.raises(DataError, match=r"Time column 'date' has empty cells at "
                                        r"line 7\. Fill in"):
        load(write(tmp_path, csv_of(dates, VALUES)))


def test_non_integer_steps(tmp_path):
    text = "step,value\n0,1\n1,2\n2.5,3\n3,4\n"
    with pytest.raises(DataError, match=r"whole-number steps.*line 4 \(2\.5\)"):
        load(write(tmp_path, text))


def test_unsorted_time_names_rows_and_fix(tmp_path):
    dates = [DAYS[0], DAYS[2], DAYS[1], *DAYS[3:]]
    with pytest.raises(DataError, match=r"'date' is not sorted: line 4 \(2020-01-02\)"
                                        r" comes after line 3 \(2020-01-03\).*"
                                        r"df\.sort_values\('date'\)"):
        load(write(tmp_path, csv_of(dates, VALUES)))


def test_duplicates_error_lists_stamps_counts_and_fix(tmp_path):
    dates = [DAYS[0], DAYS[1], DAYS[1], DAYS[2], DAYS[3], DAYS[3], DAYS[3]]
    path = write(tmp_path, csv_of(dates, [1, 2, 3, 4, 5, 6, 7]))
    with pytest.raises(DataError, match=r"duplicate time stamps: 2020-01-02 \(2 rows: "
                                        r"line 3, line 4\), 2020-01-04 \(3 rows.*2 "
                                        r"stamps repeated, 5 rows.*--duplicates "
                                        r"mean\|sum\|first\|last"):
        load(path)


@pytest.mark.parametrize("policy, expected", [
    ("mean", [1.0, 2.5, 4.0, 6.0]), ("sum", [1.0, 5.0, 4.0, 18.0]),
    ("first", [1.0, 2.0, 4.0, 5.0]), ("last", [1.0, 3.0, 4.0, 7.0]),
])
def test_duplicates_are_aggregated(tmp_path, policy, expected):
    dates = [DAYS[0], DAYS[1], DAYS[1], DAYS[2], DAYS[3], DAYS[3], DAYS[3]]
    data = load(write(tmp_path, csv_of(dates, [1, 2, 3, 4, 5, 6, 7])),
                duplicates=policy)
    assert data.y.tolist() == expected
    assert data.index.is_unique and data.freq == "D"
    assert any("5 rows shared 2 time stamps" in n for n in data.notes)


# --- 6-9. values --------------------------------------------------------------

def test_text_in_target_lists_rows_and_values(tmp_path):
    values = [*VALUES[:2], "abc", *VALUES[3:6], "n/a?", *VALUES[7:]]
    with pytest.raises(DataError, match=r"Target column 'value' has cells that are "
                                        r"not numbers: line 4 \('abc'\), line 8 "
                                        r"\('n/a\?'\)\."):
        load(write(tmp_path, csv_of(DAYS, values)))


def test_thousands_separator_is_not_guessed_but_named(tmp_path):
    values = ['"1,234"', *VALUES[1:]]
    with pytest.raises(DataError, match=r"line 2 \('1,234'\)\. They look like "
                       r"numbers written with .* thousands separator ','.* not "
                       r"guess: read them with --thousands ','.* or, if ',' is the "
                       r"decimal mark there, with --decimal ','"):
        load(write(tmp_path, csv_of(DAYS, values)))


def test_decimal_comma_in_semicolon_file_is_not_guessed_but_named(tmp_path):
    text = "date;value\n" + "".join(f"{d};{i},5\n" for i, d in enumerate(DAYS))
    with pytest.raises(DataError, match=r"holds text, not numbers: line 2 \('0,5'\)"
                       r".*decimal mark ','.* read them with --decimal ','") as info:
        load(write(tmp_path, text))
    assert "Fix those cells" not in str(info.value)


def test_text_in_covariate(tmp_path):
    text = "date,value,price\n" + "".join(
        f"{d},{v},{'cheap' if i == 4 else i}\n"
        for i, (d, v) in enumerate(zip(DAYS, VALUES, strict=True)))
    with pytest.raises(DataError, match=r"Covariate column 'price' has cells that "
                                        r"are not numbers: line 6 \('cheap'\)"):
        load(write(tmp_path, text), target="value", covariates=["price"])


def test_infinite_values_name_rows(tmp_path):
    values = [*VALUES[:3], "inf", *VALUES[4:8], "-inf", VALUES[9]]
    with pytest.raises(DataError, match=r"'value' has infinite values at line 5 "
                                        r"\(inf\), line 10 \(-inf\)\. Replace them"):
        load(write(tmp_path, csv_of(DAYS, values)))


def test_all_missing_target(tmp_path):
    with pytest.raises(DataError, match=r"Target column 'value' has no values: all "
                                        r"10 cells are missing"):
        load(write(tmp_path, csv_of(DAYS, [""] * 10)), target="value")


def test_constant_target(tmp_path):
    values = [5, 5, "", 5, 5, 5, 5, 5, 5, 5]
    with pytest.raises(DataError, match=r"'value' is constant: every value is 5\. "
                                        r"Nothing can be learned"):
        load(write(tmp_path, csv_of(DAYS, values)))


def test_missing_values_are_noted_with_longest_run(tmp_path):
    values = [1, "", "", 4, 5, "", 7, 8, 9, 10]
    data = load(write(tmp_path, csv_of(DAYS, values)))
    assert np.isnan(data.y).sum() == 3
    assert any("3 missing values (longest run 2 rows)" in n for n in data.notes)


# --- 10. gaps and frequency ---------------------------------------------------

GAPPY = [d for i, d in enumerate(DAYS) if i not in (2, 5, 6)]


def test_gaps_reported_keep_rows(tmp_path):
    data = load(write(tmp_path, csv_of(GAPPY, VALUES[:7])))
    assert len(data) == 7 and data.freq == "D"
    assert any("3 time stamps are missing" in n and "largest gap: 2 missing between"
               " 2020-01-05 and 2020-01-08" in n for n in data.notes)


def test_gaps_filled(tmp_path):
    data = load(write(tmp_path, csv_of(GAPPY, VALUES[:7])), gaps="fill")
    assert len(data) == 10 and data.freq == "D"
    assert np.flatnonzero(np.isnan(data.y)).tolist() == [2, 5, 6]
    assert any("inserted 3 rows of missing values" in n for n in data.notes)


def test_gaps_error_lists_missing_stamps(tmp_path):
    with pytest.raises(DataError, match=r"3 time stamps are missing.*first missing: "
                                        r"2020-01-03, 2020-01-06, 2020-01-07\. Load "
                                        r"with gaps='fill'"):
        load(write(tmp_path, csv_of(GAPPY, VALUES[:7])), gaps="error")


def trading_days() -> pd.DataFrame:
    days = pd.bdate_range("2019-01-01", periods=300)
    holidays = days[[10, 30, 31, 150, 259]]
    days = days.difference(holidays)
    rng = np.random.default_rng(0)
    return pd.DataFrame({"Date": days, "Close": 100 + rng.normal(size=len(days))
                         .cumsum()})


def test_trading_day_gaps_are_business_days(tmp_path):
    path = tmp_path / "msft.csv"
    trading_days().to_csv(path, index=False)
    data = load(path)
    assert data.freq == "B" and data.target == "Close" and len(data) == 295
    assert any("5 time stamps are missing from the regular 'B' grid" in n
               for n in data.notes)
    assert data.future_index(3).day_of_week.max() < 5


def test_irregular_stamps_reported_and_refused(tmp_path):
    dates = ["2020-01-01", "2020-01-02", "2020-01-05 06:00", "2020-01-09",
             "2020-01-20", "2020-02-03"]
    path = write(tmp_path, csv_of(dates, [1, 2, 3, 4, 5, 6]))
    data = load(path)
    assert data.freq is None
    assert any("irregular" in n for n in data.notes)
    with pytest.raises(DataError, match=r"gaps='fill'"):
        data.future_index(2)
    with pytest.raises(DataError, match=r"irregular.*gaps='fill' cannot be applied.*"
                                        r"resample"):
        load(path, gaps="fill")


# --- happy paths --------------------------------------------------------------

def test_month_strings_csv(tmp_path):
    months = [f"1949-{m:02d}" for m in range(1, 13)]
    data = load(write(tmp_path, csv_of(months, range(100, 112), "timestamp")))
    assert isinstance(data, SeriesData) and data.freq == "MS"
    assert data.index.name == "timestamp" and data.target == "value"
    assert data.frame.dtypes.tolist() == [np.float64] and data.X.shape == (12, 0)
    assert data.y.dtype == np.float64 and data.notes == ()
    assert list(data.future_index(2).strftime("%Y-%m")) == ["1950-01", "1950-02"]


def test_quarters_are_quarter_starts(tmp_path):
    quarters = [f"{y}Q{q}" for y in (1970, 1971) for q in (1, 2, 3, 4)]
    data = load(write(tmp_path, csv_of(quarters, range(8), "period")))
    assert data.index[1] == pd.Timestamp("1970-04-01")
    assert data.freq == "QS-JAN"
    assert data.future_index(1)[0] == pd.Timestamp("1972-01-01")


def test_weekly_future_index():
    index = pd.date_range("2001-12-01", periods=6, freq="W-SAT")
    data = load(pd.DataFrame({"co2": [1.0, 2, 3, 4, 5, 7]}, index=index))
    assert data.freq == "W-SAT" and data.index.name == "time"
    assert data.future_index(2).tolist() == [pd.Timestamp("2002-01-12"),
                                             pd.Timestamp("2002-01-19")]


def test_integer_steps_first_column(tmp_path):
    text = "t,value\n" + "".join(f"{i},{v}\n" for i, v in enumerate(VALUES))
    data = load(write(tmp_path, text))
    assert data.index.name == "t" and data.freq is None
    assert data.future_index(3).tolist() == [10, 11, 12]
    assert data.times_float().tolist() == list(map(float, range(10)))


def test_no_time_column_uses_row_positions():
    data = load(pd.DataFrame({"y": VALUES}))
    assert data.index.name == "step" and data.index.tolist() == list(range(10))
    assert any("No time column found" in n for n in data.notes)


def test_covariates_and_head(tmp_path):
    frame = pd.DataFrame({"date": DAYS, "value": VALUES,
                          "temp": np.arange(10.0), "rain": np.arange(10) % 3})
    path = tmp_path / "data.csv.gz"
    with gzip.open(path, "wt") as fh:
        frame.to_csv(fh, index=False)
    data = load(path, target="value", covariates=["temp", "rain"])
    assert data.covariates == ("temp", "rain") and data.X.shape == (10, 2)
    assert list(data.frame.columns) == ["value", "temp", "rain"]
    head = data.head(4)
    assert len(head) == 4 and head.freq == "D" and head.covariates == data.covariates


def test_parquet_round_trip(tmp_path):
    pytest.importorskip("pyarrow")
    index = pd.date_range("2020-01-01", periods=48, freq="30min", name="ts")
    frame = pd.DataFrame({"load": np.sin(np.arange(48.0))}, index=index)
    frame.to_parquet(tmp_path / "data.parquet")
    data = load(tmp_path / "data.parquet")
    assert data.freq == "30min" and data.index.name == "ts" and len(data) == 48


def test_series_name_is_target_index_is_time():
    index = pd.date_range("2020-01-31", periods=6, freq="ME")
    data = load(pd.Series([1.0, 2, 3, 2, 1, 0], index=index, name="sales"))
    assert data.target == "sales" and data.freq == "ME"
    assert load(pd.Series([1.0, 2, 3])).target == "value"


def test_timezone_aware_stamps_are_kept(tmp_path):
    dates = [f"2020-03-01 {h:02d}:00+01:00" for h in range(8)]
    data = load(write(tmp_path, csv_of(dates, range(8))))
    assert str(data.index.tz) == "UTC+01:00" and data.freq == "h"
    assert data.times_float()[1] - data.times_float()[0] == 3600.0


def test_year_column_becomes_yearly_dates(tmp_path):
    text = "year,value\n" + "".join(f"{1990 + i},{v}\n" for i, v in enumerate(VALUES))
    data = load(write(tmp_path, text))
    assert data.freq == "YS-JAN" and data.index[0] == pd.Timestamp("1990-01-01")


@pytest.mark.parametrize("sep", [";", "\t", " "])
def test_other_separators(tmp_path, sep):
    text = f"date{sep}value\n" + "".join(f"{d}{sep}{v}\n" for d, v in zip(
        DAYS, VALUES, strict=True))
    data = load(write(tmp_path, text, "data.txt"))
    assert data.y.tolist() == VALUES and data.freq == "D"


def test_time_column_detected_by_content(tmp_path):
    text = "when,value\n" + "".join(f"{d},{v}\n" for d, v in zip(DAYS, VALUES,
                                                                   strict=True))
    data = load(write(tmp_path, text))
    assert data.index.name == "when" and data.freq == "D"


# --- check_length ---------------------------------------------------------------

def test_check_length_passes_at_the_boundary():
    # 12 + 1 + 10 - 1 = 22 training points, + 24 test + 5 validation
    check_length(51, window=12, horizon=1, n_test=24, n_val=5)


def test_check_length_gives_formula_and_what_fits():
    with pytest.raises(DataError, match=r"50 - 24 - 5 = 21 for training.*"
                                        r"12 \+ 1 \+ 10 - 1 = 22\. It would fit with "
                                        r"window=11 .*test part of at most 23 points"
                                        r".*at least 51 points"):
        check_length(50, window=12, horizon=1, n_test=24, n_val=5)


def test_check_length_validation_must_hold_a_target():
    with pytest.raises(DataError, match=r"validation part of 3 points cannot hold "
                                        r"the 6 targets"):
        check_length(500, window=12, horizon=6, n_test=24, n_val=3)


def test_check_length_rejects_bad_arguments():
    with pytest.raises(DataError, match=r"'window' parameter must be an int >= 1"):
        check_length(100, window=0, horizon=1, n_test=10, n_val=10)


# --- property: load never fails with anything but DataError ---------------------

CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**20, 10**20),
    st.text(max_size=6), st.just(""),
    st.dates().map(str), st.datetimes().map(str),
    st.sampled_from(["1970Q1", "1949-01", "1,234", "nan", "inf", "2020-01-01"]),
)


@st.composite
def messy_frames(draw) -> pd.DataFrame:
    n_rows = draw(st.integers(0, 8))
    names = draw(st.lists(st.sampled_from(["date", "value", "x", "y", "step", "a b"]),
                          min_size=1, max_size=4, unique=True))
    columns = {}
    for name in names:
        kind = draw(st.sampled_from(["cells", "floats", "ints", "dates"]))
        if kind == "floats":
            strategy = st.floats(allow_nan=True, allow_infinity=True)
        elif kind == "ints":
            strategy = st.integers(-1000, 1000)
        elif kind == "dates":
            strategy = st.dates().map(str)
        else:
            strategy = CELLS
        columns[name] = draw(st.lists(strategy, min_size=n_rows, max_size=n_rows))
    return pd.DataFrame(columns)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(frame=messy_frames(), target=st.sampled_from([None, "value", "x"]),
       duplicates=st.sampled_from(["error", "mean", "last"]),
       gaps=st.sampled_from(["report", "fill", "error"]))
def test_load_returns_data_or_raises_data_error(tmp_path, frame, target,
                                                duplicates, gaps):
    path = tmp_path / "messy.csv"
    frame.to_csv(path, index=False)
    try:
        data = load(path, target=target, duplicates=duplicates, gaps=gaps)
    except DataError as exc:
        assert str(exc)
        return
    assert data.index.is_monotonic_increasing and data.index.is_unique
    assert list(data.frame.dtypes) == [np.float64] * (1 + len(data.covariates))
    assert not np.isinf(data.y).any()
