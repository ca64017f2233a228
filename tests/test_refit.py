"""fit refits the evaluated settings on every row before saving (--no-refit
keeps the evaluated model): predict RUN then forecasts after the last row."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import FAST, ar_series
from lstmcast import ForecastConfig, LSTMForecaster, fit_evaluate, load
from lstmcast.cli.app import app

runner = CliRunner()
PLAIN = ["--no-auto", "--hidden-size", "8", "--epochs", "2", "--window", "12",
         "--quiet"]


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "data.csv"
    ar_series(200).to_csv(path, index=False)
    return path


def _fit_and_predict(csv, tmp_path, *flags):
    out = tmp_path / "run"
    res = runner.invoke(app, ["fit", str(csv), "--target", "y", "--out", str(out),
                              *PLAIN, *flags])
    assert res.exit_code == 0, res.output
    forecast = tmp_path / "f.csv"
    res = runner.invoke(app, ["predict", str(out), "--horizon", "3", "--out",
                              str(forecast)])
    assert res.exit_code == 0, res.output
    return out, pd.read_csv(forecast)


def test_predict_without_data_forecasts_after_the_last_row(csv, tmp_path):
    out, forecast = _fit_and_predict(csv, tmp_path)
    stamps = pd.read_csv(csv)["ds"]
    last = pd.Timestamp(stamps.iloc[-1])
    assert list(pd.to_datetime(forecast["timestamp"])) == [
        last + pd.Timedelta(days=k) for k in (1, 2, 3)]
    fitted = json.loads((out / "model.json").read_text())["fitted"]
    assert fitted["train_range"]["rows"] == 200
    assert fitted["train_range"]["last"] == str(last)
    assert fitted["evaluated_range"]["rows"] == 160  # the training part
    saved = json.loads((out / "metrics.json").read_text())["saved_model"]
    assert saved["refit"] is True and "refitted on all 200 rows" in saved["said"]
    assert "The saved model: refitted" in (out / "report.html").read_text()


def test_no_refit_keeps_the_evaluated_model(csv, tmp_path):
    out, forecast = _fit_and_predict(csv, tmp_path, "--no-refit")
    train_end = pd.Timestamp(pd.read_csv(csv)["ds"].iloc[159])
    assert pd.Timestamp(forecast["timestamp"].iloc[0]) == \
        train_end + pd.Timedelta(days=1)
    fitted = json.loads((out / "model.json").read_text())["fitted"]
    assert fitted["train_range"] == fitted["evaluated_range"]
    saved = json.loads((out / "metrics.json").read_text())["saved_model"]
    assert saved["refit"] is False and "training part only" in saved["said"]


def test_refit_leaves_the_scores_of_the_evaluated_fit():
    series = load(ar_series(200), target="y")
    cfg = ForecastConfig().replace(target="y", **FAST)
    plain = fit_evaluate(series, cfg, refit=False, doctor=False)
    refit = fit_evaluate(series, cfg, doctor=False)
    assert refit.metrics == plain.metrics
    pd.testing.assert_frame_equal(refit.predictions, plain.predictions)
    assert plain.refitted is None and plain.saved is plain.forecaster
    assert refit.saved is refit.refitted
    # the same recipe on every row: season, window and settings are kept
    assert refit.refitted.window_ == plain.forecaster.window_ == 12
    assert refit.refitted.config_ == plain.forecaster.config_
    assert refit.refitted.state_.data.train_range["rows"] == 200


def test_refitted_model_saves_and_loads_with_both_ranges(tmp_path):
    series = load(ar_series(200), target="y")
    result = fit_evaluate(series, ForecastConfig().replace(target="y", **FAST),
                          doctor=False)
    est = LSTMForecaster.load(result.save(tmp_path / "run"))
    assert est.state_.data.evaluated_range["rows"] == 160
    np.testing.assert_allclose(est.predict(2)["forecast"],
                               result.refitted.predict(2)["forecast"])
