"""Transforms that tie the network to a fallback forecast.

``Residual``: the target minus a classical model's one-step forecast (ETS or
AutoARIMA fitted on the training part only), so that a zero network output is
the classical forecast and the network learns what it misses. ``Combine``: a
forecast combination of the network with that fallback (shrinkage towards it).
Both follow the protocol of :class:`lstmcast.preprocess.base.Transform`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple

import numpy as np

from lstmcast.core.checks import check_choice, check_int
from lstmcast.core.errors import DataError
from lstmcast.preprocess.base import Transform, as_float_array, finite_values

RESIDUAL_BUDGET = 20.0  # seconds for fitting the classical model of Residual


class _FitKey(NamedTuple):
    """What a cached classical fit was fitted on (the values by their hash)."""

    model: str
    season: int
    budget: float
    digest: str
    size: int
    models: tuple[str, ...] | None  # the ETS forms searched (None: all)


# fitted states by what they were fitted on: the fit is deterministic, and
# --auto fits the same rows for several candidates
_RESIDUAL_FITS: dict[_FitKey, dict[str, Any]] = {}
_RESIDUAL_CACHE = 8
_KEEP_CHOICE: ContextVar[bool] = ContextVar("keep_model_choice", default=False)


@contextmanager
def keep_model_choice() -> Iterator[None]:
    """Within: an ETS fitted on values that extend values an ETS was fitted on
    before (same season and budget) searches only the form chosen then, and
    estimates its parameters afresh. ``--auto`` fits its validation folds
    earliest first, and each later fold's training rows extend the earlier
    one's: the form search (15 models, most of an ETS fit) runs once per
    candidate instead of once per fold. Fits outside keep the full search."""
    token = _KEEP_CHOICE.set(True)
    try:
        yield
    finally:
        _KEEP_CHOICE.reset(token)


def forget_fits() -> None:
    """Drop the fitted classical models kept for reuse (benchmarks time each
    fit from scratch; a fit's results never depend on it)."""
    _RESIDUAL_FITS.clear()


def _digest(x: np.ndarray) -> str:
    return hashlib.sha256(x.tobytes()).hexdigest()  # not the data itself


def _earlier_choice(model: str, season: int, budget: float,
                    x: np.ndarray) -> tuple[str, ...] | None:
    """The ETS form of a full-search fit on a prefix of ``x`` (the longest)."""
    if model != "ets" or not _KEEP_CHOICE.get():
        return None
    found = [(key.size, state["name"]) for key, state in _RESIDUAL_FITS.items()
             if (key.model, key.season, key.budget) == (model, season, budget)
             and key.models is None and key.size < x.size
             and key.digest == _digest(x[: key.size])]
    return (max(found)[1],) if found else None


class Residual(Transform):
    """x_t minus a classical model's one-step forecast of x_t; position 0 is NaN.

    The model (``ets`` or ``arima``, :mod:`lstmcast.baselines.classical`) is fitted on
    the training part only, in at most ``time_budget`` seconds; its forecast
    of x_t uses x before t with those fixed parameters. The inverse adds the
    forecast back: a network that predicts a zero residual forecasts exactly
    the classical model. The forecasts filter the series from the first
    training point, so the training part is kept: data to transform must start
    at or before the end of the training part (``start <= n_fit``).
    """

    _kind = "residual"
    _fitted = ("model_state_", "train_")

    def __init__(self, model: str = "ets", season: int = 1, *,
                 time_budget: float = RESIDUAL_BUDGET) -> None:
        self.model = model
        self.season = season
        self.time_budget = time_budget

    def fit(self, x: np.ndarray) -> Residual:
        """Fit the classical model on the training part (leading NaN allowed)."""
        from lstmcast.baselines.classical import CLASSICAL
        check_choice("model", self.model, tuple(CLASSICAL))
        check_int("season", self.season, 1)
        x = as_float_array(x)
        finite_values(x, f"residual_of='{self.model}'")
        season, budget = int(self.season), float(self.time_budget)
        models = _earlier_choice(self.model, season, budget, x)
        key = _FitKey(self.model, season, budget, _digest(x), x.size, models)
        if key not in _RESIDUAL_FITS:
            _RESIDUAL_FITS[key] = self._fit_state(x, models)
            while len(_RESIDUAL_FITS) > _RESIDUAL_CACHE:
                _RESIDUAL_FITS.pop(next(iter(_RESIDUAL_FITS)))
        self.model_state_ = _RESIDUAL_FITS[key]
        self.train_ = x
        self._restore()
        return self

    def _fit_state(self, x: np.ndarray,
                   models: tuple[str, ...] | None) -> dict[str, Any]:
        """The classical model fitted on ``x`` as numbers (``models``: only
        those ETS forms; a full search when none of them fits)."""
        from lstmcast.baselines.classical import CLASSICAL, classical_state
        kwargs = {"season": int(self.season), "time_budget": float(self.time_budget)}
        if models is not None:
            try:
                return classical_state(CLASSICAL[self.model](
                    **kwargs, models=models).fit(x))
            except DataError:
                pass
        return classical_state(CLASSICAL[self.model](**kwargs).fit(x))

    def _restore(self) -> None:
        from lstmcast.baselines.classical import classical_from_state
        self._model = classical_from_state(self.model_state_, self.train_)

    def _full(self, x: np.ndarray, start: int) -> np.ndarray:
        """The series from the first training point: the kept training values
        before ``start``, then ``x``."""
        n_fit = self.train_.size
        if start < 0:
            raise DataError(
                f"residual_of='{self.model}' forecasts by filtering the series from "
                f"the first training point, but the data starts {-start} step(s) "
                "before it. Give data that starts at the training start or later.")
        if start > n_fit:
            raise DataError(
                f"residual_of='{self.model}' forecasts by filtering the series from "
                f"the first training point, but the data starts {start - n_fit} "
                f"step(s) after the training part ({n_fit} points) ended. Give data "
                "that starts at or before the end of the training data.")
        return np.concatenate([self.train_[:start], as_float_array(x)])

    def _forecasts(self, full: np.ndarray) -> np.ndarray:
        """One-step forecasts of positions 0..len(full) (NaN at 0)."""
        origins = np.arange(full.size)
        paths = self._model.forecast_paths(full, origins, 1)[:, 0]
        return np.concatenate([[np.nan], paths])

    def forecasts(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """The classical one-step forecast of every value of ``x`` (NaN where
        there is no history)."""
        self._check_fitted()
        full = self._full(x, start)
        return self._forecasts(full)[start: full.size]

    def transform(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """x minus the classical one-step forecast of each value."""
        return as_float_array(x) - self.forecasts(x, start)

    def inverse_one_step(self, z_hat: np.ndarray, positions: np.ndarray,
                         x: np.ndarray, start: int = 0) -> np.ndarray:
        """z_hat plus the classical forecast of x[positions] from the true x."""
        self._check_fitted()
        full = self._full(x, start)
        f = self._forecasts(full)
        t = start + np.asarray(positions, dtype=int)
        base = np.where(t <= full.size, f[np.minimum(t, full.size)], np.nan)
        return np.asarray(z_hat, dtype=np.float64) + base

    def inverse_path(self, z_path: np.ndarray, history: np.ndarray,
                     start: int = 0) -> np.ndarray:
        """x_{T+h} = z_{T+h} + the forecast from the history and the path so far."""
        self._check_fitted()
        z = np.asarray(z_path, dtype=np.float64)
        full = self._full(history, start)
        out = np.empty(z.size)
        for h in range(z.size):
            last = np.array([full.size - 1])
            out[h] = z[h] + self._model.forecast_paths(full, last, 1)[0, 0]
            full = np.append(full, out[h])
        return out


# ----------------------------------------------------------------- combination


class Combine(Transform):
    """A forecast combination: ``weight`` x the network's forecast plus
    (1 - ``weight``) x its fallback, on the modelled scale (last step).

    The fallback is what a zero network forecasts: ``zero`` after a residual
    step (the classical forecast itself), else ``last``: the last value of
    the modelled series (on the levels, the naive forecast). ``transform`` is
    the identity, so training is unchanged; only the inversions combine.
    Combinations of a model and a robust fallback lose less when the model
    is wrong out of sample (shrinkage towards the fallback).
    """

    _kind = "combine"
    _fitted = ("n_fit_",)

    def __init__(self, weight: float = 1.0, fallback: str = "last") -> None:
        self.weight = weight
        self.fallback = fallback

    def fit(self, x: np.ndarray) -> Combine:
        """Check the settings; nothing to learn."""
        check_choice("fallback", self.fallback, ("last", "zero"))
        if not 0.0 <= float(self.weight) <= 1.0:
            raise DataError(f"The 'network_weight' setting must lie in [0, 1]. Got "
                            f"{self.weight!r} instead.")
        self.n_fit_ = as_float_array(x).size
        return self

    def transform(self, x: np.ndarray, start: int = 0) -> np.ndarray:
        """The identity."""
        self._check_fitted()
        return as_float_array(x)

    def _mix(self, z: np.ndarray, base: np.ndarray | float) -> np.ndarray:
        w = float(self.weight)
        return w * np.asarray(z, dtype=np.float64) + (1 - w) * base

    def inverse_one_step(self, z_hat: np.ndarray, positions: np.ndarray,
                         x: np.ndarray, start: int = 0) -> np.ndarray:
        """Combine with the fallback: 0, or x[positions - 1] (the true x)."""
        self._check_fitted()
        if self.fallback == "zero":
            return self._mix(z_hat, 0.0)
        x, prev = as_float_array(x), np.asarray(positions, dtype=int) - 1
        return self._mix(z_hat, np.where(prev >= 0, x[np.maximum(prev, 0)], np.nan))

    def inverse_path(self, z_path: np.ndarray, history: np.ndarray,
                     start: int = 0) -> np.ndarray:
        """Combine with the fallback path: 0, or the last value held."""
        self._check_fitted()
        history = as_float_array(history)
        base = 0.0 if self.fallback == "zero" else (
            history[-1] if history.size else np.nan)
        return self._mix(z_path, base)
