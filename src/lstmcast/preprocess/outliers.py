"""Outliers: flagging them by a robust z-score, and clipping or replacing them.

:func:`detect_outliers` flags points far from a global (``mad``) or trailing
(``hampel``) median; the :class:`Outliers` transform clips or replaces them
with statistics fitted on the training part.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lstmcast.core.checks import check_choice, check_int
from lstmcast.core.errors import DataError
from lstmcast.preprocess.base import Pointwise, as_float_array, finite_values

_MAD_TO_STD = 1.4826  # 1 / Phi^-1(3/4): makes the MAD a std under normality
_MEAN_AD_TO_STD = 1.2533  # sqrt(pi / 2): the same for the mean absolute deviation


def _robust_center_scale(values: np.ndarray) -> tuple[float, float]:
    """Median and a robust std (1.4826 MAD, else scaled mean AD, else 1)."""
    center = float(np.median(values))
    dev = np.abs(values - center)
    for scale in (_MAD_TO_STD * np.median(dev), _MEAN_AD_TO_STD * np.mean(dev)):
        if scale > 0:
            return center, float(scale)
    return center, 1.0


def _hampel_stats(x: np.ndarray, window: int, center: float,
                  scale: float) -> tuple[np.ndarray, np.ndarray]:
    """Causal rolling median and robust std of the ``window`` points before each t.

    A window that is not full of finite values (the first ``window`` points,
    gaps) uses the global ``center`` and ``scale`` instead, as a few points
    give too noisy a MAD; a window with zero spread uses the global ``scale``.
    """
    padded = np.concatenate([np.full(window, np.nan), x])
    w = sliding_window_view(padded, window)[: x.size]  # (L, window): x[t-window:t]
    full = np.isfinite(w).all(axis=1)
    med = np.median(w, axis=1)  # NaN where not full
    mad = _MAD_TO_STD * np.median(np.abs(w - med[:, None]), axis=1)
    return np.where(full, med, center), np.where(full & (mad > 0), mad, scale)


def detect_outliers(x: np.ndarray, method: str = "mad", threshold: float = 5.0,
                    window: int = 15) -> np.ndarray:
    """Flag points whose robust z-score exceeds ``threshold``.

    Parameters
    ----------
    x : ndarray of shape (L,)
        The series; NaN is never flagged.
    method : {"mad", "hampel"}
        ``mad``: one global median and 1.4826 MAD of ``x``. ``hampel``: the
        median and MAD of the ``window`` points *before* each point (causal),
        falling back to the global ones where the window is too thin.
    threshold : float
        Robust z-score above which a point is an outlier.
    window : int
        Trailing window of ``hampel``.

    Returns
    -------
    ndarray of bool, shape (L,)
    """
    check_choice("method", method, ("mad", "hampel"))
    x = as_float_array(x)
    center, scale = _robust_center_scale(finite_values(x, "detect_outliers"))
    if method == "hampel":
        center, scale = _hampel_stats(x, window, center, scale)
    with np.errstate(invalid="ignore"):
        return np.abs(x - center) > threshold * scale


class Outliers(Pointwise):
    """Clip outliers to the threshold bound, or replace them by the median.

    ``mad``: global median and 1.4826 MAD fitted on the training part.
    ``hampel``: the median and MAD of the ``window`` points before each point
    (causal), with the fitted global ones as fallback. The inverse is the
    identity: forecasts are of the cleaned series.
    """

    _kind = "outliers"
    _fitted = ("center_", "scale_")

    def __init__(self, action: str = "clip", method: str = "mad",
                 threshold: float = 5.0, *, window: int = 15) -> None:
        self.action = action
        self.method = method
        self.threshold = threshold
        self.window = window

    def fit(self, x: np.ndarray) -> Outliers:
        """Fit the global median and robust scale on the training part."""
        check_choice("action", self.action, ("clip", "replace"))
        check_choice("method", self.method, ("mad", "hampel"))
        if not self.threshold > 0:
            raise DataError("The 'threshold' parameter must be > 0. "
                            f"Got {self.threshold!r} instead.")
        check_int("window", self.window, 3)
        values = finite_values(as_float_array(x), "Outliers")
        self.center_, self.scale_ = _robust_center_scale(values)
        return self

    def transform(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """Clip or replace the points beyond ``threshold`` robust std."""
        self._check_fitted()
        x = as_float_array(x)
        center, scale = self.center_, self.scale_
        if self.method == "hampel":
            center, scale = _hampel_stats(x, self.window, center, scale)
        bound = self.threshold * np.broadcast_to(scale, x.shape)
        center = np.broadcast_to(center, x.shape)
        if self.action == "clip":
            return np.clip(x, center - bound, center + bound)
        with np.errstate(invalid="ignore"):
            return np.where(np.abs(x - center) > bound, center, x)
