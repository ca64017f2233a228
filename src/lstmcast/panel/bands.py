"""Prediction intervals of a global model, calibrated on its validation
forecasts.

To choose its combination, :func:`lstmcast.panel.fit.fit_panel` forecasts the
last H values of every series with components fitted without them: those
forecasts are out of sample, one origin per series, and their errors are the
calibration set. The error of series i at step h, divided by the series'
scale, is pooled with every other series' error at that step
(:class:`~lstmcast.intervals.conformal.Calibration`: split conformal, per
step); a band is the point forecast plus the step's error quantile times the
series' scale. The scale of a forecast from a history is computed from that
history alone (:func:`series_scales`), so a series the model never saw gets
bands too, and the test part of an evaluation never enters them.

The scale and symmetric bands were chosen by measurement on M3 (calibrated
at the validation origin, scored on the test part, 3,003 series): of the
mean absolute seasonal difference (MASE's scale), its root mean square, the
level of the forecast or the last value (relative errors), errors in logs,
and symmetric or signed bands, the root mean square of the seasonal
differences with symmetric bands held coverage within about 1.5 points of 80
and 95 on monthly and quarterly data with the lowest MSIS (monthly 6.75;
relative and log errors 15 to 16: a series' level says little about how
much it moves). How much a series moved lately says more about its next
errors than its whole history does, but :data:`RECENT` differences alone are
a noisy measure: the scale is the geometric mean of the two root mean
squares. Measured from the training part alone (the model fitted without
each series' last H values, its bands scored on them: the test part never
read), at two origins (monthly at one), against the whole history's root
mean square: MSIS monthly 7.39 -> 7.21, quarterly 10.14 -> 10.27 and
11.46 -> 11.43, yearly 33.0 -> 32.1 and 68.6 -> 67.5, other 16.4 -> 14.6 and
25.3 -> 24.3, at the same coverage (within half a point). See docs/panel.md "Prediction
intervals".
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lstmcast.baselines.joint import filled
from lstmcast.intervals.conformal import Calibration
from lstmcast.intervals.levels import check_levels, check_quantiles

SYMMETRIC = True
"""Symmetric bands (the quantile of the absolute scaled error on both sides)."""
RECENT = 16
"""The latest differences whose root mean square enters a series' scale
(0: the whole history's alone, as models saved before this rule)."""


def series_scales(histories: Sequence[np.ndarray], season: int,
                  recent: int = RECENT) -> np.ndarray:
    """(n,) the scale of each history, from the differences between values
    one season apart (one step apart when the history is not longer than the
    season): the geometric mean of the root mean square of all of them and
    of the last ``recent`` (all of them alone when ``recent`` is 0 or the
    recent ones are all 0); 0 for a constant history (its band is the
    forecast itself)."""
    out = np.zeros(len(histories))
    for i, history in enumerate(histories):
        y = np.asarray(history, dtype=np.float64)
        if np.isfinite(y).sum() < 2:
            continue
        y = filled(y)
        m = season if y.size > season else 1
        steps = y[m:] - y[:-m]
        value = _rms(steps)
        lately = _rms(steps[-recent:]) if recent else 0.0
        if lately > 0:
            value = float(np.sqrt(value * lately))
        if np.isfinite(value):
            out[i] = value
    return out


def _rms(values: np.ndarray) -> float:
    return float(np.sqrt(np.mean(values ** 2)))


def calibrate(histories: Sequence[np.ndarray], forecast: np.ndarray,
              actual: np.ndarray, season: int, recent: int = RECENT
              ) -> Calibration:
    """The calibration of forecasts (n, H) made after ``histories`` (n) of
    values ``actual`` (n, H) that the forecaster was not fitted on: each
    error divided by its series' scale (series without one left out)."""
    scale = series_scales(histories, season, recent)
    errors = np.full(np.shape(forecast), np.nan)
    usable = scale > 0
    errors[usable] = ((np.asarray(actual, dtype=np.float64)[usable]
                       - np.asarray(forecast, dtype=np.float64)[usable])
                      / scale[usable, None])
    return Calibration(errors, symmetric=SYMMETRIC)


def panel_bands(calibration: Calibration, histories: Sequence[np.ndarray],
                forecast: np.ndarray, season: int, *,
                levels: tuple[float, ...] = (), quantiles: tuple[float, ...] = (),
                recent: int = RECENT) -> dict[str, np.ndarray]:
    """The bands of forecasts (n, H) after ``histories``: ``lo-80``, ``hi-80``,
    ... for ``levels``, or ``q-0.1``, ... for ``quantiles`` when given
    (instead of the levels), each (n, H); ``recent`` as the calibration's
    errors were scaled."""
    scale = series_scales(histories, season, recent)
    if quantiles:
        return calibration.quantiles(forecast, scale, check_quantiles(quantiles))
    if levels:
        return calibration.bands(forecast, scale, check_levels(levels))
    return {}


def calibration_notes(calibration: Calibration, levels: tuple[float, ...]
                      ) -> list[str]:
    """:meth:`Calibration.notes` in a panel's words: the errors are one per
    series and step, so more series (not a longer validation part) give
    more."""
    return [note.replace("A longer validation part (--val-size) gives them more.",
                         "A panel of more series (one error per series and "
                         "step) gives them more.")
            for note in calibration.notes(levels)]
