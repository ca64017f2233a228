"""Tests of lstmcast.baselines.simple and .base: exact forecasts, a plain-loop
reference, no leakage of y[p] into the forecast of y[p], and parameters fitted
on train only."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmcast.baselines.base import Baseline
from lstmcast.baselines.simple import (
    BASELINES,
    Drift,
    Mean,
    Naive,
    SeasonalNaive,
    make_baselines,
)
from lstmcast.core.errors import DataError, NotFittedError

Y = np.arange(1.0, 11.0)  # 1..10


def _random_series(seed: int, n: int = 120, nan_share: float = 0.1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.normal(size=n)) + 5 * np.sin(np.arange(n) * 2 * np.pi / 7)
    y[rng.random(n) < nan_share] = np.nan
    y[:8] = rng.normal(size=8)  # a finite start: every baseline can forecast
    return y


# ------------------------------------------------- plain-loop references


def _last_finite_before(y: np.ndarray, p: int) -> int:
    for j in range(p - 1, -1, -1):
        if math.isfinite(y[j]):
            return j
    raise AssertionError("no finite value")


def _reference(name: str, y: np.ndarray, p: int, train: np.ndarray, s: int) -> float:
    """One forecast of y[p] from y[:p], written the slow, obvious way."""
    if name == "naive":
        return y[_last_finite_before(y, p)]
    if name == "mean":
        return float(np.nanmean(train))
    if name == "drift":
        idx = [i for i, v in enumerate(train) if math.isfinite(v)]
        slope = (train[idx[-1]] - train[idx[0]]) / (idx[-1] - idx[0])
        j = _last_finite_before(y, p)
        return y[j] + slope * (p - j)
    for j in range(p - s, -1, -s):  # seasonal naive: same phase, going back
        if math.isfinite(y[j]):
            return y[j]
    return y[_last_finite_before(y, p - s + 1)]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", list(BASELINES))
def test_one_step_equals_loop_reference(name, seed):
    y, s, k = _random_series(seed), 7, 80
    model = make_baselines(s)[name].fit(y[:k])
    positions = np.arange(s, y.size + 1)
    got = model.predict_one_step(y, positions)
    want = [_reference(name, y, p, y[:k], s) for p in positions]
    np.testing.assert_allclose(got, want, rtol=1e-12)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), p=st.integers(7, 119),
       name=st.sampled_from(list(BASELINES)))
def test_forecast_of_p_never_reads_y_p_or_later(seed, p, name):
    y = _random_series(seed)
    model = make_baselines(7)[name].fit(y[:60])
    before = model.predict_one_step(y, np.array([p]))
    changed = y.copy()
    changed[p:] = np.random.default_rng(seed).normal(1e6, 1.0, size=y.size - p)
    changed[p + 1 :: 3] = np.nan
    np.testing.assert_array_equal(model.predict_one_step(changed, np.array([p])),
                                  before)


@pytest.mark.parametrize("name", list(BASELINES))
def test_fit_uses_the_training_part_only(name):
    y = _random_series(3)
    model = make_baselines(7)[name].fit(y[:60])
    params = {k: v for k, v in vars(model).items() if k.endswith("_")}
    other = y.copy()
    other[60:] *= -3.0
    model.predict_one_step(other, np.arange(60, 120))  # no refit on the way
    again = make_baselines(7)[name].fit(other[:60])
    assert {k: v for k, v in vars(model).items() if k.endswith("_")} == params
    assert {k: v for k, v in vars(again).items() if k.endswith("_")} == params


def test_test_part_trend_does_not_move_drift_or_mean():
    y = np.concatenate([np.arange(10.0), 10 + 5 * np.arange(10.0)])  # slope 1 then 5
    drift, mean = Drift().fit(y[:10]), Mean().fit(y[:10])
    assert drift.slope_ == 1.0 and mean.mean_ == 4.5
    np.testing.assert_array_equal(drift.predict_one_step(y, [12, 15]),
                                  [y[11] + 1, y[14] + 1])
    np.testing.assert_array_equal(mean.predict_one_step(y, [12, 15]), [4.5, 4.5])


# ------------------------------------------------------- exact forecasts


def test_exact_one_step_forecasts():
    positions = np.array([4, 5, 10])
    np.testing.assert_array_equal(Naive().fit(Y[:6]).predict_one_step(Y, positions),
                                  [4.0, 5.0, 10.0])
    seasonal = SeasonalNaive(3).fit(Y[:6])
    np.testing.assert_array_equal(seasonal.predict_one_step(Y, positions),
                                  [2.0, 3.0, 8.0])
    np.testing.assert_array_equal(Mean().fit(Y[:6]).predict_one_step(Y, positions),
                                  [3.5, 3.5, 3.5])
    drift = Drift().fit([1.0, 3.0, 2.0, 7.0])  # slope (7 - 1) / 3 = 2
    np.testing.assert_array_equal(drift.predict_one_step(Y, positions),
                                  [6.0, 7.0, 12.0])


def test_exact_paths():
    history = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0])
    np.testing.assert_array_equal(Naive().fit(history).forecast(history, 3), [8.0] * 3)
    np.testing.assert_array_equal(SeasonalNaive(3).fit(history).forecast(history, 7),
                                  [6.0, 7.0, 8.0, 6.0, 7.0, 8.0, 6.0])
    np.testing.assert_array_equal(Mean().fit(history).forecast(history, 2), [4.5] * 2)
    np.testing.assert_array_equal(Drift().fit(history).forecast(history, 3),
                                  [9.0, 10.0, 11.0])


def test_paths_match_one_step_for_one_step_ahead():
    y = _random_series(5)
    for model in make_baselines(7).values():
        model.fit(y[:60])
        for t in (70, 85, 119):
            assert model.forecast(y[:t], 1)[0] == model.predict_one_step(y, [t])[0]


def test_missing_history_is_forward_filled():
    y = np.array([1.0, 2.0, 3.0, 4.0, np.nan, np.nan, 7.0, np.nan])
    assert Naive().fit(y).forecast(y, 2).tolist() == [7.0, 7.0]
    assert Naive().fit(y).predict_one_step(y, [5, 6]).tolist() == [4.0, 4.0]
    drift = Drift().fit(y)  # slope (7 - 1) / 6 = 1
    assert drift.predict_one_step(y, [6]).tolist() == [4.0 + 3 * 1.0]  # 3 steps
    assert Drift().fit(y).forecast(y, 2).tolist() == [9.0, 10.0]
    # the seasonal naive fills within the phase: y[4] is missing, y[1] is used
    assert SeasonalNaive(3).fit(y).predict_one_step(y, [7]).tolist() == [2.0]
    assert SeasonalNaive(3).fit(y).forecast(y, 3).tolist() == [3.0, 7.0, 2.0]


def test_position_after_the_data_is_allowed():
    assert Naive().fit(Y).predict_one_step(Y, [10]).tolist() == [10.0]


def test_season_none_is_detected_from_train():
    t = np.arange(240)
    y = np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 0.2, 240)
    assert SeasonalNaive().fit(y).season_ == 12


# ------------------------------------------------------- interface, errors


def test_registry_and_factory():
    models = make_baselines(12)
    assert list(models) == ["naive", "seasonal_naive", "mean", "drift"]
    assert all(isinstance(m, Baseline) for m in models.values())
    assert [repr(m) for m in models.values()] == [
        "Naive()", "SeasonalNaive(season=12)", "Mean()", "Drift()"]
    assert models["seasonal_naive"].get_params() == {"season": 12}


def test_not_fitted():
    with pytest.raises(NotFittedError, match=r"This Drift instance is not fitted yet\. "
                                             r"Call 'fit' first\."):
        Drift().predict_one_step(Y, [3])
    with pytest.raises(NotFittedError, match="This Naive instance is not fitted"):
        Naive().forecast(Y, 3)


@pytest.mark.parametrize(("model", "train", "error", "message"), [
    (Naive(), [np.nan, np.nan], DataError, "no finite values"),
    (Drift(), [np.nan, 3.0, np.nan], DataError, "at least two finite training"),
    (SeasonalNaive(12), np.ones(5), DataError, r"at least one season .*\(12 points\)"),
    (SeasonalNaive(0), np.ones(5), ValueError, "'season' parameter must be an int >="),
    (SeasonalNaive(2.0), np.ones(5), TypeError, "'season' parameter must be an int"),
    (Mean(), np.ones((2, 2)), ValueError, r"'y_train' must be 1-D"),
])
def test_fit_errors(model, train, error, message):
    with pytest.raises(error, match=message):
        model.fit(train)


def test_predict_errors():
    model = SeasonalNaive(3).fit(Y)
    with pytest.raises(ValueError, match=r"must lie in \[3, 10\].*Got \[2, 11\]"):
        model.predict_one_step(Y, [2, 5, 11])
    with pytest.raises(TypeError, match="1-D array of integers"):
        model.predict_one_step(Y, [3.0, 4.0])
    with pytest.raises(ValueError, match="'horizon' parameter must be an int >= 1"):
        model.forecast(Y, 0)
    with pytest.raises(ValueError, match="needs a history of at least 3 points"):
        model.forecast(Y[:2], 4)
    leading_gap = np.array([np.nan, np.nan, 1.0, 2.0])
    with pytest.raises(DataError, match=r"no finite value before position\(s\) \[1,"):
        Naive().fit(Y).predict_one_step(leading_gap, [1, 2, 3])


def test_make_baselines_rejects_bad_season():
    with pytest.raises(ValueError, match="'season' parameter must be an int >= 1"):
        make_baselines(0)


def test_empty_positions():
    assert Naive().fit(Y).predict_one_step(Y, np.array([], dtype=int)).shape == (0,)
