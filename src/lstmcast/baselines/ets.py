"""ETS: exponential smoothing (error, trend, season) chosen by AICc.

Every exponential-smoothing model with additive or multiplicative errors, no /
additive / damped trend and no / additive / multiplicative season
(multiplicative ones only for positive data; no multiplicative trend and no
additive-error multiplicative season, as R's ``ets`` by default), fitted by
maximum likelihood and chosen by AICc. Forecasts run the statsmodels filter
with the fixed parameters (see :mod:`lstmcast.baselines.classical_base`).
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.baselines.classical_base import ClassicalBaseline, quiet
from lstmcast.core.errors import DataError


def _ffilled(y: np.ndarray) -> np.ndarray:
    """Missing values carry the last value forward (causal; a leading gap takes
    the first value)."""
    return pd.Series(y).ffill().bfill().to_numpy()


class ETS(ClassicalBaseline):
    """Exponential smoothing (error, trend, season) chosen by AICc.

    Parameters
    ----------
    season : int or None, default None
        Season length m (None: detected). m > 24: non-seasonal ETS on the
        STL-adjusted series (see :mod:`~lstmcast.baselines.classical_base`).
    time_budget : float, default 20.0
        Seconds for fitting the candidates (the best so far is kept).
    models : tuple of str or None, default None
        Only these forms, e.g. ``("ETS(M,A,M)",)`` (None: every form above).
        ``--auto`` uses it to keep one validation fold's choice on the next.

    Attributes (after ``fit``)
    --------------------------
    spec_ : dict (error, trend, damped_trend, seasonal, seasonal_periods).
    name_ : the model in ETS(E,T,S) notation, e.g. "ETS(M,Ad,M)".
    params_ : dict of the fitted parameters. aicc_ : its AICc.
    search_ : {name: AICc} of every model fitted.

    Missing values are carried forward (ETS has no missing-value update).
    """

    def __init__(self, season: int | None = None, *, time_budget: float = 20.0,
                 models: tuple[str, ...] | None = None) -> None:
        self.season = season
        self.time_budget = time_budget
        self.models = models

    def _fit(self, y_train: np.ndarray) -> None:
        started = time.perf_counter()
        with quiet():
            y = _ffilled(self._adjust(y_train))
            fits: dict[str, tuple[dict[str, Any], Any]] = {}
            known = {_ets_name(spec) for spec in _ets_specs(self.model_season_, True)}
            unknown = sorted(set(self.models or ()) - known)
            if unknown:
                raise DataError(f"Unknown ETS model(s) {', '.join(unknown)} for "
                                f"season {self.model_season_}; known: "
                                f"{', '.join(sorted(known))}.")
            for spec in _ets_specs(self.model_season_, bool(np.all(y > 0))):
                if self.models is not None and _ets_name(spec) not in self.models:
                    continue
                if fits and time.perf_counter() - started > self.time_budget:
                    break
                try:
                    res = _ets_model()(y, **spec).fit(disp=False)
                except (ValueError, np.linalg.LinAlgError):
                    continue
                if np.isfinite(res.aicc):
                    fits[_ets_name(spec)] = (spec, res)
        if not fits:
            tried = "" if self.models is None else f" of {', '.join(self.models)}"
            raise DataError(f"ETS could fit no model{tried} to the {y.size} "
                            "training points. Use a longer training part.")
        self.name_ = min(fits, key=lambda k: fits[k][1].aicc)
        self.spec_, res = fits[self.name_]
        self.params_ = dict(zip(res.param_names, map(float, res.params), strict=True))
        self.aicc_ = float(res.aicc)
        self.search_ = {k: float(r.aicc) for k, (_, r) in fits.items()}
        self.seconds_ = time.perf_counter() - started

    def _paths(self, y: np.ndarray, origins: np.ndarray, horizon: int) -> np.ndarray:
        values = _ffilled(self._adjusted(y))
        spec = self.spec_
        if "mul" in (spec["error"], spec["seasonal"]) and np.any(values <= 0):
            raise DataError(f"{self.name_} was fitted to positive training data "
                            "but the series has values <= 0 later: a "
                            "multiplicative model cannot forecast them.")
        res = _ets_model()(values, **spec).smooth(np.array(list(self.params_.values())))
        return _ets_forecasts(res, spec, origins, horizon)


@functools.cache
def _ets_model() -> type:
    """statsmodels' ETSModel whose results skip the parameters' covariance: its
    results compute a complex-step Hessian on every fit and every smoothing
    (a quarter of an ETS search on short series), and lstmcast reads none of
    it (standard errors, summary tables). Parameters and AICc are unchanged."""
    from statsmodels.tsa.exponential_smoothing.ets import (
        ETSModel,
        ETSResults,
        ETSResultsWrapper,
    )

    class _Results(ETSResults):
        @functools.cached_property
        def cov_params_approx(self) -> np.ndarray:
            k = len(self.params)
            return np.full((k, k), np.nan)

    class _Model(ETSModel):
        @property
        def _res_classes(self) -> dict[str, Any]:
            return {"fit": (_Results, ETSResultsWrapper)}

    return _Model


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
