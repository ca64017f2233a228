"""FittedState: everything ``LSTMForecaster.fit`` learns, as one typed value.

The groups follow the fit: facts about the training data (:class:`DataFacts`),
the shape of the problem (:class:`Shape`), which input features the network
reads (:class:`Features`), the fitted transforms (:class:`Transforms`), the
trained networks (:class:`Networks`) and the tail of the data kept for
forecasting without new data (:class:`Context`), plus the validated config.

Fields whose metadata is made by :func:`fact` are the "fitted facts" of a saved model's
``model.json``; :mod:`lstmcast.forecaster.serialize` writes and reads them by
walking these dataclasses, so a new fact is declared once, here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import pandas as pd

from lstmcast.core import schema
from lstmcast.core.config import ModelConfig
from lstmcast.data.series import MAX_HORIZON
from lstmcast.preprocess.features import ROLLING_STATS

if TYPE_CHECKING:
    from torch import nn

    from lstmcast.core.config import ForecastConfig
    from lstmcast.data.series import Repair, SeriesData
    from lstmcast.intervals.conformal import Calibration
    from lstmcast.network.train import TrainResult
    from lstmcast.preprocess.base import Transform
    from lstmcast.preprocess.pipeline import Pipeline

#: The metadata key of a field that is a fitted fact (its value: a :class:`Fact`).
FACT = "fact"
#: The largest count of steps (window, horizon, season, lag) a saved model may
#: declare; what memory allows is checked against the weights when loading.
MAX_STEPS = 10**7
_STEPS = schema.integer(1, MAX_STEPS)
_COUNT = schema.integer(0, 10**12)
_NAMES = schema.listof(schema.text(max_len=1000), max_len=100_000)
_LAGS = schema.listof(schema.integer(0, MAX_STEPS), max_len=1000)
_RANGE = schema.mapping(schema.either(schema.text(max_len=64), _COUNT,
                                      expected="a time stamp or a count"), max_len=20)


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class Fact:
    """How one field is written among the fitted facts of ``model.json``:
    under ``key`` (default: the field's name), converted by ``dump`` on the way
    out, checked by ``check`` (a :mod:`lstmcast.core.schema` spec of its type
    and range) and converted by ``load`` on the way in."""

    key: str | None = None
    dump: Callable[[Any], Any] = _same
    load: Callable[[Any], Any] = _same
    check: schema.Spec = field(default_factory=schema.anything)


def fact(key: str | None = None, *, dump: Callable[[Any], Any] = _same,
         load: Callable[[Any], Any] = _same,
         check: schema.Spec | None = None) -> dict[str, Fact]:
    """The metadata of a dataclass field saved among the fitted facts:
    ``x: int = field(metadata=fact(check=schema.integer(1)))``."""
    return {FACT: Fact(key, dump, load, check or schema.anything())}


def _choices(cls: type, name: str) -> tuple[str, ...]:
    """The allowed values of config field ``name`` of section ``cls``."""
    return next(f.metadata["choices"] for f in fields(cls) if f.name == name)


def stamp_to_json(stamp: pd.Timestamp | int) -> str | int:
    """A time stamp as ISO text, a row number as an int."""
    return stamp.isoformat() if isinstance(stamp, pd.Timestamp) else int(stamp)


def stamp_from_json(value: str | int) -> pd.Timestamp | int:
    """The inverse of :func:`stamp_to_json`."""
    return pd.Timestamp(value) if isinstance(value, str) else value


@dataclass(frozen=True)
class DataFacts:
    """What the training data was: its target, time axis and provenance.

    ``train_range`` holds the first and last stamps, the row count and the rows
    the transforms were fitted on; ``evaluated_range`` the same of the fit
    whose test scores describe this model (``fit`` refits on all rows after
    scoring: then the two differ; None when never evaluated); ``timezone`` the
    IANA zone of the stamps (None: naive stamps, steps or a fixed UTC offset),
    in which data to forecast from is read and forecasts are stamped;
    ``data_hash`` and ``repairs`` go to the manifest (they are not read back by
    ``load``)."""

    target: str = field(metadata=fact(check=schema.text(max_len=1000)))
    time_name: str | None = field(metadata=fact(check=schema.nullable(
        schema.text(max_len=1000))))
    freq: str | None = field(metadata=fact(check=schema.nullable(
        schema.text(max_len=40))))
    first_stamp: pd.Timestamp | int = field(metadata=fact(
        dump=stamp_to_json, load=stamp_from_json, check=schema.either(
            schema.text(max_len=64), schema.integer(-2**53, 2**53),
            expected="an ISO time stamp or a whole number")))
    train_range: dict[str, Any] = field(metadata=fact(check=_RANGE))
    timezone: str | None = field(default=None, metadata=fact(
        check=schema.nullable(schema.text(max_len=64))))
    evaluated_range: dict[str, Any] | None = field(default=None, metadata=fact(
        check=schema.nullable(_RANGE)))
    data_hash: str | None = None
    repairs: tuple[Repair, ...] = ()


@dataclass(frozen=True)
class Shape:
    """The shape of the forecasting problem as fitted.

    ``outputs`` is the number of outputs of each network (H for ``mimo``, 1
    otherwise); ``delta_scale`` divides the changes learned in ``delta`` target
    mode; ``n_fit`` is the rows the transforms were fitted on (the training
    rows before the validation tail); ``warmup`` the rows before the first
    complete feature row."""

    season: int = field(metadata=fact(check=_STEPS))
    window: int = field(metadata=fact(check=_STEPS))
    horizon: int = field(metadata=fact(check=schema.integer(1, MAX_HORIZON)))
    strategy: str = field(metadata=fact(check=schema.text(
        _choices(ModelConfig, "strategy"))))
    outputs: int = field(metadata=fact(check=_STEPS))
    target_mode: str = field(metadata=fact(check=schema.text(
        _choices(ModelConfig, "target_mode"))))
    delta_scale: float = field(metadata=fact(check=schema.number(1e-300)))
    n_fit: int = field(metadata=fact(check=_COUNT))
    warmup: int = field(metadata=fact(check=schema.integer(0, MAX_STEPS)))


@dataclass(frozen=True)
class Features:
    """Which input features the network reads, in column order: the target,
    its lags and rolling statistics, calendar features, the terms of a cycle
    (at the step position of the forecast time), each covariate (and its
    lags), then each future covariate at the ``leads`` steps after the row (H,
    the steps forecast; 1 with ``strategy="recursive"``). ``names`` are the
    resulting column names."""

    covariates: tuple[str, ...] = field(metadata=fact(load=tuple, check=_NAMES))
    lags: tuple[int, ...] = field(metadata=fact(load=tuple, check=_LAGS))
    rolling: tuple[int, ...] = field(metadata=fact(
        load=tuple, check=schema.listof(_STEPS, max_len=1000)))
    rolling_stats: tuple[str, ...] = field(metadata=fact(
        load=tuple, check=schema.listof(schema.text(ROLLING_STATS))))
    calendar: bool = field(metadata=fact(check=schema.boolean()))
    covariate_lags: tuple[int, ...] = field(metadata=fact(load=tuple,
                                                          check=_LAGS))
    names: list[str] = field(metadata=fact("feature_names", check=_NAMES))
    future: tuple[str, ...] = field(default=(), metadata=fact(load=tuple,
                                                              check=_NAMES))
    leads: int = field(default=0, metadata=fact(check=schema.integer(0, MAX_HORIZON)))
    cycle: float | None = field(default=None, metadata=fact(check=schema.nullable(
        schema.number(1.0, float(MAX_STEPS)))))
    cycle_harmonics: int = field(default=0, metadata=fact(
        check=schema.integer(0, 1000)))


@dataclass(frozen=True)
class Transforms:
    """The transforms fitted on the training rows: the target's pipeline, one
    imputer per covariate and the covariates' scaler (None without any), and
    the same for the future covariates."""

    pipeline: Pipeline
    cov_impute: list[Transform]
    cov_scaler: Transform | None
    future_impute: list[Transform] = field(default_factory=list)
    future_scaler: Transform | None = None


@dataclass(frozen=True)
class Networks:
    """The trained networks (one, or one per step with ``strategy="direct"``),
    their training histories, and the first one's window counts."""

    nets: list[nn.Module]
    histories: list[TrainResult]
    n_train_windows: int = field(metadata=fact(check=_COUNT))
    n_val_windows: int = field(metadata=fact(check=_COUNT))


@dataclass(frozen=True)
class Context:
    """The tail of the fitted data kept for forecasting without new data, and
    the position of its first row among the training rows."""

    series: SeriesData
    start: int = field(metadata=fact("context_start", check=_COUNT))


@dataclass(frozen=True)
class FittedState:
    """Everything ``fit`` learns; ``LSTMForecaster.state_`` after a fit."""

    data: DataFacts
    shape: Shape
    features: Features
    transforms: Transforms
    networks: Networks
    context: Context
    config: ForecastConfig
    #: Out-of-sample errors of the validation part, per step: the prediction
    #: intervals (None: no validation part, or a model saved before intervals).
    calibration: Calibration | None = None

    @property
    def net(self) -> nn.Module:
        """The first (with ``mimo``, ``recursive``, ``auto``: the only) network."""
        return self.networks.nets[0]

    @property
    def history(self) -> TrainResult:
        """The first network's training history."""
        return self.networks.histories[0]

    def fact_groups(self) -> tuple[Shape, DataFacts, Features, Networks, Context]:
        """The groups holding fitted facts, in the order they are saved."""
        return (self.shape, self.data, self.features, self.networks, self.context)
