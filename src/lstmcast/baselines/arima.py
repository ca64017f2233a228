"""AutoARIMA: seasonal ARIMA chosen by a stepwise AICc search on the training part.

A stepwise search over (p,d,q)(P,D,Q)m in the manner of Hyndman & Khandakar
(2008): D from the seasonal strength of an STL decomposition (> 0.64), d from
repeated KPSS tests (5 %), a mean (d + D = 0) or drift (d + D = 1) as a
regression term, models compared by AICc of a conditional-sum-of-squares fit
(fast: a linear filter per evaluation), models with roots near the unit
circle rejected. The chosen model is refined by exact maximum likelihood
(Kalman filter) when that fits in ``time_budget``, else kept at its CSS
estimates; the search itself stops at the budget too. Forecasts run the
statsmodels filter with the fixed parameters (see
:mod:`lstmcast.baselines.classical_base`).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmcast.baselines.classical_base import (
    ClassicalBaseline,
    fit_stl,
    interpolated,
    quiet,
)
from lstmcast.core.errors import DataError

_MAX_ORDER, _MAX_SORDER, _MAX_TOTAL = 5, 2, 5  # p, q <= 5; P, Q <= 2; sum <= 5


@dataclass(frozen=True)
class _Order:
    """(p, q)(P, Q) orders and whether a mean or drift term is included."""

    p: int
    q: int
    P: int
    Q: int
    const: bool


def _seasonal_poly(coefs: np.ndarray, m: int) -> np.ndarray:
    """Coefficients (lag 0 first) of a polynomial in B^m."""
    poly = np.zeros(len(coefs) * m + 1)
    poly[0], poly[m::m] = 1.0, coefs
    return poly


def _polys(arma: np.ndarray, o: _Order, m: int) -> tuple[np.ndarray, np.ndarray]:
    """AR and MA lag polynomials (lag 0 first) of the multiplicative ARMA."""
    phi, theta, sphi, stheta = np.split(arma, np.cumsum([o.p, o.q, o.P]))
    ar = np.convolve(np.r_[1.0, -phi], _seasonal_poly(-sphi, m))
    ma = np.convolve(np.r_[1.0, theta], _seasonal_poly(stheta, m))
    return ar, ma


def _roots_ok(arma: np.ndarray, o: _Order) -> bool:
    """All AR and MA roots outside 1.01 (no near-unit-root or non-invertible)."""
    parts = np.split(arma, np.cumsum([o.p, o.q, o.P]))
    for coefs, sign in zip(parts, (-1, 1, -1, 1), strict=True):
        if coefs.size and np.min(np.abs(np.roots(np.r_[sign * coefs[::-1], 1.0]))
                                 ) < 1.01:
            return False
    return True


def _difference(x: np.ndarray, d: int, D: int, m: int) -> np.ndarray:
    for _ in range(D):
        x = x[m:] - x[:-m]
    for _ in range(d):
        x = x[1:] - x[:-1]
    return x


def _regressors(positions: np.ndarray, const: bool, d: int, D: int) -> np.ndarray:
    """(N, 0 or 1) regression term: a mean (d + D = 0) or a drift (= 1)."""
    if not const or d + D > 1:
        return np.empty((positions.size, 0))
    column = np.ones(positions.size) if d + D == 0 else positions.astype(float)
    return column[:, None]


def _css(y: np.ndarray, o: _Order, d: int, D: int, m: int
         ) -> tuple[float, np.ndarray] | None:
    """Conditional-sum-of-squares fit: (AICc, [beta, arma]) or None if unusable."""
    from scipy.optimize import least_squares
    from scipy.signal import lfilter
    w = _difference(y, d, D, m)
    xw = _difference(_regressors(np.arange(y.size), o.const, d, D), d, D, m)
    k_arma = o.p + o.q + o.P + o.Q
    cond = o.p + o.P * m
    n_used, n_eff = w.size, w.size - cond
    k = xw.shape[1] + k_arma + 1  # + the variance
    if n_eff - k - 1 <= 0:
        return None
    beta0 = np.linalg.lstsq(xw, w, rcond=None)[0] if xw.shape[1] else np.empty(0)

    def residuals(theta: np.ndarray) -> np.ndarray:
        ar, ma = _polys(theta[xw.shape[1]:], o, m)
        return lfilter(ar, ma, w - xw @ theta[: xw.shape[1]])[cond:]

    x0 = np.r_[beta0, np.zeros(k_arma)]
    fit = least_squares(residuals, x0, method="lm") if x0.size else None
    theta = fit.x if fit is not None else x0
    e = residuals(theta)
    if not np.all(np.isfinite(e)) or not _roots_ok(theta[xw.shape[1]:], o):
        return None
    # as R's arima: the variance from the n_eff residuals, the likelihood over
    # all n_used points, so that models conditioning on more lags compare fairly
    sigma2 = float(e @ e) / n_eff
    loglik = -0.5 * n_used * (np.log(2 * np.pi * max(sigma2, 1e-300)) + 1)
    aicc = -2 * loglik + 2 * k + 2 * k * (k + 1) / (n_used - k - 1)
    return float(aicc), np.r_[theta, sigma2]


def _nsdiffs(y: np.ndarray, m: int) -> int:
    """1 when the STL seasonal strength exceeds 0.64 (Wang, Smith, Hyndman)."""
    if m < 2 or y.size < 3 * m:
        return 0
    fit = fit_stl(y, m)
    strength = 1 - np.var(fit.resid) / np.var(fit.seasonal + fit.resid)
    return int(strength > 0.64)


def _ndiffs(x: np.ndarray, alpha: float = 0.05) -> int:
    """Differences (0-2) until the KPSS test no longer rejects level stationarity."""
    from statsmodels.tsa.stattools import kpss
    d = 0
    while d < 2 and x.size > 10 and np.ptp(x) > 0:
        if kpss(x, regression="c", nlags="auto")[1] >= alpha:
            break
        x, d = np.diff(x), d + 1
    return d


def _allowed(p: int, q: int, P: int, Q: int, m: int) -> bool:
    """Inside the order limits, and no lag both seasonal and non-seasonal."""
    return (min(p, q, P, Q) >= 0 and max(p, q) <= _MAX_ORDER
            and max(P, Q) <= _MAX_SORDER and p + q + P + Q <= _MAX_TOTAL
            and (P == 0 or p < m) and (Q == 0 or q < m))


def _neighbours(o: _Order, m: int, const_ok: bool) -> Iterator[_Order]:
    """The stepwise moves: p, q, P, Q by +-1, (p, q) and (P, Q) together, the
    constant toggled; only models inside the order limits."""
    moves = [(1, 0, 0, 0), (0, 1, 0, 0), (1, 1, 0, 0)]
    if m > 1:
        moves += [(0, 0, 1, 0), (0, 0, 0, 1), (0, 0, 1, 1)]
    for move, sign in itertools.product(moves, (-1, 1)):
        p, q, P, Q = (a + sign * b for a, b in zip((o.p, o.q, o.P, o.Q), move,
                                                    strict=True))
        if _allowed(p, q, P, Q, m):
            yield _Order(p, q, P, Q, o.const)
    if const_ok:
        yield _Order(o.p, o.q, o.P, o.Q, not o.const)


def _stepwise(y: np.ndarray, d: int, D: int, m: int, deadline: float
              ) -> tuple[_Order, np.ndarray, dict[_Order, float]]:
    """Hyndman-Khandakar stepwise search by CSS AICc; stops at ``deadline``."""
    seasonal, const = m > 1, d + D <= 1
    scores: dict[_Order, tuple[float, np.ndarray] | None] = {}

    def aicc(o: _Order) -> float:
        if o not in scores:
            scores[o] = _css(y, o, d, D, m)
        return scores[o][0] if scores[o] is not None else np.inf

    starts = [(2, 2, 1, 1), (0, 0, 0, 0), (1, 0, 1, 0), (0, 1, 0, 1)]
    best = min((_Order(p, q, P * seasonal, Q * seasonal, const)
                for p, q, P, Q in starts if _allowed(p, q, P, Q, m)), key=aicc)
    moved = True
    while moved and time.perf_counter() < deadline:
        moved = False
        for o in _neighbours(best, m, d + D <= 1):
            if time.perf_counter() >= deadline:
                break
            if aicc(o) < aicc(best):
                best, moved = o, True
                break
    if scores[best] is None:
        raise DataError("AutoARIMA found no usable model: every candidate had "
                        "too few points or roots on the unit circle. Use a longer "
                        "training part.")
    tried = {o: s[0] for o, s in scores.items() if s is not None}
    return best, scores[best][1], tried


class AutoARIMA(ClassicalBaseline):
    """Seasonal ARIMA chosen by a stepwise AICc search on the training part.

    Parameters
    ----------
    season : int or None, default None
        Season length m (None: detected). m > 24: non-seasonal ARIMA on the
        STL-adjusted series (see :mod:`~lstmcast.baselines.classical_base`).
    time_budget : float, default 20.0
        Seconds for the search plus the maximum-likelihood refinement.

    Attributes (after ``fit``)
    --------------------------
    order_, seasonal_order_ : the chosen (p, d, q) and (P, D, Q, m).
    const_ : whether a mean (d + D = 0) or drift (d + D = 1) term is included.
    params_ : dict of the fitted parameters by statsmodels' names
        (``ar.L1``, ``ma.S.L12``, ``x1`` for the mean or drift, ``sigma2``).
    aicc_ : CSS AICc of the chosen model. method_ : "css-ml" or "css".
    search_ : {"(p,d,q)(P,D,Q)m c": AICc} of every model tried.
    """

    def __init__(self, season: int | None = None, *, time_budget: float = 20.0
                 ) -> None:
        self.season = season
        self.time_budget = time_budget

    def _fit(self, y_train: np.ndarray) -> None:
        from statsmodels.tsa.statespace.sarimax import SARIMAX
        started = time.perf_counter()
        deadline = started + float(self.time_budget)
        with quiet():
            y = self._adjust(y_train)
            m = self.model_season_
            filled = interpolated(y)
            D = _nsdiffs(filled, m)
            d = _ndiffs(_difference(filled, 0, D, m))
            order, params, tried = _stepwise(filled, d, D, m, deadline)
            self.order_, self.const_ = (order.p, d, order.q), order.const
            self.seasonal_order_ = (order.P, D, order.Q, m if m > 1 else 0)
            x = _regressors(np.arange(y.size), order.const, d, D)
            model = SARIMAX(y, exog=x if x.shape[1] else None, order=self.order_,
                            seasonal_order=self.seasonal_order_, trend="n")
            self.res_, self.method_ = self._refine(model, params, deadline)
        self.params_ = dict(zip(model.param_names, map(float, self.res_.params),
                                strict=True))
        self.aicc_ = tried[order]
        self.search_ = {_label(o, d, D, m): a for o, a in tried.items()}
        self.seconds_ = time.perf_counter() - started

    @staticmethod
    def _refine(model: Any, params: np.ndarray, deadline: float) -> tuple[Any, str]:
        """Exact ML from the CSS estimates if it should fit before ``deadline``."""
        css = model.filter(params)
        tick = time.perf_counter()
        model.loglike(params)
        cost = (time.perf_counter() - tick) * (params.size + 1) * 40
        if tick + cost > deadline:
            return css, "css"
        try:
            ml = model.fit(start_params=params, disp=False, maxiter=50)
        except (np.linalg.LinAlgError, ValueError):
            return css, "css"
        return (ml, "css-ml") if ml.llf >= css.llf else (css, "css")

    def _paths(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        d, D = self.order_[1], self.seasonal_order_[1]
        x = _regressors(np.arange(y.size + horizon), self.const_, d, D)
        applied = self.res_.apply(self._adjusted(y), exog=x[: y.size] if x.shape[1]
                                  else None)
        states = applied.predicted_state[:, origins + 1]  # (k, B): a(t+1 | t)
        design = applied.model["design"].reshape(-1)  # (k,)
        transition = applied.model["transition"].reshape(states.shape[0], -1)
        beta = self.res_.params[: x.shape[1]]
        out = np.empty((origins.size, horizon))
        for h in range(horizon):
            out[:, h] = design @ states + x[origins + 1 + h] @ beta  # (B,)
            states = transition @ states
        return out


def _label(o: _Order, d: int, D: int, m: int) -> str:
    season = f"({o.P},{D},{o.Q}){m}" if m > 1 else ""
    return f"({o.p},{d},{o.q}){season}{' c' if o.const else ''}"


def arima_filter(model: AutoARIMA, y_train: np.ndarray) -> Any:
    """The SARIMAX results of the fixed parameters on the training series."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    d, D = model.order_[1], model.seasonal_order_[1]
    y = model._adjusted(y_train)
    x = _regressors(np.arange(y.size), model.const_, d, D)
    with quiet():
        sarimax = SARIMAX(y, exog=x if x.shape[1] else None, order=model.order_,
                          seasonal_order=model.seasonal_order_, trend="n")
        return sarimax.filter(np.array(list(model.params_.values())))
