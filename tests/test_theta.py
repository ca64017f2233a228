"""Tests of the Theta method and the M competitions' seasonal adjustment."""

from __future__ import annotations

import numpy as np
import pytest

from lstmcast.baselines.adjust import indices, is_seasonal, season_indices
from lstmcast.baselines.classical import make_models
from lstmcast.baselines.theta import Theta, ses_levels


def seasonal_series(n: int = 96, season: int = 12, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    shape = 1 + 0.3 * np.sin(2 * np.pi * t / season)
    return (100 + 0.5 * t) * shape * np.exp(rng.normal(0, 0.01, n))


def theta_by_hand(a: np.ndarray, alpha: float, horizon: int) -> np.ndarray:
    """SES with a Python loop plus the drift of half the OLS slope."""
    level = a[0]
    for value in a[1:]:
        level = alpha * value + (1 - alpha) * level
    slope = np.polyfit(np.arange(a.size), a, 1)[0]
    n, k = a.size, np.arange(1, horizon + 1)
    return level + slope / 2 * (k - 1 + 1 / alpha - (1 - alpha) ** n / alpha)


def test_the_path_is_ses_plus_half_the_trend_slope():
    rng = np.random.default_rng(1)
    y = 50 + 0.8 * np.arange(40) + rng.normal(0, 2, 40)
    model = Theta().fit(y)
    assert np.allclose(model.forecast(y, 6), theta_by_hand(y, model.alpha_, 6))
    assert np.all(model.indices_ == 1.0)


def test_alpha_minimises_the_one_step_errors():
    rng = np.random.default_rng(2)
    y = np.cumsum(rng.normal(0, 1, 60)) + 20
    model = Theta().fit(y)

    def sse(alpha: float) -> float:
        levels = ses_levels(y, alpha)
        return float(np.sum((y[1:] - levels[:-1]) ** 2))
    grid = np.linspace(0.01, 0.99, 99)
    assert sse(model.alpha_) <= min(sse(a) for a in grid) + 1e-9
    assert model.alpha_ > 0.8  # a random walk is best followed closely


def test_a_seasonal_series_is_adjusted_and_forecast_in_season():
    y = seasonal_series()
    model = Theta(season=12).fit(y)
    assert is_seasonal(y, 12)
    assert model.indices_.max() > 1.2 and model.indices_.min() < 0.8
    path = model.forecast(y, 12)
    truth = seasonal_series(108)[96:]
    assert np.mean(np.abs(path - truth) / truth) < 0.05
    assert np.corrcoef(path, truth)[0, 1] > 0.95  # the seasonal shape is kept


def test_noise_and_non_positive_series_are_not_adjusted():
    rng = np.random.default_rng(3)
    noise = 10 + rng.normal(0, 1, 96)
    assert not is_seasonal(noise, 12)
    assert np.all(season_indices(noise, 12) == 1.0)
    shifted = seasonal_series() - 200  # crosses zero: ratios mean nothing
    assert np.all(season_indices(shifted, 12) == 1.0)
    assert np.all(season_indices(seasonal_series()[:30], 12) == 1.0)  # < 3 seasons


def test_indices_recover_a_known_multiplicative_season():
    season = np.array([0.8, 1.0, 1.2, 1.0])
    y = np.tile(season, 10) * 50
    assert np.allclose(indices(y, 4), season)


def test_one_step_forecasts_use_only_the_past_and_match_the_path():
    y = seasonal_series()
    model = Theta(season=12).fit(y[:72])
    rows = np.arange(72, 96)
    one_step = model.predict_one_step(y, rows)
    for p in (72, 80, 95):
        assert one_step[p - 72] == pytest.approx(model.forecast(y[:p], 1)[0])
    changed = y.copy()
    changed[90:] *= 3  # the future must not move earlier forecasts
    assert np.array_equal(model.predict_one_step(changed, rows)[:18], one_step[:18])


def test_missing_values_carry_the_last_value_forward():
    y = seasonal_series()
    gappy = y.copy()
    gappy[[10, 11, 50]] = np.nan
    path = Theta(season=12).fit(gappy).forecast(gappy, 6)
    assert np.all(np.isfinite(path))


def test_theta_is_a_named_reference_model():
    model = make_models(["theta"], 12)["theta"]
    assert isinstance(model, Theta) and model.season == 12
