"""Per-step input features: the transformed target, its lags and causal rolling
statistics, calendar features of the forecast time, and covariates with lags.

Everything here is causal: row ``t`` uses values at or before ``t`` only
(calendar features describe the time being forecast, ``t + 1``, which is known
in advance). Rows that cannot be computed yet are NaN and make their windows
invalid rather than being filled with guesses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

ROLLING_STATS = ("mean", "std", "min", "max")


def lagged(x: np.ndarray, lag: int) -> np.ndarray:
    """``x`` shifted down by ``lag`` rows (NaN on top); works on 1-D and 2-D."""
    out = np.full_like(x, np.nan, dtype=np.float64)
    if lag < len(x):
        out[lag:] = x[: len(x) - lag]
    return out


def rolling(x: np.ndarray, window: int, stat: str) -> np.ndarray:
    """Causal rolling statistic over ``x[t - window + 1 : t + 1]``."""
    roll = pd.Series(x).rolling(window, min_periods=window)
    values = getattr(roll, stat)()
    return values.to_numpy(dtype=np.float64)


def calendar(stamps: pd.Index) -> tuple[np.ndarray, list[str]]:
    """Sine/cosine encodings of the cycles a time index can carry.

    Sub-daily data get hour of day; daily and finer get day of week; all
    datetimes get day of year. Integer steps have no calendar: (n, 0).
    """
    if not isinstance(stamps, pd.DatetimeIndex):
        return np.empty((len(stamps), 0)), []
    step = (stamps[1:] - stamps[:-1]).median().total_seconds() if len(stamps) > 1 \
        else 86400.0
    cycles: list[tuple[str, np.ndarray, float]] = []
    if step < 86400:
        hours = stamps.hour + stamps.minute / 60.0
        cycles.append(("hour", np.asarray(hours, dtype=float), 24.0))
    if step <= 86400:
        cycles.append(("weekday", np.asarray(stamps.day_of_week, dtype=float), 7.0))
    cycles.append(("yearday", np.asarray(stamps.day_of_year - 1, dtype=float), 365.25))
    columns, names = [], []
    for name, value, period in cycles:
        angle = 2 * np.pi * value / period
        columns += [np.sin(angle), np.cos(angle)]
        names += [f"{name}_sin", f"{name}_cos"]
    return np.column_stack(columns), names


def build_features(z: np.ndarray, covariates: np.ndarray, next_stamps: pd.Index | None,
                   *, lags: tuple[int, ...] = (), rolling_windows: tuple[int, ...] = (),
                   rolling_stats: tuple[str, ...] = ROLLING_STATS,
                   covariate_names: tuple[str, ...] = (),
                   covariate_lags: tuple[int, ...] = (),
                   ) -> tuple[np.ndarray, list[str]]:
    """Stack the input features of every step into one float32 (N, F) array.

    Parameters
    ----------
    z : (N,) transformed target.
    covariates : (N, C) transformed covariates (C may be 0).
    next_stamps : the time stamp of row t + 1 for every row (calendar features of
        the forecast time), or None for no calendar features.
    """
    columns: list[np.ndarray] = [z]
    names = ["target"]
    for lag in lags:
        columns.append(lagged(z, lag))
        names.append(f"target_lag{lag}")
    for window in rolling_windows:
        for stat in rolling_stats:
            columns.append(rolling(z, window, stat))
            names.append(f"target_roll{window}_{stat}")
    if next_stamps is not None:
        cal, cal_names = calendar(next_stamps)
        columns += list(cal.T)
        names += cal_names
    for j, name in enumerate(covariate_names):
        columns.append(covariates[:, j])
        names.append(name)
        for lag in covariate_lags:
            columns.append(lagged(covariates[:, j], lag))
            names.append(f"{name}_lag{lag}")
    matrix = np.column_stack(columns).astype(np.float32)
    return np.ascontiguousarray(matrix), names


def feature_warmup(lags: tuple[int, ...], rolling_windows: tuple[int, ...],
                   covariate_lags: tuple[int, ...]) -> int:
    """Rows at the start of a series whose features are not defined yet."""
    return max([0, *lags, *(w - 1 for w in rolling_windows), *covariate_lags])
