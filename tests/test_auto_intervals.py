"""fit --auto's intervals: a chosen network is calibrated on the search's
forward errors (each fold's fit forecasting the later folds' rows), in the
evaluated fit, its test bands and the saved refit alike; never on the test
part."""

import json

import numpy as np
import pandas as pd
import pytest

from conftest import FAST, ar_series, auto_config, forge
from lstmcast import LSTMForecaster, load
from lstmcast.core.errors import DataError
from lstmcast.evaluation.holdout import fit_evaluate
from lstmcast.forecaster.calibrate import local_scale, origin_scale
from lstmcast.intervals.conformal import Calibration
from lstmcast.search.auto import fit_auto
from lstmcast.search.candidates import FALLBACKS, plan_candidates
from lstmcast.search.validation import score, validation_setup


def test_forward_errors_are_each_folds_fit_on_the_later_folds(seasonal):
    train = seasonal.head(200)
    search = validation_setup(train, 20, 0)
    assert len(search.folds) == 3
    naive = next(c for c in plan_candidates(seasonal, auto_config(season=7), 7, 180)
                 if c.name == "naive")
    score(naive, auto_config(season=7), search)
    y = search.recent.y
    _, second, third = search.folds[::-1]
    # the naive fit forecasts the last value: its error at row r is the change
    change = (y - np.roll(y, 1)) / local_scale(y, np.arange(len(y)) - 1)
    # fold 1's fit forecasts folds 2 and 3, fold 2's fit fold 3; in row order
    expected = np.concatenate([change[second], np.repeat(change[third], 2)])
    np.testing.assert_allclose(naive.forward_errors, expected)
    assert naive.to_dict()["forward_errors"] == 60


def test_one_fold_has_no_forward_errors(seasonal):
    search = validation_setup(seasonal.head(200), 60, 0)
    naive = next(c for c in plan_candidates(seasonal, auto_config(season=7), 7, 140)
                 if c.name == "naive")
    score(naive, auto_config(season=7), search)
    assert len(search.folds) == 1 and naive.forward_errors.size == 0


def test_with_first_step_replaces_step_one_only():
    own = Calibration(errors=np.array([[1.0, 2.0], [-1.0, -3.0]]))
    forward = np.array([4.0, -5.0, 6.0])
    cal = own.with_first_step(forward, "search")
    assert cal.source == "search" and cal.horizon == 2
    np.testing.assert_array_equal(cal.counts(), [3, 2])
    np.testing.assert_array_equal(cal.errors[:, 0], forward)
    np.testing.assert_array_equal(cal.errors[:2, 1], [2.0, -3.0])
    # step 2 is never narrower than step 1 (monotone)
    assert cal.offsets(0.9)[1] >= cal.offsets(0.9)[0] == 6.0
    back = Calibration.from_dict(cal.to_dict())
    assert back.source == "search"
    np.testing.assert_array_equal(back.errors, cal.errors)
    old = own.to_dict()
    del old["source"]  # a file saved before forward errors
    assert Calibration.from_dict(old).source == "validation"
    with pytest.raises(ValueError, match="source"):
        Calibration(errors=forward, source="test")


def test_fit_evaluate_calibrates_step_one_on_given_errors(seasonal):
    forward = np.linspace(-3.0, 3.0, 41)
    result = fit_evaluate(seasonal, auto_config(season=7), doctor=False,
                          forward_errors=forward)
    for est in (result.forecaster, result.refitted):
        cal = est.state_.calibration
        assert cal.source == "search"
        step = cal.errors[:, 0]
        np.testing.assert_array_equal(step[np.isfinite(step)], forward)
    # the test bands: the forward errors' quantile times the local scale
    first = len(seasonal) - len(result.predictions)  # the first test row
    local = origin_scale(result.forecaster.state_, seasonal,
                         np.array([first - 1]))[0]
    half = result.predictions["lstm-hi-95"].iloc[0] - \
        result.predictions["lstm"].iloc[0]
    assert half == pytest.approx(3.0 * local)
    assert "forward errors" in result.intervals["method"]["lstm"]


def test_a_saved_search_calibration_loads_and_a_bad_source_is_refused(
        seasonal, tmp_path):
    result = fit_evaluate(seasonal, auto_config(season=7), doctor=False,
                          refit=False, forward_errors=np.linspace(-2, 2, 30))
    result.forecaster.save(tmp_path / "m")
    back = LSTMForecaster.load(tmp_path / "m")
    assert back.state_.calibration.source == "search"
    np.testing.assert_allclose(back.predict(3)["hi-95"],
                               result.forecaster.predict(3)["hi-95"])
    values = json.loads((tmp_path / "m" / "calibration.json").read_text())
    forge(tmp_path / "m", "calibration.json", {**values, "source": "test"})
    with pytest.raises(DataError, match="source"):
        LSTMForecaster.load(tmp_path / "m")


def test_fit_auto_calibrates_a_chosen_network_on_its_forward_errors(seasonal):
    frame = ar_series(240)
    frame.loc[frame.index[-48:], "y"] *= 50  # the test part: never read
    # network_weight given: no ETS or naive fallback, a network is chosen
    runs = [fit_auto(s, auto_config(season=7), budget=60, fixed=("network_weight",))
            for s in (seasonal, load(frame, target="y"))]
    auto = runs[0].auto
    chosen = next(c for c in auto["candidates"] if c["name"] == auto["chosen"])
    cal = runs[0].forecaster.state_.calibration
    assert auto["chosen"] not in FALLBACKS and auto["validation_folds"] == 2
    assert cal.source == "search"
    assert cal.counts()[0] == chosen["forward_errors"] > 0
    assert runs[0].saved.state_.calibration.source == "search"
    np.testing.assert_array_equal(
        cal.errors, runs[1].forecaster.state_.calibration.errors)


def test_fit_auto_calibrates_a_fallback_on_its_history(seasonal):
    """ETS or naive: no forward errors, but the training rows' errors too."""
    result = fit_auto(seasonal, auto_config(season=7), budget=60)
    assert result.auto["chosen"] in FALLBACKS
    cal = result.forecaster.state_.calibration
    assert cal.source == "history"
    assert cal.counts()[0] > 3 * result.split["n_val"]


def test_a_forecast_without_a_network_is_calibrated_on_its_training_rows_too():
    rng = np.random.default_rng(4)
    y = 100 + np.cumsum(rng.normal(size=300))
    est = LSTMForecaster(predictor="naive", **FAST, season=1).fit(
        pd.DataFrame({"y": y}), target="y")
    cal = est.state_.calibration
    assert cal.source == "history"
    step = cal.errors[:, 0]
    step = step[np.isfinite(step)]
    rows = np.arange(len(y) - len(step), len(y))
    assert len(step) > 250 > len(y) - est.state_.shape.n_fit
    # the naive forecast's errors are the changes, over the local scale
    np.testing.assert_allclose(step, (y[rows] - y[rows - 1])
                               / local_scale(y, rows - 1))
