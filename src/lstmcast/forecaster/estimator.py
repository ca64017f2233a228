"""LSTMForecaster: the estimator users hold (scikit-learn style).

``fit`` fits the transforms on the training rows only, builds windows over the
transformed series and trains an :class:`~lstmcast.network.model.LSTMNet`;
``predict_one_step`` forecasts given rows from their true history (fixed
weights, batched); ``predict`` forecasts the steps after a history; ``save`` and
``load`` use a pickle-free folder (safetensors + JSON).

``horizon`` H > 1 is forecast by ``strategy``: ``mimo`` (one network, H
outputs), ``direct`` (one network per step), ``recursive`` (a one-step network
fed its own forecasts); ``auto``, the default, is ``mimo`` up to H and
recursive beyond it (see :mod:`lstmcast.forecaster.shape`).

What ``fit`` learns is one :class:`~lstmcast.forecaster.state.FittedState`
(``state_``), made by :func:`~lstmcast.forecaster.fit.fit_state`, read by
:mod:`lstmcast.forecaster.predict` and saved by
:mod:`lstmcast.forecaster.serialize`; the estimator holds it and its
constructor parameters.

By default the network predicts the *change* from the last input value
(``target_mode="delta"``): an untrained or unsure network then falls back to
the naive forecast instead of a flat line, the commonest LSTM failure.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.core.config import (
    DataConfig,
    ForecastConfig,
    ModelConfig,
    PreprocessConfig,
    TrainConfig,
    make_section,
)
from lstmcast.core.errors import DataError, NotFittedError
from lstmcast.data.loading import load, load_data
from lstmcast.data.panel import PanelData
from lstmcast.data.series import SeriesData
from lstmcast.forecaster.compat import check_same_freq, check_same_zone
from lstmcast.panel.state import PanelState

if TYPE_CHECKING:
    from torch import nn

    from lstmcast.forecaster.state import FittedState
    from lstmcast.network.train import TrainResult
    from lstmcast.preprocess.pipeline import Pipeline

_SECTIONS = {"preprocess": PreprocessConfig, "model": ModelConfig,
             "train": TrainConfig}
_DATA_PARAMS = ("val_size", "season")
PARAMS: dict[str, Any] = {
    **{f.name: f.default for cls in _SECTIONS.values() for f in fields(cls)},
    **{f.name: f.default for f in fields(DataConfig) if f.name in _DATA_PARAMS},
}


class LSTMForecaster:
    """An LSTM forecaster for one target series with optional covariates, or
    one global model over a panel of series (``fit(..., id="series")``).

    Every parameter is a field of the config sections (preprocess, model,
    train) plus ``season`` and ``val_size``; see ``lstmcast fit --help`` or
    :mod:`lstmcast.core.config` for their meaning and defaults.

    Attributes (after ``fit``)
    --------------------------
    state_ : FittedState or PanelState
        Everything ``fit`` learned (a PanelState for a global model, whose
        ``window_``, ``season_``, ``horizon_``, ``target_``, ``net_``,
        ``history_`` and ``config_`` work too). The read-only ``window_``, ``season_``,
        ``horizon_``, ``strategy_``, ``target_``, ``covariates_``,
        ``feature_names_``, ``pipeline_``, ``net_``, ``nets_``, ``history_``,
        ``histories_`` and ``config_`` are shortcuts into it.
    """

    state_: FittedState

    def __init__(self, **params: Any) -> None:
        unknown = sorted(set(params) - set(PARAMS))
        if unknown:
            raise TypeError(f"LSTMForecaster got unknown parameter(s) "
                            f"{', '.join(unknown)}. Known: {', '.join(PARAMS)}.")
        for name, default in PARAMS.items():
            setattr(self, name, params.get(name, default))

    # -- scikit-learn protocol ---------------------------------------------
    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The constructor parameters, as given."""
        return {name: getattr(self, name) for name in PARAMS}

    def set_params(self, **params: Any) -> LSTMForecaster:
        unknown = sorted(set(params) - set(PARAMS))
        if unknown:
            raise DataError(f"Unknown parameter(s) {', '.join(unknown)}.")
        for name, value in params.items():
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        changed = [f"{k}={v!r}" for k, v in self.get_params().items()
                   if v != PARAMS[k]]
        state = "not fitted"
        if self.is_panel_:
            panel = self.state_.context
            state = (f"global model over {len(panel)} series of '{panel.target}': "
                     f"window {self.window_}, season {self.season_}, horizon "
                     f"{self.horizon_}")
        elif hasattr(self, "state_"):
            state = (f"fitted on '{self.target_}': window {self.window_}, season "
                     f"{self.season_}, horizon {self.horizon_}, "
                     f"{len(self.feature_names_)} features")
        return f"LSTMForecaster({', '.join(changed)})  # {state}"

    @classmethod
    def from_config(cls, config: ForecastConfig) -> LSTMForecaster:
        flat = config.flat()
        return cls(**{k: flat[k] for k in PARAMS})

    def config(self, data: DataConfig | None = None) -> ForecastConfig:
        """The validated settings of this estimator (raises DataError if bad)."""
        values = self.get_params()
        nested: dict[str, dict[str, Any]] = {
            name: {f.name: values[f.name] for f in fields(cls)}
            for name, cls in _SECTIONS.items()}
        data_dict = ForecastConfig(data=data or DataConfig()).to_dict()["data"]
        nested["data"] = {**data_dict, **{k: values[k] for k in _DATA_PARAMS}}
        return ForecastConfig.from_dict(nested)

    # -- fitting -------------------------------------------------------------
    def fit(self, data: Any, *, target: str | None = None, time: str | None = None,
            id: str | None = None, covariates: tuple[str, ...] | list[str] = (),
            future_covariates: tuple[str, ...] | list[str] = (),
            progress: bool = False) -> LSTMForecaster:
        """Learn transforms and weights from ``data`` (all of it is training
        data; its tail of ``val_size`` is held out for early stopping).
        ``future_covariates`` are inputs known in advance for the steps
        forecast; ``predict`` then needs their future values.

        With ``id`` (the column naming the series; or a PanelData), ``data``
        is a panel in long format and one global model is fitted over every
        series (:meth:`fit_panel`)."""
        from lstmcast.forecaster.fit import fit_state
        if id is not None or isinstance(data, PanelData):
            if covariates or future_covariates:
                raise DataError("A global model (id=...) reads the target of each "
                                "series alone: drop covariates= and "
                                "future_covariates=, or fit one series at a time.")
            from lstmcast.data.panel_loading import load_panel
            panel = data if isinstance(data, PanelData) else load_panel(
                data, id=str(id), target=target, time=time)
            return self.fit_panel(panel, progress=progress)
        series = data if isinstance(data, SeriesData) else load(
            data, target=target, time=time, covariates=tuple(covariates),
            future_covariates=tuple(future_covariates))
        cfg = self.config(DataConfig(target=series.target,
                                     covariates=series.covariates,
                                     future_covariates=series.future))
        self.state_ = fit_state(series, cfg, progress=progress)
        return self

    def fit_panel(self, panel: PanelData, *, progress: bool = False,
                  given: frozenset[str] = frozenset()) -> LSTMForecaster:
        """Fit one global network over every series of ``panel`` (all of it is
        training data). Settings left at their single-series defaults take
        the panel defaults (:data:`lstmcast.panel.fit.PANEL_DEFAULTS`) unless
        named in ``given``."""
        from lstmcast.panel.fit import fit_panel, panel_config
        config = panel_config(self.config(DataConfig(target=panel.target,
                                                     id=panel.id_name)), given)
        self.state_ = fit_panel(panel, config, progress=progress, given=given)
        return self

    @property
    def is_panel_(self) -> bool:
        """Whether this is a fitted global model (fitted on a panel)."""
        return isinstance(getattr(self, "state_", None), PanelState)

    def _fitted(self) -> FittedState:
        """The fitted state, or a NotFittedError (an AttributeError too, so
        ``hasattr(est, "window_")`` is False before ``fit``)."""
        if not hasattr(self, "state_"):
            raise NotFittedError.of(self)
        if self.is_panel_:
            raise DataError("This is a global model over a panel: it has one "
                            "network over every series and no per-series "
                            "pipeline or features. Use predict(h), save(), "
                            "window_, season_, horizon_, target_, net_, history_ "
                            "or state_.")
        return self.state_

    def _any_state(self) -> FittedState | PanelState:
        """The fitted state of either kind (NotFittedError before ``fit``)."""
        if not hasattr(self, "state_"):
            raise NotFittedError.of(self)
        return self.state_

    # -- fitted attributes (read-only views of state_) -----------------------
    @property
    def window_(self) -> int:
        """Input steps per window."""
        state = self._any_state()
        return state.window if isinstance(state, PanelState) else state.shape.window

    @property
    def season_(self) -> int:
        """The season used (given or detected on the training data)."""
        state = self._any_state()
        return state.season if isinstance(state, PanelState) else state.shape.season

    @property
    def horizon_(self) -> int:
        """Steps the networks were trained to forecast."""
        state = self._any_state()
        return state.horizon if isinstance(state, PanelState) else state.shape.horizon

    @property
    def strategy_(self) -> str:
        """The multi-step strategy fitted (see :mod:`lstmcast.forecaster.shape`)."""
        return self._fitted().shape.strategy

    @property
    def target_(self) -> str:
        """The target column."""
        state = self._any_state()
        return state.context.target if isinstance(state, PanelState) \
            else state.data.target

    @property
    def covariates_(self) -> tuple[str, ...]:
        """The covariate columns, in the order the network reads them."""
        return self._fitted().features.covariates

    @property
    def future_covariates_(self) -> tuple[str, ...]:
        """The future covariates (inputs known in advance for the steps
        forecast), in the order the network reads them."""
        return self._fitted().features.future

    @property
    def feature_names_(self) -> list[str]:
        """The network's input features, in column order."""
        return self._fitted().features.names

    @property
    def pipeline_(self) -> Pipeline:
        """The target's fitted transform pipeline."""
        return self._fitted().transforms.pipeline

    @property
    def net_(self) -> nn.Module:
        """The first (with ``direct``: step 1's) network."""
        return self._any_state().net

    @property
    def nets_(self) -> list[nn.Module]:
        """Every network (one per step with ``strategy="direct"``)."""
        return self._fitted().networks.nets

    @property
    def history_(self) -> TrainResult:
        """The first network's training history."""
        return self._any_state().history

    @property
    def histories_(self) -> list[TrainResult]:
        """The training history of every network."""
        return self._fitted().networks.histories

    @property
    def config_(self) -> ForecastConfig:
        """The validated settings the model was fitted with."""
        return self._any_state().config

    # -- forecasting ---------------------------------------------------------
    def predict_one_step(self, data: Any, rows: np.ndarray | None = None
                         ) -> np.ndarray:
        """One-step forecasts of ``data``'s target at ``rows`` (default: every
        row with enough history), each from the true values before it."""
        from lstmcast.forecaster.predict import one_step
        state = self._fitted()
        return one_step(state, self._coerce(data), rows)

    def predict(self, horizon: int | None = None, data: Any = None,
                future: Any = None, *, levels: Any = None,
                quantiles: Any = None) -> pd.DataFrame:
        """Forecast the ``horizon`` steps after ``data`` (default: after the
        data seen by ``fit``), on the original scale.

        ``horizon`` defaults to the fitted one. Beyond it, strategies ``auto``
        and ``recursive`` feed forecasts back; ``mimo`` and ``direct`` raise a
        DataError (refit with the longer horizon). A model with future
        covariates needs their values at the steps forecast: ``future`` is a
        DataFrame or file with a time column and those columns (a DataError
        names the stamps it must hold).

        A global model returns the long frame: the id column, the time column
        and ``forecast``, ``horizon`` rows per series, after every series of
        ``data`` (a panel in long format; series it never saw too) or of the
        panel ``fit`` saw.

        Prediction intervals: columns ``lo-80, hi-80, lo-95, hi-95`` beside
        ``forecast`` for ``levels`` (default: the model's, 80 and 95; ``()``
        for none), or ``q-0.1, ...`` for ``quantiles``, calibrated on the
        errors of forecasts of the validation part, per step (see
        :mod:`lstmcast.forecaster.calibrate`). A model saved before intervals
        existed gives ``forecast`` only.
        """
        from lstmcast.forecaster.bands import band_columns
        from lstmcast.forecaster.calibrate import origin_scale
        from lstmcast.forecaster.predict import path
        if self.is_panel_:
            return self._predict_panel(horizon, data, future, levels, quantiles)
        state = self._fitted()
        series = self.context_series() if data is None else self._coerce(data)
        horizon = horizon or state.shape.horizon
        stamps = series.future_index(horizon)  # first: it checks the horizon
        known = self._future_rows(series, horizon, future)
        forecast = path(state, series, len(series) - 1, horizon, known)
        scale = origin_scale(state, series, len(series) - 1)[0]
        return pd.DataFrame({"forecast": forecast, **band_columns(
            state, forecast, levels, quantiles, scale)}, index=stamps)

    def _predict_panel(self, horizon: int | None, data: Any, future: Any,
                       levels: Any = None, quantiles: Any = None) -> pd.DataFrame:
        """A global model's forecast frame: id, time, forecast and the bands
        of ``levels`` or ``quantiles`` (default: the model's)."""
        from lstmcast.panel.predict import forecast_frame, forecast_panel
        if future is not None:
            raise DataError("A global model reads no future covariates: drop "
                            "future= (--future).")
        panel = None if data is None else self.read_panel(data)
        state: PanelState = self.state_
        used = state.context if panel is None else panel
        return forecast_frame(used, forecast_panel(
            state, panel, horizon, levels=levels, quantiles=quantiles))

    def read_panel(self, data: Any, **options: Any) -> PanelData:
        """``data`` (a path or DataFrame in long format) read as this global
        model's panel: its id, target and time columns, with the data options
        of its fit unless ``options`` give others."""
        from lstmcast.data.panel_loading import load_panel_data
        if isinstance(data, PanelData):
            return data
        state: PanelState = self.state_
        panel = state.context
        config = make_section(DataConfig, {
            **dataclasses.asdict(state.config.data), **options,
            "id": panel.id_name, "target": panel.target,
            "time": None if panel.time_name == "step" else panel.time_name})
        return load_panel_data(data, config)

    def _future_rows(self, series: SeriesData, horizon: int,
                     future: Any) -> np.ndarray | None:
        """The future covariates of the rows after ``series`` that a
        ``horizon``-step forecast reads (None for a model without them)."""
        from lstmcast.data.future import read_future
        from lstmcast.data.numbers import number_format
        from lstmcast.data.reading import separator
        from lstmcast.forecaster.predict import future_rows_needed
        state = self._fitted()
        names = state.features.future
        if not names:
            if future is not None:
                raise DataError("This model has no future covariates, so it reads "
                                "no future rows: drop future= (--future), or refit "
                                "with --future-covariates NAME,... .")
            return None
        wanted = series.future_index(future_rows_needed(state, horizon))
        if future is None:
            raise DataError(
                f"This model reads the future covariates {', '.join(names)} at the "
                f"steps it forecasts: give their values for the {len(wanted)} "
                f"stamps from {wanted[0]} to {wanted[-1]} as future=DataFrame "
                "(--future FILE: a time column and those columns). Known inputs "
                "for the forecast steps cannot be guessed.")
        data = state.config.data
        return read_future(future, names, wanted, time=state.data.time_name,
                           timezone=state.data.timezone, sep=separator(data.sep),
                           fmt=number_format(data.decimal, data.thousands))

    def context_series(self) -> SeriesData:
        """The tail of the fitted data kept for forecasting without new data."""
        return self._fitted().context.series

    def _time_column(self, data: Any) -> str | None:
        """The training data's time column if ``data`` has it, else None (a
        frame indexed by time, or row positions, which ``load`` detects)."""
        name = self._fitted().data.time_name
        if isinstance(data, pd.DataFrame):
            return name if name in data.columns else None
        if isinstance(data, pd.Series):
            return None
        return None if name in (None, "step", "time") else name

    def read(self, data: Any, **options: Any) -> SeriesData:
        """``data`` (a path, DataFrame or Series) read as this model's history:
        its target, covariates, future covariates and time column, with the
        data options of its fit (separator, decimal mark, time zone, repair
        policies) unless
        ``options`` (e.g. ``sep=";"``) give others."""
        state = self._fitted()
        config = make_section(DataConfig, {
            **dataclasses.asdict(state.config.data),
            "timezone": state.data.timezone or state.config.data.timezone,
            **options, "target": state.data.target,
            "covariates": state.features.covariates,
            "future_covariates": state.features.future,
            "time": self._time_column(data)})
        return load_data(data, config, constant_covariates="keep")

    def _coerce(self, data: Any) -> SeriesData:
        state = self._fitted()
        target, covariates = state.data.target, state.features.covariates
        future = state.features.future
        series = data if isinstance(data, SeriesData) else self.read(data)
        missing = [c for c in (target, *covariates, *future)
                   if c not in series.frame.columns]
        if missing:
            raise DataError(f"The data lacks column(s) {', '.join(missing)} that "
                            "the model was trained with. Columns present: "
                            f"{', '.join(series.frame.columns)}.")
        if (series.covariates, series.future) != (covariates, future):
            series = SeriesData(series.frame[[target, *covariates, *future]],
                                target, covariates, series.freq, series.notes,
                                series.repairs, future=future)  # the model's order
        check_same_zone(state.data.first_stamp, series.index)
        check_same_freq(state.data.freq, series)
        return series

    # -- persistence ----------------------------------------------------------
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write a pickle-free model folder (safetensors weights + JSON) and
        return it."""
        from lstmcast.forecaster.serialize import save_state
        if self.is_panel_:
            from lstmcast.panel.serialize import save_panel_state
            return save_panel_state(self.state_, self.get_params(), path)
        return save_state(self._fitted(), self.get_params(), path)

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> LSTMForecaster:
        """Read a folder written by ``save``; checks hashes, never unpickles."""
        from lstmcast.forecaster.serialize import load_forecaster
        from lstmcast.panel.serialize import is_panel_folder, load_panel_state
        if is_panel_folder(path):
            return cls._with_state(*load_panel_state(path))
        return load_forecaster(path, cls._with_state)

    @classmethod
    def _with_state(cls, params: dict[str, Any], state: FittedState | PanelState
                    ) -> LSTMForecaster:
        """A forecaster with constructor ``params`` that has learned ``state``."""
        est = cls(**params)
        est.state_ = state
        return est


def _signature() -> inspect.Signature:
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=d)
               for name, d in PARAMS.items()]
    return inspect.Signature(params)


LSTMForecaster.__init__.__signature__ = _signature()  # type: ignore[attr-defined]
__all__ = ["LSTMForecaster"]
