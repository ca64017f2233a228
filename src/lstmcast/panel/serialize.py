"""Saving and loading a global model as a pickle-free folder.

Files: ``model.safetensors`` (the network), ``context.safetensors`` (the
panel ``fit`` saw: values, stamps and series offsets, so that ``predict``
without data forecasts after it), ``config.json`` (the settings, reusable with
``lstmcast fit --config``), ``model.json`` (``"kind": "panel"``, season,
window, horizon, the weights of the combination and the validation scores
that chose them, the training history, the series ids and column names) and
``calibration.json`` (the scaled validation errors per step the prediction
intervals are made from: :mod:`lstmcast.panel.bands`; a folder saved before
intervals existed has none and forecasts points only) and ``manifest.json``
(hashes, written last). Loading checks the hashes first and never unpickles.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.core.config import FORMAT_VERSION, ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.core.manifest import Folder, open_folder, write_with_manifest
from lstmcast.core.persist import json_bytes, read_json
from lstmcast.core.version import __version__, library_versions
from lstmcast.data.panel import PanelData
from lstmcast.network.weights import read_weights, tensors
from lstmcast.panel.combine import COMPONENTS
from lstmcast.panel.state import PanelState

if TYPE_CHECKING:
    from lstmcast.intervals.conformal import Calibration

KIND = "panel"
FILES = ("model.safetensors", "context.safetensors", "config.json", "model.json")
CALIBRATION = "calibration.json"
HEADER_BYTES = 1 << 20  # of a safetensors header, at most
FIX = "Fit the global model again (lstmcast fit PANEL --id ID ...)."


def _json_id(value: Any) -> Any:
    """An id as JSON keeps it: text and numbers as they are, others as text."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return str(value)
    return value


def _context_tensors(panel: PanelData) -> dict[str, Any]:
    import torch
    stamps = panel.stamps
    raw = stamps.asi8 if isinstance(stamps, pd.DatetimeIndex) else np.asarray(
        stamps, dtype=np.int64)
    return {"values": torch.from_numpy(np.ascontiguousarray(panel.values)),
            "stamps": torch.from_numpy(np.ascontiguousarray(raw, dtype=np.int64)),
            "starts": torch.from_numpy(np.ascontiguousarray(panel.starts))}


def save_panel_state(state: PanelState, params: dict[str, Any],
                     path: str | os.PathLike[str]) -> Path:
    """Write the model files and their manifest (last); returns the folder."""
    from safetensors.torch import save as save_tensors
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    panel = state.context
    tz = getattr(panel.stamps, "tz", None)
    files = {
        "model.safetensors": save_tensors(tensors(state.net)),
        "context.safetensors": save_tensors(_context_tensors(panel)),
        "config.json": json_bytes({"format_version": FORMAT_VERSION,
                                   **state.config.to_dict()}),
        "model.json": json_bytes({
            "kind": KIND, "format_version": FORMAT_VERSION,
            "lstmcast_version": __version__, "params": params,
            "season": state.season, "window": state.window,
            "horizon": state.horizon, "weights": state.weights,
            "validation": state.validation,
            "n_train_windows": state.n_train_windows, "facts": state.facts,
            "history": state.history.to_dict(),
            "context": {"ids": [_json_id(k) for k in panel.ids],
                        "id_name": panel.id_name, "time_name": panel.time_name,
                        "target": panel.target, "freq": panel.freq,
                        "step": panel.step, "tz": str(tz) if tz else None,
                        "dates": isinstance(panel.stamps, pd.DatetimeIndex),
                        "unit": getattr(panel.stamps, "unit", None)}}),
    }
    if state.calibration is not None:
        files[CALIBRATION] = json_bytes({**state.calibration.to_dict(),
                                         "scale_recent": state.scale_recent})
    write_with_manifest(folder, files, {"seed": params.get("seed"),
                                        "versions": library_versions(),
                                        "data_sha256": state.facts["data_sha256"]})
    return folder


def is_panel_folder(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` holds a global model (its model.json says so)."""
    meta = Path(path) / "model.json"
    if not meta.is_file():
        return False
    try:
        return read_json(meta).get("kind") == KIND
    except (DataError, AttributeError):
        return False


def load_panel_state(path: str | os.PathLike[str]) -> tuple[dict[str, Any],
                                                            PanelState]:
    """The constructor parameters and the fitted state of a saved global model.

    Every file is read through one handle of the folder, its size and hash
    checked first (:func:`lstmcast.core.manifest.open_folder`); nothing is
    unpickled."""
    with open_folder(path, fix=FIX) as folder:
        folder.require(FILES)
        try:
            return _load(folder)
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            raise DataError(f"{folder.path} is not a global model folder this "
                            f"lstmcast ({__version__}) can read: an entry is "
                            f"missing or malformed ({exc!r}). {FIX}") from None


def _load(folder: Folder) -> tuple[dict[str, Any], PanelState]:
    from lstmcast.network.ensemble import build_net
    from lstmcast.network.train import TrainResult
    from lstmcast.panel.windows import INPUTS
    meta = folder.json("model.json")
    if meta.get("format_version", 0) > FORMAT_VERSION:
        raise DataError(f"{folder.path} was written by lstmcast "
                        f"{meta.get('lstmcast_version')}; this is lstmcast "
                        f"{__version__}. Upgrade lstmcast to load it.")
    config = ForecastConfig.from_dict(folder.json("config.json"))
    _check_size(folder, config, meta["window"], meta["horizon"])
    net = build_net(config.model, INPUTS, meta["window"], meta["horizon"],
                    members=config.model.ensemble)
    weights = read_weights(folder.read("model.safetensors"),
                           folder.path / "model.safetensors", fix=FIX)
    try:
        net.load_state_dict(weights, strict=True)
    except RuntimeError as exc:
        raise DataError(f"The weights in {folder.path / 'model.safetensors'} do "
                        f"not fit the network described in model.json "
                        f"({str(exc).splitlines()[0]}). {FIX}") from None
    history = TrainResult(**{k: v for k, v in meta["history"].items()
                             if v is not None})
    weights = {str(k): float(v) for k, v in meta["weights"].items()}
    unknown = sorted(set(weights) - set(COMPONENTS))
    if unknown:
        raise DataError(f"{folder.path / 'model.json'}: key weights names "
                        f"{unknown[0]!r}, which is not one of {', '.join(COMPONENTS)}. "
                        f"{FIX}")
    state = PanelState(config, meta["season"], meta["window"], meta["horizon"],
                       weights, net.eval(), history, meta["n_train_windows"],
                       _context(folder, meta["context"]), meta["facts"],
                       {str(k): float(v) for k, v in meta["validation"].items()},
                       *_calibration(folder, meta["horizon"]))
    return meta["params"], state


def _calibration(folder: Folder, horizon: int) -> tuple[Calibration | None, int]:
    """The interval calibration of ``calibration.json`` and how its errors
    were scaled (``scale_recent``; 0 where the file predates it: the whole
    history's scale alone); None where the folder has none (saved before
    intervals existed: point forecasts only)."""
    from lstmcast.intervals.conformal import SOURCES, Calibration
    if CALIBRATION not in folder.files:
        return None, 0
    where = folder.path / CALIBRATION
    values = folder.json(CALIBRATION)
    rows = values.get("errors") if isinstance(values, dict) else None
    if not isinstance(rows, list) or not rows or any(
            not isinstance(row, list) or len(row) != horizon for row in rows):
        raise DataError(f"{where}: key errors must be a list of rows of "
                        f"{horizon} numbers or nulls (one per step of the "
                        f"horizon). {FIX}")
    if any(v is not None and (isinstance(v, bool) or not isinstance(v, int | float))
           for row in rows for v in row):
        raise DataError(f"{where}: key errors holds a value that is neither a "
                        f"number nor null. {FIX}")
    recent = values.get("scale_recent", 0)
    if isinstance(recent, bool) or not isinstance(recent, int) or recent < 0:
        raise DataError(f"{where}: key scale_recent must be a whole number of 0 "
                        f"or more (the latest differences a series' scale reads); "
                        f"it is {recent!r}. {FIX}")
    source = values.get("source", "validation")
    if source not in SOURCES:
        raise DataError(f"{where}: key source must be one of "
                        f"{', '.join(SOURCES)}; it is {source!r}. {FIX}")
    return Calibration.from_dict(values), recent


def _check_size(folder: Folder, config: ForecastConfig, window: Any,
                horizon: Any) -> None:
    """The network config.json and model.json describe must be the size of the
    weights file, before anything is allocated (a forged hidden size of
    200,000 would ask for terabytes)."""
    from lstmcast.network.ensemble import weight_bytes
    from lstmcast.panel.windows import INPUTS
    for key, value in (("window", window), ("horizon", horizon)):
        if isinstance(value, bool) or not isinstance(value, int) or not (
                1 <= value <= 10**7):
            raise DataError(f"{folder.path / 'model.json'}: key {key} must be a "
                            f"whole number from 1 to 10,000,000; got {value!r}. "
                            f"{FIX}")
    expected = weight_bytes(config.model, INPUTS, window, horizon,
                            members=config.model.ensemble)
    size = folder.size("model.safetensors")
    if not expected <= size <= expected + HEADER_BYTES:
        raise DataError(f"{folder.path / 'model.safetensors'} holds {size:,} bytes, "
                        "but the network that config.json and model.json describe "
                        f"(hidden_size {config.model.hidden_size}, num_layers "
                        f"{config.model.num_layers}, horizon {horizon}) holds "
                        f"{expected:,} bytes of weights: the files do not belong "
                        f"together (damaged or forged). {FIX}")


def _context(folder: Folder, info: dict[str, Any]) -> PanelData:
    arrays = read_weights(folder.read("context.safetensors"),  # NaN: gaps
                          folder.path / "context.safetensors", finite=False,
                          fix=FIX)
    raw = arrays["stamps"].numpy()
    if info["dates"]:
        unit = info.get("unit") or "ns"  # the resolution the stamps were read in
        if unit not in ("s", "ms", "us", "ns"):
            raise DataError(f"{folder.path / 'model.json'}: key context.unit must "
                            f"be s, ms, us or ns; got {unit!r}. {FIX}")
        stamps = pd.DatetimeIndex(raw.astype(f"datetime64[{unit}]"))
        stamps = stamps.tz_localize("UTC").tz_convert(info["tz"]) if info["tz"] \
            else stamps
    else:
        stamps = pd.Index(raw, dtype=np.int64)
    return PanelData(tuple(info["ids"]), arrays["values"].numpy().astype(np.float64),
                     stamps.rename(info["time_name"]),
                     arrays["starts"].numpy().astype(np.int64), info["id_name"],
                     info["time_name"], info["target"], info["freq"], info["step"])
