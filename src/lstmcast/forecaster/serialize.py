"""Saving and loading an LSTMForecaster as a pickle-free folder.

Files: ``model.safetensors`` (weights; with ``strategy="direct"`` the networks
of steps 2..H follow under the key prefixes ``direct.h2.``, ``direct.h3.``, ...),
``config.json`` (the settings, reusable with ``lstmcast fit --config``),
``pipeline.json`` (fitted transform state as numbers), ``model.json`` (the
fitted facts declared by :class:`~lstmcast.forecaster.state.FittedState`: window,
season, strategy, features, training range; the training histories and the
context rows), ``manifest.json`` (hashes, written last). ``fit`` adds
``metrics.json`` and ``test_predictions.csv`` beside them.

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

from lstmcast.core.config import FORMAT_VERSION, ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.core.persist import (
    json_bytes,
    read_json,
    verify_folder,
    write_with_manifest,
)
from lstmcast.core.version import __version__
from lstmcast.data.series import SeriesData
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

if TYPE_CHECKING:
    import torch
    from torch import nn

    from lstmcast.network.train import TrainResult

_DIRECT = "direct.h"
#: The oldest model format ``load`` reads (folders of format 1 and later are
#: kept loadable: tests/robustness/data/model_v1 is one, loaded in CI).
MIN_FORMAT_VERSION = 1
#: The model format of a model with future covariates: a reader of format 1
#: would ignore them and fail, so it is told to upgrade instead. Other models
#: stay format 1, readable by older releases.
FUTURE_FORMAT_VERSION = 2
_TUPLE_PARAMS = ("lags", "rolling", "rolling_stats", "covariate_lags")
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


def _tensors(net: nn.Module, prefix: str = "") -> dict[str, torch.Tensor]:
    return {f"{prefix}{k}": v.detach().cpu().contiguous()
            for k, v in net.state_dict().items()}


def save_state(state: FittedState, params: dict[str, Any],
               path: str | os.PathLike[str]) -> Path:
    """Write every model file atomically, then the manifest of their hashes;
    returns the folder. ``params`` are the estimator's constructor parameters."""
    from safetensors.torch import save as save_tensors
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    nets, transforms = state.networks.nets, state.transforms
    weights = _tensors(nets[0])
    for h, net in enumerate(nets[1:], start=2):
        weights.update(_tensors(net, f"{_DIRECT}{h}."))
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
            "format_version": FUTURE_FORMAT_VERSION if state.features.future
            else FORMAT_VERSION, "lstmcast_version": __version__,
            "torch_version": versions()["torch"], "params": params,
            "fitted": fitted_facts(state), "history": state.history.to_dict(),
            "direct_histories": [h.to_dict()
                                 for h in state.networks.histories[1:]],
            "context": _frame_to_json(state.context.series)}),
    }
    write_with_manifest(folder, files, run_record(state, params["seed"]))
    return folder


def versions() -> dict[str, str]:
    """Versions of python, lstmcast and the libraries a fit depends on."""
    import platform

    import torch
    return {"python": platform.python_version(), "lstmcast": __version__,
            "torch": torch.__version__, "numpy": np.__version__,
            "pandas": pd.__version__, "platform": platform.platform()}


def run_record(state: FittedState, seed: int) -> dict[str, Any]:
    """How the model was made: seed, threads, versions, training data, repairs."""
    import torch
    return {"seed": seed, "threads": torch.get_num_threads(),
            "versions": versions(), "data_sha256": state.data.data_hash,
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
    parameters and fitted state; hashes are checked first, nothing unpickled."""
    try:
        return build(*_load(Path(path)))
    except (KeyError, TypeError, IndexError) as exc:
        raise DataError(f"{path} is not a model folder this lstmcast ({__version__}) "
                        f"can read: an entry is missing or malformed ({exc!r}). "
                        "Fit the model again.") from None


def _load(folder: Path) -> tuple[dict[str, Any], FittedState]:
    verify_folder(folder)
    meta = read_json(folder / "model.json")
    if meta.get("format_version", 0) > FUTURE_FORMAT_VERSION:
        raise DataError(f"{folder} was written by lstmcast "
                        f"{meta.get('lstmcast_version')} (format "
                        f"{meta['format_version']}); this is lstmcast {__version__}. "
                        "Upgrade lstmcast to load it.")
    if meta.get("format_version", 0) < MIN_FORMAT_VERSION:
        raise DataError(f"{folder} was written by lstmcast "
                        f"{meta.get('lstmcast_version', 'before 0.1')} in model "
                        f"format {meta.get('format_version', 0)}, older than the "
                        f"oldest this lstmcast ({__version__}) reads (format "
                        f"{MIN_FORMAT_VERSION}). Fit the model again (its settings "
                        f"are reusable: lstmcast fit DATA --config "
                        f"{folder / 'config.json'}), or load it with the lstmcast "
                        "that wrote it.")
    params = {k: tuple(v) if k in _TUPLE_PARAMS else v
              for k, v in meta["params"].items()}
    config = ForecastConfig.from_dict(read_json(folder / "config.json"))
    # folders written before the strategies (one MIMO network), time zones and
    # refits existed
    facts = {"strategy": "auto", "outputs": meta["fitted"]["horizon"],
             "timezone": None, "evaluated_range": None, "future": [], "leads": 0,
             **meta["fitted"]}
    data = _from_facts(DataFacts, facts)
    shape = _from_facts(Shape, facts)
    features = _from_facts(Features, facts)
    transforms = _read_transforms(read_json(folder / "pipeline.json"))
    nets = _read_nets(folder, config, shape, facts["input_size"])
    networks = _from_facts(Networks, facts, nets=nets,
                                     histories=_read_histories(meta))
    context = _from_facts(Context, facts, series=_frame_from_json(
        meta["context"], data.target, features.covariates, data.freq,
        features.future))
    return params, FittedState(data=data, shape=shape, features=features,
                               transforms=transforms, networks=networks,
                               context=context, config=config)


def _read_transforms(pipes: dict[str, Any]) -> Transforms:
    from lstmcast.preprocess.pipeline import Pipeline, transform_from_state
    scaler, future = pipes["covariate_scaler"], pipes.get("future_scaler")
    return Transforms(
        pipeline=Pipeline.from_state(pipes["target"]),
        cov_impute=[transform_from_state(s) for s in pipes["covariate_impute"]],
        cov_scaler=transform_from_state(scaler) if scaler else None,
        future_impute=[transform_from_state(s)
                       for s in pipes.get("future_impute", [])],
        future_scaler=transform_from_state(future) if future else None)


def _read_nets(folder: Path, config: ForecastConfig, shape: Shape,
               input_size: int) -> list[nn.Module]:
    """The networks (with ``direct``: one per step), weights loaded strictly."""
    from lstmcast.network.ensemble import build_net
    cfg = config.model
    weights = _read_weights(folder / "model.safetensors")
    nets = []
    for h in range(1, (shape.horizon if shape.strategy == "direct" else 1) + 1):
        prefix = f"{_DIRECT}{h}." if h > 1 else ""
        net = build_net(cfg, input_size, shape.window, shape.outputs,
                        members=cfg.ensemble)
        own = {k[len(prefix):]: v for k, v in weights.items()
               if (k.startswith(prefix) if prefix else not k.startswith(_DIRECT))}
        try:
            net.load_state_dict(own, strict=True)
        except RuntimeError as exc:
            raise DataError(f"The weights in {folder / 'model.safetensors'} do not "
                            "fit the network described in model.json "
                            f"({str(exc).splitlines()[0]}). Fit the model again."
                            ) from None
        nets.append(net.eval())
    return nets


def _read_histories(meta: dict[str, Any]) -> list[TrainResult]:
    """The training history of each network."""
    from lstmcast.network.train import TrainResult
    return [TrainResult(**{k: v for k, v in h.items() if v is not None})
            for h in [meta["history"], *meta.get("direct_histories", [])]]


def _read_weights(path: Path) -> dict[str, Any]:
    """Parse safetensors (a JSON header and raw numbers: no code can run)."""
    from safetensors import SafetensorError
    from safetensors.torch import load as load_tensors
    try:
        weights = load_tensors(path.read_bytes())
    except (SafetensorError, ValueError) as exc:
        raise DataError(f"{path} is not a valid safetensors file ({exc}). It was "
                        "not written by lstmcast; fit the model again.") from None
    bad = sorted(k for k, v in weights.items()
                 if v.is_floating_point() and not bool(v.isfinite().all()))
    if bad:
        raise DataError(f"{path} holds NaN or infinite weights (in "
                        f"{', '.join(bad[:5])}): such a model gives no usable "
                        "forecast. Fit the model again.")
    return weights
