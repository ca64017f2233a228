"""The LSTM's prediction intervals in a backtest: every fold's model brings
its own calibration (the errors of its forecasts of that fold's validation
part, never the fold's test part), its bands are put around its paths, and
each step h is scored: coverage and width per level, pinball loss and MSIS
(scaled by the MASE scale of the fold's training part).

The reference models' paths get no intervals here (their one-step training
errors would say nothing of the width at h > 1); the hold-out fit scores
their one-step intervals beside the LSTM's.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lstmcast.intervals.conformal import Calibration
from lstmcast.intervals.levels import check_levels
from lstmcast.intervals.scores import band_scores

#: The interval scores a backtest reports per fold and step.
INTERVAL_METRICS = ("coverage_80", "coverage_95", "msis", "pinball")


def interval_scores(k: int, truth: np.ndarray, point: np.ndarray,
                    cal: Calibration | None, levels: tuple[float, ...],
                    y_train: np.ndarray, season: int, inside: np.ndarray,
                    local: np.ndarray | float = 1.0) -> list[dict[str, Any]]:
    """Rows (fold, h, model "lstm", metric, value) of the interval scores of
    the (B, H) paths ``point`` against ``truth`` where ``inside``; ``local``:
    the local scale at each path's origin."""
    from lstmcast.evaluation.intervals import scale_of
    levels = check_levels(levels)
    if cal is None or not levels:
        return []
    bands = cal.bands(point, local, levels)
    scale = scale_of(y_train, season)
    rows = []
    for step in range(point.shape[1]):
        keep = inside[:, step]
        if not keep.any():
            continue
        scores = band_scores(truth[keep, step],
                             {k_: v[keep, step] for k_, v in bands.items()},
                             levels, scale=scale, point=point[keep, step])
        rows += [{"fold": k, "h": step + 1, "model": "lstm", "metric": metric,
                  "value": np.nan if value is None else float(value)}
                 for metric, value in scores.items()]
    return rows
