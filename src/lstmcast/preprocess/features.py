"""Per-step input features: the transformed target, its lags and causal rolling
statistics, calendar features of the forecast time, covariates with lags, and
future covariates at the steps forecast.

Everything here is causal: row ``t`` uses values at or before ``t`` only, but
for what is known in advance: calendar features describe the time being
forecast, ``t + 1``, and a future covariate's ``k``-th lead at row ``t`` is
its value at ``t + k`` (k = 1..leads: the steps the network forecasts). Rows
that cannot be computed yet are NaN and make their windows invalid rather
than being filled with guesses.
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


def ahead(x: np.ndarray, lead: int, n: int) -> np.ndarray:
    """The first ``n`` rows of ``x`` shifted up by ``lead`` (row t holds
    x[t + lead]; NaN past the end of ``x``, which may run beyond n rows)."""
    out = np.full(n, np.nan)
    rows = max(0, min(n, len(x) - lead))
    out[:rows] = x[lead: lead + rows]
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


def cycle_terms(positions: np.ndarray, period: float,
                harmonics: int) -> tuple[np.ndarray, list[str]]:
    """Sine/cosine terms of a cycle of ``period`` steps (harmonics 1..K) at
    the step ``positions`` (counted from the first training row): (n, 2K).
    Unlike calendar features they need no time stamps, so they exist for
    integer steps and at every step ahead."""
    angle = 2 * np.pi * np.asarray(positions, dtype=np.float64)[:, None] / period
    k = np.arange(1, harmonics + 1)
    terms = np.empty((len(angle), 2 * harmonics))
    terms[:, 0::2], terms[:, 1::2] = np.sin(angle * k), np.cos(angle * k)
    names = [f"cycle{h}_{f}" for h in k for f in ("sin", "cos")]
    return terms, names


def build_features(z: np.ndarray, covariates: np.ndarray, next_stamps: pd.Index | None,
                   *, lags: tuple[int, ...] = (), rolling_windows: tuple[int, ...] = (),
                   rolling_stats: tuple[str, ...] = ROLLING_STATS,
                   covariate_names: tuple[str, ...] = (),
                   covariate_lags: tuple[int, ...] = (),
                   future: np.ndarray | None = None,
                   future_names: tuple[str, ...] = (), leads: int = 0,
                   cycle: float | None = None, cycle_harmonics: int = 0,
                   next_positions: np.ndarray | None = None,
                   ) -> tuple[np.ndarray, list[str]]:
    """Stack the input features of every step into one float32 (N, F) array.

    Parameters
    ----------
    z : (N,) transformed target.
    covariates : (N, C) transformed covariates (C may be 0).
    next_stamps : the time stamp of row t + 1 for every row (calendar features of
        the forecast time), or None for no calendar features.
    future : (M, Cf) transformed future covariates, M >= N (rows after the
        N-th are known future values); row t gets each one's value at t + 1 ..
        t + ``leads`` (columns ``name_next1`` ...).
    cycle, cycle_harmonics, next_positions : the terms of a cycle
        (:func:`cycle_terms`) at the step position of row t + 1 for every row.
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
    if cycle is not None and next_positions is not None:
        terms, term_names = cycle_terms(next_positions, cycle, cycle_harmonics)
        columns += list(terms.T)
        names += term_names
    for j, name in enumerate(covariate_names):
        columns.append(covariates[:, j])
        names.append(name)
        for lag in covariate_lags:
            columns.append(lagged(covariates[:, j], lag))
            names.append(f"{name}_lag{lag}")
    for j, name in enumerate(future_names):
        for lead in range(1, leads + 1):
            columns.append(ahead(future[:, j], lead, len(z)))  # type: ignore[index]
            names.append(f"{name}_next{lead}")
    matrix = np.empty((len(z), len(columns)), dtype=np.float32)  # no float64 copy
    for j, column in enumerate(columns):
        matrix[:, j] = column
    return matrix, names


def feature_warmup(lags: tuple[int, ...], rolling_windows: tuple[int, ...],
                   covariate_lags: tuple[int, ...]) -> int:
    """Rows at the start of a series whose features are not defined yet."""
    return max([0, *lags, *(w - 1 for w in rolling_windows), *covariate_lags])
