"""The Theta method (Assimakopoulos & Nikolopoulos 2000), the M3 competition's
winner and the bar every forecaster of the M competitions is measured against.

As Hyndman & Billah (2003) showed, its forecast is simple exponential
smoothing (SES) with a drift of half the slope of the linear trend: on the
seasonally adjusted series ``a`` (see :mod:`lstmcast.baselines.adjust`),

    a_hat(n + k) = level_n + b / 2 * ((k - 1) + 1 / alpha - (1 - alpha)^n / alpha)

where ``b`` is the least-squares slope of ``a`` over the training part,
``alpha`` minimises the one-step squared errors of SES on it, and ``level_n``
is the SES level after the ``n`` values of the history. The forecast is then
multiplied back by the seasonal index of its phase. Everything is numpy (SES is
a first-order linear filter), a few milliseconds a series, so thousands of
series are scored in seconds.
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.signal import lfilter

from lstmcast.baselines.adjust import season_indices
from lstmcast.baselines.base import Baseline, int_parameter

__all__ = ["Theta"]

ALPHA_BOUNDS = (0.01, 0.99)


def _filled(y: np.ndarray) -> np.ndarray:
    """Non-finite values carry the last finite value forward (a leading gap
    takes the first finite value)."""
    finite = np.isfinite(y)
    if finite.all():
        return y
    idx = np.where(finite, np.arange(y.size), -1)
    idx = np.maximum.accumulate(idx)
    idx[idx < 0] = int(np.flatnonzero(finite)[0])
    return y[idx]


def ses_levels(a: np.ndarray, alpha: float) -> np.ndarray:
    """SES levels after each value of ``a``, starting from ``a[0]``."""
    if a.size == 1:
        return a.copy()
    rest = lfilter([alpha], [1.0, alpha - 1.0], a[1:], zi=[(1.0 - alpha) * a[0]])[0]
    return np.r_[a[0], rest]


def _sse(alpha: float, a: np.ndarray) -> float:
    levels = ses_levels(a, alpha)
    return float(np.sum((a[1:] - levels[:-1]) ** 2))


class Theta(Baseline):
    """The standard Theta method on the multiplicatively adjusted series.

    Parameters
    ----------
    season : int or None, default None
        Season length m (None or 1: no seasonal adjustment). The series is
        adjusted only when positive and when its autocorrelation at m passes
        the 90% test.

    Attributes (after ``fit``)
    --------------------------
    indices_ : the seasonal indices (ones when not adjusted).
    alpha_ : the smoothing weight; slope_ : the trend slope b.
    """

    def __init__(self, season: int | None = None) -> None:
        self.season = season

    def _fit(self, y_train: np.ndarray) -> None:
        season = 1 if self.season is None else int_parameter("season", self.season, 1)
        y = _filled(y_train)
        self.indices_ = season_indices(y, season)
        a = self._adjusted(y)
        self.slope_ = float(np.polyfit(np.arange(a.size), a, 1)[0]) if a.size > 1 \
            else 0.0
        if a.size > 2:
            self.alpha_ = float(minimize_scalar(
                _sse, bounds=ALPHA_BOUNDS, args=(a,), method="bounded").x)
        else:
            self.alpha_ = 0.5

    def _adjusted(self, y: np.ndarray) -> np.ndarray:
        m = self.indices_.size
        return y / self.indices_[np.arange(y.size) % m]

    def _drift(self, n: np.ndarray | int, ahead: np.ndarray | int) -> np.ndarray:
        """The drift term of the k-step forecast from n values."""
        alpha = self.alpha_
        return 0.5 * self.slope_ * (np.asarray(ahead) - 1 + 1 / alpha
                                    - (1 - alpha) ** np.asarray(n) / alpha)

    def _one_step(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray:
        a = self._adjusted(_filled(y))
        levels = ses_levels(a, self.alpha_)
        m = self.indices_.size
        adjusted = levels[positions - 1] + self._drift(positions, 1)
        return adjusted * self.indices_[positions % m]

    def _path(self, history: np.ndarray, horizon: int) -> np.ndarray:
        a = self._adjusted(_filled(history))
        level = ses_levels(a, self.alpha_)[-1]
        ahead = np.arange(1, horizon + 1)
        m = self.indices_.size
        phases = (history.size + ahead - 1) % m
        return (level + self._drift(history.size, ahead)) * self.indices_[phases]
