"""Saving and loading an LSTMForecaster as a pickle-free folder.

Files: ``model.safetensors`` (weights; with ``strategy="direct"`` the networks
of steps 2..H follow under the key prefixes ``direct.h2.``, ``direct.h3.``, ...),
``config.json`` (the settings, reusable with ``lstmcast fit --config``),
``pipeline.json`` (fitted transform state as numbers), ``model.json`` (fitted
facts: window, season, strategy, features, training range, training history,
context rows), ``manifest.json`` (hashes, written last). ``fit`` adds
``metrics.json`` and ``test_predictions.csv`` beside them.

All model files and the manifest are written as one batch (each to an
fsynced temporary file first, then renamed), so a failed save (a full disk)
leaves the previous model loadable. The manifest also records how the model
was made: seed, library versions, the SHA-256 of the training data and the
repairs made to it while loading.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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

_DIRECT = "direct.h"
#: The oldest model format ``load`` reads (folders of format 1 and later are
#: kept loadable: tests/robustness/data/model_v1 is one, loaded in CI).
MIN_FORMAT_VERSION = 1
_TUPLE_PARAMS = ("lags", "rolling", "rolling_stats", "covariate_lags")


def _stamp_to_json(stamp: Any) -> Any:
    return stamp.isoformat() if isinstance(stamp, pd.Timestamp) else int(stamp)


def _frame_to_json(series: SeriesData) -> dict[str, Any]:
    frame = series.frame
    return {"index": [_stamp_to_json(s) for s in frame.index],
            "index_name": frame.index.name,
            "tz": str(tz) if (tz := getattr(frame.index, "tz", None)) else None,
            "columns": {c: [None if not np.isfinite(v) else float(v)
                            for v in frame[c].to_numpy(float)] for c in frame}}


def _frame_from_json(state: dict[str, Any], target: str, covariates: tuple[str, ...],
                     freq: str | None) -> SeriesData:
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
    return SeriesData(frame=frame, target=target, covariates=covariates, freq=freq)


def save_forecaster(est: Any, path: str) -> None:
    """Write every model file atomically, then the manifest of their hashes."""
    from safetensors.torch import save as save_tensors
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in est.net_.state_dict().items()}
    for h, net in enumerate(getattr(est, "nets_", [est.net_])[1:], start=2):
        state.update({f"{_DIRECT}{h}.{k}": v.detach().cpu().contiguous()
                      for k, v in net.state_dict().items()})
    files = {
        "model.safetensors": save_tensors(state),
        "config.json": json_bytes({"format_version": FORMAT_VERSION,
                                   **est.config_.to_dict()}),
        "pipeline.json": json_bytes({
            "target": est.pipeline_.get_state(),
            "covariate_impute": [imp.get_state() for imp in est.cov_impute_],
            "covariate_scaler": est.cov_scaler_.get_state() if est.cov_scaler_
            else None}),
        "model.json": json_bytes({
            "format_version": FORMAT_VERSION, "lstmcast_version": __version__,
            "torch_version": versions()["torch"], "params": est.get_params(),
            "fitted": _fitted_facts(est), "history": est.history_.to_dict(),
            "direct_histories": [h.to_dict()
                                 for h in getattr(est, "histories_", [])[1:]],
            "context": _frame_to_json(est.context_)}),
    }
    write_with_manifest(folder, files, run_record(est))


def versions() -> dict[str, str]:
    """Versions of python, lstmcast and the libraries a fit depends on."""
    import platform

    import torch
    return {"python": platform.python_version(), "lstmcast": __version__,
            "torch": torch.__version__, "numpy": np.__version__,
            "pandas": pd.__version__, "platform": platform.platform()}


def run_record(est: Any) -> dict[str, Any]:
    """How the model was made: seed, threads, versions, training data, repairs."""
    import torch
    return {"seed": est.get_params()["seed"], "threads": torch.get_num_threads(),
            "versions": versions(), "data_sha256": getattr(est, "data_hash_", None),
            "repairs": [r.to_dict() for r in getattr(est, "repairs_", ())]}


def _fitted_facts(est: Any) -> dict[str, Any]:
    return {
        "season": est.season_, "window": est.window_, "horizon": est.horizon_,
        "strategy": est.strategy_, "outputs": est.outputs_,
        "target_mode": est.target_mode_, "delta_scale": est.delta_scale_,
        "n_fit": est.n_fit_, "warmup": est.warmup_, "target": est.target_,
        "covariates": list(est.covariates_), "time_name": est.time_name_,
        "freq": est.freq_, "first_stamp": _stamp_to_json(est.first_stamp_),
        "feature_names": est.feature_names_, "input_size": len(est.feature_names_),
        "context_start": est.context_start_, "train_range": est.train_range_,
        "n_train_windows": est.n_train_windows_, "n_val_windows": est.n_val_windows_,
        "lags": list(est.lags_), "rolling": list(est.rolling_),
        "rolling_stats": list(est.rolling_stats_), "calendar": est.calendar_,
        "covariate_lags": list(est.covariate_lags_),
    }


def load_forecaster(cls: type, path: str) -> Any:
    """Rebuild a fitted forecaster; hashes are checked first, nothing unpickled."""
    try:
        return _load(cls, Path(path))
    except (KeyError, TypeError, IndexError) as exc:
        raise DataError(f"{path} is not a model folder this lstmcast ({__version__}) "
                        f"can read: an entry is missing or malformed ({exc!r}). "
                        "Fit the model again.") from None


def _load(cls: type, folder: Path) -> Any:
    from lstmcast.network.ensemble import build_net
    from lstmcast.network.train import TrainResult
    from lstmcast.preprocess.pipeline import Pipeline, transform_from_state
    verify_folder(folder)
    meta = read_json(folder / "model.json")
    if meta.get("format_version", 0) > FORMAT_VERSION:
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
    est = cls(**params)
    est.config_ = ForecastConfig.from_dict(read_json(folder / "config.json"))
    facts = meta["fitted"]
    _restore_facts(est, facts)
    pipes = read_json(folder / "pipeline.json")
    est.pipeline_ = Pipeline.from_state(pipes["target"])
    est.cov_impute_ = [transform_from_state(s) for s in pipes["covariate_impute"]]
    scaler = pipes["covariate_scaler"]
    est.cov_scaler_ = transform_from_state(scaler) if scaler else None
    cfg = est.config_.model
    weights = _read_weights(folder / "model.safetensors")
    est.nets_ = []
    for h in range(1, (est.horizon_ if est.strategy_ == "direct" else 1) + 1):
        prefix = f"{_DIRECT}{h}." if h > 1 else ""
        net = build_net(cfg, facts["input_size"], facts["window"], est.outputs_,
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
        est.nets_.append(net.eval())
    est.net_ = est.nets_[0]
    est.histories_ = [TrainResult(**{k: v for k, v in h.items() if v is not None})
                      for h in [meta["history"], *meta.get("direct_histories", [])]]
    est.history_ = est.histories_[0]
    est.context_ = _frame_from_json(meta["context"], est.target_, est.covariates_,
                                    est.freq_)
    return est


def _restore_facts(est: Any, facts: dict[str, Any]) -> None:
    for key in ("season", "window", "horizon", "target_mode", "delta_scale",
                "n_fit", "warmup", "target", "time_name", "freq", "feature_names",
                "context_start", "n_train_windows", "n_val_windows", "calendar",
                "train_range"):
        setattr(est, f"{key}_", facts[key])
    for key in ("covariates", "lags", "rolling", "rolling_stats", "covariate_lags"):
        setattr(est, f"{key}_", tuple(facts[key]))
    # folders written before the strategies existed: one MIMO network
    est.strategy_ = facts.get("strategy", "auto")
    est.outputs_ = facts.get("outputs", facts["horizon"])
    first = facts["first_stamp"]
    est.first_stamp_ = pd.Timestamp(first) if isinstance(first, str) else first


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
