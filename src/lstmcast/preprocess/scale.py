"""Scaling: :class:`Scaler`, (x - center) / scale per column, fitted on train."""

from __future__ import annotations

import numpy as np

from lstmcast.core.checks import check_choice
from lstmcast.core.errors import DataError
from lstmcast.preprocess.base import Pointwise


def _column_stats(col: np.ndarray, kind: str, j: int) -> tuple[float, float]:
    """Center and scale of one column from its finite values; scale 0 -> 1."""
    v = col[np.isfinite(col)]
    if v.size == 0:
        raise DataError(f"Scaler: column {j} has no finite values in the training "
                        "part. Drop the column or impute it first.")
    if kind == "standard":
        center, scale = v.mean(), v.std()
    elif kind == "minmax":
        center, scale = v.min(), v.max() - v.min()
    elif kind == "robust":
        q25, center, q75 = np.percentile(v, [25, 50, 75])
        scale = q75 - q25
    else:
        center, scale = 0.0, 1.0
    # float rounding leaves a constant column a tiny non-zero std
    constant = scale <= 10 * np.finfo(float).eps * abs(center)
    return float(center), 1.0 if constant or not np.isfinite(scale) else float(scale)


class Scaler(Pointwise):
    """(x - center) / scale, per column for a 2-D array of shape (N, F).

    ``standard``: mean and std; ``minmax``: minimum and range; ``robust``:
    median and interquartile range; ``none``: 0 and 1. Statistics ignore NaN;
    a constant column gets scale 1. ``start`` is ignored. ``center=False``
    keeps 0 at 0 (a residual target: a zero output is a zero residual).
    """

    _kind = "scaler"
    _fitted = ("center_", "scale_")

    def __init__(self, kind: str = "standard", *, center: bool = True) -> None:
        self.kind = kind
        self.center = center

    def __repr__(self) -> str:
        extra = "" if self.center else ", center=False"
        return f"Scaler(kind={self.kind!r}{extra})"

    def fit(self, x: np.ndarray) -> Scaler:
        """Per-column statistics of the training part, shape (N,) or (N, F)."""
        check_choice("kind", self.kind, ("standard", "minmax", "robust", "none"))
        x = np.asarray(x, dtype=np.float64)
        if x.ndim not in (1, 2):
            raise ValueError(f"Expected a 1-D or 2-D array. Got shape {x.shape}.")
        cols = x[:, None] if x.ndim == 1 else x
        stats = [_column_stats(cols[:, j], self.kind, j) for j in range(cols.shape[1])]
        self.center_ = np.array([c if self.center else 0.0 for c, _ in stats])
        self.scale_ = np.array([s for _, s in stats])
        return self

    def _stats(self, x: np.ndarray) -> tuple[np.ndarray | float, np.ndarray | float]:
        width = 1 if x.ndim == 1 else x.shape[-1]
        if width != self.center_.size:
            raise ValueError(f"Scaler was fitted on {self.center_.size} column(s); "
                             f"got an array of shape {x.shape}.")
        if x.ndim == 1:
            return self.center_[0], self.scale_[0]
        return self.center_, self.scale_

    def transform(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """(x - center) / scale; NaN stays NaN."""
        self._check_fitted()
        x = np.asarray(x, dtype=np.float64)
        center, scale = self._stats(x)
        return (x - center) / scale

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.float64)
        center, scale = self._stats(z)
        return z * scale + center
