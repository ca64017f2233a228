"""Explicit repair policies (checklist 7, 9, 11, 13-17): each repair is made only
when asked for (or by a documented default), counted in ``SeriesData.repairs``
and the notes, recorded in the saved model's manifest, and refused under
``strict`` / ``--strict``."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from robust_helpers import TINY, daily_csv, write_csv
from typer.testing import CliRunner

from conftest import ar_series
from lstmcast.cli.app import app
from lstmcast.core.errors import DataError, DataWarning
from lstmcast.data.loading import load
from lstmcast.forecaster.estimator import LSTMForecaster

UNSORTED = ("date,value\n2020-01-01,1\n2020-01-03,3\n2020-01-02,2\n2020-01-04,4\n"
            "2020-01-05,6\n")
DUPLICATED = ("date,value\n2020-01-01,1\n2020-01-02,2\n2020-01-02,4\n2020-01-03,5\n"
              "2020-01-04,3\n")
GAPPY = daily_csv([1, 2, 3, 4, 5, 6]).replace("2020-01-03,3\n", "")
EDGES = daily_csv(["", "", 1, 2, 4, 3, ""])

# (name, CSV, load options, repair kind, count, note that must be among the notes)
REPAIRS = [
    ("13 sort", UNSORTED, {"unsorted": "sort"}, "sort", 2,
     "2 rows of 'date' were out of time order and were sorted"),
    ("14 duplicates mean", DUPLICATED, {"duplicates": "mean"}, "duplicates", 1,
     "2 rows shared 1 time stamp and were combined"),
    ("15 fill gaps", GAPPY, {"gaps": "fill"}, "fill_gaps", 1,
     "inserted 1 row of missing values"),
    ("9 trim edges", EDGES, {}, "trim", 3,
     "Dropped 2 leading rows and 1 trailing row where target 'value' is empty"),
]


@pytest.mark.parametrize(("name", "text", "options", "kind", "n", "note"), REPAIRS,
                         ids=[r[0] for r in REPAIRS])
def test_repair_is_counted_noted_and_refused_when_strict(tmp_path, name, text,
                                                         options, kind, n, note):
    path = write_csv(tmp_path, text)
    data = load(path, **options)
    repair = next(r for r in data.repairs if r.kind == kind)
    assert repair.count == n and note in repair.detail
    assert any(note in line for line in data.notes)
    assert data.index.is_monotonic_increasing and data.index.is_unique
    with pytest.raises(DataError, match=rf"strict=True \(--strict\): the data needs "
                                        rf".*\[{kind}\].*Fix the data, or drop "
                                        r"--strict"):
        load(path, strict=True, **options)


def test_13_sorted_rows_keep_their_values_and_errors_name_original_lines(tmp_path):
    data = load(write_csv(tmp_path, UNSORTED), unsorted="sort")
    assert data.y.tolist() == [1, 2, 3, 4, 6]
    text = UNSORTED + "2020-01-02,9\n"
    with pytest.raises(DataError, match=r"2020-01-02 \(2 rows: line 4, line 7\)"):
        load(write_csv(tmp_path, text), unsorted="sort")


def test_9_trim_none_keeps_the_edges_for_the_imputer(tmp_path):
    data = load(write_csv(tmp_path, EDGES), trim="none")
    assert len(data) == 7 and [r.kind for r in data.repairs] == ["missing"]


def test_7_missing_values_are_a_repair_refused_when_strict(tmp_path):
    path = write_csv(tmp_path, daily_csv([1, 2, "", 4, 5]))
    assert [(r.kind, r.count) for r in load(path).repairs] == [("missing", 1)]
    with pytest.raises(DataError, match=r"\[missing\] Column 'value' has 1 missing "
                                        r"value"):
        load(path, strict=True)


def test_11_constant_covariate_is_dropped_as_a_repair(tmp_path):
    frame = ar_series(120)
    frame["flag"] = 1.0
    frame.loc[5, "flag"] = np.nan  # missing cells do not make it vary
    with pytest.warns(DataWarning, match=r"Covariate 'flag' is constant"):
        data = load(frame, target="y", covariates=["x", "flag"])
    assert data.covariates == ("x",) and list(data.frame.columns) == ["y", "x"]
    repair = next(r for r in data.repairs if r.kind == "constant_covariate")
    assert "every value is 1), so it carries no information: it was dropped" in \
        repair.detail and repair.detail in data.notes
    with pytest.raises(DataError, match=r"\[constant_covariate\] Covariate 'flag'"), \
            pytest.warns(DataWarning):
        load(frame, target="y", covariates=["x", "flag"], strict=True)
    est = LSTMForecaster(**TINY, threads=1).fit(data)
    assert est.covariates_ == ("x",)
    est.save(str(tmp_path / "m"))
    loaded = LSTMForecaster.load(str(tmp_path / "m"))
    frame.loc[:, "flag"] = 0.0  # new data: the column is there (constant too)
    np.testing.assert_array_equal(loaded.predict(1, frame)["forecast"],
                                  est.predict(1, frame)["forecast"])
    manifest = json.loads((tmp_path / "m" / "manifest.json").read_text())
    assert "constant_covariate" in {r["kind"] for r in manifest["run"]["repairs"]}


def test_11_a_constant_recent_covariate_still_forecasts():
    """The drop is for training data only: a flag that happens to hold one
    value in the history given to predict is kept."""
    est = LSTMForecaster(**TINY, threads=1).fit(ar_series(120), target="y",
                                                covariates=["x"])
    history = ar_series(40)
    history["x"] = 0.5
    assert np.isfinite(est.predict(1, history)["forecast"]).all()


def test_clean_data_needs_no_repair_and_passes_strict(tmp_path):
    data = load(write_csv(tmp_path, daily_csv([1, 3, 2, 5])), strict=True)
    assert data.repairs == ()


# --- 17. time zones and daylight saving -------------------------------------------

def berlin_fall_back_csv() -> str:
    """Hourly local clock times across 2021-10-31, when 02:00-02:59 happens twice."""
    stamps = pd.date_range("2021-10-30 22:00", "2021-10-31 06:00", freq="h",
                           tz="Europe/Berlin")
    local = stamps.tz_localize(None).strftime("%Y-%m-%d %H:%M")
    return "time,value\n" + "".join(f"{t},{i % 5 + i / 10}\n"
                                    for i, t in enumerate(local))


def test_17_local_times_with_a_repeated_hour_need_the_zone(tmp_path):
    path = write_csv(tmp_path, berlin_fall_back_csv())
    with pytest.raises(DataError, match=r"duplicate time stamps: 2021-10-31 "
                                        r"02:00:00.*daylight-saving fall-back.*"
                                        r"--timezone NAME"):
        load(path)
    data = load(path, timezone="Europe/Berlin")
    assert len(data) == 10 and data.index.is_unique and data.freq == "h"
    assert str(data.index.tz) == "Europe/Berlin"
    assert np.all(np.diff(data.times_float()) == 3600.0)  # compared in UTC
    assert "1 daylight-saving change inside the data" in data.repairs[0].detail
    future = data.future_index(2)  # and given back in the local zone
    assert [str(t) for t in future] == ["2021-10-31 07:00:00+01:00",
                                        "2021-10-31 08:00:00+01:00"]
    with pytest.raises(DataError, match=r"\[timezone\]"):
        load(path, timezone="Europe/Berlin", strict=True)


def test_17_a_skipped_local_hour_is_refused_with_the_fix(tmp_path):
    text = "time,value\n" + "".join(f"2021-03-28 {h:02d}:30,{h}\n" for h in range(5))
    with pytest.raises(DataError, match=r"not a valid local time in Europe/Berlin.*"
                                        r"daylight-saving change.*UTC offset"):
        load(write_csv(tmp_path, text), timezone="Europe/Berlin")
    with pytest.raises(DataError, match=r"Unknown time zone 'Mars/Olympus'"):
        load(write_csv(tmp_path, text), timezone="Mars/Olympus")


def test_17_mixed_utc_offsets_are_converted_to_utc_and_counted(tmp_path):
    stamps = pd.date_range("2021-10-30 22:00", periods=8, freq="h",
                           tz="Europe/Berlin")
    text = "time,value\n" + "".join(f"{t.isoformat()},{i % 3 + i}\n"
                                    for i, t in enumerate(stamps))
    data = load(write_csv(tmp_path, text))
    assert str(data.index.tz) == "UTC" and data.freq == "h"
    assert [r.kind for r in data.repairs] == ["timezone"]
    back = load(write_csv(tmp_path, text), timezone="Europe/Berlin")
    assert back.index.equals(stamps.rename("time"))


# --- the manifest and the command line ---------------------------------------------

def test_repairs_are_recorded_in_the_model_manifest(tmp_path):
    frame = ar_series(90)
    frame.loc[:2, "y"] = np.nan  # a sensor not yet installed
    series = load(frame, target="y")
    LSTMForecaster(**TINY).fit(series).save(str(tmp_path / "m"))
    run = json.loads((tmp_path / "m" / "manifest.json").read_text())["run"]
    assert run["repairs"] == [{"kind": "trim", "count": 3,
                               "detail": series.repairs[0].detail}]
    assert run["data_sha256"] == series.fingerprint()


def test_cli_strict_exit_2_and_debug_shows_the_traceback(tmp_path):
    path = write_csv(tmp_path, UNSORTED)
    runner = CliRunner()
    args = ["fit", str(path), "--out", str(tmp_path / "r"), "--unsorted", "sort",
            "--strict"]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and "[sort] 2 rows" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["--debug", *args])
    assert res.exit_code == 2 and "Traceback" in res.output
    assert "[sort] 2 rows" in res.output


def test_17_a_model_keeps_its_time_zone_through_save_and_load(tmp_path):
    stamps = pd.date_range("2021-10-28", periods=150, freq="h", tz="Europe/Berlin")
    frame = pd.DataFrame({"time": stamps, "y": np.sin(np.arange(150) / 4)
                          + np.random.default_rng(0).normal(size=150) / 10})
    est = LSTMForecaster(**{**TINY, "epochs": 1, "threads": 1}).fit(frame,
                                                                    target="y")
    est.save(str(tmp_path / "m"))
    back = LSTMForecaster.load(str(tmp_path / "m"))
    assert str(back.context_series().index.tz) == "Europe/Berlin"
    pd.testing.assert_frame_equal(back.predict(2), est.predict(2))


# --- 16. --resample: aggregate onto a regular grid ----------------------------------

def hourly_csv(days: int = 3, skip_day: int | None = None) -> str:
    """Hourly stamps (column ``time``), target ``y`` = 0, 1, 2, ... and a
    covariate ``x`` = 2 * y; the hours of day ``skip_day`` (0-based) left out."""
    stamps = pd.date_range("2020-01-01", periods=24 * days, freq="h")
    rows = [f"{s:%Y-%m-%d %H:%M},{i},{2 * i}\n" for i, s in enumerate(stamps)
            if skip_day is None or i // 24 != skip_day]
    return "time,y,x\n" + "".join(rows)


@pytest.mark.parametrize(("how", "first"), [("mean", 11.5), ("sum", 276.0),
                                            ("last", 23.0)])
def test_16_resample_aggregates_target_and_covariates_as_a_repair(tmp_path, how,
                                                                  first):
    path = write_csv(tmp_path, hourly_csv())
    with pytest.warns(DataWarning, match=r"Resampling merged values"):
        data = load(path, target="y", covariates=["x"], resample="D",
                    resample_how=how)
    assert data.freq == "D" and len(data) == 3
    assert data.frame.iloc[0].tolist() == [first, 2 * first]
    repair = next(r for r in data.repairs if r.kind == "resample")
    assert repair.count == 72 and repair.detail in data.notes
    assert (f"72 rows became 3 rows; 72 rows merged ({how}) into 3 bins"
            in repair.detail)
    with pytest.raises(DataError, match=r"strict=True \(--strict\).*\[resample\] "
                                        r"Resampled 'time' to 'D'"), \
            pytest.warns(DataWarning):
        load(path, target="y", covariates=["x"], resample="D", strict=True)


def test_16_empty_bins_follow_the_gaps_policy(tmp_path):
    path = write_csv(tmp_path, hourly_csv(days=4, skip_day=1))
    options = {"target": "y", "resample": "D"}
    with pytest.warns(DataWarning):
        reported = load(path, **options)
        filled = load(path, gaps="fill", **options)
        with pytest.raises(DataError, match=r"1 time stamp is missing from the "
                                            r"regular 'D' grid .*first missing: "
                                            r"2020-01-02"):
            load(path, gaps="error", **options)
    assert "1 empty bin (no rows) left to the gap policy" in \
        reported.repairs[0].detail
    assert len(reported) == 3 and reported.freq == "D"
    assert len(filled) == 4 and np.isnan(filled.y[1])
    assert [r.kind for r in filled.repairs] == ["resample", "fill_gaps", "missing"]


def test_16_resample_moves_jittered_stamps_and_merges_duplicates(tmp_path):
    text = ("time,y\n2020-01-01 00:00:05,1\n2020-01-01 01:00:02,2\n"
            "2020-01-01 02:00:01,3\n2020-01-01 02:00:01,5\n2020-01-01 03:00:00,4\n")
    with pytest.warns(DataWarning, match=r"merged"):
        data = load(write_csv(tmp_path, text), resample="h")
    assert data.y.tolist() == [1, 2, 4, 4] and data.freq == "h"
    assert "2 rows merged (mean) into 1 bin, 2 rows moved onto the grid" in \
        data.repairs[0].detail and data.repairs[0].count == 4


def test_16_resample_of_regular_data_changes_nothing_and_passes_strict(tmp_path):
    path = write_csv(tmp_path, daily_csv([1, 3, 2, 5]))
    data = load(path, resample="D", strict=True)
    assert data.repairs == () and data.y.tolist() == [1, 3, 2, 5]


@pytest.mark.parametrize(("rule", "message"), [
    ("fortnightly", r"Unknown resampling rule 'fortnightly' \(resample, "
                    r"--resample\)\. Give a pandas frequency such as 'D' \(days\), "
                    r"'h' \(hours\), 'W' \(weeks\), 'MS' \(months\), '30min'"),
    ("H", r"Unknown resampling rule 'H' .*\(Did you mean h\?\)"),
    ("-1D", r"The resampling rule '-1D' must step forward"),
])
def test_16_unknown_resample_rule_names_it_with_examples(tmp_path, rule, message):
    with pytest.raises(DataError, match=message):
        load(write_csv(tmp_path, daily_csv([1, 3, 2, 5])), resample=rule)


def test_16_resample_needs_dates_and_irregular_error_suggests_it(tmp_path):
    with pytest.raises(DataError, match=r"resample='D' \(--resample\) needs dates"):
        load(pd.Series([1.0, 3.0, 2.0, 5.0]), resample="D")
    text = ("time,y\n2020-01-01 00:00,1\n2020-01-02 03:17,2\n2020-01-03 01:05,4\n"
            "2020-01-05 22:40,3\n")
    with pytest.raises(DataError, match=r"irregular.*Resample the data to a regular "
                                        r"frequency first with resample=RULE "
                                        r"\(--resample D, h, W, MS or 30min"):
        load(write_csv(tmp_path, text), gaps="fill")


def test_16_cli_resample_flags_reach_the_loader(tmp_path):
    from lstmcast.core.config import ForecastConfig
    from lstmcast.data.loading import load_data
    cfg = ForecastConfig().replace(target="y", resample="W", resample_how="sum")
    assert (cfg.data.resample, cfg.data.resample_how) == ("W", "sum")
    with pytest.warns(DataWarning):
        data = load_data(write_csv(tmp_path, hourly_csv(days=14)), cfg.data)
    assert data.freq == "W-SUN" and data.repairs[0].kind == "resample"
    with pytest.raises(DataError, match=r"'resample_how' setting must be one of "
                                        r"mean, sum, last"):
        ForecastConfig().replace(resample_how="median")
    res = CliRunner().invoke(app, ["fit", str(tmp_path / "data.csv"), "--target",
                                   "y", "--out", str(tmp_path / "r"), "--resample",
                                   "fortnightly"])
    assert res.exit_code == 2 and "Unknown resampling rule 'fortnightly'" in \
        res.output
