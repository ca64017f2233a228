"""Prediction intervals of the hold-out fit: the test forecasts' bands and
their scores, for the LSTM and beside it the baselines' own.

The LSTM's bands come from its calibration (the errors of its forecasts of
the validation part, divided by a local scale at their origins: the
forecaster's own recent one-step errors, or the series' recent changes,
:mod:`lstmcast.forecaster.calibrate`; for a network ``fit --auto`` chose on
several folds, the search's forward errors: :mod:`lstmcast.search.auto`),
times that scale at each test origin (from the history before it): no test
value enters the calibration, and a band reads none after its origin.
Each baseline's bands are conformal too, from the errors of its own one-step
forecasts of the training part, unscaled (each from the true history before
it: for the naive, seasonal naive and drift methods these are the residuals
their textbook intervals estimate sigma from, without the normal
assumption).

Scores (:func:`lstmcast.intervals.scores.band_scores`): coverage and mean
width per level, pinball loss over the bounds and the point forecast, MSIS
(M4, alpha 0.05) scaled by the MASE scale of the training part, and CRPS of
the quantile forecasts where quantiles are set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lstmcast.intervals.conformal import Calibration
from lstmcast.intervals.levels import check_levels, check_quantiles, quantile_column
from lstmcast.intervals.scores import band_scores, crps, pinball

if TYPE_CHECKING:
    from lstmcast.data.series import SeriesData

#: A baseline is calibrated on the one-step errors of at most this many of
#: the last training rows (plenty for a 99% quantile; a long series is not
#: forecast, or copied, in full to calibrate a naive forecast).
MAX_BASELINE_ERRORS = 20_000


#: How the LSTM's bands were made: by the source of its calibration's
#: errors, then by what they were divided by (its ``scale``).
LSTM_HOW = {
    "validation": "conformal: errors of its forecasts of the validation part, "
                  "{scaled}",
    "history": "conformal: errors of its forecasts of the training rows and "
               "the validation part (no trained network: nothing was stopped "
               "early on them), {scaled}",
    "search": "conformal: at step 1, errors of the search's fits on the "
              "validation folds after their own (forward errors: never "
              "trained on, stopped early on or chosen by), at later steps of "
              "its forecasts of the validation part, {scaled}"}
SCALED = {
    "changes": "scaled by the mean absolute change of the 24 steps before each "
               "origin",
    "errors": "scaled by the mean absolute error of its own one-step forecasts "
              "of the 24 steps before each origin"}


def lstm_how(cal: Calibration | None) -> str:
    """The sentence of :data:`LSTM_HOW` for ``cal`` (None: as a validation
    calibration)."""
    if cal is None:
        return LSTM_HOW["validation"].format(scaled=SCALED["changes"])
    return LSTM_HOW[cal.source].format(scaled=SCALED[cal.scale])


def baseline_calibration(model: Any, y: np.ndarray, n_train: int,
                         season: int) -> Calibration | None:
    """The one-step errors of a fitted baseline over the training part (from
    row ``season + 1`` on, the last :data:`MAX_BASELINE_ERRORS` of them), or
    None when it has none."""
    lag = max(season, 1)
    lo = max(0, n_train - MAX_BASELINE_ERRORS - 2 * lag)  # history read from here
    first = min(lo + lag + 1, n_train - 1)
    positions = np.arange(max(first, n_train - MAX_BASELINE_ERRORS), n_train)
    if len(positions) == 0:
        return None
    try:
        errors = y[positions] - model.predict_one_step(
            y[lo:n_train], positions - lo)
    except (ValueError, ArithmeticError):
        return None
    return Calibration(errors=errors[:, None]) if np.isfinite(errors).any() \
        else None


def scale_of(y_train: np.ndarray, season: int) -> float | None:
    """The MASE scale of the training part (MSIS divides by it)."""
    from lstmcast.evaluation.metrics import _mase_scale
    return _mase_scale(y_train, season)


def one_step_columns(cal: Calibration, point: np.ndarray,
                     levels: tuple[float, ...], quantiles: tuple[float, ...],
                     scale: np.ndarray | float = 1.0) -> dict[str, np.ndarray]:
    """The bands (and quantiles) of one-step forecasts ``point`` (n,);
    ``scale`` per forecast (the local scale at its origin) or one number."""
    column = np.asarray(point, dtype=np.float64)[:, None]
    out = cal.bands(column, scale, levels) if levels else {}
    if quantiles:
        out.update(cal.quantiles(column, scale, quantiles))
    return {name: values[:, 0] for name, values in out.items()}


def scores(actual: np.ndarray, point: np.ndarray, columns: dict[str, np.ndarray],
           levels: tuple[float, ...], quantiles: tuple[float, ...],
           scale: float | None) -> dict[str, float | None]:
    """The interval scores of one model's test forecasts (see the module)."""
    out: dict[str, float | None] = {}
    if levels:
        out.update(band_scores(actual, columns, levels, scale=scale, point=point))
    if quantiles:
        qcols = np.column_stack([columns[quantile_column(q)] for q in quantiles])
        out["crps"] = crps(actual, qcols, quantiles)
        losses = [pinball(actual, columns[quantile_column(q)], q)
                  for q in quantiles]
        known = [v for v in losses if v is not None]
        out["pinball_quantiles"] = float(np.mean(known)) if known else None
    return out


def holdout_intervals(est: Any, series: SeriesData, n_train: int, rows: np.ndarray,
                   forecasts: dict[str, np.ndarray], season: int,
                   levels: tuple[float, ...], quantiles: tuple[float, ...]
                   ) -> tuple[dict[str, np.ndarray], dict[str, dict[str, Any]],
                              dict[str, str]]:
    """(the LSTM's band columns for test_predictions.csv, named ``lstm-lo-80``
    ..., the interval scores per model, and how each model's bands were made)."""
    from lstmcast.baselines.simple import make_baselines
    from lstmcast.forecaster.calibrate import origin_scale
    levels, quantiles = check_levels(levels), check_quantiles(quantiles)
    y = series.y
    if not levels and not quantiles:
        return {}, {}, {}
    actual, scale = y[rows], scale_of(y[:n_train], season)
    cal = est.state_.calibration
    cals: dict[str, Calibration | None] = {"lstm": cal}
    how = {"lstm": lstm_how(cal)}
    for name, model in make_baselines(season).items():
        if name in forecasts:
            cals[name] = baseline_calibration(model.fit(y[:n_train]), y, n_train,
                                              season)
            how[name] = ("conformal: errors of its one-step forecasts of the "
                         "training part")
    columns: dict[str, np.ndarray] = {}
    metrics: dict[str, dict[str, Any]] = {}
    for name, cal in cals.items():
        if cal is None:
            how[name] = "none (no out-of-sample errors to calibrate on)"
            continue
        local = origin_scale(est.state_, series, rows - 1, known=(
            rows, forecasts["lstm"])) if name == "lstm" else 1.0
        cols = one_step_columns(cal, forecasts[name], levels, quantiles, local)
        metrics[name] = scores(actual, forecasts[name], cols, levels, quantiles,
                               scale)
        if name == "lstm":
            columns = {f"lstm-{k}": v for k, v in cols.items()}
    return columns, metrics, how
