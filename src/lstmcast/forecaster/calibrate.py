"""Calibrating prediction intervals after training, on the validation part.

The validation part (the last ``val_size`` rows of the data ``fit`` saw) was
never trained on; only early stopping watched it. From every origin in it the
fitted model forecasts the next steps, as ``predict`` would (one step from the
true history, or a path of H steps by the fitted strategy), and the errors
``actual - forecast`` on the original scale, per step, are the
:class:`~lstmcast.intervals.conformal.Calibration` of the model: split
conformal intervals whose width at step h is an error quantile of step h.

A model that goes further than H recursively (``strategy`` recursive, or auto
with H = 1) is calibrated on recursive paths of up to :data:`MAX_STEPS` steps
(half the validation part at most), so ``predict --horizon 12`` of a one-step
model gets widths that grow with the step; beyond the calibrated steps the
last step's width is used.

Errors are kept on the original scale (one scale, the series'), not divided
by the level: the test part follows the validation part directly, so the
spread of the errors carries over better than a ratio to a level that may
have moved (see BENCHMARKS.md, "Prediction intervals").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from lstmcast.core.errors import DataError
from lstmcast.intervals.conformal import Calibration

if TYPE_CHECKING:
    from lstmcast.data.series import SeriesData
    from lstmcast.forecaster.state import FittedState

#: At most this many recursive steps are calibrated beyond the horizon.
MAX_STEPS = 48
#: At most this many validation origins (the newest) are forecast ...
MAX_ORIGINS = 1000
#: ... and fewer for long windows and paths: origins x window x steps stays
#: under this (a recursive path runs the network once per step), but never
#: fewer than MIN_ORIGINS (enough for a 99% bound).
WORK = 5_000_000
MIN_ORIGINS = 200


def calibration_steps(state: FittedState, n_val: int) -> int:
    """How many steps to calibrate: the horizon, or for a model that forecasts
    further recursively from plain target windows, up to half the validation
    part (at most :data:`MAX_STEPS`)."""
    shape, features = state.shape, state.features
    recursive = shape.strategy == "recursive" or (
        shape.strategy == "auto" and shape.horizon == 1)
    plain = not (features.lags or features.rolling or features.calendar
                 or features.future or features.covariates)
    residual = any(type(s).__name__ == "Residual"
                   for s in state.transforms.pipeline.steps)
    if not recursive or not plain or residual:
        return shape.horizon
    return max(shape.horizon, min(MAX_STEPS, n_val // 2))


def validation_errors(state: FittedState, series: SeriesData, first: int,
                      steps: int) -> np.ndarray:
    """(origins, steps) errors ``actual - forecast`` of the forecasts from
    every usable origin ``t`` with ``first - 1 <= t < len(series) - 1``; NaN
    where the actual is beyond the series or unknown. Only rows from ``first``
    on are forecast: the validation part when ``first`` is its first row."""
    from lstmcast.forecaster.predict import (
        _inputs,
        _usable_origins,
        multi_step,
        one_step,
    )
    n = len(series)
    _, _, feats = _inputs(state, series)
    usable = _usable_origins(state, feats)
    cap = max(MIN_ORIGINS, min(MAX_ORIGINS, WORK // (state.shape.window * steps)))
    origins = usable[(usable >= first - 1) & (usable < n - 1)][-cap:]
    if len(origins) == 0:
        return np.empty((0, steps))
    if steps == 1:
        forecasts = one_step(state, series, origins + 1)[:, None]
    else:
        forecasts = multi_step(state, series, origins, steps)
    rows = origins[:, None] + 1 + np.arange(steps)  # (B, K)
    actual = np.where(rows < n, series.y[np.minimum(rows, n - 1)], np.nan)
    return actual - forecasts


def calibrate(state: FittedState, series: SeriesData) -> Calibration | None:
    """The calibration of a fitted model from its validation part (the rows
    after ``state.shape.n_fit``), or None when it has none (no validation
    rows, or no origin with a complete window in it)."""
    n_val = len(series) - state.shape.n_fit
    if n_val < 1:
        return None
    steps = calibration_steps(state, n_val)
    try:
        errors = validation_errors(state, series, state.shape.n_fit, steps)
    except DataError:  # e.g. future covariates unknown past the last row
        return None
    if not np.isfinite(errors).any():
        return None
    return Calibration(errors=errors)
