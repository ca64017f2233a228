"""Season length: what the calendar suggests, confirmed by the data.

A season is a pattern that repeats every ``p`` steps. The calendar proposes
candidates (12 for monthly data, 48 then 336 for half-hourly data, ...), but a
monthly series need not have a yearly pattern (sunspots, seasonally adjusted
growth rates), so a candidate counts only when the series' autocorrelation
confirms it. Without a known frequency the autocorrelation alone decides.

Both tests look at the autocorrelation function (ACF) of the series after
removing its trend with a centred moving average, never at the raw series,
where a trend or a random walk makes every lag look correlated:

- confirming a calendar period ``p``: remove a moving average of ``p`` steps
  (it cancels a season of ``p`` exactly, as in classical decomposition), then
  ACF at ``p`` must be a local peak above ``ACF_THRESHOLD``;
- searching (no frequency): remove a moving average of ``max_lag`` steps,
  keep the ACF peaks above ``ACF_THRESHOLD`` that also rise that much above
  their surrounding dips and clear ``BARTLETT_Z`` standard errors, and take the
  fundamental among them (see :func:`_search`).

The thresholds were tuned on simulations: with them the search calls a season
in at most 2.5% of white noise, AR(1), AR(2) and random walks of 40 to 4000
points, and finds a sine of period 7, 12 or 24 under noise of half its
amplitude in 99% of runs or more from 300 points (12 cycles) on.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ACF_THRESHOLD", "BARTLETT_Z", "detect_season", "season_from_freq"]

ACF_THRESHOLD = 0.3
"""Least detrended autocorrelation at ``p`` for ``p`` to count as a season."""

BARTLETT_Z = 2.25
"""Standard errors a searched peak must clear (no calendar to back it up)."""

_HARMONIC_RATIO = 0.8  # a shorter period with this fraction of the best ACF wins
_COMB = 3  # multiples of p averaged when placing a searched peak
_DEFAULT_MAX_LAG = 400

# Steps per natural cycle, by pandas offset alias (old and new spellings).
_CALENDAR: dict[str, tuple[int, ...]] = {
    **dict.fromkeys(["Y", "YE", "YS", "A", "AS", "BY", "BYE", "BYS", "BA", "BAS"],
                    ()),
    **dict.fromkeys(["Q", "QE", "QS", "BQ", "BQE", "BQS"], (4,)),
    **dict.fromkeys(["M", "ME", "MS", "BM", "BME", "BMS", "CBME", "CBMS"], (12,)),
    **dict.fromkeys(["SM", "SME", "SMS"], (24,)),
    "W": (52,),
    "D": (7, 365),
    **dict.fromkeys(["B", "C"], (5,)),
}
_TICK_SECONDS = {"h": 3600, "H": 3600, "min": 60, "T": 60, "s": 1, "S": 1}
_MINUTE, _HOUR, _DAY, _WEEK = 60, 3600, 86400, 604800

# ------------------------------------------------------------------ calendar


def _tick_periods(step: int) -> tuple[int, ...]:
    """Day and week in steps of ``step`` seconds; hour and minute when fine enough.

    The hour counts as a cycle only for data every minute or finer (60 steps
    or more), so quarter-hourly data gets 96 (the day), not 4.
    """
    cycles = [c for c in (_MINUTE, _HOUR) if c // step >= 60] + [_DAY, _WEEK]
    return tuple(c // step for c in cycles if c % step == 0 and c // step >= 2)


def _calendar_periods(freq: str) -> tuple[int, ...] | None:
    """Candidate season lengths for a pandas alias, shortest cycle first.

    ``()`` when the calendar has no season (yearly data), None when ``freq`` is
    not an alias known here.
    """
    match = re.fullmatch(r"\s*(\d*)\s*([A-Za-z]+)(?:-\w+)?\s*", freq)
    if match is None:
        return None
    count, code = int(match.group(1) or 1), match.group(2)
    if code in _TICK_SECONDS:
        return _tick_periods(count * _TICK_SECONDS[code])
    cycles = _CALENDAR.get(code)
    if cycles is None or count < 1:
        return None
    return tuple(c // count for c in cycles if c % count == 0 and c // count >= 2)


def season_from_freq(freq: str | None) -> int | None:
    """The season the calendar suggests for a pandas frequency alias.

    12 for monthly ("MS", "ME", "M"), 4 quarterly, 52 weekly ("W-SAT"), 7 daily,
    5 business days, 24 hourly, 48 half-hourly, 96 for "15min", 60 minutely; 1
    for yearly data (no season); None when ``freq`` is None or not known.
    The data may disagree: :func:`detect_season` checks.
    """
    if freq is None:
        return None
    periods = _calendar_periods(str(freq))
    if periods is None:
        return None
    return periods[0] if periods else 1


# ------------------------------------------------------------------ the ACF


def _ma_residual(y: np.ndarray, window: int) -> np.ndarray:
    """``y`` minus its centred moving average (2 x ``window`` when even).

    The result is shorter by ``window`` (even) or ``window - 1`` (odd) points:
    the ends have no centred average.
    """
    csum = np.concatenate([[0.0], np.cumsum(y)])
    avg = (csum[window:] - csum[:-window]) / window
    if window % 2 == 0:
        avg = (avg[1:] + avg[:-1]) / 2
    half = window // 2
    return y[half : half + avg.size] - avg


def _acf(x: np.ndarray, nlags: int) -> np.ndarray | None:
    """The ACF of ``x`` at lags 0..``nlags``; None when ``x`` is flat or short.

    The usual biased estimator (as statsmodels' ``acf``), through the FFT:
    O(n log n) for all lags at once.
    """
    x = x - x.mean()
    if x.size <= nlags + 1 or np.ptp(x) <= 1e-9 * max(1.0, float(np.abs(x).max())):
        return None
    if x.size > _ONE_FFT_POINTS:
        acov = _blocked_acov(x, nlags)
    else:
        nfft = 1 << (2 * x.size - 1).bit_length()
        spectrum = np.fft.rfft(x, nfft)
        acov = np.fft.irfft(spectrum * spectrum.conj(), nfft)[: nlags + 1]
    return acov / acov[0]


_ONE_FFT_POINTS = 1 << 20  # above: the ACF in blocks (one FFT of 2n took 0.5 GB
# of complex arrays at 10^7 points)
_ACF_BLOCK = 1 << 16


def _blocked_acov(x: np.ndarray, nlags: int) -> np.ndarray:
    """Autocovariance sums of ``x`` at lags 0..``nlags`` (unnormalised, as
    the one-FFT path), block by block: each block of ``_ACF_BLOCK`` points is
    correlated with itself and the ``nlags`` points after it, in memory of a
    few blocks whatever the length (equal to the one FFT to rounding)."""
    acov = np.zeros(nlags + 1)
    nfft = 1 << (_ACF_BLOCK + 2 * nlags).bit_length()
    for lo in range(0, x.size, _ACF_BLOCK):
        block = x[lo: lo + _ACF_BLOCK]
        ahead = x[lo: lo + _ACF_BLOCK + nlags]  # the block and the lags after it
        cross = np.fft.irfft(np.fft.rfft(ahead, nfft) * np.fft.rfft(
            block, nfft).conj(), nfft)  # cross[k] = sum_t block[t] ahead[t + k]
        acov += cross[: nlags + 1]
    return acov


def _confirms(y: np.ndarray, period: int) -> bool:
    """Whether the series detrended over ``period`` peaks at lag ``period``."""
    r = _acf(_ma_residual(y, period), period + 1)
    if r is None:
        return False
    peak = r[period] >= r[period - 1] and r[period] >= r[period + 1]
    return bool(peak and r[period] > ACF_THRESHOLD)


def _prominence(r: np.ndarray, lag: int) -> float:
    """How far ``r[lag]`` rises above the higher of its two surrounding dips.

    As scipy's ``peak_prominences``: walk each way until a higher value (or the
    end), take the lowest point on each side, and measure from the higher one.
    """
    height = r[lag]
    bases = []
    for side in (r[lag - 1 : 0 : -1], r[lag + 1 :]):
        higher = np.flatnonzero(side > height)
        side = side[: higher[0]] if higher.size else side
        bases.append(float(side.min()) if side.size else height)
    return float(height - max(bases))


def _significant_peaks(r: np.ndarray, n: int) -> list[int]:
    """Lags >= 2 where ``r`` peaks clearly: high, prominent and above noise.

    High and prominent: above ``ACF_THRESHOLD`` and rising that much above the
    dips around it (a season swings the ACF; a trend's residue only wiggles it).
    Above noise: ``BARTLETT_Z`` times Bartlett's standard error at lag k,
    ``sqrt((1 + 2 sum_{j<k} r_j^2) / n)``, large for smooth residuals such as a
    random walk's.
    """
    se = np.sqrt((1 + 2 * np.concatenate([[0.0, 0.0], np.cumsum(r[1:-1] ** 2)])) / n)
    lags = np.arange(2, r.size - 1)
    peak = (r[lags] >= r[lags - 1]) & (r[lags] > r[lags + 1])
    strong = (r[lags] > ACF_THRESHOLD) & (r[lags] > BARTLETT_Z * se[lags])
    return [int(lag) for lag in lags[peak & strong]
            if _prominence(r, lag) > ACF_THRESHOLD]


def _comb(r: np.ndarray, period: int) -> float:
    """Mean ACF at ``period`` and its next multiples: a true season repeats."""
    multiples = period * np.arange(1, min(_COMB, (r.size - 1) // period) + 1)
    return float(r[multiples].mean())


def _search(y: np.ndarray, max_lag: int) -> int:
    """The season from the data alone: 1 when no peak is convincing.

    Each significant ACF peak may move by one lag to where its comb (ACF at
    the period and its multiples) is highest, which undoes a noisy peak's
    jitter; then the shortest period whose ACF reaches ``_HARMONIC_RATIO`` of
    the best peak wins, so 24 beats its multiple 48 and the daily 48 beats the
    weekly 336 of half-hourly electricity demand.
    """
    resid = _ma_residual(y, max_lag)
    r = _acf(resid, min(max_lag, resid.size - 2))
    if r is None or r.size < 4:
        return 1
    peaks = {max((q for q in (lag - 1, lag, lag + 1) if 2 <= q < r.size),
                 key=lambda q: _comb(r, q))
             for lag in _significant_peaks(r, resid.size)}
    if not peaks:
        return 1
    top = max(r[p] for p in peaks)
    return min(p for p in peaks if r[p] >= _HARMONIC_RATIO * top)


# ------------------------------------------------------------------ public


def _prepared(y: Any) -> np.ndarray:
    """``y`` as floats, inner gaps interpolated linearly, missing ends dropped."""
    x = np.asarray(y, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"'y' must be 1-D. Got shape {x.shape} instead.")
    x = np.where(np.isfinite(x), x, np.nan)
    filled = pd.Series(x).interpolate(limit_area="inside").to_numpy()
    return filled[~np.isnan(filled)]


def _check_max_lag(max_lag: Any) -> int:
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)):
        raise TypeError(f"The 'max_lag' parameter must be an int or None. Got "
                        f"{max_lag!r} instead.")
    if max_lag < 2:
        raise ValueError(f"The 'max_lag' parameter must be an int >= 2. Got "
                         f"{max_lag} instead.")
    return int(max_lag)


def detect_season(y: Any, freq: str | None = None, max_lag: int | None = None) -> int:
    """The dominant season length of ``y`` in steps; 1 when there is none.

    Parameters
    ----------
    y : array-like, 1-D
        The series (the training part: the future must not choose the season).
        Inner NaN are interpolated linearly; NaN at the ends are dropped.
    freq : str or None
        pandas frequency alias ("MS", "W-SAT", "30min", ...). Its calendar
        periods are tried shortest first and the first one the data confirms
        wins; if none is confirmed the answer is 1, since a cycle that does not
        follow the calendar (the ~11-year sunspot cycle) is not a season.
        None, or an alias not known here, searches the ACF instead.
    max_lag : int or None
        Longest season considered, default ``min(n // 3, 400)``; never more
        than ``n // 3``, so that the detrended series spans two seasons.
    """
    x = _prepared(y)
    limit = min(x.size // 3, _DEFAULT_MAX_LAG if max_lag is None
                else _check_max_lag(max_lag))
    if limit < 2:
        return 1
    periods = None if freq is None else _calendar_periods(str(freq))
    if freq is not None and periods is None:
        warnings.warn(f"Unknown frequency {freq!r}: detecting the season from the "
                      "data alone.", UserWarning, stacklevel=2)
    if periods is None:
        return _search(x, limit)
    return next((p for p in periods if p <= limit and _confirms(x, p)), 1)
