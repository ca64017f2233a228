"""The notebook face of the API: readable reprs, DataFrames and Figures."""

import pandas as pd
import pytest
from matplotlib.figure import Figure

from conftest import ar_series
from lstmcast import (
    ForecastConfig,
    LSTMForecaster,
    backtest,
    diagnose,
    fit_evaluate,
    load,
)


@pytest.fixture(scope="module")
def series():
    import torch
    torch.set_num_threads(1)
    return load(ar_series(200), target="y")


@pytest.fixture(scope="module")
def config():
    return ForecastConfig().replace(target="y", hidden_size=8, epochs=2, window=12)


def test_forecaster_repr_shows_changed_parameters_and_state(series):
    est = LSTMForecaster(hidden_size=8, epochs=2, window=12)
    assert repr(est) == ("LSTMForecaster(window=12, hidden_size=8, epochs=2)  "
                         "# not fitted")
    assert repr(LSTMForecaster()) == "LSTMForecaster()  # not fitted"
    est.fit(series)
    text = repr(est)
    assert text.startswith("LSTMForecaster(window=12, hidden_size=8, epochs=2)")
    assert "fitted on 'y': window 12, season 7, horizon 1" in text


def test_fit_result_repr_frame_and_figure(series, config):
    result = fit_evaluate(series, config)
    text = repr(result)
    assert text.startswith("FitResult(target='y', r2=")
    assert "best_baseline=" in text and "n_test=40" in text
    assert "e-" not in text and len(text) < 200  # rounded, one line
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame) and "lstm" in frame.index
    assert frame.equals(result.table())
    assert isinstance(result.plot(), Figure)


def test_backtest_result_repr_frame_and_figure(series, config, tmp_path):
    result = backtest(series, config, folds=2, horizon=2, models=["naive", "drift"])
    text = repr(result)
    assert text.startswith("BacktestResult(folds=2, horizon=2, models=['lstm', "
                           "'naive', 'drift'], best=")
    frame = result.to_frame()
    assert isinstance(frame, pd.DataFrame)
    assert set(frame["model"]) == {"lstm", "naive", "drift"}
    fig = result.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    assert result.save(tmp_path / "bt") == tmp_path / "bt"
    assert (tmp_path / "bt" / "per_horizon.csv").is_file()
    assert not (tmp_path / "bt" / "report.html").exists()


def test_diagnosis_repr_frame_and_figure(series):
    found = diagnose(series)
    text = repr(found)
    assert text.startswith("Diagnosis of 'y': 200 rows (train 160, test 40)")
    assert "stationarity:" in text and "recommended:" in text
    assert "series=" not in text
    frame = found.to_frame()
    assert isinstance(frame, pd.DataFrame) and len(frame) == len(found.findings)
    fig = found.plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 4


def test_figures_are_not_left_in_pyplot():
    """Figures are built without pyplot: nothing accumulates in a notebook."""
    import matplotlib.pyplot as plt
    before = len(plt.get_fignums())
    from lstmcast.figures.plots import autocorrelation
    autocorrelation(ar_series(100)["y"].to_numpy())
    assert len(plt.get_fignums()) == before
