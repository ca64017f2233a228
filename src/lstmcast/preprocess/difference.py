"""Differencing: :class:`Difference` (x_t - x_{t-lag}) and its two inversions.

Order d is d chained ``Difference(1)``; a seasonal difference has lag m.
"""

from __future__ import annotations

import numpy as np

from lstmcast.core.checks import check_int
from lstmcast.core.errors import DataError
from lstmcast.preprocess.base import Transform, as_float_array


class Difference(Transform):
    """x_t - x_{t-lag}; the first ``lag`` values are NaN.

    Order d is d chained ``Difference(1)``; a seasonal difference has lag m.
    """

    _kind = "difference"
    _fitted = ("n_fit_",)

    def __init__(self, lag: int = 1) -> None:
        self.lag = lag

    def fit(self, x: np.ndarray) -> Difference:
        """Nothing to learn; refuse a training part not longer than the lag."""
        check_int("lag", self.lag, 1)
        n = as_float_array(x).size
        if n <= self.lag:
            raise DataError(
                f"Differencing with lag {self.lag} needs more than {self.lag} "
                f"training points; got {n}. Use a longer training part or a "
                "smaller difference / seasonal_difference.")
        self.n_fit_ = n
        return self

    def transform(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """x_t - x_{t-lag}, NaN where x_{t-lag} is not in ``x``."""
        self._check_fitted()
        x = as_float_array(x)
        out = np.full_like(x, np.nan)
        out[self.lag:] = x[self.lag:] - x[: max(x.size - self.lag, 0)]
        return out

    def inverse_one_step(self, z_hat: np.ndarray, positions: np.ndarray,
                         x: np.ndarray, start: int = 0) -> np.ndarray:
        """z_hat + x[positions - lag], with the true x."""
        self._check_fitted()
        x, prev = as_float_array(x), np.asarray(positions, dtype=int) - self.lag
        base = np.where(prev >= 0, x[np.maximum(prev, 0)], np.nan)
        return np.asarray(z_hat, dtype=np.float64) + base

    def inverse_path(self, z_path: np.ndarray, history: np.ndarray,
                     start: int = 0) -> np.ndarray:
        """x_{T+h} = z_{T+h} + x_{T+h-lag}, true history first, then own values."""
        self._check_fitted()
        z, n = np.asarray(z_path, dtype=np.float64), as_float_array(history).size
        out = np.concatenate([as_float_array(history), np.full(z.size, np.nan)])
        for h in range(z.size):
            j = n + h - self.lag
            out[n + h] = z[h] + (out[j] if j >= 0 else np.nan)
        return out[n:]
