"""What AutoARIMA and ETS share: the season, long seasons, and paths by origin.

Parameters are fitted on the training part only; forecasts then run the
model's filter over the history with those FIXED parameters (no refit per
point), once per call, and every h-step path from every origin comes out of
the filtered states in a few vectorised matrix products
(:meth:`ClassicalBaseline.forecast_paths`).

Seasons longer than :data:`MAX_SEASON` (48 half-hours, 52 weeks) would need 50+
seasonal states and minutes per fit; both models then work on the series
minus a fixed seasonal profile (the seasonal part of an STL decomposition of
the training part, averaged over its last 7 cycles), as R's ``stlm``, and add
the profile back to the forecasts.

Histories passed to ``predict_one_step``/``forecast``/``forecast_paths`` must
start where the training part started (as ``y`` in :mod:`lstmcast.evaluation.holdout`):
positions count from there (drift, seasonal phase, initial states).
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.baselines.base import Baseline, int_parameter

MAX_SEASON = 24


@contextmanager
def quiet() -> Iterator[None]:
    """One BLAS thread (small matrices: threads only add overhead) and no
    statsmodels warnings (convergence, interpolated KPSS p-values)."""
    with _blas().limit(limits=1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@functools.cache
def _blas() -> Any:
    """The process's BLAS libraries, found once (threadpoolctl scans the loaded
    libraries on each ``threadpool_limits``: 5 ms, paid on every forecast)."""
    from threadpoolctl import ThreadpoolController
    return ThreadpoolController()


def interpolated(y: np.ndarray) -> np.ndarray:
    """Missing values interpolated linearly (the ends carry the nearest value)."""
    return pd.Series(y).interpolate(limit_direction="both").to_numpy()


def _season_of(model: ClassicalBaseline, y_train: np.ndarray) -> int:
    if model.season is None:
        from lstmcast.data.seasonality import detect_season
        return detect_season(interpolated(y_train))
    return int_parameter("season", model.season, 1)


def fit_stl(y: np.ndarray, m: int, robust: bool = True) -> Any:
    """statsmodels' STL of season ``m`` fitted to ``y`` (gaps interpolated)."""
    from statsmodels.tsa.seasonal import STL
    return STL(interpolated(y), period=m, robust=robust).fit()


def _profile(y_train: np.ndarray, m: int, cycles: int = 7) -> np.ndarray:
    """(m,) seasonal profile by phase (position mod m): the STL seasonal
    averaged over the last ``cycles`` cycles (a week of days for sub-daily
    data). Not robust STL: its down-weighting made jumpy profiles (taylor_elec)."""
    n = y_train.size
    cycles = min(n // m, cycles)
    seasonal = fit_stl(y_train, m, robust=False).seasonal[n - cycles * m:]
    profile = np.zeros(m)
    profile[np.arange(n - m, n) % m] = seasonal.reshape(cycles, m).mean(axis=0)
    return profile


class ClassicalBaseline(Baseline):
    """Shared parts: the season, the profile of long seasons, paths by origin."""

    def forecast_paths(self, y: Any, origins: Any, horizon: int) -> np.ndarray:
        """(B, H) forecasts of ``y[t+1 .. t+H]`` from ``y[:t+1]`` for every
        origin ``t``, from one filter pass with the fixed parameters."""
        self._check_fitted()
        y = np.asarray(y, dtype=np.float64)
        origins = np.asarray(origins, dtype=np.intp)
        horizon = int_parameter("horizon", horizon, 1)
        if origins.size and (origins.min() < 0 or origins.max() >= y.size):
            raise ValueError(f"'origins' must lie in [0, {y.size - 1}]. Got "
                             f"{origins.min()}..{origins.max()} instead.")
        with quiet():
            out = self._paths(y, origins, horizon)
        steps = origins[:, None] + 1 + np.arange(horizon)  # (B, H) positions
        return out + self.profile_[steps % self.profile_.size]

    def _one_step(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return self.forecast_paths(y, positions - 1, 1)[:, 0]

    def _path(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self.forecast_paths(history, np.array([history.size - 1]), horizon)[0]

    def _adjust(self, y_train: np.ndarray) -> np.ndarray:
        """Set season_, profile_ and return the training series to model."""
        self.season_ = _season_of(self, y_train)
        long = self.season_ > MAX_SEASON and y_train.size >= 2 * self.season_
        self.profile_ = _profile(y_train, self.season_) if long else np.zeros(1)
        self.model_season_ = 1 if self.season_ > MAX_SEASON else self.season_
        return self._adjusted(y_train)

    def _adjusted(self, y: np.ndarray) -> np.ndarray:
        return y - self.profile_[np.arange(y.size) % self.profile_.size]

    def _paths(self, y: np.ndarray, origins: np.ndarray,
               horizon: int) -> np.ndarray: ...
