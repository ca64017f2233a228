"""The doctor on prediction intervals: are they calibrated on validation,
and did they hold on the test part?

The validation errors of step 1 (in time order) are split in halves: bands
calibrated on the first half must cover the second half's errors at about
the nominal rate. A miss by more than the binomial slack (two standard
errors of a coverage measured on that many points) says the errors are not
exchangeable over time (their spread drifts, e.g. a level that grows, or a
break), so the intervals will not hold on new data either. Too few errors
for a level is a note of :meth:`~lstmcast.intervals.conformal.Calibration.notes`.
Bands calibrated on ``fit --auto``'s forward errors (source ``search``) are
not split so: those errors mix forecasts made one to three validation folds
after their fit's rows, the more distant ones in the later half.
A panel's test coverage (:func:`panel_test_coverage`) is judged by the
spread of its series' coverages: the steps of one series are not
independent points.

The test part's coverage is judged by three standard errors
(:func:`check_test_coverage`: a doctor that cries wolf on one fit in twenty
is not read): a miss beyond them is said with its likely cause, so a user
reading "cov 95%: 82.8" in the table learns whether that is chance (29
points move a 95% coverage by 4 points a standard error) or a band that did
not hold, and why. Bands too narrow are a warning, too wide a note.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lstmcast.core.findings import Finding
from lstmcast.intervals.conformal import Calibration, errors_needed
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
    # fit --auto's forward errors are not in time order of one forecaster:
    # they mix forecasts made one to three folds after their fit's rows, and
    # the later rows have the more distant ones (not a drift of the spread)
    for level in levels if cal.source != "search" else ():
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


def check_test_coverage(lstm: dict[str, Any], levels: tuple[float, ...],
                        cal: Calibration | None) -> list[Finding]:
    """A finding for each level whose bands covered the test part's values
    further from the level than three standard errors of a coverage measured
    on that many points, read from the LSTM's test scores (``coverage_80``,
    ..., ``n``: the printed table's numbers): a warning when they covered
    less, a note when more."""
    found = []
    points = int(lstm.get("n") or 0)
    for level in check_levels(levels):
        coverage = lstm.get(f"coverage_{level:g}")
        if coverage is None or points < MIN_CHECKED:
            continue
        allowed = 1.5 * slack(level, points)  # slack: two standard errors
        if abs(coverage - level) <= allowed:
            continue
        errors = int(cal.counts()[0]) if cal is not None else 0
        needed = errors_needed(level, cal.symmetric if cal is not None else True)
        found.append(Finding(
            "interval-test-coverage", "warning" if coverage < level else "info",
            f"The {level:g}% intervals covered {round(coverage * points / 100)} "
            f"of the {points} test points ({coverage:.1f}%): further from "
            f"{level:g}% than three standard errors ({allowed:.1f} points) of a "
            f"coverage measured on {points} points, more than chance.",
            {"level": level, "coverage": coverage, "points": points,
             "slack": allowed, "validation_errors": errors},
            _why_missed(coverage < level, errors, needed, level)))
    return found


def panel_test_coverage(coverages: dict[float, np.ndarray]) -> list[str]:
    """Sentences for each level whose bands covered a panel's test values
    further from the level than three standard errors, ``coverages`` being
    each series' coverage in percent per level. A series' H steps move
    together (one shock shifts its whole path), so they are not independent
    points: the standard error is that of the mean over series of each
    series' coverage, not a binomial one over series x steps."""
    notes = []
    for level, values in coverages.items():
        values = np.asarray(values, dtype=np.float64)
        values = values[np.isfinite(values)]
        if len(values) < MIN_CHECKED:
            continue
        mean = float(values.mean())
        error = float(values.std(ddof=1) / math.sqrt(len(values)))
        if abs(mean - level) <= 3 * error:
            continue
        said = ("less: the test part was harder to forecast than the H values "
                "before it that calibrate the bands (a shock most series "
                "shared moves them together)" if mean < level else
                "more: the bands were wider than the test part needed, on the "
                "safe side")
        notes.append(
            f"The {level:g}% bands covered {mean:.1f}% of the test values, "
            f"further from {level:g}% than three standard errors "
            f"({3 * error:.1f} points) of the mean coverage of {len(values)} "
            f"series: they covered {said}.")
    return notes


def _why_missed(under: bool, errors: int, needed: int, level: float) -> str:
    """What to try after a test coverage miss: more errors to calibrate on
    when the bands rest on few (under twice the ``needed`` least), else what
    changed between the parts."""
    if errors < 2 * needed:
        return (f"The bands rest on {errors} validation errors (a {level:g}% "
                f"bound needs {needed} at the least): a longer validation part "
                "(val_size) calibrates them on more.")
    if under:
        return ("The test part's errors were larger than the validation "
                "part's: the series moved more there, or the model fits it "
                "less well (see the other findings); a log transform "
                "(transform=log) for a spread that grows with the level.")
    return ("The validation part was harder to forecast than the test part: "
            "the bands are wider than the test part needed, on the safe side.")
