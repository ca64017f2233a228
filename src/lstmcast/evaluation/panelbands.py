"""The prediction intervals of a panel's hold-out, scored per series.

lstmcast's bands come from its calibration on the validation origin, H steps
before the test part (:mod:`lstmcast.panel.bands`); the naive and seasonal
naive references get their textbook Gaussian intervals (Hyndman and
Athanasopoulos, *Forecasting: Principles and Practice*, 5.5: the standard
deviation of the method's in-sample one-step residuals, times the square
root of h for naive and of the number of seasons ahead for seasonal naive),
which is what statsforecast's Naive and SeasonalNaive give.

Per series and model: coverage of each level (percent of the H test points
inside the band), MSIS (M4: the interval score at alpha 0.05, mean over the
steps, over the MASE scale of the training part), pinball (the mean pinball
loss of the bounds as quantiles and of the point forecast as the median, over
the same scale, so that series of any size weigh alike) and, for quantile
forecasts, CRPS (scoringrules, same scale). Means over series are the
summary; coverage is then the share of all test points, as
``tools/score_panel.py`` counts it.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np

from lstmcast.data.panel import PanelData
from lstmcast.intervals.levels import (
    bound_columns,
    level_quantiles,
    quantile_column,
)
from lstmcast.intervals.scores import band_scores, crps, pinball

REFERENCE_METHOD = {
    "naive": "textbook Gaussian: in-sample one-step residual sd times sqrt(h)",
    "seasonal_naive": "textbook Gaussian: in-sample seasonal residual sd times "
                      "sqrt(seasons ahead)",
}


def mase_scales(train: PanelData, season: int) -> np.ndarray:
    """(n,) the MASE scale of each training part (NaN where it is 0)."""
    out = np.full(len(train), np.nan)
    for i in range(len(train)):
        y = train.y(i)
        m = season if y.size > season else 1
        steps = np.abs(y[m:] - y[:-m])
        steps = steps[np.isfinite(steps)]
        if steps.size and steps.mean() > 0:
            out[i] = float(steps.mean())
    return out


def reference_bands(train: PanelData, paths: dict[str, np.ndarray], season: int,
                    levels: tuple[float, ...]) -> dict[str, dict[str, np.ndarray]]:
    """Textbook bands of the naive and seasonal naive ``paths`` (n, H), by
    model then column (``lo-80``, ...)."""
    horizon = paths["naive"].shape[1]
    h = np.arange(1, horizon + 1)
    out: dict[str, dict[str, np.ndarray]] = {}
    for model in ("naive", "seasonal_naive"):
        sd = np.zeros((len(train), horizon))
        for i in range(len(train)):
            y = train.y(i)
            m = season if model == "seasonal_naive" and y.size > season else 1
            resid = y[m:] - y[:-m]
            resid = resid[np.isfinite(resid)]
            sigma = float(np.sqrt(np.mean(resid ** 2))) if resid.size else 0.0
            sd[i] = sigma * np.sqrt(h if m == 1 else (h - 1) // m + 1)
        out[model] = {}
        for level in levels:
            z = NormalDist().inv_cdf(level_quantiles(level)[1])
            lo, hi = bound_columns(level)
            out[model][lo] = paths[model] - z * sd
            out[model][hi] = paths[model] + z * sd
    return out


def series_scores(actual: np.ndarray, point: np.ndarray,
                  bands: dict[str, np.ndarray], scale: np.ndarray,
                  levels: tuple[float, ...], quantiles: tuple[float, ...] = ()
                  ) -> list[dict[str, Any]]:
    """One dict of interval scores per series (row of ``actual``): coverage_L
    of each level, msis, pinball and (with quantile columns) crps."""
    rows = []
    for i in range(actual.shape[0]):
        y, s = actual[i], scale[i]
        row: dict[str, Any] = {}
        if levels:
            mine = {k: v[i] for k, v in bands.items()}
            cover = band_scores(y, mine, levels)
            row.update({k: v for k, v in cover.items() if k.startswith("coverage")})
            if np.isfinite(s):
                scaled = band_scores(y / s, {k: v / s for k, v in mine.items()},
                                     levels, scale=1.0, point=point[i] / s)
                if "msis" in scaled:  # of the 95% band, when there is one
                    row["msis"] = scaled["msis"]
                row["pinball"] = scaled["pinball"]
        if quantiles and np.isfinite(s):
            qs = np.stack([bands[quantile_column(q)][i] for q in quantiles], axis=1)
            row["crps"] = crps(y / s, qs / s, quantiles)
            if "pinball" not in row:
                row["pinball"] = float(np.mean([pinball(y / s, qs[:, k] / s, q)
                                                for k, q in enumerate(quantiles)]))
        rows.append(row)
    return rows
