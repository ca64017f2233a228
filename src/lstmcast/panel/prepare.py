"""Each series of a panel on the scale the global network reads.

A series is seasonally adjusted as the M competitions do (multiplicative
indices, when it is positive and passes the seasonality test at the panel's
season; :mod:`lstmcast.baselines.adjust`), then taken to logs when positive,
else divided by its mean absolute step. Windows are later made relative to
their last value (:mod:`lstmcast.panel.windows`), so series of any level share
one network. Everything is computed from the history given: for a hold-out,
the training part only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lstmcast.baselines.adjust import season_indices
from lstmcast.baselines.joint import filled


@dataclass(frozen=True)
class Scaled:
    """Every series on the network's scale, concatenated like
    :class:`~lstmcast.data.panel.PanelData` (``z[starts[i]:starts[i + 1]]``,
    float32).

    ``indices`` (n, m) are the seasonal indices, ``logged`` (n,) says where
    logs were taken and ``scale`` (n,) what the values were divided by (1
    where logged)."""

    z: np.ndarray
    starts: np.ndarray
    indices: np.ndarray
    logged: np.ndarray
    scale: np.ndarray

    def of(self, i: int) -> np.ndarray:
        """Series ``i`` on the network's scale."""
        return self.z[self.starts[i]: self.starts[i + 1]]


def scale_series(histories: list[np.ndarray], season: int) -> Scaled:
    """Scale each history (oldest value first) on its own, into one float32
    array (the network reads float32; each series is computed in float64 and
    written once, so a panel of 30 million values takes 120 MB here)."""
    n = len(histories)
    starts = np.r_[0, np.cumsum([len(h) for h in histories])].astype(np.int64)
    z = np.empty(int(starts[-1]), dtype=np.float32)
    indices = np.ones((n, max(season, 1)))
    logged, scales = np.zeros(n, bool), np.ones(n)
    for i, history in enumerate(histories):
        y = filled(np.asarray(history, dtype=np.float64))
        indices[i] = season_indices(y, season)
        adjusted = y / indices[i][np.arange(y.size) % indices.shape[1]]
        if np.all(adjusted > 0):
            logged[i], values = True, np.log(adjusted)
        else:
            steps = np.abs(np.diff(adjusted))
            scales[i] = float(steps.mean()) if steps.size and steps.mean() > 1e-12 \
                else max(float(np.abs(adjusted).max()), 1.0)
            values = adjusted / scales[i]
        z[starts[i]: starts[i + 1]] = values
    return Scaled(z, starts, indices, logged, scales)


def unscale(paths: np.ndarray, scaled: Scaled) -> np.ndarray:
    """(n, H) paths on the network's scale, following each series' end, back on
    the series' own scale (logs undone, season put back)."""
    out = np.empty_like(paths, dtype=np.float64)
    lengths = np.diff(scaled.starts)
    m = scaled.indices.shape[1]
    phases = (lengths[:, None] + np.arange(paths.shape[1])[None, :]) % m
    for i in range(paths.shape[0]):
        values = np.exp(paths[i]) if scaled.logged[i] else paths[i] * scaled.scale[i]
        out[i] = values * scaled.indices[i][phases[i]]
    return out
