"""LSTMForecaster: the estimator users hold (scikit-learn style).

``fit`` fits the transforms on the training rows only, builds windows over the
transformed series and trains an :class:`~lstmcast.network.model.LSTMNet`;
``predict_one_step`` forecasts given rows from their true history (fixed
weights, batched); ``predict`` forecasts the steps after a history; ``save`` and
``load`` use a pickle-free folder (safetensors + JSON).

``horizon`` H > 1 is forecast by ``strategy``: ``mimo`` (one network, H
outputs), ``direct`` (one network per step), ``recursive`` (a one-step network
fed its own forecasts); ``auto``, the default, is ``mimo`` up to H and
recursive beyond it (see :mod:`lstmcast.forecaster.fitting`).

By default the network predicts the *change* from the last input value
(``target_mode="delta"``): an untrained or unsure network then falls back to
the naive forecast instead of a flat line, the commonest LSTM failure.
"""

from __future__ import annotations

import inspect
from dataclasses import fields
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.core.config import (
    DataConfig,
    ForecastConfig,
    ModelConfig,
    PreprocessConfig,
    TrainConfig,
)
from lstmcast.core.errors import DataError, NotFittedError
from lstmcast.data.loading import load
from lstmcast.data.series import SeriesData
from lstmcast.data.timegrid import max_grid, regular_grid

_SECTIONS = {"preprocess": PreprocessConfig, "model": ModelConfig,
             "train": TrainConfig}
_DATA_PARAMS = ("val_size", "season")
PARAMS: dict[str, Any] = {
    **{f.name: f.default for cls in _SECTIONS.values() for f in fields(cls)},
    **{f.name: f.default for f in fields(DataConfig) if f.name in _DATA_PARAMS},
}



class LSTMForecaster:
    """An LSTM forecaster for one target series with optional covariates.

    Every parameter is a field of the config sections (preprocess, model,
    train) plus ``season`` and ``val_size``; see ``lstmcast fit --help`` or
    :mod:`lstmcast.core.config` for their meaning and defaults.

    Attributes (after ``fit``)
    --------------------------
    pipeline_, net_, season_, window_, feature_names_, history_, ...
    """

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
        if hasattr(self, "net_"):
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
            covariates: tuple[str, ...] | list[str] = (),
            progress: bool = False) -> LSTMForecaster:
        """Learn transforms and weights from ``data`` (all of it is training
        data; its tail of ``val_size`` is held out for early stopping)."""
        from lstmcast.forecaster import fitting as fitting
        series = _as_series(data, target, time, covariates)
        cfg = self.config(DataConfig(target=series.target,
                                     covariates=series.covariates))
        if cfg.model.predictor == "naive" and cfg.preprocess.residual_of != "none":
            raise DataError(
                "predictor='naive' repeats the last value, which a residual over "
                f"a classical forecast (residual_of='{cfg.preprocess.residual_of}') "
                "is not. Use --residual-of none with --predictor naive, or "
                "--predictor lstm.")
        if cfg.model.horizon > 1 and cfg.preprocess.residual_of != "none":
            raise DataError(
                f"residual_of='{cfg.preprocess.residual_of}' is fitted for one-step "
                f"forecasts: with horizon={cfg.model.horizon} every step of every "
                "path would refilter the classical model over the whole history "
                "(minutes for a backtest). Use --horizon 1 (predict then goes "
                "further recursively), or --residual-of none.")
        fitting.fit_forecaster(self, series, cfg, progress=progress)
        _keep_residual_context(self, series)
        self.config_ = cfg
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "net_"):
            raise NotFittedError.of(self)

    # -- forecasting ---------------------------------------------------------
    def predict_one_step(self, data: Any, rows: np.ndarray | None = None
                         ) -> np.ndarray:
        """One-step forecasts of ``data``'s target at ``rows`` (default: every
        row with enough history), each from the true values before it."""
        from lstmcast.forecaster import fitting as fitting
        self._check_fitted()
        series = self._coerce(data)
        return fitting.one_step(self, series, rows)

    def predict(self, horizon: int | None = None, data: Any = None) -> pd.DataFrame:
        """Forecast the ``horizon`` steps after ``data`` (default: after the
        data seen by ``fit``), on the original scale.

        ``horizon`` defaults to the fitted one. Beyond it, strategies ``auto``
        and ``recursive`` feed forecasts back; ``mimo`` and ``direct`` raise a
        DataError (refit with the longer horizon).
        """
        from lstmcast.forecaster import fitting as fitting
        self._check_fitted()
        series = self.context_series() if data is None else self._coerce(data)
        horizon = horizon or self.horizon_
        path = fitting.path(self, series, len(series) - 1, horizon)
        stamps = series.future_index(horizon)
        return pd.DataFrame({"forecast": path}, index=stamps)

    def context_series(self) -> SeriesData:
        """The tail of the fitted data kept for forecasting without new data."""
        self._check_fitted()
        return self.context_

    def _time_column(self, data: Any) -> str | None:
        """The training data's time column if ``data`` has it, else None (a
        frame indexed by time, or row positions, which ``load`` detects)."""
        name = self.time_name_
        if isinstance(data, pd.DataFrame):
            return name if name in data.columns else None
        if isinstance(data, pd.Series):
            return None
        return None if name in (None, "step", "time") else name

    def _coerce(self, data: Any) -> SeriesData:
        if isinstance(data, SeriesData):
            series = data
        else:
            series = load(data, target=self.target_, time=self._time_column(data),
                          covariates=self.covariates_, constant_covariates="keep")
        missing = [c for c in (self.target_, *self.covariates_)
                   if c not in series.frame.columns]
        if missing:
            raise DataError(f"The data lacks column(s) {', '.join(missing)} that "
                            "the model was trained with. Columns present: "
                            f"{', '.join(series.frame.columns)}.")
        _check_same_freq(getattr(self, "freq_", None), series)
        return series

    # -- persistence ----------------------------------------------------------
    def save(self, path: str) -> None:
        """Write a pickle-free model folder (safetensors weights + JSON)."""
        from lstmcast.forecaster import serialize as saving
        self._check_fitted()
        saving.save_forecaster(self, path)

    @classmethod
    def load(cls, path: str) -> LSTMForecaster:
        """Read a folder written by ``save``; checks hashes, never unpickles."""
        from lstmcast.forecaster import serialize as saving
        return saving.load_forecaster(cls, path)


def _keep_residual_context(est: LSTMForecaster, series: SeriesData) -> None:
    """A residual over a classical forecast filters the series from the first
    training point, so the kept context must reach back to the end of the rows
    its model was fitted on (the rest of the training part is in its state)."""
    from lstmcast.forecaster.fitting import _tail
    from lstmcast.preprocess.residual import Residual
    if any(isinstance(s, Residual) for s in est.pipeline_.steps) \
            and est.context_start_ > est.n_fit_:
        est.context_start_ = est.n_fit_
        est.context_ = _tail(series, len(series) - est.n_fit_)


def _as_series(data: Any, target: str | None, time: str | None,
               covariates: tuple[str, ...] | list[str]) -> SeriesData:
    if isinstance(data, SeriesData):
        return data
    return load(data, target=target, time=time, covariates=tuple(covariates))


def _mean_step(freq: str) -> pd.Timedelta:
    """The average step of a pandas frequency (a month is about 30.4 days)."""
    stamps = pd.date_range("2001-01-01", periods=121, freq=freq)
    return (stamps[-1] - stamps[0]) / 120


def _check_same_freq(trained: str | None, series: SeriesData) -> None:
    """A DataError when data to forecast from steps at another frequency than
    the training data (the network has learned steps of one length). Grids of
    one step anchored differently ('MS' and 'ME', 'W-SUN' and 'W-MON') agree,
    and so do a few stamps read as 'D' that lie one step apart on a 'B' grid."""
    given, index = series.freq, series.index
    if trained is None or given is None or trained == given:
        return
    step, other = _mean_step(trained), _mean_step(given)
    if abs(step - other) <= 0.01 * step:
        return
    span = (index[-1] - index[0]) / step
    if span <= max_grid(len(index)):
        grid = regular_grid(index, trained)
        if bool(index.isin(grid).all()) and np.median(
                np.diff(grid.get_indexer(index))) == 1:
            return
    raise DataError(
        f"The data has frequency '{given}', but the model was trained on "
        f"frequency '{trained}': it has learned steps of '{trained}' and forecasts "
        f"them. Resample the data to '{trained}' first (e.g. "
        f"df.resample('{trained}').mean(), as `lstmcast fit --resample "
        f"{trained}` does), or fit a model on the '{given}' data.")


def _signature() -> inspect.Signature:
    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    params += [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=d)
               for name, d in PARAMS.items()]
    return inspect.Signature(params)


LSTMForecaster.__init__.__signature__ = _signature()  # type: ignore[attr-defined]
__all__ = ["LSTMForecaster"]
