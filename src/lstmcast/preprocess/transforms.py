"""Target transforms fitted on the training part only, each with an exact inverse.

Every step works on the 1-D float64 array of one series. ``fit`` sees the
training part alone; ``transform`` never looks at a value later than the one it
computes (training gaps get the fills interpolated from both sides at fit
time), so transforming any prefix of a series gives exactly the prefix of its
transform. Positions are counted from the first training point: ``start`` is
the position of ``x[0]``.

Two inversions exist because a forecaster needs both:

- ``inverse_one_step``: a forecast of position ``t`` made with the true history
  before ``t`` (``x[t - lag]`` for a difference);
- ``inverse_path``: a forecast path beyond the origin, each step undone with the
  step's own reconstructed values where the truth is not known yet.

The maths lives in private numpy functions; the classes hold the fitted state,
which is made of plain numbers and lists (``get_state``) so that a fitted
pipeline is saved as JSON, never pickled.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lstmcast.core.errors import DataError, NotFittedError
from lstmcast.preprocess.decompose import decomposition_component, fit_decomposition

_MAD_TO_STD = 1.4826  # 1 / Phi^-1(3/4): makes the MAD a std under normality
_MEAN_AD_TO_STD = 1.2533  # sqrt(pi / 2): the same for the mean absolute deviation
_BOXCOX_LAMBDA = (-1.0, 2.0)  # beyond this range the inverse loses precision

# --------------------------------------------------------------------- helpers


def _as_series(x: Any) -> np.ndarray:
    """A float64 1-D copy of ``x``; other shapes are a programming error."""
    arr = np.array(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"Expected a 1-D series. Got shape {arr.shape} instead.")
    return arr


def _finite(x: np.ndarray, what: str) -> np.ndarray:
    """The finite values of ``x``; none at all is a data error."""
    values = x[np.isfinite(x)]
    if values.size == 0:
        raise DataError(f"{what}: the training part ({x.size} points) has no finite "
                        "values. Check the target column and its missing values.")
    return values


def _check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> None:
    if value not in choices:
        raise DataError(f"The '{name}' parameter must be one of "
                        f"{', '.join(map(str, choices))}. Got {value!r} instead.")


def _check_int(name: str, value: Any, low: int, fix: str = "") -> None:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) \
            or value < low:
        raise DataError(f"The '{name}' parameter must be an int >= {low}. "
                        f"Got {value!r} instead.{fix}")


def _to_json(value: Any) -> Any:
    """Arrays become lists with NaN as None; numpy scalars become Python ones."""
    if isinstance(value, np.ndarray):
        return [None if isinstance(v, float) and math.isnan(v) else v
                for v in value.tolist()]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, list):
        return np.array([np.nan if v is None else v for v in value], dtype=np.float64)
    return value


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
    _check_choice("method", method, ("mad", "hampel"))
    x = _as_series(x)
    center, scale = _robust_center_scale(_finite(x, "detect_outliers"))
    if method == "hampel":
        center, scale = _hampel_stats(x, window, center, scale)
    with np.errstate(invalid="ignore"):
        return np.abs(x - center) > threshold * scale


# ---------------------------------------------------------------- base classes


class Transform:
    """Base of every step: fitted-state handling, JSON state and repr.

    Subclasses name their fitted attributes (ending in ``_``) in ``_fitted``
    and implement ``fit``, ``transform``, ``inverse_one_step`` and
    ``inverse_path``. Their constructor only stores its arguments.
    """

    _kind: ClassVar[str] = ""
    _fitted: ClassVar[tuple[str, ...]] = ()

    def _params(self) -> dict[str, Any]:
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    def _check_fitted(self) -> None:
        if not all(hasattr(self, name) for name in self._fitted):
            raise NotFittedError.of(self)

    def _restore(self) -> None:
        """Rebuild derived, non-serialised objects after fit or from_state."""

    def get_state(self) -> dict[str, Any]:
        """Kind, constructor parameters and fitted state, as JSON-able values."""
        self._check_fitted()
        fitted = {name: _to_json(getattr(self, name)) for name in self._fitted}
        params = {name: _to_json(v) for name, v in self._params().items()}
        return {"kind": self._kind, "params": params, "fitted": fitted}

    @classmethod
    def _from_state(cls, state: dict[str, Any]) -> Transform:
        step = cls(**state["params"])
        for name, value in state["fitted"].items():
            setattr(step, name, _from_json(value))
        step._restore()
        return step

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"


class _Pointwise(Transform):
    """A step that maps each value on its own, so both inversions are the same."""

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        return np.array(z, dtype=np.float64)

    def inverse_one_step(self, z_hat: np.ndarray, positions: np.ndarray,
                         x: np.ndarray, start: int = 0) -> np.ndarray:
        """Undo the step at each forecast; history is not needed."""
        self._check_fitted()
        return self._inverse(z_hat)

    def inverse_path(self, z_path: np.ndarray, history: np.ndarray,
                     start: int = 0) -> np.ndarray:
        """Undo the step along a forecast path; history is not needed."""
        self._check_fitted()
        return self._inverse(z_path)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """Exact inverse of ``transform`` (for covariate matrices, say)."""
        self._check_fitted()
        return self._inverse(z)


# -------------------------------------------------------------------- imputing


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


def _fit_knn(train: np.ndarray, k: int) -> Any:
    """A KNNImputer over the causal lag embedding of the training series."""
    from sklearn.impute import KNNImputer

    rows = _lag_rows(train, np.arange(k, train.size), k)
    donors = int(np.isfinite(rows[:, 0]).sum())
    if donors < 5:
        raise DataError(f"impute='knn' needs at least 5 finite training points after "
                        f"the first k={k}; got {donors}. Use impute='linear'.")
    return KNNImputer(n_neighbors=5, keep_empty_features=True).fit(rows)


class Impute(_Pointwise):
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
        _check_choice("method", self.method, ("linear", "time", "ffill", "knn", "none"))
        _check_int("k", self.k, 1)
        x = _as_series(x)
        first = _finite(x, "Impute")[0]
        self.train_ = x if self.method == "knn" else np.empty(0)
        self._restore()
        if self.method in ("knn", "ffill", "none"):
            filled = self._causal_fill(x.copy(), first)
        else:
            use_times = self.method == "time" and times is not None
            coords = _check_times(times, x.size) if use_times else np.arange(x.size)
            filled = _interpolate(x, coords)
        self.gap_index_ = np.flatnonzero(~np.isfinite(x))
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
        out = _as_series(x)
        if self.method == "none":
            return out
        gaps = np.asarray(self.gap_index_, dtype=int)
        t = start + np.arange(out.size)
        stored = np.isin(t, gaps) & ~np.isfinite(out)
        out[stored] = self.gap_value_[np.searchsorted(gaps, t[stored])]
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


# -------------------------------------------------------------------- outliers


class Outliers(_Pointwise):
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
        _check_choice("action", self.action, ("clip", "replace"))
        _check_choice("method", self.method, ("mad", "hampel"))
        if not self.threshold > 0:
            raise DataError("The 'threshold' parameter must be > 0. "
                            f"Got {self.threshold!r} instead.")
        _check_int("window", self.window, 3)
        values = _finite(_as_series(x), "Outliers")
        self.center_, self.scale_ = _robust_center_scale(values)
        return self

    def transform(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """Clip or replace the points beyond ``threshold`` robust std."""
        self._check_fitted()
        x = _as_series(x)
        center, scale = self.center_, self.scale_
        if self.method == "hampel":
            center, scale = _hampel_stats(x, self.window, center, scale)
        bound = self.threshold * np.broadcast_to(scale, x.shape)
        center = np.broadcast_to(center, x.shape)
        if self.action == "clip":
            return np.clip(x, center - bound, center + bound)
        with np.errstate(invalid="ignore"):
            return np.where(np.abs(x - center) > bound, center, x)


# ------------------------------------------------------- variance stabilising


class _Shifted(_Pointwise):
    """Shared part of Log and BoxCox: the shift that keeps values positive."""

    _fitted: ClassVar[tuple[str, ...]] = ("shift_",)

    def fit(self, x: np.ndarray) -> _Shifted:
        """c = 0 if the training minimum is > 0, else 1 - minimum."""
        low = float(np.min(_finite(_as_series(x), type(self).__name__)))
        self.shift_ = 0.0 if low > 0 else 1.0 - low
        return self

    def _shifted(self, x: np.ndarray, start: int) -> np.ndarray:
        y = _as_series(x) + self.shift_
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
        y = _finite(_as_series(x), "BoxCox") + self.shift_
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


# ----------------------------------------------------------------- differencing


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
        _check_int("lag", self.lag, 1)
        n = _as_series(x).size
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
        x = _as_series(x)
        out = np.full_like(x, np.nan)
        out[self.lag:] = x[self.lag:] - x[: max(x.size - self.lag, 0)]
        return out

    def inverse_one_step(self, z_hat: np.ndarray, positions: np.ndarray,
                         x: np.ndarray, start: int = 0) -> np.ndarray:
        """z_hat + x[positions - lag], with the true x."""
        self._check_fitted()
        x, prev = _as_series(x), np.asarray(positions, dtype=int) - self.lag
        base = np.where(prev >= 0, x[np.maximum(prev, 0)], np.nan)
        return np.asarray(z_hat, dtype=np.float64) + base

    def inverse_path(self, z_path: np.ndarray, history: np.ndarray,
                     start: int = 0) -> np.ndarray:
        """x_{T+h} = z_{T+h} + x_{T+h-lag}, true history first, then own values."""
        self._check_fitted()
        z, n = np.asarray(z_path, dtype=np.float64), _as_series(history).size
        out = np.concatenate([_as_series(history), np.full(z.size, np.nan)])
        for h in range(z.size):
            j = n + h - self.lag
            out[n + h] = z[h] + (out[j] if j >= 0 else np.nan)
        return out[n:]


# --------------------------------------------------------------- decomposition


class Decompose(Transform):
    """Subtract trend + season fitted on the training part; model the remainder.

    Inside the training part the in-sample components are subtracted; beyond
    it, the last trend value carried on with the recent slope plus the mean
    seasonal profile of the last 3 seasons (see ``lstmcast.preprocess.decompose``).
    """

    _kind = "decompose"
    _fitted = ("trend_", "seasonal_", "profile_", "last_trend_", "slope_")

    def __init__(self, method: str = "stl", period: int = 12) -> None:
        self.method = method
        self.period = period

    def fit(self, x: np.ndarray) -> Decompose:
        """Decompose the training part (leading NaN allowed, >= 2 periods)."""
        _check_choice("method", self.method, ("stl", "classical"))
        _check_int("period", self.period, 2, " Use decompose='none'.")
        fitted = fit_decomposition(_as_series(x), self.method, self.period)
        for name, value in fitted.items():
            setattr(self, f"{name}_", value)
        return self

    def _component(self, t: np.ndarray) -> np.ndarray:
        fitted = {name[:-1]: getattr(self, name) for name in self._fitted}
        return decomposition_component(t, fitted, self.period)

    def transform(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """x minus trend + season at positions start, start + 1, ..."""
        self._check_fitted()
        x = _as_series(x)
        return x - self._component(start + np.arange(x.size))

    def inverse_one_step(self, z_hat: np.ndarray, positions: np.ndarray,
                         x: np.ndarray, start: int = 0) -> np.ndarray:
        """Add trend + season back at the forecast positions."""
        self._check_fitted()
        t = start + np.asarray(positions, dtype=int)
        return np.asarray(z_hat, dtype=np.float64) + self._component(t)

    def inverse_path(self, z_path: np.ndarray, history: np.ndarray,
                     start: int = 0) -> np.ndarray:
        """Add trend + season back at positions start + T + h."""
        self._check_fitted()
        z = np.asarray(z_path, dtype=np.float64)
        t = start + _as_series(history).size + np.arange(z.size)
        return z + self._component(t)


# --------------------------------------------------------------------- scaling


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


class Scaler(_Pointwise):
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
        _check_choice("kind", self.kind, ("standard", "minmax", "robust", "none"))
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
