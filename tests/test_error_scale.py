"""The bands' scale from the forecaster's own recent one-step errors
(lstmcast.forecaster.calibrate.error_scale): what it is, when a calibration
uses it, that it reads no value after its origin, and that a saved model keeps it."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import FAST, forge
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.loading import load
from lstmcast.evaluation.holdout import fit_evaluate
from lstmcast.forecaster.calibrate import (
    ERROR_SCALE_MIN,
    SCALE_WINDOW,
    error_scale,
    local_scale,
    origin_scale,
)
from lstmcast.forecaster.estimator import LSTMForecaster
from lstmcast.forecaster.predict import one_step


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    """AR(1) whose noise is three times larger in its second half."""
    rng = np.random.default_rng(seed)
    shocks = rng.normal(size=n) * np.where(np.arange(n) < n // 2, 1.0, 3.0)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 0.6 * y[t - 1] + shocks[t]
    return pd.DataFrame({"y": y + 20})


def _config(**extra) -> ForecastConfig:
    return ForecastConfig().replace(target="y", season=1,
                                    **{**FAST, "epochs": 2, **extra})


@pytest.fixture(scope="module")
def fitted():
    """A network fitted on 600 values (a validation part of 120 rows)."""
    series = load(_frame(600), target="y")
    est = LSTMForecaster.from_config(_config()).fit(series)
    return est, series


def test_error_scale_is_the_mean_absolute_one_step_error_up_to_each_origin(fitted):
    est, series = fitted
    origins = np.array([100, 250, 400, 599])
    expected = []
    for t in origins:
        rows = np.arange(t - SCALE_WINDOW + 1, t + 1)
        expected.append(np.mean(np.abs(series.y[rows]
                                       - one_step(est.state_, series, rows))))
    np.testing.assert_allclose(error_scale(est.state_, series, origins), expected)


def test_the_naive_forecasts_error_scale_is_the_local_scale():
    series = load(_frame(300), target="y")
    est = LSTMForecaster.from_config(_config(predictor="naive")).fit(series)
    origins = np.arange(40, 300)
    np.testing.assert_allclose(error_scale(est.state_, series, origins),
                               local_scale(series.y, origins))


def test_error_scale_reads_no_value_after_its_origin(fitted):
    est, series = fitted
    frame = _frame(600)
    frame.loc[451:, "y"] += 50.0
    changed = load(frame, target="y")
    origins = np.arange(300, 451)
    np.testing.assert_array_equal(error_scale(est.state_, series, origins),
                                  error_scale(est.state_, changed, origins))
    assert error_scale(est.state_, changed, [452])[0] > \
        2 * error_scale(est.state_, series, [452])[0]


def test_a_long_validation_part_is_scaled_by_the_forecasters_errors(fitted):
    est, series = fitted
    cal, state = est.state_.calibration, est.state_
    assert cal.scale == "errors" and len(series) - state.shape.n_fit >= ERROR_SCALE_MIN
    # its first SCALE_WINDOW validation rows only give the others their scale
    step = cal.errors[:, 0]
    rows = np.arange(state.shape.n_fit + SCALE_WINDOW, len(series))
    assert np.isfinite(step).sum() == len(rows)
    expected = ((series.y[rows] - one_step(state, series, rows))
                / error_scale(state, series, rows - 1))
    np.testing.assert_allclose(step[np.isfinite(step)], expected)


def test_a_short_validation_part_is_scaled_by_the_series_changes():
    series = load(_frame(200), target="y")  # 40 validation rows
    est = LSTMForecaster.from_config(_config()).fit(series)
    assert est.state_.calibration.scale == "changes"
    origins = np.array([150, 199])
    np.testing.assert_array_equal(origin_scale(est.state_, series, origins),
                                  local_scale(series.y, origins))


def test_test_bands_read_no_later_test_value_and_no_test_value_calibrates():
    """The band of a test row is the calibration's offset times the scale at
    its origin: a changed later test value changes neither."""
    frame = _frame(700)
    changed = frame.copy()
    changed.loc[640:, "y"] = changed.loc[640:, "y"] * 5 + 100
    runs = [fit_evaluate(load(f, target="y"), _config(), doctor=False,
                         refit=False) for f in (frame, changed)]
    a, b = (r.forecaster.state_.calibration for r in runs)
    assert a.scale == "errors"
    np.testing.assert_array_equal(a.errors, b.errors)
    first = 700 - len(runs[0].predictions)  # the first test row
    early = slice(0, 640 - first + 1)  # rows up to 640: origins up to 639
    for column in ("lstm-lo-80", "lstm-hi-95"):
        np.testing.assert_array_equal(runs[0].predictions[column].iloc[early],
                                      runs[1].predictions[column].iloc[early])
    half = (runs[0].predictions["lstm-hi-95"] - runs[0].predictions["lstm"]).iloc[0]
    state, series = runs[0].forecaster.state_, load(frame, target="y")
    assert half == pytest.approx(a.offsets(0.975)[0]
                                 * error_scale(state, series, [first - 1])[0])


def test_a_saved_model_keeps_its_scale_and_forecasts_the_same_bands(fitted, tmp_path):
    est, series = fitted
    est.save(tmp_path / "m")
    back = LSTMForecaster.load(tmp_path / "m")
    assert back.state_.calibration.scale == "errors"
    future = est.predict(3)
    pd.testing.assert_frame_equal(back.predict(3), future)
    # the saved context holds enough rows for the last origin's scale
    half = future["hi-95"].iloc[0] - future["forecast"].iloc[0]
    scale = error_scale(est.state_, series, [len(series) - 1])[0]
    assert half == pytest.approx(est.state_.calibration.offsets(0.975)[0] * scale)
    values = json.loads((tmp_path / "m" / "calibration.json").read_text())
    assert values["scale"] == "errors"
    forge(tmp_path / "m", "calibration.json", {**values, "scale": "level"})
    with pytest.raises(DataError, match="scale"):
        LSTMForecaster.load(tmp_path / "m")
    forge(tmp_path / "m", "calibration.json",
          {k: v for k, v in values.items() if k != "scale"})  # saved before
    assert LSTMForecaster.load(tmp_path / "m").state_.calibration.scale == "changes"


def test_a_model_trained_on_its_validation_tail_is_scaled_by_the_changes():
    """refit_tail trains the network on the validation rows too: its errors
    there are in-sample, so they scale nothing."""
    series = load(_frame(600), target="y")
    est = LSTMForecaster.from_config(_config(refit_tail=True)).fit(series)
    assert est.state_.shape.n_fit == len(series)  # refitted on every row
    assert est.state_.calibration.scale == "changes"
    np.testing.assert_array_equal(origin_scale(est.state_, series, [599]),
                                  local_scale(series.y, [599]))


def test_a_model_reading_future_covariates_is_scaled_by_its_latest_forecastable_rows():
    """The last H - 1 rows of a model reading future covariates H steps ahead
    cannot be forecast from the history alone: the scale reads the latest 24
    rows that can, from the saved context as from the whole series."""
    from test_future_covariates import _config as promo_config
    from test_future_covariates import promo_frame
    frame = promo_frame(900)
    est = LSTMForecaster.from_config(promo_config(
        epochs=2, horizon=12, future_covariates="promo")).fit(
        frame, target="y", future_covariates=("promo",))
    assert est.state_.calibration.scale == "errors"
    series = load(frame, target="y", time="ds", future_covariates=("promo",))
    last = len(series) - 1
    forecasts = one_step(est.state_, series, np.arange(last - 60, last + 1),
                         where_possible=True)
    rows = np.arange(last - 60, last + 1)[np.isfinite(forecasts)][-SCALE_WINDOW:]
    assert rows[-1] < last  # the last rows cannot be forecast
    expected = np.mean(np.abs(series.y[rows] - forecasts[np.isfinite(forecasts)]
                              [-SCALE_WINDOW:]))
    assert error_scale(est.state_, series, [last])[0] == pytest.approx(expected)
    context = est.context_series()
    assert error_scale(est.state_, context, [len(context) - 1])[0] == \
        pytest.approx(expected)
