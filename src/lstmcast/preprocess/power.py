"""Variance-stabilising transforms: :class:`Log` and :class:`BoxCox`.

Both shift the series to positive values by a constant fitted on the
training part; Box-Cox also fits its lambda there by maximum likelihood.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from lstmcast.core.errors import DataError
from lstmcast.preprocess.base import Pointwise, as_float_array, finite_values

_BOXCOX_LAMBDA = (-1.0, 2.0)  # beyond this range the inverse loses precision


class _Shifted(Pointwise):
    """Shared part of Log and BoxCox: the shift that keeps values positive."""

    _fitted: ClassVar[tuple[str, ...]] = ("shift_",)

    def fit(self, x: np.ndarray) -> _Shifted:
        """c = 0 if the training minimum is > 0, else 1 - minimum."""
        low = float(np.min(finite_values(as_float_array(x), type(self).__name__)))
        self.shift_ = 0.0 if low > 0 else 1.0 - low
        return self

    def _shifted(self, x: np.ndarray, start: int) -> np.ndarray:
        y = as_float_array(x) + self.shift_
        bad = np.flatnonzero(y <= 0)  # NaN compares False
        if bad.size:
            i = bad[np.argmin(y[bad])]
            raise DataError(
                f"transform='{self._kind}' needs x + {self.shift_:g} > 0 (the shift "
                f"fitted on the training part), but the smallest value is "
                f"{y[i] - self.shift_:g} at position {start + i}. Use "
                "transform='none', or a training part that covers the low values "
                "(smaller test_size).")
        return y


class Log(_Shifted):
    """log(x + c), with c fitted on the training part; inverse exp(z) - c."""

    _kind = "log"

    def __init__(self) -> None:
        pass

    def transform(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """log(x + c); DataError for a value with x + c <= 0."""
        self._check_fitted()
        return np.log(self._shifted(x, start))

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            return np.exp(np.asarray(z, dtype=np.float64)) - self.shift_


class BoxCox(_Shifted):
    """Box-Cox of x + c, lambda fitted on the training part by maximum likelihood.

    Lambda is searched in [-1, 2], beyond which the inverse loses precision;
    a constant training part gets lambda 1. Forecasts outside the transform's
    range (z <= -1/lambda for lambda < 0) invert to NaN.
    """

    _kind = "boxcox"
    _fitted = ("shift_", "lmbda_")

    def __init__(self) -> None:
        pass

    def fit(self, x: np.ndarray) -> BoxCox:
        """Fit the shift, then lambda by maximum likelihood within [-1, 2]."""
        from scipy import optimize, stats

        super().fit(x)
        y = finite_values(as_float_array(x), "BoxCox") + self.shift_
        self.lmbda_ = 1.0  # (nearly) constant: the likelihood has no maximum
        if np.ptp(y) > 1e-9 * np.max(y):
            with np.errstate(all="ignore"):
                res = optimize.minimize_scalar(
                    lambda lm: -stats.boxcox_llf(lm, y), bounds=_BOXCOX_LAMBDA,
                    method="bounded")
            self.lmbda_ = float(res.x) if np.isfinite(res.x) else 1.0
        return self

    def transform(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """Box-Cox of x + c; DataError for a value with x + c <= 0."""
        from scipy import special

        self._check_fitted()
        return special.boxcox(self._shifted(x, start), self.lmbda_)

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        from scipy import special

        with np.errstate(over="ignore", invalid="ignore"):
            return special.inv_boxcox(np.asarray(z, dtype=np.float64),
                                      self.lmbda_) - self.shift_
