"""Scores of intervals and quantiles, on the original scale.

- coverage: the share of actual values inside ``[lo, hi]`` (percent), to set
  beside the nominal level;
- pinball (quantile) loss of a quantile forecast, averaged over points and
  quantiles; the bounds of an L% interval are the quantiles (1-L/100)/2 and
  1-(1-L/100)/2;
- MSIS (M4 definition, alpha = 0.05): mean of (hi - lo) + 2/a (lo - y)+ +
  2/a (y - hi)+, divided by the MASE scale of the series (in-sample mean
  absolute seasonal difference), mean over series;
- CRPS from a set of quantiles (scoringrules' ``crps_quantile``: the
  quantile-averaged pinball loss, times two).

Points whose actual value is unknown (NaN) are left out; a bound that is not
finite where the actual is known is an error, never a silently dropped point.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lstmcast.intervals.levels import bound_columns, level_quantiles


def _known(y: Any, *arrays: Any) -> tuple[np.ndarray, ...]:
    """Flattened float arrays at the points where ``y`` is known; the
    forecasts there must be finite."""
    y = np.asarray(y, dtype=np.float64)
    arrays_ = [np.broadcast_to(np.asarray(a, dtype=np.float64), y.shape)
               for a in arrays]
    keep = np.isfinite(y)
    out = [y[keep]] + [a[keep] for a in arrays_]
    for a in out[1:]:
        if not np.isfinite(a).all():
            raise ValueError("an interval bound or quantile is not finite where "
                             "the actual value is known")
    return tuple(out)


def coverage(y: Any, lo: Any, hi: Any) -> float | None:
    """Percent of known actual values inside [lo, hi]; None when none is known."""
    y, lo, hi = _known(y, lo, hi)
    if y.size == 0:
        return None
    return float(np.mean((y >= lo) & (y <= hi)) * 100)


def pinball(y: Any, forecast: Any, q: float) -> float | None:
    """Mean pinball loss of the ``q`` quantile forecast."""
    y, f = _known(y, forecast)
    if y.size == 0:
        return None
    diff = y - f
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


def interval_score(y: Any, lo: Any, hi: Any, alpha: float = 0.05) -> np.ndarray:
    """Per-point interval score (hi - lo) + 2/a (lo - y)+ + 2/a (y - hi)+
    (NaN where y is unknown)."""
    y = np.asarray(y, dtype=np.float64)
    lo = np.asarray(lo, dtype=np.float64)
    hi = np.asarray(hi, dtype=np.float64)
    return ((hi - lo) + 2 / alpha * np.clip(lo - y, 0, None)
            + 2 / alpha * np.clip(y - hi, 0, None))


def msis(y: Any, lo: Any, hi: Any, scale: Any, alpha: float = 0.05) -> float | None:
    """Mean scaled interval score. ``y``, ``lo``, ``hi``: (series, steps) or
    (steps,); ``scale``: one per series (its MASE scale). Mean over each
    series' known steps, then over the series with a positive, finite scale;
    None where there is none."""
    y = np.atleast_2d(np.asarray(y, dtype=np.float64))
    lo, hi = np.atleast_2d(lo), np.atleast_2d(hi)
    _known(y, lo, hi)  # bounds finite where y is known
    scale = np.atleast_1d(np.asarray(scale, dtype=np.float64))
    masked = np.where(np.isfinite(y), interval_score(y, lo, hi, alpha), np.nan)
    has = np.isfinite(masked).any(axis=1)
    per_series = np.full(masked.shape[0], np.nan)
    per_series[has] = np.nanmean(masked[has], axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = per_series / np.broadcast_to(scale, per_series.shape)
    usable = np.isfinite(scaled) & (np.broadcast_to(scale, per_series.shape) > 0)
    return float(np.mean(scaled[usable])) if usable.any() else None


def crps(y: Any, quantile_forecasts: Any, quantiles: Any) -> float | None:
    """Mean CRPS of quantile forecasts (``quantile_forecasts``: (..., k) for
    the k ``quantiles``), by scoringrules' ``crps_quantile``."""
    import scoringrules

    y = np.asarray(y, dtype=np.float64)
    fc = np.asarray(quantile_forecasts, dtype=np.float64)
    keep = np.isfinite(y)
    if not keep.any():
        return None
    fc = fc[keep]
    if not np.isfinite(fc).all():
        raise ValueError("a quantile forecast is not finite where the actual "
                         "value is known")
    order = np.argsort(np.asarray(quantiles, dtype=np.float64))
    values = scoringrules.crps_quantile(y[keep], fc[:, order],
                                        np.asarray(quantiles, dtype=np.float64)[order])
    return float(np.mean(values))


def band_scores(y: Any, bands: Mapping[str, Any], levels: tuple[float, ...], *,
                scale: Any = None, point: Any = None) -> dict[str, float | None]:
    """The scores of a forecast's bands: ``coverage_80``, ``coverage_95``, ...,
    ``pinball`` (mean over the bounds' quantiles, and the point as the median
    where given), ``msis`` (where the 95% band and ``scale`` are given) and
    ``width_80``... (mean width; the sharper the better at equal coverage)."""
    out: dict[str, float | None] = {}
    losses = []
    for level in levels:
        lo_name, hi_name = bound_columns(level)
        lo, hi = bands[lo_name], bands[hi_name]
        out[f"coverage_{level:g}"] = coverage(y, lo, hi)
        _, lo_k, hi_k = _known(y, lo, hi)
        out[f"width_{level:g}"] = float(np.mean(hi_k - lo_k)) if lo_k.size else None
        low_q, high_q = level_quantiles(level)
        losses += [pinball(y, lo, low_q), pinball(y, hi, high_q)]
    if point is not None:
        losses.append(pinball(y, point, 0.5))
    known = [v for v in losses if v is not None]
    out["pinball"] = float(np.mean(known)) if known else None
    if 95.0 in levels and scale is not None:
        lo_name, hi_name = bound_columns(95.0)
        out["msis"] = msis(y, bands[lo_name], bands[hi_name], scale)
    return out
