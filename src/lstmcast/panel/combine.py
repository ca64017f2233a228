"""Which forecasts a global model averages, chosen on validation.

The components are the global network and three classical methods fitted to
each series on its own: Theta, damped-trend ETS and the dynamic optimised
Theta (:data:`COMPONENTS`). Combining forecasts is what won the M
competitions, but which combination pays differs by data (on M3, yearly
series gain from the network and the dynamic Theta, "other" ones from damped
ETS). So every equal-weight combination of the components is scored on the
last H values of every series, forecast by a model fitted without them, and
the one with the lowest mean sMAPE is kept (:func:`choose`).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

COMPONENTS = ("network", "theta", "damped", "dtheta")
CLASSICAL = COMPONENTS[1:]


def candidates() -> dict[str, dict[str, float]]:
    """Every non-empty equal-weight combination of the components, by name
    ('network+dtheta')."""
    out = {}
    for size in range(1, len(COMPONENTS) + 1):
        for names in combinations(COMPONENTS, size):
            out["+".join(names)] = {name: 1 / size for name in names}
    return out


def fixed_weights(network_weight: float) -> dict[str, float]:
    """``w`` for the network and the rest shared by the classical methods."""
    return {"network": network_weight,
            **{name: (1 - network_weight) / len(CLASSICAL) for name in CLASSICAL}}


def combine(weights: dict[str, float], paths: dict[str, np.ndarray]) -> np.ndarray:
    """The weighted sum of the components' (n, H) forecasts."""
    return sum(w * paths[name] for name, w in weights.items() if w)


def smape(actual: np.ndarray, forecast: np.ndarray) -> float:
    """Mean over series of the mean of 200 |y - f| / (|y| + |f|) (0 where both
    are 0)."""
    denom = np.abs(actual) + np.abs(forecast)
    terms = np.divide(200 * np.abs(actual - forecast), denom,
                      out=np.zeros_like(denom), where=denom > 0)
    return float(np.mean(terms))


def choose(paths: dict[str, np.ndarray], actual: np.ndarray
           ) -> tuple[dict[str, float], dict[str, float]]:
    """The weights of the candidate with the lowest sMAPE against ``actual``
    (n, H), and every candidate's sMAPE (ties go to the fewer components)."""
    scores = {name: smape(actual, combine(weights, paths))
              for name, weights in candidates().items()}
    best = min(scores, key=scores.__getitem__)
    return candidates()[best], scores
