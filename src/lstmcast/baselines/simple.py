"""The classical reference forecasts every model is compared with.

Each baseline has the same three methods:

- ``fit(y_train)`` learns its fixed parameters from the training part only
  (the mean, the drift slope, the season when not given);
- ``predict_one_step(y, positions)`` forecasts ``y[p]`` for each position ``p``
  from the true history ``y[:p]`` with those fixed parameters: no refit, never
  ``y[p]`` itself, vectorised over the positions;
- ``forecast(history, horizon)`` is the path of ``horizon`` steps after
  ``history``.

Missing values (NaN, or any non-finite value) in a history are forward-filled:
a forecast uses the last finite value before it (for the seasonal naive, the
last finite value at the same phase of the season). The maths lives in private
numpy functions; the classes hold the fitted state. ARIMA or ETS references can
join by subclassing :class:`Baseline` and registering in :data:`BASELINES`.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import Any, TypeVar

import numpy as np

from lstmcast.core.errors import DataError, NotFittedError

__all__ = [
    "BASELINES",
    "Baseline",
    "Drift",
    "Mean",
    "Naive",
    "SeasonalNaive",
    "make_baselines",
]

_B = TypeVar("_B", bound="Baseline")

# ------------------------------------------------------------------ the maths


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


# ------------------------------------------------------------------ validation


def _as_series(x: Any, name: str) -> np.ndarray:
    """A float64 1-D array of ``x``; other shapes are a programming error."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"'{name}' must be 1-D. Got shape {arr.shape} instead.")
    return arr


def _as_positions(positions: Any, n: int, first: int) -> np.ndarray:
    """Integer positions in ``[first, n]`` (``n``: the step after the data)."""
    pos = np.asarray(positions)
    if pos.ndim != 1 or (pos.size and pos.dtype.kind not in "iu"):
        raise TypeError("'positions' must be a 1-D array of integers. Got "
                        f"shape {pos.shape}, dtype {pos.dtype} instead.")
    pos = pos.astype(np.intp)
    bad = pos[(pos < first) | (pos > n)]
    if bad.size:
        raise ValueError(f"'positions' must lie in [{first}, {n}] (at least {first} "
                         f"past values before each, at most one step past the "
                         f"series of {n}). Got {bad[:5].tolist()} instead.")
    return pos


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"The '{name}' parameter must be an int. Got "
                        f"{value!r} instead.")
    if value < minimum:
        raise ValueError(f"The '{name}' parameter must be an int >= {minimum}. Got "
                         f"{value} instead.")
    return int(value)


# ------------------------------------------------------------------ the classes


class Baseline(ABC):
    """A reference forecaster: fit on train, then one-step or path forecasts.

    Subclasses store their constructor arguments as given, learn state in
    attributes ending in ``_`` inside ``_fit``, and implement the maths in
    ``_one_step`` and ``_path``. Validation and the fitted check live here.
    """

    def fit(self: _B, y_train: Any) -> _B:
        """Learn the fixed parameters from the training part ``y_train`` (1-D)."""
        y = _as_series(y_train, "y_train")
        if not np.isfinite(y).any():
            raise DataError(f"{type(self).__name__}: the training part ({y.size} "
                            "points) has no finite values. Check the target column.")
        self._fit(y)
        self.n_train_ = y.size
        return self

    def predict_one_step(self, y: Any, positions: Any) -> np.ndarray:
        """Forecast ``y[p]`` from ``y[:p]`` for every ``p`` in ``positions``.

        Parameters are the fitted ones (no refit); ``y[p]`` and later values are
        never read. ``p`` may equal ``len(y)``: the step after the data.
        """
        self._check_fitted()
        y = _as_series(y, "y")
        pos = _as_positions(positions, y.size, self._min_history())
        return self._one_step(y, pos)

    def forecast(self, history: Any, horizon: int) -> np.ndarray:
        """The ``horizon`` values after ``history``, from the fitted parameters."""
        self._check_fitted()
        history = _as_series(history, "history")
        horizon = _check_int("horizon", horizon, 1)
        if history.size < self._min_history():
            raise ValueError(f"{self!r} needs a history of at least "
                             f"{self._min_history()} points. Got {history.size}.")
        return self._path(history, horizon)

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, read from the signature (as scikit-learn)."""
        names = inspect.signature(type(self)).parameters
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_train_"):
            raise NotFittedError.of(self)

    def _min_history(self) -> int:
        """Past values needed before a one-step position."""
        return 1

    @abstractmethod
    def _fit(self, y_train: np.ndarray) -> None: ...

    @abstractmethod
    def _one_step(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _path(self, history: np.ndarray, horizon: int) -> np.ndarray: ...


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
            self.season_ = _check_int("season", self.season, 1)
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
    season = _check_int("season", season, 1)
    return {name: cls(season=season)
            if "season" in inspect.signature(cls).parameters else cls()
            for name, cls in BASELINES.items()}
