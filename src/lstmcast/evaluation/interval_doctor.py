"""The doctor on prediction intervals: are they calibrated on validation?

The validation errors of step 1 (in time order) are split in halves: bands
calibrated on the first half must cover the second half's errors at about
the nominal rate. A miss by more than the binomial slack (two standard
errors of a coverage measured on that many points) says the errors are not
exchangeable over time (their spread drifts, e.g. a level that grows, or a
break), so the intervals will not hold on new data either. Too few errors
for a level is a note of :meth:`~lstmcast.intervals.conformal.Calibration.notes`.
"""

from __future__ import annotations

import math

import numpy as np

from lstmcast.core.findings import Finding
from lstmcast.intervals.conformal import Calibration
from lstmcast.intervals.levels import check_levels, level_quantiles

#: Fewer checked errors than this: no verdict (the slack would be too wide).
MIN_CHECKED = 10


def split_coverage(errors: np.ndarray, level: float) -> tuple[float, int] | None:
    """(coverage in percent of the second half's errors by the band of
    ``level`` calibrated on the first half, points checked); None with too
    few errors."""
    errors = errors[np.isfinite(errors)]
    half = len(errors) // 2
    if half < MIN_CHECKED:
        return None
    cal = Calibration(errors=errors[:half, None])
    low_p, high_p = level_quantiles(level)
    lo, hi = cal.offsets(low_p)[0], cal.offsets(high_p)[0]
    checked = errors[half:]
    return float(np.mean((checked >= lo) & (checked <= hi)) * 100), len(checked)


def slack(level: float, points: int) -> float:
    """Two standard errors, in points of percent, of a coverage of ``level``
    measured on ``points`` points."""
    p = level / 100
    return 200 * math.sqrt(p * (1 - p) / points)


def check_calibration(cal: Calibration | None, levels: tuple[float, ...]
                      ) -> list[Finding]:
    """Findings on the intervals of a fit (empty when they look calibrated)."""
    if cal is None:
        return [Finding(
            "no-intervals", "info", "No prediction intervals: the fit has no "
            "validation forecasts to calibrate them on.", {},
            "Keep a validation part (val_size > 0) for lo-/hi- columns.")]
    levels = check_levels(levels)
    found = []
    for level in levels:
        measured = split_coverage(cal.errors[:, 0], level)
        if measured is None:
            continue
        coverage, points = measured
        allowed = slack(level, points)
        if abs(coverage - level) > allowed:
            found.append(Finding(
                "interval-coverage", "warning",
                f"{level:g}% intervals calibrated on the first half of the "
                f"validation errors cover {coverage:.0f}% of the second half "
                f"({points} points; within {allowed:.0f} points of {level:g}% "
                "would be sampling error).",
                {"level": level, "coverage": coverage, "points": points,
                 "slack": allowed},
                "The errors' spread changes over time, so the intervals may "
                "not hold on new data: a log transform (transform=log) for a "
                "spread that grows with the level, or a longer validation part "
                "(val_size) that spans the changes."))
    notes = cal.notes(levels)
    if notes:
        found.append(Finding("few-interval-errors", "info", notes[0],
                             {"errors_per_step": int(cal.counts().min())},
                             "Use a longer validation part (val_size) for "
                             "intervals that rest on more errors."))
    return found
