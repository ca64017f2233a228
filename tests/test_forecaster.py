import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from lstmcast.core.errors import DataError, NotFittedError
from lstmcast.data.split import auto_window
from lstmcast.forecaster.estimator import LSTMForecaster


def test_sklearn_protocol(fast):
    est = LSTMForecaster(**fast)
    assert est.get_params()["hidden_size"] == 8
    copy = clone(est)
    assert copy.get_params() == est.get_params()
    assert est.set_params(lr=0.01) is est and est.lr == 0.01
    assert "hidden_size=8" in repr(est) and "not fitted" in repr(est)
    with pytest.raises(TypeError, match="unknown parameter.*hiden"):
        LSTMForecaster(hiden=3)
    with pytest.raises(NotFittedError, match="not fitted yet. Call 'fit' first"):
        est.predict(3)


def test_fit_predict_on_a_dataframe(series_frame, fast):
    est = LSTMForecaster(**fast).fit(series_frame, target="y")
    forecast = est.predict(5)
    assert list(forecast.index) == list(pd.date_range("2000-08-28", periods=5))
    assert np.isfinite(forecast["forecast"]).all()
    one = est.predict_one_step(series_frame, np.arange(200, 240))
    assert one.shape == (40,) and np.isfinite(one).all()
    assert est.window_ == 12 and est.season_ == 7


def test_bad_settings_are_data_errors(series_frame, fast):
    with pytest.raises(DataError, match="'scaler' setting must be one of"):
        LSTMForecaster(**fast, scaler="zscore").fit(series_frame, target="y")


def test_same_seed_same_forecast_and_other_seed_differs(series_frame, fast):
    a = LSTMForecaster(**fast).fit(series_frame, target="y").predict(4)
    b = LSTMForecaster(**fast).fit(series_frame, target="y").predict(4)
    c = LSTMForecaster(**{**fast, "seed": 1}).fit(series_frame, target="y").predict(4)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["forecast"], c["forecast"])


def test_refitting_ignores_rows_after_the_training_data(series_frame, fast):
    """Change the future: no fitted state and no training window may change."""
    train = series_frame.iloc[:200]
    a = LSTMForecaster(**fast).fit(train, target="y")
    changed = series_frame.copy()
    changed.loc[200:, "y"] *= 1000
    b = LSTMForecaster(**fast).fit(changed.iloc[:200], target="y")
    assert a.pipeline_.get_state() == b.pipeline_.get_state()
    for pa, pb in zip(a.net_.parameters(), b.net_.parameters(), strict=True):
        assert torch.equal(pa, pb)
    # the first test forecast uses only the past: identical under both futures
    pa = a.predict_one_step(series_frame, np.array([200]))
    pb = a.predict_one_step(changed, np.array([200]))
    assert pa == pytest.approx(pb)


@pytest.mark.parametrize("options", [
    {"bidirectional": True, "num_layers": 2, "dropout": 0.1},
    {"cell_activation": "relu", "head": "mlp", "head_activation": "gelu"},
    {"target_mode": "level", "scaler": "minmax", "optimizer": "rmsprop"},
    {"difference": 1, "scaler": "robust", "lags": (1, 7), "rolling": (7,)},
    {"seasonal_difference": 7, "calendar": True, "loss": "huber"},
    {"decompose": "stl", "transform": "log", "outliers": "clip"},
    {"impute": "knn", "covariate_lags": (1,)},
])
def test_option_combinations_fit_and_forecast(series_frame, fast, options):
    frame = series_frame.copy()
    frame.loc[[30, 31, 150], "y"] = np.nan
    est = LSTMForecaster(**{**fast, "epochs": 2, **options})
    est.fit(frame.iloc[:200], target="y", covariates=["x"])
    one = est.predict_one_step(frame, np.arange(200, 240))
    assert np.isfinite(one).all()
    assert np.isfinite(est.predict(1)["forecast"]).all()


def test_horizon_mimo_and_recursive(series_frame, fast):
    mimo = LSTMForecaster(**{**fast, "horizon": 3}).fit(series_frame, target="y")
    assert len(mimo.predict()) == 3
    rec = LSTMForecaster(**fast).fit(series_frame, target="y")
    assert len(rec.predict(6)) == 6
    with_cov = LSTMForecaster(**fast).fit(series_frame, target="y", covariates=["x"])
    with pytest.raises(DataError, match="needs future covariate values.*--horizon 6"):
        with_cov.predict(6)


def test_forecast_from_new_data_continues_its_timestamps(series_frame, fast):
    est = LSTMForecaster(**fast).fit(series_frame.iloc[:200], target="y")
    forecast = est.predict(2, series_frame)
    assert forecast.index[0] == series_frame["ds"].iloc[-1] + pd.Timedelta("1D")


def test_missing_column_in_new_data(series_frame, fast):
    est = LSTMForecaster(**fast).fit(series_frame, target="y", covariates=["x"])
    with pytest.raises(DataError, match=r"'?x'?"):
        est.predict(1, series_frame.drop(columns="x"))


def test_auto_window():
    assert auto_window(1, 1000) == 24
    assert auto_window(48, 4000) == 96
    assert auto_window(52, 90) == 30


def test_frames_without_a_time_column_round_trip(fast):
    frame = pd.DataFrame({"y": np.sin(np.arange(120) / 3) + np.arange(120) * 0.01})
    est = LSTMForecaster(**fast).fit(frame, target="y")
    assert np.isfinite(est.predict_one_step(frame, np.arange(100, 120))).all()
    assert list(est.predict(2, frame).index) == [120, 121]
