"""lstmcast in sktime: :class:`LSTMCastForecaster`, an sktime forecaster.

An adapter, not a room (``pip install 'lstmcast[sktime]'``): it wraps
:class:`~lstmcast.forecaster.estimator.LSTMForecaster` so lstmcast runs in
sktime's pipelines, ``evaluate`` and tuning (``ForecastingGridSearchCV``), and
passes sktime's own ``check_estimator``.

- ``y`` is one series on any sktime index; lstmcast reads it as steps 0, 1,
  2, ... of one regular grid (so no calendar features).
- ``X``, sktime's exogenous data, is known for the steps forecast: its columns
  are lstmcast's future covariates. ``fit`` reads them beside ``y``;
  ``predict`` needs them for every step up to the furthest one of ``fh``.
- The network forecasts one step and is fed back to any horizon
  (``horizon=1``, strategy ``auto``), so one fit serves every ``fh``.
- ``update`` refits on all the data seen (``update_params=True``), or keeps
  the weights and forecasts from the new cutoff.

Every :class:`LSTMForecaster` setting is a parameter: the common ones by name,
any other in ``settings`` (``{"lags": (1, 7), "scaler": "robust"}``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sktime.forecasting.base import BaseForecaster, ForecastingHorizon

from lstmcast.core.errors import DataError
from lstmcast.forecaster.estimator import LSTMForecaster

__all__ = ["LSTMCastForecaster"]

_TIME, _TARGET = "step", "y"


class LSTMCastForecaster(BaseForecaster):
    """lstmcast's LSTM as an sktime forecaster (see the module notes).

    Parameters
    ----------
    window, hidden_size, num_layers, epochs, patience, lr, batch_size,
    val_size, season, target_mode, seed :
        The :class:`~lstmcast.forecaster.estimator.LSTMForecaster` settings of
        the same names (None: lstmcast's default).
    settings : dict, optional
        Any other LSTMForecaster setting, by name.

    Examples
    --------
    >>> from sktime.datasets import load_airline
    >>> from lstmcast.sktime import LSTMCastForecaster
    >>> y = load_airline()
    >>> forecaster = LSTMCastForecaster(window=12, epochs=5, hidden_size=8)
    >>> forecaster.fit(y)
    LSTMCastForecaster(epochs=5, hidden_size=8, window=12)
    >>> forecaster.predict(fh=[1, 2, 3]).index.astype(str).tolist()
    ['1961-01', '1961-02', '1961-03']
    """

    _tags: ClassVar[dict[str, Any]] = {
        "authors": ["lstmcast"],
        "y_inner_mtype": "pd.Series",
        "X_inner_mtype": "pd.DataFrame",
        "requires-fh-in-fit": False,
        "capability:exogenous": True,
        "capability:non_contiguous_X": False,  # X at every step up to max(fh)
        "capability:missing_values": False,
        "capability:insample": False,
        "capability:pred_int": False,
        "capability:multivariate": False,
        "python_dependencies": ["torch"],
    }

    def __init__(self, window: int | None = None, hidden_size: int | None = None,
                 num_layers: int | None = None, epochs: int | None = None,
                 patience: int | None = None, lr: float | None = None,
                 batch_size: int | None = None, val_size: float | None = None,
                 season: int | None = None, target_mode: str | None = None,
                 seed: int | None = None,
                 settings: dict[str, Any] | None = None) -> None:
        self.window = window
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.epochs = epochs
        self.patience = patience
        self.lr = lr
        self.batch_size = batch_size
        self.val_size = val_size
        self.season = season
        self.target_mode = target_mode
        self.seed = seed
        self.settings = settings
        super().__init__()

    def _params(self) -> dict[str, Any]:
        """The LSTMForecaster parameters: the named ones given, then settings."""
        named = {k: v for k, v in self.get_params(deep=False).items()
                 if k != "settings" and v is not None}
        return {**(self.settings or {}), **named, "horizon": 1}

    def _fit(self, y: pd.Series, X: pd.DataFrame | None,
             fh: ForecastingHorizon | None) -> LSTMCastForecaster:
        self.y_seen_, self.X_seen_ = y, X
        self.exogenous_ = tuple(f"x{j}" for j in range(X.shape[1])) \
            if X is not None else ()
        self.model_ = LSTMForecaster(**self._params())
        self.model_.fit(self._frame(y, X), target=_TARGET, time=_TIME,
                        future_covariates=self.exogenous_)
        return self

    def _update(self, y: pd.Series, X: pd.DataFrame | None = None,
                update_params: bool = True) -> LSTMCastForecaster:
        y_all = pd.concat([self.y_seen_, y])
        y_all = y_all[~y_all.index.duplicated(keep="last")]
        X_all = None if X is None or self.X_seen_ is None else pd.concat(
            [self.X_seen_, X])
        if X_all is not None:
            X_all = X_all[~X_all.index.duplicated(keep="last")]
        if update_params:
            return self._fit(y_all, X_all, None)
        self.y_seen_, self.X_seen_ = y_all, X_all
        return self

    def _predict(self, fh: ForecastingHorizon,
                 X: pd.DataFrame | None = None) -> pd.Series:
        from lstmcast.forecaster.predict import future_rows_needed
        steps = np.asarray(fh.to_relative(self.cutoff), dtype=np.int64)
        horizon = int(steps.max())
        history = self._frame(self.y_seen_, self.X_seen_)
        future = None
        if self.exogenous_:
            need = future_rows_needed(self.model_.state_, horizon)
            future = self._future(X, need, len(history))
        forecast = self.model_.predict(horizon, data=history, future=future)
        values = forecast["forecast"].to_numpy()[steps - 1]
        return pd.Series(values, index=fh.to_absolute_index(self.cutoff),
                         name=self.y_seen_.name)

    def _frame(self, y: pd.Series, X: pd.DataFrame | None) -> pd.DataFrame:
        """y (and X, as x0, x1, ...) on steps 0, 1, 2, ..., as lstmcast reads it."""
        frame = pd.DataFrame({_TIME: np.arange(len(y)),
                              _TARGET: y.to_numpy(dtype=np.float64)})
        for name, column in zip(self.exogenous_, (X.columns if X is not None
                                                  else []), strict=True):
            frame[name] = X.loc[y.index, column].to_numpy(dtype=np.float64)
        return frame

    def _future(self, X: pd.DataFrame | None, need: int, start: int
                ) -> pd.DataFrame:
        """The first ``need`` rows of X after the cutoff, on the steps after the
        ``start`` rows seen (a DataError when X does not reach that far)."""
        ahead = X.loc[X.index > self.cutoff[0]].sort_index() if X is not None \
            else pd.DataFrame()
        if len(ahead) < need:
            raise DataError(
                f"LSTMCastForecaster reads X at every step up to the furthest of "
                f"fh: it needs {need} rows of X after the cutoff {self.cutoff[0]}, "
                f"and got {len(ahead)}. Pass X covering those steps to predict.")
        frame = pd.DataFrame({_TIME: start + np.arange(need)})
        for name, column in zip(self.exogenous_, ahead.columns, strict=True):
            frame[name] = ahead[column].to_numpy(dtype=np.float64)[:need]
        return frame

    @classmethod
    def get_test_params(cls, parameter_set: str = "default") -> list[dict[str, Any]]:
        """Tiny, fast settings for sktime's estimator checks."""
        return [{"window": 2, "hidden_size": 4, "epochs": 2, "patience": 0,
                 "batch_size": 16, "settings": {"threads": 1}},
                {"window": 2, "hidden_size": 2, "epochs": 1, "seed": 1,
                 "settings": {"target_mode": "level", "threads": 1}}]
