"""Imputing missing values without letting a forecast see its own target.

:class:`Impute` fills the training gaps at fit time (interpolating from both
sides, or causally) and every later gap from the values before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from lstmcast.core.checks import check_choice, check_int
from lstmcast.core.errors import DataError
from lstmcast.preprocess.base import Pointwise, as_float_array, finite_values

if TYPE_CHECKING:
    from sklearn.impute import KNNImputer


def _check_times(times: Any, n: int) -> np.ndarray:
    """Times must be finite, strictly increasing and aligned with the series."""
    t = np.asarray(times, dtype=np.float64)
    if t.shape != (n,) or not np.isfinite(t).all() or np.any(np.diff(t) <= 0):
        raise DataError(f"impute='time' needs {n} finite, strictly increasing times "
                        f"aligned with the series; got shape {t.shape}. Sort the "
                        "rows by time and drop duplicate timestamps.")
    return t


def _ffill(x: np.ndarray, seed: float) -> np.ndarray:
    """Forward fill; values before the first finite one take ``seed``."""
    idx = np.where(np.isfinite(x), np.arange(x.size), -1)
    idx = np.maximum.accumulate(idx)
    return np.where(idx >= 0, x[np.maximum(idx, 0)], seed)


def _interpolate(x: np.ndarray, coords: np.ndarray) -> np.ndarray:
    """Linear interpolation in ``coords``; the ends carry the nearest value."""
    ok = np.isfinite(x)
    out = x.copy()
    out[~ok] = np.interp(coords[~ok], coords[ok], x[ok])
    return out


def _lag_rows(s: np.ndarray, t: np.ndarray, k: int) -> np.ndarray:
    """Causal embedding: row i is [s[t_i], s[t_i - 1], ..., s[t_i - k]]."""
    idx = t[:, None] - np.arange(k + 1)
    return np.where(idx >= 0, s[np.maximum(idx, 0)], np.nan)


def _fit_knn(train: np.ndarray, k: int) -> KNNImputer:
    """A KNNImputer over the causal lag embedding of the training series."""
    from sklearn.impute import KNNImputer

    rows = _lag_rows(train, np.arange(k, train.size), k)
    donors = int(np.isfinite(rows[:, 0]).sum())
    if donors < 5:
        raise DataError(f"impute='knn' needs at least 5 finite training points after "
                        f"the first k={k}; got {donors}. Use impute='linear'.")
    return KNNImputer(n_neighbors=5, keep_empty_features=True).fit(rows)


class Impute(Pointwise):
    """Fill missing values without letting a forecast see its own target.

    Gaps of the training part are filled at fit time and the fills stored,
    so a training gap gets the same value however much of the series is
    transformed: ``linear`` interpolates from both sides (``time``: linear in
    the times, when given), ``ffill`` and ``knn`` use the past only. Every
    later gap is filled causally, from the values before it: forward fill, or
    for ``knn`` a ``KNNImputer`` fitted on the training lag embedding
    [x_t, x_{t-1}, ..., x_{t-k}]; so a one-step forecast never sees its own
    target. Leading training gaps take the first valid training value. The
    inverse is the identity.
    """

    _kind = "impute"
    _fitted = ("gap_index_", "gap_value_", "last_value_", "train_")

    def __init__(self, method: str = "linear", *, k: int = 5) -> None:
        self.method = method
        self.k = k

    def fit(self, x: np.ndarray, times: np.ndarray | None = None) -> Impute:
        """Fill the training gaps and remember the fills (knn: the series too)."""
        check_choice("method", self.method, ("linear", "time", "ffill", "knn", "none"))
        check_int("k", self.k, 1)
        x = as_float_array(x)
        finite = np.isfinite(x)
        if not finite.any():
            finite_values(x, "Impute")  # the error naming the empty training part
        first = float(x[np.argmax(finite)])
        self.train_ = x if self.method == "knn" else np.empty(0)
        self._restore()
        use_times = self.method == "time" and times is not None
        stamps = _check_times(times, x.size) if use_times else None
        self.gap_index_ = np.flatnonzero(~finite)
        if len(self.gap_index_) == 0:  # nothing to fill: no copies of x
            self.gap_value_, self.last_value_ = np.empty(0), float(x[-1])
            return self
        if self.method in ("knn", "ffill", "none"):
            filled = self._causal_fill(x.copy(), first)
        else:
            filled = _interpolate(x, np.arange(x.size) if stamps is None else stamps)
        self.gap_value_ = filled[self.gap_index_]
        self.last_value_ = float(filled[-1])
        return self

    def _restore(self) -> None:
        self._knn = _fit_knn(self.train_, self.k) if self.method == "knn" else None

    def transform(self, x: np.ndarray, start: int = 0,
                  times: np.ndarray | None = None) -> np.ndarray:
        """Fill the gaps of ``x``, whose first value is at position ``start``.

        ``times`` is accepted for symmetry with ``fit`` and not needed: the
        training fills are stored and later gaps are filled causally.
        """
        self._check_fitted()
        out = as_float_array(x)
        if self.method == "none":
            return out
        missing = np.flatnonzero(~np.isfinite(out))
        if len(missing) == 0:  # a long complete series: no further copies
            return out
        gaps = np.asarray(self.gap_index_, dtype=int)
        t = start + missing
        stored = np.isin(t, gaps)
        out[missing[stored]] = self.gap_value_[np.searchsorted(gaps, t[stored])]
        if np.isfinite(out[missing]).all():
            return out
        return self._causal_fill(out, self.last_value_)

    def _causal_fill(self, out: np.ndarray, lead: float) -> np.ndarray:
        """Fill each gap from the values before it; a leading gap gets ``lead``.

        knn fills a gap once the k values before it are known, so isolated
        gaps go in one batch and a run of L missing values takes L batches.
        """
        if self.method != "knn":
            return _ffill(out, lead)
        finite = np.isfinite(out)
        out[: np.argmax(finite) if finite.any() else out.size] = lead
        missing = ~np.isfinite(out)
        while missing.any():
            before = np.concatenate([[0], np.cumsum(missing)])
            idx = np.flatnonzero(missing)
            ready = idx[before[idx] == before[np.maximum(idx - self.k, 0)]]
            out[ready] = self._knn.transform(_lag_rows(out, ready, self.k))[:, 0]
            missing[ready] = False
        return out
