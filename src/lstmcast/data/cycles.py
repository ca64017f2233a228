"""Cycles that are not calendar seasons: a spectral peak the ACF confirms.

Animal populations (~10 years), solar activity (~11 years) and business
cycles repeat with a period that is neither an integer number of steps nor a
calendar unit, and it drifts from one cycle to the next, so the season
search of :mod:`lstmcast.data.seasonality` (ACF peaks at integer lags, one
per calendar period) misses them. Here the periodogram of the linearly
detrended series, zero-padded to place the peak between Fourier frequencies,
proposes the period ``P``, and three tests must agree before it is called a
cycle:

- Fisher's g test: the largest periodogram ordinate holds more of the
  variance than white noise would put there (p below :data:`CYCLE_ALPHA`);
- the ACF of the detrended series dips below ``-ACF_DIP`` near ``P / 2`` and
  rises above ``ACF_THRESHOLD`` near ``P``: the series oscillates (a random
  walk or a strong AR(1) concentrates its power at the lowest frequencies
  too, but its ACF never turns negative);
- the series spans at least :data:`MIN_CYCLES` periods.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmcast.data.seasonality import ACF_THRESHOLD, _acf, _prepared

__all__ = ["CYCLE_ALPHA", "Cycle", "detect_cycle", "pacf_order"]

CYCLE_ALPHA = 0.01
"""Significance level of Fisher's g test for the spectral peak."""
ACF_DIP = 0.2
"""How far below zero the ACF must dip near half the period."""
MIN_CYCLES = 2.5
"""Periods the series must span (the longest period considered is n / 2.5)."""
MIN_PERIOD = 3.0
_PAD = 8  # zero-padding factor of the periodogram


@dataclass(frozen=True)
class Cycle:
    """A cycle of ``period`` steps (not necessarily an integer)."""

    period: float
    p_value: float
    share: float  # of the detrended variance in the peak's ordinate
    acf_at_period: float
    acf_at_half: float

    def to_dict(self) -> dict[str, float]:
        return {"period": round(self.period, 2), "p_value": self.p_value,
                "share": round(self.share, 3),
                "acf_at_period": round(self.acf_at_period, 3),
                "acf_at_half": round(self.acf_at_half, 3)}


def _fisher_p(ordinates: np.ndarray) -> float:
    """P-value of Fisher's g = max / sum of the periodogram (first term of the
    exact series, accurate where it matters: small p)."""
    m = ordinates.size
    total = float(ordinates.sum())
    if m < 2 or total <= 0:
        return 1.0
    g = float(ordinates.max()) / total
    return float(min(1.0, m * (1 - g) ** (m - 1)))


def detect_cycle(y: Any) -> Cycle | None:
    """The dominant non-seasonal cycle of ``y`` (the training part), or None.

    Inner gaps are interpolated and missing ends dropped, as for the season.
    """
    x = _prepared(y)
    n = x.size
    if n < 2 * MIN_CYCLES * MIN_PERIOD + 2:
        return None
    t = np.arange(n, dtype=np.float64)
    detrended = x - np.polyval(np.polyfit(t, x, 1), t)
    if np.ptp(detrended) <= 1e-9 * max(1.0, float(np.abs(x).max())):
        return None
    longest = n / MIN_CYCLES
    raw = np.abs(np.fft.rfft(detrended)) ** 2
    k = np.arange(raw.size)
    usable = (k >= 1) & (k < n / 2)  # Fourier frequencies, no 0 and no Nyquist
    p_value = _fisher_p(raw[usable])
    padded = np.abs(np.fft.rfft(detrended, _PAD * n)) ** 2
    freqs = np.fft.rfftfreq(_PAD * n)
    with np.errstate(divide="ignore"):
        periods = np.where(freqs > 0, 1 / np.maximum(freqs, 1e-300), np.inf)
    window = (periods >= MIN_PERIOD) & (periods <= longest)
    if not window.any():
        return None
    peak = int(np.flatnonzero(window)[np.argmax(padded[window])])
    period = float(periods[peak])
    r = _acf(detrended, min(n - 2, math.ceil(period) + 1))
    if r is None:
        return None
    near = round(period)
    at_period = float(r[max(near - 1, 1):near + 2].max()) if near < r.size else -1.0
    half = max(round(period / 2), 1)
    at_half = float(r[max(half - 1, 1):half + 2].min())
    share = float(raw[usable].max() / raw[usable].sum()) if raw[usable].sum() > 0 else 0
    found = (p_value < CYCLE_ALPHA and at_half < -ACF_DIP
             and at_period > ACF_THRESHOLD)
    return Cycle(period, p_value, share, at_period, at_half) if found else None


def pacf_order(y: Any, max_lag: int) -> int:
    """The AR order the partial autocorrelations of ``y`` (linearly detrended)
    suggest: the lags before the first whose PACF lies inside +-1.96 / sqrt(n)
    (the cut-off of an AR process; at least 1, at most
    ``min(max_lag, n // 4, 24)``)."""
    from statsmodels.tsa.stattools import pacf

    x = _prepared(y)
    n = x.size
    lags = min(int(max_lag), n // 4, 24)
    if lags < 1:
        return 1
    t = np.arange(n, dtype=np.float64)
    detrended = x - np.polyval(np.polyfit(t, x, 1), t)
    if np.ptp(detrended) <= 1e-9 * max(1.0, float(np.abs(x).max())):
        return 1
    values = pacf(detrended, nlags=lags, method="yw")[1:]
    inside = np.flatnonzero(np.abs(values) <= 1.96 / np.sqrt(n))
    return int(max(inside[0], 1)) if inside.size else lags
