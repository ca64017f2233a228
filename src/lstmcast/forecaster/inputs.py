"""From a series to the network's inputs and targets, as fitting and forecasting
both need them: transformed target, feature matrix, training targets, time
stamps, and where a series sits relative to the training rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lstmcast.core.config import PreprocessConfig
from lstmcast.core.errors import DataError
from lstmcast.data.series import SeriesData
from lstmcast.forecaster.state import Features, Transforms
from lstmcast.preprocess.features import build_features

if TYPE_CHECKING:
    from lstmcast.forecaster.state import FittedState
    from lstmcast.preprocess.base import Transform


def feature_settings(pre: PreprocessConfig, series: SeriesData,
                     leads: int) -> Features:
    """The features a fit with ``pre`` feeds the network for ``series``' columns
    (future covariates at ``leads`` steps ahead), with their names."""
    head = tail(series, min(len(series), 3))
    stamps = next_stamps(head)[:3] if pre.calendar else None
    rows = len(head)
    _, names = build_features(np.zeros(rows), np.zeros((rows,
                              len(series.covariates))), stamps, lags=pre.lags,
                              rolling_windows=pre.rolling,
                              rolling_stats=pre.rolling_stats,
                              covariate_names=series.covariates,
                              covariate_lags=pre.covariate_lags,
                              future=np.zeros((rows, len(series.future))),
                              future_names=series.future, leads=leads,
                              cycle=pre.cycle, cycle_harmonics=pre.cycle_harmonics,
                              next_positions=np.arange(1, rows + 1))
    return Features(covariates=series.covariates, lags=pre.lags, rolling=pre.rolling,
                    rolling_stats=pre.rolling_stats, calendar=pre.calendar,
                    covariate_lags=pre.covariate_lags, names=names,
                    future=series.future, leads=leads if series.future else 0,
                    cycle=pre.cycle,
                    cycle_harmonics=pre.cycle_harmonics if pre.cycle else 0)


def covariates_of(cov_impute: list[Transform], values: np.ndarray,
                  start: int) -> np.ndarray:
    """(N, C) covariate ``values`` (series.X or series.F) filled by the fitted
    imputers (unscaled)."""
    cols = [imp.transform(values[:, j], start=start)
            for j, imp in enumerate(cov_impute)]
    return np.column_stack(cols) if cols else np.empty((len(values), 0))


def future_inputs(transforms: Transforms, series: SeriesData, start: int,
                  future: np.ndarray | None = None) -> np.ndarray:
    """(N + E, Cf) scaled future covariates of ``series`` (gaps filled by the
    fitted imputers), followed by the E known ``future`` rows after its end."""
    values = covariates_of(transforms.future_impute, series.F, start)
    if future is not None:
        values = np.vstack([values, future])
    if transforms.future_scaler is not None:
        values = transforms.future_scaler.transform(values)
    return values


def features_of(transforms: Transforms, features: Features, series: SeriesData,
                start: int, future: np.ndarray | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
    """Transformed target z (N,) and the input features (N, F) of ``series``,
    whose first row is row ``start`` of the training data; ``future`` holds the
    future covariates of the rows after its end (the steps to forecast)."""
    z = transforms.pipeline.transform(series.y, start=start,
                                      times=series.times_float())
    cov = covariates_of(transforms.cov_impute, series.X, start)
    if transforms.cov_scaler is not None:
        cov = transforms.cov_scaler.transform(cov)
    stamps = next_stamps(series)[: len(series)] if features.calendar else None
    feats, _ = build_features(z, cov, stamps, lags=features.lags,
                              rolling_windows=features.rolling,
                              rolling_stats=features.rolling_stats,
                              covariate_names=features.covariates,
                              covariate_lags=features.covariate_lags,
                              future=future_inputs(transforms, series, start, future),
                              future_names=features.future, leads=features.leads,
                              cycle=features.cycle,
                              cycle_harmonics=features.cycle_harmonics,
                              next_positions=start + 1 + np.arange(len(series)))
    return z, feats


def targets(z: np.ndarray, y: np.ndarray, steps: list[int], mode: str,
            scale: float) -> np.ndarray:
    """(N, K) float32 targets by origin t: the values ``steps`` (K of them) after
    t, NaN where the true value was missing (imputed values are never learned
    as truth). In ``delta`` mode: the change from z[t], divided by ``scale``."""
    n = len(z)
    out = np.full((n, len(steps)), np.nan, dtype=np.float32)  # no float64 (N, K)
    truth = np.where(np.isfinite(y), z, np.nan)
    for k, h in enumerate(steps):
        if h < n:  # computed in float64, stored in float32, as before
            out[: n - h, k] = (truth[h:] - z[: n - h]) / scale if mode == "delta" \
                else truth[h:]
    return out


def next_stamps(series: SeriesData, extra: int = 1) -> pd.Index:
    """The stamp after each row (and ``extra - 1`` more beyond the end)."""
    index = series.index
    try:
        future = series.future_index(extra)
    except DataError:
        step = index[-1] - index[-2] if len(index) > 1 else 1
        future = pd.Index([index[-1] + step * (k + 1) for k in range(extra)])
    return index[1:].append(future)


def tail(series: SeriesData, keep: int) -> SeriesData:
    """The last ``keep`` rows of ``series`` (without its notes and repairs)."""
    frame = series.frame.iloc[len(series) - keep:].copy()
    return SeriesData(frame=frame, target=series.target,
                      covariates=series.covariates, freq=series.freq,
                      future=series.future)


def start_of(state: FittedState, series: SeriesData) -> int:
    """Position of ``series``' first row counted from the first training row."""
    first, data = series.index[0], state.data
    if first == data.first_stamp:
        return 0
    context = state.context.series.index
    if first in context:
        return state.context.start + int(context.get_loc(first))
    if not isinstance(first, pd.Timestamp):
        return int(first - data.first_stamp)
    if data.freq:
        anchor = data.first_stamp
        if first.tz is not None and anchor.tz is not None:
            anchor = anchor.tz_convert(first.tz)  # one zone for date_range
        lo, hi = sorted([first, anchor])
        steps = len(pd.date_range(lo, hi, freq=data.freq)) - 1
        return steps if first > anchor else -steps
    raise DataError(f"Cannot place data starting at {first} relative to the "
                    f"training data (which started at {data.first_stamp}) because "
                    "the series has no regular frequency. Give data that starts "
                    "at the training start, or refit with --gaps fill.")
