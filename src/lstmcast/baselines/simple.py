"""The simple reference forecasts every model is compared with: the last value,
the value one season back, the training mean and the drift.

Each follows the :class:`~lstmcast.baselines.base.Baseline` interface (fit on
the training part, one-step forecasts with fixed parameters, paths).
Missing values (NaN, or any non-finite value) in a history are forward-filled:
a forecast uses the last finite value before it (for the seasonal naive, the
last finite value at the same phase of the season). The maths lives in private
numpy functions; the classes hold the fitted state. ARIMA and ETS join them in
:data:`lstmcast.baselines.classical.MODELS`.
"""

from __future__ import annotations

import inspect

import numpy as np

from lstmcast.baselines.base import Baseline, int_parameter
from lstmcast.core.errors import DataError

__all__ = [
    "BASELINES",
    "Drift",
    "Mean",
    "Naive",
    "SeasonalNaive",
    "make_baselines",
]


def _last_finite(y: np.ndarray) -> np.ndarray:
    """For each ``i``, the index of the last finite ``y[j]``, ``j <= i`` (-1: none)."""
    idx = np.where(np.isfinite(y), np.arange(y.size), -1)
    return np.maximum.accumulate(idx) if y.size else idx


def _last_finite_in_phase(y: np.ndarray, season: int) -> np.ndarray:
    """Like :func:`_last_finite` but among ``i, i - season, i - 2 season, ...``.

    Where a phase has no finite value yet, falls back to the plain last finite
    value before ``i``, which is still in the past.
    """
    idx = np.where(np.isfinite(y), np.arange(y.size), -1)
    pad = (-y.size) % season
    grid = np.concatenate([idx, np.full(pad, -1)]).reshape(-1, season)
    in_phase = np.maximum.accumulate(grid, axis=0).ravel()[: y.size]
    return np.where(in_phase >= 0, in_phase, _last_finite(y))


def _take(y: np.ndarray, source: np.ndarray, targets: np.ndarray,
          name: str) -> np.ndarray:
    """``y[source]``; a source of -1 (no finite value before) is a DataError."""
    missing = source < 0
    if missing.any():
        raise DataError(f"{name} has no finite value before position(s) "
                        f"{targets[missing][:5].tolist()} to forecast from: the "
                        "series starts with missing values. Forecast later "
                        "positions or fill the start of the series.")
    return y[source]


def _naive_one_step(y: np.ndarray, positions: np.ndarray) -> np.ndarray:
    """``y[p - 1]``, forward-filled, for each position ``p``."""
    return _take(y, _last_finite(y)[positions - 1], positions, "Naive")


def _seasonal_one_step(y: np.ndarray, positions: np.ndarray,
                       season: int) -> np.ndarray:
    """``y[p - season]``, forward-filled within its phase, for each position ``p``."""
    source = _last_finite_in_phase(y, season)[positions - season]
    return _take(y, source, positions, "SeasonalNaive")


def _seasonal_path(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """The last season of ``history`` repeated over ``horizon`` steps."""
    n = history.size
    lags = n - season + np.arange(horizon) % season
    source = _last_finite_in_phase(history, season)[lags]
    return _take(history, source, np.arange(n, n + horizon), "SeasonalNaive")


def _drift_one_step(y: np.ndarray, positions: np.ndarray,
                    slope: float) -> np.ndarray:
    """Last finite value before ``p`` plus ``slope`` times the steps since it."""
    source = _last_finite(y)[positions - 1]
    return _take(y, source, positions, "Drift") + slope * (positions - source)


def _drift_path(history: np.ndarray, horizon: int, slope: float) -> np.ndarray:
    """Last finite value of ``history`` plus ``slope`` per step since it."""
    steps = history.size + np.arange(horizon)
    source = _last_finite(history)[-1:]
    return _take(history, source, steps[:1], "Drift") + slope * (steps - source)


def _drift_slope(y_train: np.ndarray) -> float:
    """Slope of the line through the first and last finite training values."""
    finite = np.flatnonzero(np.isfinite(y_train))
    if finite.size < 2:
        raise DataError(f"Drift needs at least two finite training values. Got "
                        f"{finite.size} among {y_train.size} points.")
    first, last = finite[0], finite[-1]
    return float((y_train[last] - y_train[first]) / (last - first))


class Naive(Baseline):
    """The last value: the random-walk forecast, hard to beat on prices."""

    def _fit(self, y_train: np.ndarray) -> None:
        pass  # nothing to learn

    def _one_step(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return _naive_one_step(y, positions)

    def _path(self, history: np.ndarray, horizon: int) -> np.ndarray:
        last = _naive_one_step(history, np.array([history.size]))
        return np.repeat(last, horizon)


class SeasonalNaive(Baseline):
    """The value one season back; beyond one season, the last season repeated.

    Parameters
    ----------
    season : int or None, default None
        Season length in steps. None detects it from the training part with
        :func:`lstmcast.data.seasonality.detect_season` (no calendar frequency).
    """

    def __init__(self, season: int | None = None) -> None:
        self.season = season

    def _fit(self, y_train: np.ndarray) -> None:
        if self.season is None:
            from lstmcast.data.seasonality import detect_season
            self.season_ = detect_season(y_train)
        else:
            self.season_ = int_parameter("season", self.season, 1)
        if y_train.size < self.season_:
            raise DataError(f"{self!r} needs at least one season of training data "
                            f"({self.season_} points). Got {y_train.size}.")

    def _min_history(self) -> int:
        return self.season_

    def _one_step(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return _seasonal_one_step(y, positions, self.season_)

    def _path(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return _seasonal_path(history, horizon, self.season_)


class Mean(Baseline):
    """The training mean, whatever the history: the reference of R²'s kind."""

    def _fit(self, y_train: np.ndarray) -> None:
        self.mean_ = float(np.mean(y_train[np.isfinite(y_train)]))

    def _min_history(self) -> int:
        return 0

    def _one_step(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return np.full(positions.size, self.mean_)

    def _path(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return np.full(horizon, self.mean_)


class Drift(Baseline):
    """The last value plus the training slope per step ahead.

    The slope is ``(y_train[-1] - y_train[0]) / (n_train - 1)``, the average
    step of the training part (between its first and last finite values).
    """

    def _fit(self, y_train: np.ndarray) -> None:
        self.slope_ = _drift_slope(y_train)

    def _one_step(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return _drift_one_step(y, positions, self.slope_)

    def _path(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return _drift_path(history, horizon, self.slope_)


BASELINES: dict[str, type[Baseline]] = {
    "naive": Naive,
    "seasonal_naive": SeasonalNaive,
    "mean": Mean,
    "drift": Drift,
}
"""Every baseline by name, in report order; ``naive`` is the skill reference."""


def make_baselines(season: int) -> dict[str, Baseline]:
    """A fresh, unfitted instance of every baseline in :data:`BASELINES`.

    ``season`` goes to those that take one (the seasonal naive).
    """
    season = int_parameter("season", season, 1)
    return {name: cls(season=season)
            if "season" in inspect.signature(cls).parameters else cls()
            for name, cls in BASELINES.items()}
