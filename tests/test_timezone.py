"""Time zones end to end: local stamps in (across a daylight-saving change),
the report drawn, and forecasts stamped in the same zone."""

import itertools
import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lstmcast.cli.app import app
from lstmcast.figures.plots import to_stamps, zoned

runner = CliRunner()
ZONE = "Europe/Berlin"
FAST = ["--no-auto", "--hidden-size", "8", "--epochs", "2", "--window", "24",
        "--quiet"]


@pytest.fixture
def local_csv(tmp_path):
    """Hourly load in Berlin clock time over the fall-back of 2021-10-31 (the
    hour 02:00 appears twice, told apart by the order of the rows)."""
    stamps = pd.date_range("2021-10-25", periods=24 * 12, freq="h", tz=ZONE)
    rng = np.random.default_rng(0)
    y = 50 + 10 * np.sin(2 * np.pi * stamps.hour / 24) + rng.normal(0, 1, 288)
    path = tmp_path / "load.csv"
    pd.DataFrame({"time": stamps.tz_localize(None), "load": y}).to_csv(path,
                                                                      index=False)
    return path, stamps


def test_fit_writes_a_report_and_predict_stamps_local_time(local_csv, tmp_path):
    path, stamps = local_csv
    out = tmp_path / "run"
    res = runner.invoke(app, ["fit", str(path), "--target", "load", "--timezone",
                              ZONE, "--out", str(out), *FAST])
    assert res.exit_code == 0, res.output
    assert "<img" in (out / "report.html").read_text()
    assert json.loads((out / "model.json").read_text())["fitted"]["timezone"] \
        == ZONE
    expected = [str(stamps[-1] + pd.Timedelta(hours=k)) for k in (1, 2, 3)]
    assert expected[0] == "2021-11-05 23:00:00+01:00"  # 288 h after, clock -1 h
    forecast = tmp_path / "f.csv"
    for data in ([], [str(path)]):  # after the data fit saw, or after DATA
        res = runner.invoke(app, ["predict", str(out), *data, "--horizon", "3",
                                  "--out", str(forecast)])
        assert res.exit_code == 0, res.output
        assert list(pd.read_csv(forecast)["timestamp"]) == expected


def test_stamps_with_summer_and_winter_offsets_plot_in_order():
    stamps = pd.date_range("2021-10-31 00:00", periods=6, freq="h", tz=ZONE)
    text = pd.Series(stamps.astype(str))  # +02:00, then +01:00
    assert text.str.endswith("+02:00").any() and text.str.endswith("+01:00").any()
    drawn = to_stamps(text)
    assert all(b > a for a, b in itertools.pairwise(drawn))
    local = zoned(pd.DataFrame({"timestamp": text}), ZONE)["timestamp"]
    assert str(local.dt.tz) == ZONE and list(local) == list(stamps)
