"""Tests of lstmcast.data.seasonality: the benchmark series, synthetic seasons,
series without a season, the calendar table and speed."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import lstmcast
from lstmcast.data.seasonality import _acf, detect_season, season_from_freq

# The bundled copies (byte-identical to the shared benchmark files), so that the
# tests run on a fresh clone.
DATA = Path(lstmcast.__file__).parent / "data" / "datasets"


def _series(name: str) -> np.ndarray:
    return pd.read_csv(DATA / f"{name}.csv")["value"].to_numpy(float)


def _sine(period: int, n: int, seed: int, noise: float = 0.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.sin(2 * np.pi * np.arange(n) / period) + rng.normal(0, noise, n)


# ------------------------------------------------------- benchmark series


@pytest.mark.parametrize(("name", "freq", "season"), [
    ("syn_seasonal24", None, 24),
    ("airline", "MS", 12),
    ("co2_weekly", "W-SAT", 52),  # 59 NaN: interpolated inside detect_season
    ("taylor_elec", "30min", 48),  # 48 beats the weekly 336: shortest first
    ("syn_ar2", None, 1),
    ("syn_randomwalk", None, 1),
    ("msft_close", None, 1),
    ("msft_close", "B", 1),
    # uschange_cons is the quarterly % change of seasonally adjusted US
    # consumption: the calendar's 4 is not confirmed (detrended ACF at lag 4 is
    # -0.08), so 1. The catalog's seasonal naive (s=4) scores R² -0.64 there.
    ("uschange_cons", "QS-JAN", 1),
    # The ~11-year sunspot cycle does not follow the calendar: not a season.
    ("sunspots_monthly", "MS", 1),
])
def test_benchmark_series(name, freq, season):
    assert detect_season(_series(name), freq) == season


@pytest.mark.parametrize(("name", "season"), [
    ("syn_seasonal24", 24), ("airline", 12), ("co2_weekly", 52), ("taylor_elec", 48)])
def test_benchmark_seasons_without_freq(name, season):
    assert detect_season(_series(name)) == season


def test_sunspots_without_freq_never_claims_a_year():
    found = detect_season(_series("sunspots_monthly"))
    assert found == 1 or 110 <= found <= 150  # the ~130-month cycle


def test_training_part_alone_gives_the_same_answer():
    y = _series("taylor_elec")
    assert detect_season(y[: int(0.8 * y.size)], "30min") == 48


# ------------------------------------------------------------- synthetic


@pytest.mark.parametrize("period", [7, 12, 24])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_noisy_sine(period, seed):
    assert detect_season(_sine(period, 600, seed)) == period


@pytest.mark.parametrize("period", [7, 12, 24])
def test_sine_on_a_trend(period):
    t = np.arange(800)
    y = _sine(period, 800, 3) + 0.05 * t + np.cumsum(np.random.default_rng(4)
                                                    .normal(0, 0.05, 800))
    assert detect_season(y) == period


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("n", [60, 500, 3000])
def test_random_walk_has_no_season(seed, n):
    rng = np.random.default_rng(seed)
    assert detect_season(np.cumsum(rng.normal(size=n))) == 1
    assert detect_season(np.cumsum(rng.normal(0.3, 1.0, n))) == 1  # with drift


@pytest.mark.parametrize("freq", ["MS", "h", "D", "W"])
def test_calendar_needs_confirmation(freq):
    walk = np.cumsum(np.random.default_rng(5).normal(size=2000))
    assert detect_season(walk, freq) == 1


def test_calendar_period_confirmed_over_a_stronger_other_cycle():
    y = _sine(12, 480, 6) + 2 * np.sin(2 * np.pi * np.arange(480) / 40)
    assert detect_season(y, "MS") == 12


@pytest.mark.parametrize("y", [np.full(100, 3.0), np.arange(100.0), np.ones(5),
                               np.array([np.nan] * 50 + [1.0, 2.0])])
def test_degenerate_series(y):
    assert detect_season(y) == 1
    assert detect_season(y, "MS") == 1


def test_max_lag_limits_the_search():
    y = _sine(24, 600, 7)
    assert detect_season(y, max_lag=100) == 24
    assert detect_season(y, max_lag=20) != 24


def test_fast_on_4000_points():
    y = _series("taylor_elec")[:4000]
    detect_season(y)  # warm up
    started = time.perf_counter()
    detect_season(y)
    detect_season(y, "30min")
    assert time.perf_counter() - started < 0.2


def test_acf_matches_statsmodels():
    from statsmodels.tsa.stattools import acf

    x = _sine(12, 300, 8)
    np.testing.assert_allclose(_acf(x, 40), acf(x, nlags=40, fft=True), atol=1e-12)


# ------------------------------------------------------------- calendar


@pytest.mark.parametrize(("freq", "season"), [
    ("MS", 12), ("ME", 12), ("M", 12), ("QS-JAN", 4), ("QE-DEC", 4), ("W-SAT", 52),
    ("W", 52), ("2W", 26), ("D", 7), ("B", 5), ("h", 24), ("H", 24), ("2h", 12),
    ("30min", 48), ("15min", 96), ("min", 60), ("T", 60), ("s", 60),
    ("YS-JAN", 1), ("A", 1), ("2D", 1),
    (None, None), ("ms", None), ("not a freq", None),
])
def test_season_from_freq(freq, season):
    assert season_from_freq(freq) == season


def test_unknown_freq_warns_and_searches():
    with pytest.warns(UserWarning, match="Unknown frequency 'fortnightly'"):
        assert detect_season(_sine(12, 600, 9), "fortnightly") == 12


@pytest.mark.parametrize(("max_lag", "error", "message"), [
    (1, ValueError, "'max_lag' parameter must be an int >= 2. Got 1"),
    (10.0, TypeError, "'max_lag' parameter must be an int or None"),
])
def test_bad_max_lag(max_lag, error, message):
    with pytest.raises(error, match=message):
        detect_season(np.ones(100), max_lag=max_lag)


def test_two_dimensional_input_is_refused():
    with pytest.raises(ValueError, match="'y' must be 1-D"):
        detect_season(np.ones((10, 2)))
