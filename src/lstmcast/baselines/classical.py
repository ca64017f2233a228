"""AutoARIMA and ETS behind the :class:`~lstmcast.baselines.simple.Baseline` interface.

Both come from statsmodels (already a dependency; statsforecast would add a
numba-compiled package and its start-up compile for two models). Parameters
are fitted on the training part only; forecasts then run the model's filter
over the history with those FIXED parameters (no refit per point), once per
call, and every h-step path from every origin comes out of the filtered states
in a few vectorised matrix products (:meth:`forecast_paths`).

- :class:`AutoARIMA`: a stepwise search over (p,d,q)(P,D,Q)m in the manner of
  Hyndman & Khandakar (2008): D from the seasonal strength of an STL
  decomposition (> 0.64), d from repeated KPSS tests (5 %), a mean (d + D = 0)
  or drift (d + D = 1) as a regression term, models compared by AICc of a
  conditional-sum-of-squares fit (fast: a linear filter per evaluation), models
  with roots near the unit circle rejected. The chosen model is refined by
  exact maximum likelihood (Kalman filter) when that fits in ``time_budget``,
  else kept at its CSS estimates; the search itself stops at the budget too.
- :class:`ETS`: every exponential-smoothing model with additive or
  multiplicative errors, no / additive / damped trend and no / additive /
  multiplicative season (multiplicative ones only for positive data; no
  multiplicative trend and no additive-error multiplicative season, as R's
  ``ets`` by default), fitted by maximum likelihood and chosen by AICc.

Seasons longer than :data:`MAX_SEASON` (48 half-hours, 52 weeks) would need 50+
seasonal states and minutes per fit; both models then work on the series
minus a fixed seasonal profile (the seasonal part of an STL decomposition of
the training part, averaged over its last 7 cycles), as R's ``stlm``, and add
the profile back to the forecasts.

Histories passed to ``predict_one_step``/``forecast``/``forecast_paths`` must
start where the training part started (as ``y`` in :mod:`lstmcast.evaluation.holdout`):
positions count from there (drift, seasonal phase, initial states).
"""

from __future__ import annotations

import inspect
import itertools
import time
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.baselines.simple import BASELINES, Baseline, _check_int
from lstmcast.core.errors import DataError

__all__ = ["CLASSICAL", "ETS", "MAX_SEASON", "MODELS", "AutoARIMA",
           "classical_from_state", "classical_state", "make_models"]

MAX_SEASON = 24
_MAX_ORDER, _MAX_SORDER, _MAX_TOTAL = 5, 2, 5  # p, q <= 5; P, Q <= 2; sum <= 5


@contextmanager
def _quiet() -> Iterator[None]:
    """One BLAS thread (small matrices: threads only add overhead) and no
    statsmodels warnings (convergence, interpolated KPSS p-values)."""
    from threadpoolctl import threadpool_limits
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _interpolated(y: np.ndarray) -> np.ndarray:
    return pd.Series(y).interpolate(limit_direction="both").to_numpy()


def _ffilled(y: np.ndarray) -> np.ndarray:
    """Missing values carry the last value forward (causal; a leading gap takes
    the first value)."""
    return pd.Series(y).ffill().bfill().to_numpy()


def _season_of(model: Any, y_train: np.ndarray) -> int:
    if model.season is None:
        from lstmcast.data.seasonality import detect_season
        return detect_season(_interpolated(y_train))
    return _check_int("season", model.season, 1)


def _stl(y: np.ndarray, m: int, robust: bool = True) -> Any:
    from statsmodels.tsa.seasonal import STL
    return STL(_interpolated(y), period=m, robust=robust).fit()


def _profile(y_train: np.ndarray, m: int, cycles: int = 7) -> np.ndarray:
    """(m,) seasonal profile by phase (position mod m): the STL seasonal
    averaged over the last ``cycles`` cycles (a week of days for sub-daily
    data). Not robust STL: its down-weighting made jumpy profiles (taylor_elec)."""
    n = y_train.size
    cycles = min(n // m, cycles)
    seasonal = _stl(y_train, m, robust=False).seasonal[n - cycles * m:]
    profile = np.zeros(m)
    profile[np.arange(n - m, n) % m] = seasonal.reshape(cycles, m).mean(axis=0)
    return profile


# ------------------------------------------------------------------ ARIMA maths


@dataclass(frozen=True)
class _Order:
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
    fit = _stl(y, m)
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


# ------------------------------------------------------------------ the classes


class _Classical(Baseline):
    """Shared parts: the season, the profile of long seasons, paths by origin."""

    def forecast_paths(self, y: Any, origins: Any, horizon: int) -> np.ndarray:
        """(B, H) forecasts of ``y[t+1 .. t+H]`` from ``y[:t+1]`` for every
        origin ``t``, from one filter pass with the fixed parameters."""
        self._check_fitted()
        y = np.asarray(y, dtype=np.float64)
        origins = np.asarray(origins, dtype=np.intp)
        horizon = _check_int("horizon", horizon, 1)
        if origins.size and (origins.min() < 0 or origins.max() >= y.size):
            raise ValueError(f"'origins' must lie in [0, {y.size - 1}]. Got "
                             f"{origins.min()}..{origins.max()} instead.")
        with _quiet():
            out = self._paths(y, origins, horizon)
        steps = origins[:, None] + 1 + np.arange(horizon)  # (B, H) positions
        return out + self.profile_[steps % self.profile_.size]

    def _one_step(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray:
        return self.forecast_paths(y, positions - 1, 1)[:, 0]

    def _path(self, history: np.ndarray, horizon: int) -> np.ndarray:
        return self.forecast_paths(history, np.array([history.size - 1]), horizon)[0]

    def _adjust(self, y_train: np.ndarray) -> np.ndarray:
        """Set season_, profile_ and return the training series to model."""
        self.season_ = _season_of(self, y_train)
        long = self.season_ > MAX_SEASON and y_train.size >= 2 * self.season_
        self.profile_ = _profile(y_train, self.season_) if long else np.zeros(1)
        self.model_season_ = 1 if self.season_ > MAX_SEASON else self.season_
        return self._adjusted(y_train)

    def _adjusted(self, y: np.ndarray) -> np.ndarray:
        return y - self.profile_[np.arange(y.size) % self.profile_.size]

    def _paths(self, y: np.ndarray, origins: np.ndarray,
               horizon: int) -> np.ndarray: ...


class AutoARIMA(_Classical):
    """Seasonal ARIMA chosen by a stepwise AICc search on the training part.

    Parameters
    ----------
    season : int or None, default None
        Season length m (None: detected). m > 24: non-seasonal ARIMA on the
        STL-adjusted series (see the module notes).
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
        with _quiet():
            y = self._adjust(y_train)
            m = self.model_season_
            filled = _interpolated(y)
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


class ETS(_Classical):
    """Exponential smoothing (error, trend, season) chosen by AICc.

    Parameters
    ----------
    season : int or None, default None
        Season length m (None: detected). m > 24: non-seasonal ETS on the
        STL-adjusted series (see the module notes).
    time_budget : float, default 20.0
        Seconds for fitting the candidates (the best so far is kept).

    Attributes (after ``fit``)
    --------------------------
    spec_ : dict (error, trend, damped_trend, seasonal, seasonal_periods).
    name_ : the model in ETS(E,T,S) notation, e.g. "ETS(M,Ad,M)".
    params_ : dict of the fitted parameters. aicc_ : its AICc.
    search_ : {name: AICc} of every model fitted.

    Missing values are carried forward (ETS has no missing-value update).
    """

    def __init__(self, season: int | None = None, *, time_budget: float = 20.0
                 ) -> None:
        self.season = season
        self.time_budget = time_budget

    def _fit(self, y_train: np.ndarray) -> None:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        started = time.perf_counter()
        with _quiet():
            y = _ffilled(self._adjust(y_train))
            fits: dict[str, tuple[dict[str, Any], Any]] = {}
            for spec in _ets_specs(self.model_season_, bool(np.all(y > 0))):
                if fits and time.perf_counter() - started > self.time_budget:
                    break
                try:
                    res = ETSModel(y, **spec).fit(disp=False)
                except (ValueError, np.linalg.LinAlgError):
                    continue
                if np.isfinite(res.aicc):
                    fits[_ets_name(spec)] = (spec, res)
        if not fits:
            raise DataError(f"ETS could fit no model to the {y.size} training "
                            "points. Use a longer training part.")
        self.name_ = min(fits, key=lambda k: fits[k][1].aicc)
        self.spec_, res = fits[self.name_]
        self.params_ = dict(zip(res.param_names, map(float, res.params), strict=True))
        self.aicc_ = float(res.aicc)
        self.search_ = {k: float(r.aicc) for k, (_, r) in fits.items()}
        self.seconds_ = time.perf_counter() - started

    def _paths(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        values = _ffilled(self._adjusted(y))
        spec = self.spec_
        if "mul" in (spec["error"], spec["seasonal"]) and np.any(values <= 0):
            raise DataError(f"{self.name_} was fitted to positive training data "
                            "but the series has values <= 0 later: a "
                            "multiplicative model cannot forecast them.")
        res = ETSModel(values, **spec).smooth(np.array(list(self.params_.values())))
        return _ets_forecasts(res, spec, origins, horizon)


def _ets_specs(m: int, positive: bool) -> Iterator[dict[str, Any]]:
    """Candidate models, simplest first (the time budget keeps the first ones)."""
    seasons = [None] + (["add"] + (["mul"] if positive else []) if m > 1 else [])
    for seasonal, (trend, damped), error in itertools.product(
            seasons, [(None, False), ("add", False), ("add", True)],
            ["add", "mul"] if positive else ["add"]):
        if error == "add" and seasonal == "mul":
            continue  # numerically unstable (excluded by R's ets too)
        yield {"error": error, "trend": trend, "damped_trend": damped,
               "seasonal": seasonal, "seasonal_periods": m if seasonal else None}


def _ets_name(spec: dict[str, Any]) -> str:
    trend = {None: "N", "add": "A"}[spec["trend"]] + ("d" if spec["damped_trend"]
                                                      else "")
    season = {None: "N", "add": "A", "mul": "M"}[spec["seasonal"]]
    return f"ETS({spec['error'][0].upper()},{trend},{season})"


def _ets_forecasts(res: Any, spec: dict[str, Any], origins: np.ndarray,
                   horizon: int) -> np.ndarray:
    """(B, H) point forecasts from the states after each origin (Hyndman et al.
    2008, table 2.1): level + damped-sum x trend, then + or x the season."""
    h = np.arange(1, horizon + 1)
    out = np.repeat(res.level[origins, None], horizon, axis=1)  # (B, H)
    if spec["trend"]:
        phi = float(res.phi) if spec["damped_trend"] else 1.0
        reach = np.cumsum(phi ** h)  # (H,) phi + ... + phi^h
        out = out + res.slope[origins, None] * reach
    if spec["seasonal"]:
        m = spec["seasonal_periods"]
        season = np.r_[res.initial_seasonal, res.season]  # s_t at t + m
        lag = origins[:, None] + h - m * ((h - 1) // m + 1)  # (B, H)
        s = season[lag + m]
        out = out * s if spec["seasonal"] == "mul" else out + s
    return out


CLASSICAL: dict[str, type[Baseline]] = {"arima": AutoARIMA, "ets": ETS}
"""The classical models by name; they join the baselines in :data:`MODELS`."""

MODELS: dict[str, type[Baseline]] = {**BASELINES, **CLASSICAL}
"""Every reference model by name: the baselines, then AutoARIMA and ETS."""


def make_models(names: Iterable[str], season: int) -> dict[str, Baseline]:
    """Fresh, unfitted reference models by name (see :data:`MODELS`).

    ``season`` goes to those that take one. An unknown name is a DataError
    listing the known ones.
    """
    names = list(names)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise DataError(f"Unknown model(s) {', '.join(map(repr, unknown))}. Known "
                        f"models: {', '.join(MODELS)}.")
    season = _check_int("season", season, 1)
    return {name: MODELS[name](season=season)
            if "season" in inspect.signature(MODELS[name]).parameters
            else MODELS[name]() for name in names}


# ---------------------------------------------------------- state as numbers


def classical_state(model: Baseline) -> dict[str, Any]:
    """A fitted ETS or AutoARIMA as JSON-able numbers (no pickle): what
    :func:`classical_from_state` needs to forecast exactly as ``model`` does."""
    state: dict[str, Any] = {
        "kind": "ets" if isinstance(model, ETS) else "arima",
        "season": int(model.season_), "model_season": int(model.model_season_),
        "profile": [float(v) for v in model.profile_], "n_train": int(model.n_train_),
        "params": [[k, float(v)] for k, v in model.params_.items()]}
    if isinstance(model, ETS):
        state.update(spec=dict(model.spec_), name=model.name_)
    else:
        state.update(order=list(model.order_), const=bool(model.const_),
                     seasonal_order=list(model.seasonal_order_))
    return state


def classical_from_state(state: dict[str, Any], y_train: np.ndarray) -> Baseline:
    """Rebuild a model from :func:`classical_state`; ``y_train`` is the series
    it was fitted on (AutoARIMA's filter is rebuilt on it, parameters fixed)."""
    kind = state.get("kind")
    if kind not in CLASSICAL:
        raise DataError(f"Unknown classical model {kind!r} in a saved state; known: "
                        f"{', '.join(CLASSICAL)}. Was it saved by a newer lstmcast?")
    model = CLASSICAL[kind](season=state["season"])
    model.season_, model.model_season_ = state["season"], state["model_season"]
    model.profile_ = np.asarray(state["profile"], dtype=np.float64)
    model.n_train_ = state["n_train"]
    model.params_ = {k: float(v) for k, v in state["params"]}
    if kind == "ets":
        model.spec_, model.name_ = dict(state["spec"]), state["name"]
        return model
    model.order_, model.const_ = tuple(state["order"]), state["const"]
    model.seasonal_order_ = tuple(state["seasonal_order"])
    model.res_ = _arima_filter(model, np.asarray(y_train, dtype=np.float64))
    return model


def _arima_filter(model: AutoARIMA, y_train: np.ndarray) -> Any:
    """The SARIMAX results of the fixed parameters on the training series."""
    from statsmodels.tsa.statespace.sarimax import SARIMAX
    d, D = model.order_[1], model.seasonal_order_[1]
    y = model._adjusted(y_train)
    x = _regressors(np.arange(y.size), model.const_, d, D)
    with _quiet():
        sarimax = SARIMAX(y, exog=x if x.shape[1] else None, order=model.order_,
                          seasonal_order=model.seasonal_order_, trend="n")
        return sarimax.filter(np.array(list(model.params_.values())))
