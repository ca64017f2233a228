"""The cycle finding: a repeating pattern that is not a calendar season.

Annual animal populations (~10 years) or sunspots (~11 years) oscillate with
a period that is neither a calendar unit nor an integer number of steps, so
the season check passes them by; :func:`lstmcast.data.cycles.detect_cycle`
finds them (a spectral peak the ACF confirms). A network whose window spans
less than two cycles sees no full oscillation to continue, hence the advice.
"""

from __future__ import annotations

import math

import numpy as np

from lstmcast.core.findings import Finding


def check_cycle(yf: np.ndarray, season: int) -> Finding | None:
    """A finding when the training part ``yf`` has a cycle its season
    (``season`` steps, 1 for none) does not explain."""
    from lstmcast.data.cycles import detect_cycle
    cycle = detect_cycle(yf)
    if cycle is None or (season > 1 and abs(cycle.period - season) <= 0.1 * season):
        return None
    window = math.ceil(2 * cycle.period)
    fits = window <= yf.size // 3
    period = round(cycle.period, 2)
    advice = (f"Use windows of at least two cycles (window={window}) and the "
              f"cycle's sine/cosine terms as inputs (cycle={period:g}); `fit "
              "--auto` tries them, with a linear path of the order the partial "
              "autocorrelations suggest." if fits else
              f"Two cycles ({window} steps) are more than a third of the "
              "training part: the network cannot see one whole oscillation "
              "per window; more history would help.")
    return Finding(
        "cycle", "info",
        f"A cycle of about {cycle.period:.1f} steps that is not a calendar season "
        f"(spectral peak, Fisher p={cycle.p_value:.1g}; autocorrelation "
        f"{cycle.acf_at_period:+.2f} at the period, {cycle.acf_at_half:+.2f} at "
        "half of it).", cycle.to_dict(), advice,
        {"window": window, "cycle": period} if fits else {})
