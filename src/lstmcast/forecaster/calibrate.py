"""Calibrating prediction intervals after training, on the validation part.

The validation part (the last ``val_size`` rows of the data ``fit`` saw) was
never trained on; only early stopping watched it. From every origin in it the
fitted model forecasts the next steps, as ``predict`` would (one step from the
true history, or a path of H steps by the fitted strategy), and the errors
``actual - forecast`` on the original scale, per step, are the
:class:`~lstmcast.intervals.conformal.Calibration` of the model: split
conformal intervals whose width at step h is an error quantile of step h.

A forecast without a trained network (the naive predictor, or ETS with the
network weighted 0, as ``fit --auto``'s fallbacks) is calibrated on the
forecasts of its training rows as well (:func:`network_free`): nothing was
early-stopped on the validation part, and a short series has about 20
validation errors but five times as many training rows.

A model that goes further than H recursively (``strategy`` recursive, or auto
with H = 1) is calibrated on recursive paths of up to :data:`MAX_STEPS` steps
(half the validation part at most), so ``predict --horizon 12`` of a one-step
model gets widths that grow with the step; beyond the calibrated steps the
last step's width is used.

Errors are divided by a local scale at their origin, read from the history
up to the origin only, and a band is the forecast plus the scaled error
quantile times the scale at its own origin. Where the spread of a series
moves (volatility clusters of a stock price, a season whose amplitude grows
with the level, a sunspot cycle, a summer's demand), this holds the coverage
where unscaled errors of the validation part do not. The scale is the mean
absolute error of the forecaster's own one-step forecasts of the
:data:`SCALE_WINDOW` rows up to the origin (:func:`error_scale`) where the
validation part has at least :data:`ERROR_SCALE_MIN` origins, else the mean
absolute one-step change of the series over them (:func:`local_scale`: the
naive forecast's errors, so the same rule for that forecaster). A model
trained on its validation part too (``refit_tail``) has no out-of-sample
errors of its own there, and is scaled by the changes. Measured on the
benchmark series, chosen at an earlier origin (each without its test part)
and checked on the test parts (``benchmarks/calibration_scale.py``): the
forecaster's own errors moved taylor_elec's one-step 80% bands from 74.7 to
81.6% and from 75.2 to 80.2% coverage (its summer's errors are larger than
its spring's, and the series' changes do not say so) and syn_ar2's test
part from 76.0 to 80.0; no coverage went more than 1.5 points further from
nominal. Where a short series' forecast without a network is calibrated on
its training rows (about 100 errors, :func:`network_free`), its own errors
over-covered (200 M3 monthly series: 83.9 / 96.4 against the changes' 79.5
/ 94.9), hence the rule counts the validation part's origins. With the
changes' scale alone, unscaled 95% bands of the naive forecast had covered
79% of msft_close's test part and 83% of airline's, locally scaled ones 94%
and 93% (window 24; 12 and 48 were no better). See BENCHMARKS.md,
"Prediction intervals".
"""

from __future__ import annotations

from contextlib import suppress
from typing import TYPE_CHECKING

import numpy as np

from lstmcast.core.errors import DataError
from lstmcast.intervals.conformal import Calibration

if TYPE_CHECKING:
    from lstmcast.data.series import SeriesData
    from lstmcast.forecaster.state import FittedState

#: At most this many recursive steps are calibrated beyond the horizon.
MAX_STEPS = 48
#: The steps of history whose mean absolute change is an origin's scale.
SCALE_WINDOW = 24
#: At most this many validation origins (the newest) are forecast ...
MAX_ORIGINS = 1000
#: ... and fewer for long windows and paths: origins x window x steps stays
#: under this (a recursive path runs the network once per step), but never
#: fewer than MIN_ORIGINS (enough for a 99% bound).
WORK = 5_000_000
MIN_ORIGINS = 200
#: Validation origins from which bands are scaled by the forecaster's own
#: recent errors (:func:`error_scale`); the first SCALE_WINDOW of them give the
#: others their scale and are not calibrated on (a shorter validation part is
#: scaled by the series' changes, :func:`local_scale`).
ERROR_SCALE_MIN = 3 * SCALE_WINDOW


def local_scale(y: np.ndarray, origins: np.ndarray,
                window: int = SCALE_WINDOW) -> np.ndarray:
    """(B,) the mean absolute one-step change of ``y`` over the ``window``
    changes up to each origin (fewer at the start; gaps skipped), from the
    values up to the origin only. Where that is 0 or unknown, the mean over
    all changes up to the origin; where that is too, 1. Reads only the span
    of ``y`` the origins need (a long series is not copied)."""
    origins = np.asarray(origins, dtype=np.int64)
    if len(origins) == 0:
        return np.empty(0)
    first = max(0, int(origins.min()) - window + 1)  # first change to read
    recent = _mean_changes(y, first, int(origins.max()) + 1, window)
    out = recent[origins - first]
    bad = ~(np.isfinite(out) & (out > 0))
    if bad.any():  # rare: a flat or gappy stretch; read the whole history
        overall = _mean_changes(y, 0, int(origins[bad].max()) + 1, None)
        out[bad] = overall[origins[bad]]
    bad = ~(np.isfinite(out) & (out > 0))
    out[bad] = 1.0
    return out


def _mean_changes(y: np.ndarray, start: int, stop: int,
                  window: int | None) -> np.ndarray:
    """(stop - start,) at each row t in [start, stop): the mean of the known
    |y[s] - y[s-1]| over the last ``window`` rows s <= t (all rows s <= t
    when ``window`` is None; rows before ``start`` are not read then only
    when ``start`` is 0)."""
    segment = np.asarray(y[max(0, start - 1):stop], dtype=np.float64)
    steps = np.abs(np.diff(segment))
    if start == 0:
        steps = np.concatenate([[np.nan], steps])  # no change before row 0
    known = np.isfinite(steps)
    total = np.concatenate([[0.0], np.cumsum(np.where(known, steps, 0.0))])
    count = np.concatenate([[0], np.cumsum(known)])
    ends = np.arange(1, len(steps) + 1)
    begins = np.zeros_like(ends) if window is None else np.maximum(0, ends - window)
    n = count[ends] - count[begins]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (total[ends] - total[begins]) / np.maximum(n, 1),
                        np.nan)


def error_scale(state: FittedState, series: SeriesData, origins: np.ndarray,
                window: int = SCALE_WINDOW, *,
                known: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """(B,) the mean absolute error of the fitted model's latest ``window``
    one-step forecasts up to each origin: of the rows ``origin - window + 1``
    .. ``origin``, or where some of those cannot be forecast (the last rows
    of a model reading future covariates H steps ahead, gaps) of the latest
    rows before them that can; from the history up to the origin only.
    Where fewer than half of ``window`` can be found or the mean is 0, the
    series' local scale (:func:`local_scale`). ``known``: (rows, forecasts)
    of one-step forecasts already made, not made again."""
    from lstmcast.forecaster.predict import one_step
    origins = np.asarray(origins, dtype=np.int64)
    if len(origins) == 0:
        return np.empty(0)
    hi = int(origins.max()) + 1
    lo = max(0, int(origins.min()) - window + 1 - state.shape.horizon)
    forecasts, needed = np.full(hi - lo, np.nan), np.ones(hi - lo, dtype=bool)
    if known is not None:
        rows, values = (np.asarray(a) for a in known)
        inside = (rows >= lo) & (rows < hi)
        forecasts[rows[inside] - lo] = values[inside]
        needed[rows[inside] - lo] = False
    # a DataError (e.g. future covariates unknown): the changes' scale below
    with suppress(DataError):
        if needed.any():
            forecasts[needed] = one_step(state, series, lo + np.flatnonzero(needed),
                                         where_possible=True)
    errors = np.abs(np.asarray(series.y[lo:hi], dtype=np.float64) - forecasts)
    at = np.flatnonzero(np.isfinite(errors))  # rows (from lo) with an error
    total = np.concatenate([[0.0], np.cumsum(errors[at])])
    last = np.searchsorted(at, origins - lo, side="right")  # errors up to each
    first = np.maximum(0, last - window)
    n = last - first
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(n >= max(1, window // 2),
                       (total[last] - total[first]) / np.maximum(n, 1), np.nan)
    bad = ~(np.isfinite(out) & (out > 0))
    if bad.any():
        out[bad] = local_scale(series.y, origins[bad], window)
    return out


def origin_scale(state: FittedState, series: SeriesData,
                 origins: np.ndarray | int, *,
                 known: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """The scale at each origin (row of the last value known) that the
    model's calibration errors were divided by: :func:`error_scale` (with
    ``known``, its one-step forecasts already made) or :func:`local_scale`,
    as its calibration says (``scale``)."""
    origins = np.atleast_1d(np.asarray(origins, dtype=np.int64))
    cal = state.calibration
    if cal is not None and cal.scale == "errors":
        return error_scale(state, series, origins, known=known)
    return local_scale(series.y, origins)


def calibration_steps(state: FittedState, n_val: int) -> int:
    """How many steps to calibrate: the horizon, or for a model that forecasts
    further recursively from plain target windows, up to half the validation
    part (at most :data:`MAX_STEPS`)."""
    shape, features = state.shape, state.features
    recursive = shape.strategy == "recursive" or (
        shape.strategy == "auto" and shape.horizon == 1)
    plain = not (features.lags or features.rolling or features.calendar
                 or features.future or features.covariates or features.cycle)
    residual = any(type(s).__name__ == "Residual"
                   for s in state.transforms.pipeline.steps)
    if not recursive or not plain or residual:
        return shape.horizon
    return max(shape.horizon, min(MAX_STEPS, n_val // 2))


def validation_errors(state: FittedState, series: SeriesData, first: int,
                      steps: int, *, own_errors: bool = True
                      ) -> tuple[np.ndarray, str]:
    """((origins, steps) errors ``actual - forecast``, what they were divided
    by): the forecasts from every usable origin ``t`` with ``first - 1 <= t
    < len(series) - 1``, NaN where the actual is beyond the series or
    unknown. Only rows from ``first`` on are forecast: the validation part
    when ``first`` is its first row. Where the validation part (the rows
    after ``state.shape.n_fit``) has at least :data:`ERROR_SCALE_MIN`
    origins, each error is divided by :func:`error_scale` (``"errors"``)
    and the first :data:`SCALE_WINDOW` rows forecast only give the others
    their scale (the rows from ``first`` on); with fewer, by
    :func:`local_scale` (``"changes"``), as also when not ``own_errors``."""
    from lstmcast.forecaster.predict import (
        _inputs,
        _usable_origins,
        multi_step,
        one_step,
    )
    n = len(series)
    _, _, feats = _inputs(state, series)
    usable = _usable_origins(state, feats)
    del feats  # the forecasts below build their own
    cap = max(MIN_ORIGINS, min(MAX_ORIGINS, WORK // (state.shape.window * steps)))
    origins = usable[(usable >= first - 1) & (usable < n - 1)]
    validation = (origins >= state.shape.n_fit - 1).sum()
    scale = ("errors" if own_errors and validation >= ERROR_SCALE_MIN
             else "changes")
    if scale == "errors":  # each scale from SCALE_WINDOW errors of these rows
        origins = origins[origins >= max(first, int(usable[0]) + 1)
                          + SCALE_WINDOW - 1]
    origins = origins[-cap:]
    if len(origins) == 0:
        return np.empty((0, steps)), scale
    if steps == 1:
        forecasts = one_step(state, series, origins + 1)[:, None]
    else:
        forecasts = multi_step(state, series, origins, steps)
    rows = origins[:, None] + 1 + np.arange(steps)  # (B, K)
    actual = np.where(rows < n, series.y[np.minimum(rows, n - 1)], np.nan)
    divisor = (error_scale(state, series, origins, known=(
                   origins + 1, forecasts[:, 0]) if steps == 1 else None)
               if scale == "errors" else local_scale(series.y, origins))
    return (actual - forecasts) / divisor[:, None], scale


def calibrate(state: FittedState, series: SeriesData, *,
              own_errors: bool = True) -> Calibration | None:
    """The calibration of a fitted model from its validation part (the rows
    after ``state.shape.n_fit``), or None when it has none (no validation
    rows, or no origin with a complete window in it). A forecast without a
    trained network (:func:`network_free`) is calibrated on its training
    rows too (the newest :data:`MAX_ORIGINS` origins). Not ``own_errors``:
    scaled by the series' changes whatever the validation part's length (a
    model then trained on its validation part too has no out-of-sample
    errors of its own to scale its later bands by)."""
    n_val = len(series) - state.shape.n_fit
    if n_val < 1:
        return None
    steps = calibration_steps(state, n_val)
    everything = network_free(state)
    try:
        errors, scale = validation_errors(
            state, series, 0 if everything else state.shape.n_fit, steps,
            own_errors=own_errors)
    except DataError:  # e.g. future covariates unknown past the last row
        return None
    if not np.isfinite(errors).any():
        return None
    return Calibration(errors=errors, scale=scale,
                       source="history" if everything else "validation")


def network_free(state: FittedState) -> bool:
    """Whether the forecast has no trained network in it: the naive predictor,
    or a classical forecast (ETS) with the network weighted 0. Nothing was
    early-stopped on its validation part, and a classical model of a few
    parameters forecasts its training rows almost as it forecasts new ones,
    so their errors calibrate it too: on 200 M3 monthly series fitted alone
    (``benchmarks/short_intervals.py``), the 77 where ``fit --auto`` chose ETS
    or naive covered 84.5% / 95.1% from the validation part's errors (about
    22) and 79.5% / 94.9% from the training rows' and the validation part's."""
    config = state.config
    return config.model.predictor == "naive" or config.preprocess.network_weight == 0
