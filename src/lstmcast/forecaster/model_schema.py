"""What a saved model's JSON files must hold, checked before anything is built.

``model.json``, ``pipeline.json`` and ``config.json`` are read with bounds
(:mod:`lstmcast.core.persist`) and checked here against a schema of types and
ranges (:mod:`lstmcast.core.schema`; the fitted facts declare theirs in
:mod:`lstmcast.forecaster.state`) and for consistency (the context holds a
window, the outputs match the strategy). A damaged or forged file is a
DataError naming the file and the key, never a traceback from deep inside
numpy, pandas or torch.
"""

from __future__ import annotations

from dataclasses import MISSING, fields
from pathlib import Path
from typing import Any

import pandas as pd

from lstmcast.core import schema
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.forecaster.shape import network_steps
from lstmcast.forecaster.state import (
    FACT,
    Context,
    DataFacts,
    Features,
    Networks,
    Shape,
)
from lstmcast.intervals.conformal import SCALES, SOURCES

MODEL_FILES = ("model.safetensors", "config.json", "pipeline.json", "model.json")
FIX = "Fit the model again."
_SCALAR = schema.nullable(schema.either(
    schema.text(), schema.boolean(), schema.number(),
    expected="a text, a number, true, false or null"))
_VALUES = schema.listof(schema.nullable(schema.number()), max_len=10**8)
_HISTORY = schema.record(
    {"history": schema.listof(schema.mapping(schema.nullable(schema.number()),
                                             max_len=100), max_len=10**7),
     "best_epoch": schema.integer(0), "best_val_loss": schema.nullable(
         schema.number()), "steps": schema.integer(0),
     "seconds": schema.number(0), "stopped": schema.text(),
     "diverged": schema.boolean()},
    {"validation": schema.text(), "refit": schema.text()})
_STEP = schema.record({
    "kind": schema.text(max_len=40), "params": schema.mapping(_SCALAR, max_len=50),
    "fitted": schema.mapping(schema.either(
        _SCALAR, _VALUES, schema.mapping(schema.anything()),
        expected="a number, a list of numbers or an object"), max_len=50)})
#: ``calibration.json``: the validation errors (origins x steps, null where
#: unknown, divided by the local scale over ``scale_window`` steps) of the
#: prediction intervals.
CALIBRATION = schema.record(
    {"errors": schema.listof(schema.listof(schema.nullable(schema.number()),
                                           max_len=100_000), max_len=10**6),
     "symmetric": schema.boolean(), "monotone": schema.boolean()},
    {"scale_window": schema.integer(1, 10**6),  # errors / local scale (calibrate)
     "source": schema.text(SOURCES),  # where the errors come from
     "scale": schema.text(SCALES)})  # what they were divided by
PIPELINE = schema.record({
    "target": schema.record({"kind": schema.text(("pipeline",)),
                             "steps": schema.listof(_STEP, max_len=100)}),
    "covariate_impute": schema.listof(_STEP, max_len=100_000),
    "covariate_scaler": schema.nullable(_STEP)},
    {"future_impute": schema.listof(_STEP, max_len=100_000),
     "future_scaler": schema.nullable(_STEP)})


def _fitted_spec() -> schema.Spec:
    """The fitted facts of ``model.json``, each with the check its field
    declares, plus the networks' input size."""
    facts: dict[str, schema.Spec] = {"input_size": schema.integer(1, 100_000)}
    optional: dict[str, schema.Spec] = {}  # facts added later (with a default)
    for group in (Shape, DataFacts, Features, Networks, Context):
        for f in fields(group):
            if (spec := f.metadata.get(FACT)) is not None:
                later = f.default is not MISSING or f.default_factory is not MISSING
                (optional if later else facts)[spec.key or f.name] = spec.check
    return schema.record(facts, optional)


MODEL = schema.record(
    {"format_version": schema.integer(), "params": schema.mapping(
        schema.either(_SCALAR, schema.listof(_SCALAR, max_len=1000),
                      expected="a setting's value"), max_len=200),
     "fitted": _fitted_spec(), "history": _HISTORY,
     "context": schema.record({
         "index": schema.listof(schema.either(
             schema.text(max_len=64), schema.integer(-2**53, 2**53),
             expected="a time stamp or a row number"), max_len=10**7),
         "index_name": schema.nullable(schema.text(max_len=1000)),
         "tz": schema.nullable(schema.text(max_len=64)),
         "columns": schema.mapping(_VALUES, max_len=100_000)})},
    {"lstmcast_version": schema.text(max_len=40),
     "torch_version": schema.text(max_len=100),
     "direct_histories": schema.listof(_HISTORY, max_len=10**5)})


def check_model(meta: Any, path: Path) -> dict[str, Any]:
    """``model.json`` (``meta``) checked: types, ranges and consistency.
    Folders written before the strategies existed get their defaults
    (``strategy`` auto, one MIMO network) before the check."""
    if isinstance(meta, dict) and isinstance(meta.get("fitted"), dict):
        fitted = meta["fitted"]
        meta = {**meta, "fitted": {"strategy": "auto",
                                   "outputs": fitted.get("horizon"), **fitted}}
    meta = schema.validate(meta, MODEL, str(path), FIX)
    facts, context = meta["fitted"], meta["context"]
    rows = len(context["index"])
    steps = network_steps(facts["strategy"], facts["horizon"])
    _consistent(path, "fitted.outputs", facts["outputs"] == len(steps[0]),
                f"{len(steps[0])} for strategy {facts['strategy']} and horizon "
                f"{facts['horizon']}", facts["outputs"])
    _consistent(path, "fitted.input_size",
                facts["input_size"] == len(facts["feature_names"]),
                f"{len(facts['feature_names'])} (the feature names)",
                facts["input_size"])
    _consistent(path, "fitted.window", facts["window"] <= rows,
                f"at most {rows} (the rows of the saved context)", facts["window"])
    for name in (facts["target"], *facts["covariates"]):
        values = context["columns"].get(name)
        _consistent(path, f"context.columns.{name}",
                    values is not None and len(values) == rows,
                    f"a list of {rows} values (one per context row)",
                    None if values is None else f"{len(values)} values")
    _check_time(facts, context, path)
    return meta


def _consistent(path: Path, key: str, ok: bool, expected: str, got: Any) -> None:
    if not ok:
        raise DataError(f"{path}: key {key} must be {expected}; got "
                        f"{schema.shown(got)}. {FIX}")


def _check_time(facts: dict[str, Any], context: dict[str, Any], path: Path) -> None:
    """The frequency, the zone and every stamp must be ones pandas can use."""
    from pandas.tseries.frequencies import to_offset
    stamps = [facts["first_stamp"], *context["index"]]
    if len({isinstance(s, str) for s in stamps}) > 1:
        raise DataError(f"{path}: keys fitted.first_stamp and context.index must "
                        "be all time stamps or all row numbers; they mix both. "
                        f"{FIX}")
    texts = [s for s in stamps if isinstance(s, str)]
    checks = (("fitted.freq", "a pandas frequency such as D or MS",
               lambda: facts["freq"] is None or to_offset(facts["freq"])),
              ("context.tz", "a time zone such as Europe/Berlin",
               lambda: context["tz"] is None or pd.Timestamp(
                   "2000-01-01", tz=context["tz"])),
              ("fitted.first_stamp, context.index", "ISO time stamps pandas "
               "can hold",
               lambda: pd.to_datetime(texts, format="ISO8601", utc=True)))
    for key, expected, check in checks:
        try:
            check()
        except (ValueError, TypeError, OverflowError, KeyError) as exc:
            raise DataError(f"{path}: key {key} must be {expected} "
                            f"({schema.shown(str(exc), 100)}). {FIX}") from None


def check_config(values: Any, path: Path) -> ForecastConfig:
    """``config.json`` as a validated config (types, choices, ranges)."""
    try:
        return ForecastConfig.from_dict(values)
    except DataError as exc:
        raise DataError(f"{path}: {exc} {FIX}") from None


def check_params(params: dict[str, Any], path: Path) -> None:
    """The estimator parameters of ``model.json`` must be valid settings."""
    try:
        ForecastConfig().replace(**params)
    except DataError as exc:
        raise DataError(f"{path}: key params: {exc} {FIX}") from None
