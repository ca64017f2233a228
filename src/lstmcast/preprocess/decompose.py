"""Decomposition: the ``Decompose`` transform and its maths (trend + season).

``fit_decomposition`` splits the training part into trend, season and
remainder (STL or classical) and summarises how to carry trend and season
beyond it; ``decomposition_component`` gives trend + season at any position
counted from the first training point. :class:`Decompose` is the thin
transform that holds this state and subtracts it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstmcast.core.checks import check_choice, check_int
from lstmcast.core.errors import DataError
from lstmcast.preprocess.base import Transform, as_float_array

PROFILE_SEASONS = 3  # the seasonal profile averages at most the last 3 seasons


def _finite_tail(x: np.ndarray, method: str, period: int) -> tuple[int, np.ndarray]:
    """Position of the first finite value and the gap-free part from there.

    Leading NaN (left by differencing) are fine; later gaps and fewer than
    two full periods are data errors.
    """
    finite = np.isfinite(x)
    if not finite.any():
        raise DataError(f"decompose='{method}': the training part ({x.size} points) "
                        "has no finite values. Check the target column.")
    first = int(np.argmax(finite))
    tail = x[first:]
    if not np.isfinite(tail).all():
        raise DataError(
            f"decompose='{method}' needs a series without gaps, but the training "
            f"part has {int((~np.isfinite(tail)).sum())} missing values after "
            f"position {first}. Use impute='linear' (or another method).")
    if tail.size < 2 * period:
        raise DataError(
            f"decompose='{method}' with period {period} needs at least 2 full "
            f"periods ({2 * period} points) of finite training data; got "
            f"{tail.size} (training part {x.size} points, {first} leading "
            "missing). Use a longer training part, a shorter season, or "
            "decompose='none'.")
    return first, tail


def _split(y: np.ndarray, method: str, period: int) -> tuple[np.ndarray, np.ndarray]:
    """Trend and seasonal components of a gap-free series (trend may hold NaN)."""
    if method == "stl":
        from statsmodels.tsa.seasonal import STL

        res = STL(y, period=period, robust=True).fit()
    else:
        from statsmodels.tsa.seasonal import seasonal_decompose

        res = seasonal_decompose(y, model="additive", period=period)
    return np.asarray(res.trend, dtype=float), np.asarray(res.seasonal, dtype=float)


def _trend_slope(trend: np.ndarray, period: int) -> float:
    """Mean step of the last ``period`` steps of the trend's genuine values.

    The classical trend's NaN ends are skipped here: their carried copies are
    flat and would bias the slope towards zero.
    """
    genuine = trend[np.isfinite(trend)]
    span = min(period, genuine.size - 1)
    if span < 1:
        return 0.0
    return float((genuine[-1] - genuine[-1 - span]) / span)


def _profile(seasonal: np.ndarray, period: int, n_valid: int) -> np.ndarray:
    """Mean seasonal value per phase (position % period) over the last seasons."""
    n = seasonal.size
    m = min(PROFILE_SEASONS, n_valid // period)
    phases = np.arange(n - m * period, n) % period
    return np.bincount(phases, seasonal[n - m * period:], minlength=period) / m


def fit_decomposition(x: np.ndarray, method: str, period: int) -> dict[str, Any]:
    """Decompose the training part and summarise it for extrapolation.

    Parameters
    ----------
    x : ndarray of shape (N,)
        Training part; leading NaN allowed, nothing else missing.
    method : {"stl", "classical"}
        ``stl``: robust STL. ``classical``: moving-average decomposition whose
        NaN trend ends carry the nearest value.
    period : int
        Season length, >= 2.

    Returns
    -------
    dict
        ``trend`` and ``seasonal`` (N,) with NaN at leading gaps, ``profile``
        (period,), ``last_trend`` and ``slope``.
    """
    first, tail = _finite_tail(x, method, period)
    trend, seasonal = _split(tail, method, period)
    slope = _trend_slope(trend, period)
    idx = np.arange(tail.size)
    ok = np.isfinite(trend)
    trend = np.interp(idx, idx[ok], trend[ok])  # carry the nearest value
    pad = np.full(first, np.nan)
    seasonal = np.concatenate([pad, seasonal])
    return {"trend": np.concatenate([pad, trend]), "seasonal": seasonal,
            "profile": _profile(seasonal, period, tail.size),
            "last_trend": float(trend[-1]), "slope": slope}


def decomposition_component(t: np.ndarray, fitted: dict[str, Any],
                            period: int) -> np.ndarray:
    """Trend + season at absolute positions ``t`` (0 = first training point).

    Inside the training part: the in-sample components. Beyond it: the last
    trend value plus ``slope`` per step, plus ``profile[t % period]``.
    """
    t = np.asarray(t, dtype=int)
    n_fit = fitted["trend"].size
    inside = (t >= 0) & (t < n_fit)
    beyond = t >= n_fit
    ti = np.where(inside, t, 0)
    in_sample = fitted["trend"][ti] + fitted["seasonal"][ti]
    ahead = (fitted["last_trend"] + fitted["slope"] * (t - (n_fit - 1))
             + fitted["profile"][t % period])
    return np.where(inside, in_sample, np.where(beyond, ahead, np.nan))


class Decompose(Transform):
    """Subtract trend + season fitted on the training part; model the remainder.

    Inside the training part the in-sample components are subtracted; beyond
    it, the last trend value carried on with the recent slope plus the mean
    seasonal profile of the last 3 seasons (see :func:`decomposition_component`).
    """

    _kind = "decompose"
    _fitted = ("trend_", "seasonal_", "profile_", "last_trend_", "slope_")

    def __init__(self, method: str = "stl", period: int = 12) -> None:
        self.method = method
        self.period = period

    def fit(self, x: np.ndarray) -> Decompose:
        """Decompose the training part (leading NaN allowed, >= 2 periods)."""
        check_choice("method", self.method, ("stl", "classical"))
        check_int("period", self.period, 2, " Use decompose='none'.")
        fitted = fit_decomposition(as_float_array(x), self.method, self.period)
        for name, value in fitted.items():
            setattr(self, f"{name}_", value)
        return self

    def _component(self, t: np.ndarray) -> np.ndarray:
        fitted = {name[:-1]: getattr(self, name) for name in self._fitted}
        return decomposition_component(t, fitted, self.period)

    def transform(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """x minus trend + season at positions start, start + 1, ..."""
        self._check_fitted()
        x = as_float_array(x)
        return x - self._component(start + np.arange(x.size))

    def inverse_one_step(self, z_hat: np.ndarray, positions: np.ndarray,
                         x: np.ndarray, start: int = 0) -> np.ndarray:
        """Add trend + season back at the forecast positions."""
        self._check_fitted()
        t = start + np.asarray(positions, dtype=int)
        return np.asarray(z_hat, dtype=np.float64) + self._component(t)

    def inverse_path(self, z_path: np.ndarray, history: np.ndarray,
                     start: int = 0) -> np.ndarray:
        """Add trend + season back at positions start + T + h."""
        self._check_fitted()
        z = np.asarray(z_path, dtype=np.float64)
        t = start + as_float_array(history).size + np.arange(z.size)
        return z + self._component(t)
