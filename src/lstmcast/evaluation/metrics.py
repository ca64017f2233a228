"""Forecast accuracy metrics: plain functions over numpy arrays, truth first.

Every function scores the points where the truth is known: a NaN in ``y_true``
drops that point (a gap in the test data), while a forecast that is NaN or
infinite where the truth is known raises ``ValueError``. Dropping those instead
would let a model skip the hard points and look better than it is.

A score that is undefined for the data at hand (R² of a constant target, MAPE
of a target that is all zeros, MASE with a flat training part) is ``None``, never
NaN or inf, so that :func:`evaluate`'s dict goes to JSON as it is.

The formulas agree with ``tools/score_predictions.py`` and the protocol of the
benchmark catalog: R² is scikit-learn's (against the test mean), MASE divides
by the in-sample seasonal naive MAE of the forward-filled training part, and
skill is ``1 - SSE / SSE_ref``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "METRIC_COLUMNS",
    "evaluate",
    "mae",
    "mape",
    "mase",
    "metrics_table",
    "r2",
    "r2_undefined_reason",
    "rmse",
    "skill",
    "smape",
]

METRIC_COLUMNS = ("r2", "mae", "rmse", "mape", "smape", "mase", "skill_vs_naive", "n")
"""Columns of :func:`metrics_table`, in order (the keys of :func:`evaluate`)."""

_CONSTANT_RTOL = 1e-12  # variance <= this * max(1, mean^2): the target is constant
_MAPE_RTOL = 1e-8  # |y| < this * max|y|: too close to zero for a percentage error

# --------------------------------------------------------------------- helpers


def _as_1d(x: Any, name: str) -> np.ndarray:
    """A float64 1-D array of ``x``; other shapes are a programming error."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"'{name}' must be 1-D. Got shape {arr.shape} instead.")
    return arr


def _scored(y_true: Any, **forecasts: Any) -> tuple[np.ndarray, ...]:
    """The points where the truth is known: ``y_true`` and each forecast there.

    NaN in ``y_true`` drops the point; every forecast must be finite at the
    points kept. Returns ``(y_true, *forecasts)`` restricted to those points.
    """
    truth = _as_1d(y_true, "y_true")
    if np.isinf(truth).any():
        raise ValueError(f"'y_true' has {int(np.isinf(truth).sum())} infinite "
                         "values. The truth must be finite, or NaN where unknown.")
    known = ~np.isnan(truth)
    kept = [truth[known]]
    for name, values in forecasts.items():
        pred = _as_1d(values, name)
        if pred.shape != truth.shape:
            raise ValueError(f"'{name}' must have the length of 'y_true' "
                             f"({truth.size}). Got {pred.size} instead.")
        bad = int((~np.isfinite(pred[known])).sum())
        if bad:
            raise ValueError(f"'{name}' has {bad} non-finite values where 'y_true' "
                             "is known: forecasts must be finite.")
        kept.append(pred[known])
    if known.sum() == 0:
        raise ValueError(f"Nothing to score: all {truth.size} values of 'y_true' "
                         "are NaN.")
    return tuple(kept)


def _check_season(season: Any) -> int:
    """``season`` as an int >= 1; anything else is a ValueError naming it."""
    if isinstance(season, bool) or not isinstance(season, (int, np.integer)) \
            or season < 1:
        raise ValueError("The 'season' parameter must be an int >= 1. Got "
                         f"{season!r} instead.")
    return int(season)


def _float(value: float) -> float | None:
    """A plain Python float, or None for NaN/inf (never reaches JSON as NaN)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _short(value: float) -> str:
    """``value`` with six significant digits, as Python prints floats (5.0)."""
    return repr(float(f"{value:.6g}"))


# --------------------------------------------------------------------- metrics


def r2_undefined_reason(y_true: Any) -> str | None:
    """Why R² is undefined for this test target, or None when it is defined.

    R² divides by the variance of the target around its mean, so a constant (or
    numerically constant) target, or a single point, leaves it undefined.
    NaN values of ``y_true`` are ignored, as in every metric here.
    """
    truth = _as_1d(y_true, "y_true")
    truth = truth[~np.isnan(truth)]
    if truth.size < 2:
        return (f"the test target has {truth.size} known value(s): R² needs at "
                "least two to have a variance")
    mean, var = float(truth.mean()), float(truth.var())
    if var == 0.0:
        return (f"the test target is constant (all values = {_short(truth[0])}): "
                "R² divides by its variance")
    if var <= _CONSTANT_RTOL * max(1.0, mean**2):
        return (f"the test target is nearly constant (variance {var:.3g} around "
                f"mean {_short(mean)}): R² divides by its variance")
    return None


def r2(y_true: Any, y_pred: Any) -> float | None:
    """Coefficient of determination, ``1 - SSE / SST`` around the test mean.

    scikit-learn's definition. None when the test target is constant or nearly
    so (see :func:`r2_undefined_reason`): R² is then meaningless, not 0 or -inf.
    """
    truth, pred = _scored(y_true, y_pred=y_pred)
    if r2_undefined_reason(truth) is not None:
        return None
    sse = np.sum((truth - pred) ** 2)
    sst = np.sum((truth - truth.mean()) ** 2)
    return _float(1.0 - sse / sst)


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error, in the units of the target."""
    truth, pred = _scored(y_true, y_pred=y_pred)
    return float(np.mean(np.abs(truth - pred)))


def rmse(y_true: Any, y_pred: Any) -> float:
    """Root mean squared error, in the units of the target."""
    truth, pred = _scored(y_true, y_pred=y_pred)
    return float(math.sqrt(np.mean((truth - pred) ** 2)))


def mape(y_true: Any, y_pred: Any) -> float | None:
    """Mean absolute percentage error, in percent.

    Points where ``|y_true|`` is below ``1e-8 * max|y_true|`` (zeros, in
    practice) are left out: their percentage error is infinite or noise. None
    when every point is left out (an all-zero target).
    """
    truth, pred = _scored(y_true, y_pred=y_pred)
    size = np.abs(truth)
    usable = (size > 0) & (size >= _MAPE_RTOL * size.max())
    if not usable.any():
        return None
    return float(100.0 * np.mean(np.abs(truth - pred)[usable] / size[usable]))


def smape(y_true: Any, y_pred: Any) -> float:
    """Symmetric MAPE, ``200 |e| / (|y| + |ŷ|)`` averaged, in percent (0 to 200).

    A pair where truth and forecast are both 0 is a perfect forecast and counts
    as 0 rather than 0/0.
    """
    truth, pred = _scored(y_true, y_pred=y_pred)
    denom = np.abs(truth) + np.abs(pred)
    ratio = np.divide(np.abs(truth - pred), denom, out=np.zeros_like(denom),
                      where=denom > 0)
    return float(200.0 * np.mean(ratio))


def _mase_scale(y_train: Any, season: int) -> float | None:
    """MAE of the in-sample seasonal naive forecast on the training part.

    The training part is forward-filled first and the NaN left at its start
    ignored, exactly as ``tools/score_predictions.py`` does.
    """
    train = pd.Series(_as_1d(y_train, "y_train")).ffill().to_numpy()
    if train.size <= season:
        return None
    steps = np.abs(train[season:] - train[:-season])
    steps = steps[~np.isnan(steps)]
    if steps.size == 0:
        return None
    scale = float(steps.mean())
    return scale if scale > 0 and math.isfinite(scale) else None


def mase(y_true: Any, y_pred: Any, y_train: Any, season: int = 1) -> float | None:
    """Mean absolute scaled error: MAE over the in-sample seasonal naive MAE.

    Below 1 the forecast beats, on the test part, what the seasonal naive
    method achieved one step ahead on the training part. None when that scale
    is 0 (a flat training part) or the training part is not longer than
    ``season``.
    """
    scale = _mase_scale(y_train, _check_season(season))
    return None if scale is None else _float(mae(y_true, y_pred) / scale)


def skill(y_true: Any, y_pred: Any, y_ref: Any) -> float | None:
    """Skill against a reference forecast: ``1 - SSE / SSE_ref``.

    0 means no better than the reference, 1 a perfect forecast, below 0 worse.
    None when the reference is perfect (``SSE_ref == 0``). With ``y_ref`` the
    naive forecast this is the catalog's "skill vs naive".
    """
    truth, pred, ref = _scored(y_true, y_pred=y_pred, y_ref=y_ref)
    sse_ref = np.sum((truth - ref) ** 2)
    if sse_ref == 0:
        return None
    return _float(1.0 - np.sum((truth - pred) ** 2) / sse_ref)


# ------------------------------------------------------------------ reporting


def evaluate(y_true: Any, y_pred: Any, *, y_train: Any, y_naive: Any,
             season: int = 1) -> dict[str, Any]:
    """Every metric of one forecast, as a JSON-ready dict.

    Keys: ``r2``, ``mae``, ``rmse``, ``mape``, ``smape``, ``mase``,
    ``skill_vs_naive``, ``n`` (points scored, those where ``y_true`` is known)
    and, only when ``r2`` is None, ``r2_undefined_reason``. Values are plain
    Python floats or None, never NaN or inf.

    Raises
    ------
    ValueError
        When ``y_pred`` or ``y_naive`` is not finite where ``y_true`` is known,
        or ``y_true`` is all NaN.
    """
    truth, pred, naive = _scored(y_true, y_pred=y_pred, y_naive=y_naive)
    out: dict[str, Any] = {
        "r2": r2(truth, pred),
        "mae": mae(truth, pred),
        "rmse": rmse(truth, pred),
        "mape": mape(truth, pred),
        "smape": smape(truth, pred),
        "mase": mase(truth, pred, y_train, season),
        "skill_vs_naive": skill(truth, pred, naive),
        "n": int(truth.size),
    }
    out = {k: _float(v) if isinstance(v, float) else v for k, v in out.items()}
    if out["r2"] is None:
        out["r2_undefined_reason"] = r2_undefined_reason(truth)
    return out


def metrics_table(results: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per model (in the order given), columns :data:`METRIC_COLUMNS`.

    ``results`` maps a model name to :func:`evaluate`'s dict. An undefined
    metric (None) shows as NaN; keys other than the columns are left out.
    """
    rows = [[values.get(col) for col in METRIC_COLUMNS] for values in results.values()]
    table = pd.DataFrame(rows, index=pd.Index(list(results), name="model"),
                         columns=list(METRIC_COLUMNS), dtype=object)
    floats = {col: "float64" for col in METRIC_COLUMNS if col != "n"}
    return table.astype({**floats, "n": "Int64"})
