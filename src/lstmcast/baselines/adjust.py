"""Seasonal adjustment as the M competitions do it: a seasonality test on the
autocorrelation at the season, then classical multiplicative indices.

:func:`is_seasonal` asks whether the autocorrelation at lag ``m`` is beyond
its 90% limit (Bartlett's formula over lags 1..m-1), the test the M3 and M4
benchmarks (Theta, SES, Comb) use before deseasonalising. :func:`indices`
are the classical multiplicative seasonal indices from a centred moving
average of the training values, normalised to mean 1. Only positive series
are adjusted (ratios of non-positive values mean nothing); other series get
indices of 1. Everything is fitted on the values given: pass the training part.
"""

from __future__ import annotations

import numpy as np

__all__ = ["SEASON_Z", "indices", "is_seasonal", "season_indices"]

SEASON_Z = 1.645
"""The 90% two-sided normal quantile of the seasonality test."""


def is_seasonal(y: np.ndarray, season: int) -> bool:
    """True when ``y`` (finite values, oldest first) has a significant
    autocorrelation at lag ``season``: |r_m| > 1.645 sqrt((1 + 2 sum r_k^2) / n),
    k = 1..m-1. Needs at least three seasons of data."""
    n = y.size
    if season <= 1 or n < 3 * season:
        return False
    centred = y - y.mean()
    denom = float(centred @ centred)
    if denom <= 0.0:
        return False
    r = np.array([centred[k:] @ centred[: n - k] for k in range(1, season + 1)]) / denom
    limit = SEASON_Z * np.sqrt((1.0 + 2.0 * np.sum(r[:-1] ** 2)) / n)
    return bool(abs(r[-1]) > limit)


def indices(y: np.ndarray, season: int) -> np.ndarray:
    """Classical multiplicative seasonal indices (length ``season``, mean 1) of
    ``y``: the mean ratio of each phase to a centred moving average."""
    n = y.size
    if season % 2 == 0:
        weights = np.r_[0.5, np.ones(season - 1), 0.5] / season
    else:
        weights = np.ones(season) / season
    trend = np.convolve(y, weights, mode="valid")
    offset = (weights.size - 1) // 2
    ratio = np.full(n, np.nan)
    ratio[offset: offset + trend.size] = y[offset: offset + trend.size] / trend
    phase_means = np.array([np.nanmean(ratio[p::season]) for p in range(season)])
    return phase_means / phase_means.mean()


def season_indices(y: np.ndarray, season: int) -> np.ndarray:
    """The indices to divide ``y`` by: :func:`indices` when ``y`` is positive and
    passes :func:`is_seasonal`, else ones (no adjustment)."""
    if season > 1 and y.size and bool(np.all(y > 0)) and is_seasonal(y, season):
        found = indices(y, season)
        if np.all(np.isfinite(found)) and np.all(found > 0):
            return found
    return np.ones(max(season, 1))
