"""The classical models (AutoARIMA, ETS) by name, and their state as numbers.

:data:`CLASSICAL` names :class:`~lstmcast.baselines.arima.AutoARIMA` and
:class:`~lstmcast.baselines.ets.ETS`, :data:`MODELS` every reference model
(with :class:`~lstmcast.baselines.theta.Theta`);
:func:`make_models` builds them by name. :func:`classical_state` and
:func:`classical_from_state` turn a fitted model into JSON-able numbers and
back (no pickle), for saved pipelines.

Both come from statsmodels (already a dependency; statsforecast would add a
numba-compiled package and its start-up compile for two models); what they
share is in :mod:`lstmcast.baselines.classical_base`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

import numpy as np

from lstmcast.baselines.arima import AutoARIMA, arima_filter
from lstmcast.baselines.base import Baseline, int_parameter
from lstmcast.baselines.ets import ETS
from lstmcast.baselines.simple import BASELINES
from lstmcast.baselines.theta import Theta
from lstmcast.core.errors import DataError

__all__ = ["CLASSICAL", "MODELS", "classical_from_state", "classical_state",
           "make_models"]

CLASSICAL: dict[str, type[Baseline]] = {"arima": AutoARIMA, "ets": ETS}
"""The classical models by name; they join the baselines in :data:`MODELS`."""

MODELS: dict[str, type[Baseline]] = {**BASELINES, "theta": Theta, **CLASSICAL}
"""Every reference model by name: the baselines, Theta, AutoARIMA and ETS."""


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
    season = int_parameter("season", season, 1)
    return {name: MODELS[name](season=season)
            if "season" in inspect.signature(MODELS[name]).parameters
            else MODELS[name]() for name in names}


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
    model.res_ = arima_filter(model, np.asarray(y_train, dtype=np.float64))
    return model
