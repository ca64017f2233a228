"""Saving and loading an LSTMForecaster as a pickle-free folder.

Files: ``model.safetensors`` (weights; with ``strategy="direct"`` the networks
of steps 2..H follow under the key prefixes ``direct.h2.``, ``direct.h3.``, ...),
``config.json`` (the settings, reusable with ``lstmcast fit --config``),
``pipeline.json`` (fitted transform state as numbers), ``model.json`` (the
fitted facts declared by :class:`~lstmcast.forecaster.state.FittedState`: window,
season, strategy, features, training range; the training histories and the
context rows), ``manifest.json`` (hashes, written last). ``fit`` adds
``metrics.json`` and ``test_predictions.csv`` beside them.
``calibration.json`` (the validation errors per step the prediction
intervals are made from) is written when the model has one; a folder without
it (saved before intervals existed) still loads and forecasts points.

All model files and the manifest are written as one batch (each to an
fsynced temporary file first, then renamed), so a failed save (a full disk)
leaves the previous model loadable. The manifest also records how the model
was made: seed, library versions, the SHA-256 of the training data and the
repairs made to it while loading.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pandas as pd

from lstmcast.core import schema
from lstmcast.core.config import FORMAT_VERSION, ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.core.manifest import Folder, open_folder, write_with_manifest
from lstmcast.core.persist import json_bytes
from lstmcast.core.version import __version__, library_versions
from lstmcast.data.series import SeriesData
from lstmcast.forecaster.calibrate import SCALE_WINDOW
from lstmcast.forecaster.model_schema import (
    CALIBRATION,
    FIX,
    MODEL_FILES,
    PIPELINE,
    check_config,
    check_model,
    check_params,
)
from lstmcast.forecaster.shape import network_steps
from lstmcast.forecaster.state import (
    FACT,
    Context,
    DataFacts,
    Features,
    FittedState,
    Networks,
    Shape,
    Transforms,
    stamp_to_json,
)
from lstmcast.network.weights import read_weights, tensors

if TYPE_CHECKING:
    from torch import nn

    from lstmcast.intervals.conformal import Calibration
    from lstmcast.network.train import TrainResult

_DIRECT = "direct.h"
_HEADER_BYTES = 1 << 20  # of a safetensors header, at most, per network
#: The oldest model format ``load`` reads (folders of format 1 and later are
#: kept loadable: tests/robustness/data/model_v1 is one, loaded in CI).
MIN_FORMAT_VERSION = 1
#: The model format of a model with future covariates or cycle terms: a
#: reader of format 1 would ignore them and fail, so it is told to upgrade
#: instead. Other models stay format 1, readable by older releases.
FUTURE_FORMAT_VERSION = 2
_TUPLE_PARAMS = ("lags", "rolling", "rolling_stats", "covariate_lags", "levels",
                 "quantiles")
Group = TypeVar("Group")
Built = TypeVar("Built")


def _frame_to_json(series: SeriesData) -> dict[str, Any]:
    frame = series.frame
    return {"index": [stamp_to_json(s) for s in frame.index],
            "index_name": frame.index.name,
            "tz": str(tz) if (tz := getattr(frame.index, "tz", None)) else None,
            "columns": {c: [None if not np.isfinite(v) else float(v)
                            for v in frame[c].to_numpy(float)] for c in frame}}


def _frame_from_json(state: dict[str, Any], target: str, covariates: tuple[str, ...],
                     freq: str | None, future: tuple[str, ...] = ()) -> SeriesData:
    raw, tz = state["index"], state.get("tz")
    if raw and isinstance(raw[0], str):
        index = pd.DatetimeIndex(pd.to_datetime(raw, format="ISO8601",
                                                utc=tz is not None))
        index = index.tz_convert(tz) if tz else index  # the zone, not its offsets
    else:
        index = pd.Index(raw, dtype="int64")
    index.name = state["index_name"]
    frame = pd.DataFrame({c: np.array([np.nan if v is None else v for v in vals],
                                      dtype=float)
                          for c, vals in state["columns"].items()}, index=index)
    return SeriesData(frame=frame, target=target, covariates=covariates, freq=freq,
                      future=future)


def save_state(state: FittedState, params: dict[str, Any],
               path: str | os.PathLike[str]) -> Path:
    """Write every model file atomically, then the manifest of their hashes;
    returns the folder. ``params`` are the estimator's constructor parameters."""
    from safetensors.torch import save as save_tensors
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    nets, transforms = state.networks.nets, state.transforms
    weights = tensors(nets[0])
    for h, net in enumerate(nets[1:], start=2):
        weights.update(tensors(net, f"{_DIRECT}{h}."))
    scaler, future_scaler = transforms.cov_scaler, transforms.future_scaler
    files = {
        "model.safetensors": save_tensors(weights),
        "config.json": json_bytes({"format_version": FORMAT_VERSION,
                                   **state.config.to_dict()}),
        "pipeline.json": json_bytes({
            "target": transforms.pipeline.get_state(),
            "covariate_impute": [imp.get_state() for imp in transforms.cov_impute],
            "covariate_scaler": scaler.get_state() if scaler is not None else None,
            "future_impute": [imp.get_state() for imp in transforms.future_impute],
            "future_scaler": future_scaler.get_state()
            if future_scaler is not None else None}),
        "model.json": json_bytes({
            "format_version": FUTURE_FORMAT_VERSION
            if state.features.future or state.features.cycle
            else FORMAT_VERSION, "lstmcast_version": __version__,
            "torch_version": library_versions()["torch"], "params": params,
            "fitted": fitted_facts(state), "history": state.history.to_dict(),
            "direct_histories": [h.to_dict()
                                 for h in state.networks.histories[1:]],
            "context": _frame_to_json(state.context.series)}),
    }
    if state.calibration is not None:
        files["calibration.json"] = json_bytes({
            **state.calibration.to_dict(), "scale_window": SCALE_WINDOW})
    write_with_manifest(folder, files, run_record(state, params["seed"]))
    return folder


def run_record(state: FittedState, seed: int) -> dict[str, Any]:
    """How the model was made: seed, threads, versions, training data, repairs."""
    import torch
    return {"seed": seed, "threads": torch.get_num_threads(),
            "versions": library_versions(), "data_sha256": state.data.data_hash,
            "repairs": [r.to_dict() for r in state.data.repairs]}


def fitted_facts(state: FittedState) -> dict[str, Any]:
    """The ``fitted`` entry of model.json: every fact field (see
    :func:`lstmcast.forecaster.state.fact`) of the state's groups, plus the
    networks' input size."""
    facts: dict[str, Any] = {}
    for group in state.fact_groups():
        for f in fields(group):
            if (spec := f.metadata.get(FACT)) is not None:
                facts[spec.key or f.name] = spec.dump(getattr(group, f.name))
    facts["input_size"] = len(state.features.names)
    return facts


def _from_facts(cls: type[Group], facts: dict[str, Any],
                **others: Any) -> Group:
    """A group of the state: its fact fields read from ``facts``, the rest given."""
    values = {f.name: spec.load(facts[spec.key or f.name])
              for f in fields(cls) if (spec := f.metadata.get(FACT)) is not None}
    return cls(**values, **others)


def load_forecaster(path: str | os.PathLike[str],
                    build: Callable[[dict[str, Any], FittedState], Built]) -> Built:
    """Read a model folder and ``build`` the forecaster from its constructor
    parameters and fitted state. Every file is read through one handle of the
    folder, its size checked before reading and its hash before use; the JSON
    is checked against its schema, the network's size against the weights
    file; nothing is unpickled. A model that cannot forecast from its own
    saved context is refused too."""
    with open_folder(path, fix=FIX) as folder:
        folder.require(MODEL_FILES)
        params, state = _load(folder)
        folder.check_all()  # the run's other files (metrics, report) as well
    est = build(params, state)
    _try_forecast(state, folder.path)
    return est


def _check_version(meta: dict[str, Any], folder: Path) -> None:
    """A DataError when model.json is of a format this lstmcast cannot read."""
    version = meta.get("format_version", 0)
    written = schema.shown(meta.get("lstmcast_version", "before 0.1"))
    if not isinstance(version, int) or isinstance(version, bool):
        return  # the schema names it
    if version > FUTURE_FORMAT_VERSION:
        raise DataError(f"{folder} was written by lstmcast {written} (format "
                        f"{version}); this is lstmcast {__version__}. Upgrade "
                        "lstmcast to load it.")
    if version < MIN_FORMAT_VERSION:
        raise DataError(f"{folder} was written by lstmcast {written} in model "
                        f"format {version}, older than the oldest this lstmcast "
                        f"({__version__}) reads (format {MIN_FORMAT_VERSION}). Fit "
                        f"the model again (its settings are reusable: lstmcast fit "
                        f"DATA --config {folder / 'config.json'}), or load it with "
                        "the lstmcast that wrote it.")


def _load(folder: Folder) -> tuple[dict[str, Any], FittedState]:
    where = folder.path / "model.json"
    meta = folder.json("model.json")
    if isinstance(meta, dict):
        _check_version(meta, folder.path)
    meta = check_model(meta, where)
    check_params(meta["params"], where)
    params = {k: tuple(v) if k in _TUPLE_PARAMS else v
              for k, v in meta["params"].items()}
    config = check_config(folder.json("config.json"), folder.path / "config.json")
    # folders written before time zones, refits, future covariates and cycle
    # terms existed
    facts = {"timezone": None, "evaluated_range": None, "future": [], "leads": 0,
             "cycle": None, "cycle_harmonics": 0, **meta["fitted"]}
    data = _from_facts(DataFacts, facts)
    shape = _from_facts(Shape, facts)
    features = _from_facts(Features, facts)
    transforms = _read_transforms(folder)
    nets = _read_nets(folder, config, shape, facts["input_size"])
    networks = _from_facts(Networks, facts, nets=nets,
                           histories=_read_histories(meta))
    context = _from_facts(Context, facts, series=_frame_from_json(
        meta["context"], data.target, features.covariates, data.freq,
        features.future))
    return params, FittedState(data=data, shape=shape, features=features,
                               transforms=transforms, networks=networks,
                               context=context, config=config,
                               calibration=_read_calibration(folder))


def _read_calibration(folder: Folder) -> Calibration | None:
    """The interval calibration of ``calibration.json``, checked; None for a
    folder without one (saved before intervals existed, or without a
    validation part): such a model forecasts points only."""
    from lstmcast.intervals.conformal import Calibration
    name = "calibration.json"
    if name not in folder.files:
        return None
    where = folder.path / name
    values = schema.validate(folder.json(name), CALIBRATION, str(where), FIX)
    widths = {len(row) for row in values["errors"]}
    if len(widths) > 1 or widths == {0}:
        raise DataError(f"{where}: key errors must be rows of equal, non-zero "
                        f"length (one error per step); got lengths "
                        f"{sorted(widths)[:5]}. {FIX}")
    return Calibration.from_dict(values)


def _read_transforms(folder: Folder) -> Transforms:
    """The fitted transforms of ``pipeline.json``, checked against its schema
    and rebuilt from plain numbers."""
    from lstmcast.preprocess.pipeline import Pipeline, transform_from_state
    where = folder.path / "pipeline.json"
    pipes = schema.validate(folder.json("pipeline.json"), PIPELINE, str(where), FIX)
    scaler, future = pipes["covariate_scaler"], pipes.get("future_scaler")
    try:
        return Transforms(
            pipeline=Pipeline.from_state(pipes["target"]),
            cov_impute=[transform_from_state(s) for s in pipes["covariate_impute"]],
            cov_scaler=transform_from_state(scaler) if scaler else None,
            future_impute=[transform_from_state(s)
                           for s in pipes.get("future_impute", [])],
            future_scaler=transform_from_state(future) if future else None)
    except (DataError, TypeError, ValueError, KeyError, IndexError,
            AttributeError) as exc:
        raise DataError(f"{where}: {exc}. The file was damaged or forged. {FIX}"
                        ) from None


def _read_nets(folder: Folder, config: ForecastConfig, shape: Shape,
               input_size: int) -> list[nn.Module]:
    """The networks (with ``direct``: one per step), weights loaded strictly
    once the weights file is known to be the size the settings describe."""
    from lstmcast.network.ensemble import build_net, weight_bytes
    cfg = config.model
    count = len(network_steps(shape.strategy, shape.horizon))
    expected = count * weight_bytes(cfg, input_size, shape.window, shape.outputs,
                                    members=cfg.ensemble)
    size = folder.size("model.safetensors")
    if not expected <= size <= expected + _HEADER_BYTES * count:
        raise DataError(
            f"{folder.path / 'model.safetensors'} holds {size:,} bytes, but the "
            f"network{'s' if count > 1 else ''} that config.json and model.json "
            f"describe ({count} x hidden_size {cfg.hidden_size}, num_layers "
            f"{cfg.num_layers}, window {shape.window}, {shape.outputs} output(s), "
            f"{input_size} input(s)) hold{'' if count > 1 else 's'} {expected:,} "
            "bytes of weights: the files do not belong together (damaged or "
            f"forged). {FIX}")
    weights = read_weights(folder.read("model.safetensors"),
                           folder.path / "model.safetensors", fix=FIX)
    nets = []
    for h in range(1, count + 1):
        prefix = f"{_DIRECT}{h}." if h > 1 else ""
        net = build_net(cfg, input_size, shape.window, shape.outputs,
                        members=cfg.ensemble)
        own = {k[len(prefix):]: v for k, v in weights.items()
               if (k.startswith(prefix) if prefix else not k.startswith(_DIRECT))}
        try:
            net.load_state_dict(own, strict=True)
        except RuntimeError as exc:
            raise DataError(f"The weights in {folder.path / 'model.safetensors'} "
                            "do not fit the network described in model.json "
                            f"({str(exc).splitlines()[0]}). {FIX}") from None
        nets.append(net.eval())
    return nets


def _try_forecast(state: FittedState, path: Path) -> None:
    """One-step forecasts over the saved context; a model that fails there
    (other than refusing its input) is made of files that do not belong
    together."""
    from lstmcast.forecaster.predict import one_step
    try:
        one_step(state, state.context.series, None)
    except DataError:
        return
    except Exception as exc:  # any failure of a forged model's numbers
        raise DataError(f"{path} holds a model that cannot forecast from its own "
                        f"saved context ({type(exc).__name__}: "
                        f"{schema.shown(str(exc), 120)}): its files were damaged "
                        f"or forged. {FIX}") from None


def _read_histories(meta: dict[str, Any]) -> list[TrainResult]:
    """The training history of each network."""
    from lstmcast.network.train import TrainResult
    return [TrainResult(**{k: v for k, v in h.items() if v is not None})
            for h in [meta["history"], *meta.get("direct_histories", [])]]
