"""Forecasting from a :class:`FittedState`: one-step forecasts from the true
history, and multi-step paths by the fitted strategy (see
:mod:`lstmcast.forecaster.shape`), batched over origins, on the original scale.

No NaN or infinite forecast leaves here (:func:`finite`), but where asked for
rows that cannot be forecast (``one_step(where_possible=True)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from lstmcast.core.errors import DataError
from lstmcast.data.series import SeriesData
from lstmcast.forecaster.inputs import (
    features_of,
    future_inputs,
    next_stamps,
    start_of,
)
from lstmcast.forecaster.state import FittedState
from lstmcast.network.model import inference_batch
from lstmcast.network.windows import WindowSet, valid_origins
from lstmcast.preprocess.features import build_features

if TYPE_CHECKING:
    import torch
    from torch import nn


def forward(state: FittedState, feats: np.ndarray, origins: np.ndarray,
            net: nn.Module | None = None) -> np.ndarray:
    """Outputs (B, K) of ``net`` (default: the first network) for the windows
    ending at ``origins``, batched."""
    import torch
    net = state.net if net is None else net
    window = state.shape.window
    windows = WindowSet(torch.from_numpy(feats), torch.empty(0), window,
                        np.asarray(origins))
    size = inference_batch(net, window)
    outs = [_outputs(net, windows.inputs_at(origins[lo: lo + size]))
            for lo in range(0, len(origins), size)]  # (B, L, F) -> (B, K)
    return np.concatenate(outs) if outs else np.empty((0, state.shape.outputs))


def _outputs(net: nn.Module, x: torch.Tensor) -> np.ndarray:
    """The network's outputs (B, K) for inputs x (B, L, F), in eval mode."""
    import torch
    net.eval()
    with torch.no_grad():
        return net(x).double().numpy()


def _usable_origins(state: FittedState, feats: np.ndarray) -> np.ndarray:
    ones = np.broadcast_to(np.float32(1), (len(feats), 1))  # no (N, 1) array
    return valid_origins(feats, ones, state.shape.window, 0, len(feats))


def _inputs(state: FittedState, series: SeriesData,
            future: np.ndarray | None = None) -> tuple[int, np.ndarray, np.ndarray]:
    """``series``' start among the training rows, its z and its features
    (``future``: the future covariates of the rows after its end)."""
    start = start_of(state, series)
    z, feats = features_of(state.transforms, state.features, series, start, future)
    return start, z, feats


def one_step(state: FittedState, series: SeriesData,
             rows: np.ndarray | None, *, where_possible: bool = False
             ) -> np.ndarray:
    """One-step forecasts of the target at ``rows`` from their true history
    (a DataError for a row without a complete window of history before it,
    or with ``where_possible`` a NaN there)."""
    shape = state.shape
    start, z, feats = _inputs(state, series)
    usable = _usable_origins(state, feats) + 1
    usable = usable[usable < len(series)]
    rows = usable if rows is None else np.asarray(rows, dtype=np.int64)
    can = np.isin(rows, usable)
    if not (where_possible or can.all()):
        need = int(usable[0]) if len(usable) else len(series) + 1
        raise DataError(f"Cannot forecast row(s) {rows[~can][:5].tolist()}: each "
                        f"needs {shape.window} complete rows of history before it "
                        f"(plus a warm-up of {shape.warmup}); the first row that "
                        f"has it is {need}, and rows must be < {len(series)}.")
    out = np.full(len(rows), np.nan)
    if not can.any():
        return out
    ok = rows[can]
    step = _one_step_outputs(state, feats, ok - 1, start)[:, 0]
    z_hat = z[ok - 1] + shape.delta_scale * step if shape.target_mode == "delta" \
        else step
    out[can] = finite(state.transforms.pipeline.inverse_one_step(
        z_hat, ok, series.y, start=start, times=series.times_float()))
    return out


def sequence_model(state: FittedState) -> bool:
    """Whether the network was trained on sequences (``batching="sequences"``):
    its one-step forecasts are then read in chunks, as it was trained."""
    cfg = state.config
    return cfg.train.batching == "sequences" and cfg.model.predictor != "naive"


def _one_step_outputs(state: FittedState, feats: np.ndarray, origins: np.ndarray,
                      start: int) -> np.ndarray:
    """Outputs (B, K) at ``origins``: each from its window of L rows, or for a
    sequence model from its chunk's rows (about one pass over the series:
    :func:`~lstmcast.network.sequences.forward_origins`)."""
    if not sequence_model(state):
        return forward(state, feats, origins)
    import torch

    from lstmcast.network.sequences import EVAL_CHUNK, forward_origins
    return forward_origins(state.net, torch.from_numpy(feats), origins,
                           state.shape.window, EVAL_CHUNK,
                           anchor=start).double().numpy()


def finite(forecasts: np.ndarray) -> np.ndarray:
    """``forecasts`` when all are finite, else a DataError: no NaN or infinite
    forecast leaves lstmcast."""
    bad = np.flatnonzero(~np.isfinite(forecasts).reshape(len(forecasts), -1)
                         .all(axis=1))
    if len(bad):
        raise DataError(
            f"{len(bad)} of {len(forecasts)} forecasts are NaN or infinite (first "
            f"at position {bad[0]}): the network or the inverse transforms "
            "overflow. Check the data for extreme values, use --transform log for "
            "data spanning orders of magnitude, or refit with a lower --lr.")
    return forecasts


def path(state: FittedState, series: SeriesData, origin: int, horizon: int,
         future: np.ndarray | None = None) -> np.ndarray:
    """Forecast ``horizon`` steps after row ``origin`` with the model's strategy;
    ``future`` (E, Cf) holds the future covariates of the rows after the end of
    ``series`` (see :func:`future_rows_needed`)."""
    start, z, feats = _inputs(state, series, future)
    if origin not in _usable_origins(state, feats):
        raise DataError(f"Row {origin} has fewer than {state.shape.window} complete "
                        "rows of history: give a longer history.")
    z_path = _z_paths(state, series, z, feats, np.array([origin]), horizon,
                      start, future)[0]
    times = series.times_float()[: origin + 1]
    return finite(state.transforms.pipeline.inverse_path(
        z_path, series.y[: origin + 1], start=start, times=times))


def multi_step(state: FittedState, series: SeriesData, origins: np.ndarray,
               horizon: int | None = None) -> np.ndarray:
    """(B, H) forecasts of steps 1..H after each origin (H: the model's horizon
    unless given), batched over the origins, on the original scale."""
    horizon = horizon or state.shape.horizon
    origins = np.asarray(origins, dtype=np.int64)
    start, z, feats = _inputs(state, series)
    out = _z_paths(state, series, z, feats, origins, horizon, start)  # (B, H)
    del z, feats  # not held while the inversion transforms the series again
    if len(origins) == 0:
        return np.empty((0, horizon))
    return finite(state.transforms.pipeline.inverse_paths(
        out, series.y, origins, start=start, times=series.times_float()))


def future_rows_needed(state: FittedState, horizon: int) -> int:
    """Rows after the origin whose future covariates a ``horizon``-step path
    reads: the network's leads, plus one per step fed back recursively."""
    shape, leads = state.shape, state.features.leads
    if not state.features.future:
        return 0
    recursive = horizon > shape.horizon or shape.strategy == "recursive"
    return horizon - 1 + leads if recursive else leads


def _z_paths(state: FittedState, series: SeriesData, z: np.ndarray,
             feats: np.ndarray, origins: np.ndarray, horizon: int, start: int,
             future: np.ndarray | None = None) -> np.ndarray:
    """(B, H) forecasts on the transformed scale, by the model's strategy."""
    shape = state.shape
    strategy = shape.strategy
    if horizon > shape.horizon and strategy in ("mimo", "direct"):
        raise DataError(f"This model forecasts at most {shape.horizon} step(s) "
                        f"(strategy '{strategy}'); {horizon} were asked for. Refit "
                        f"with --horizon {horizon}, or with --strategy auto "
                        "(recursive beyond the horizon) or recursive.")
    if horizon > shape.horizon or strategy == "recursive":
        fc = future_inputs(state.transforms, series, start, future)
        return _recursive(state, series, z, origins, horizon, fc, start)
    if strategy == "direct":
        out = np.column_stack([forward(state, feats, origins, net)[:, 0]
                               for net in state.networks.nets[:horizon]])  # (B, H)
    else:
        out = forward(state, feats, origins)[:, :horizon]  # (B, H)
    return z[origins, None] + shape.delta_scale * out \
        if shape.target_mode == "delta" else out


def _recursive(state: FittedState, series: SeriesData, z: np.ndarray,
               origins: np.ndarray, horizon: int, fc: np.ndarray,
               start: int) -> np.ndarray:
    """Feed one-step forecasts back as inputs (models without past covariates;
    the scaled future covariates ``fc`` (N + E, Cf) are read step by step),
    batched over the origins: (B, H) forecasts on the transformed scale
    (``start``: the series' first row among the training rows)."""
    import torch
    shape, net = state.shape, state.net
    if state.features.covariates:
        raise DataError(f"A {horizon}-step forecast needs future covariate values, "
                        f"which are unknown; this model forecasts {shape.horizon} "
                        f"step(s) (strategy '{shape.strategy}'). Refit with "
                        f"--horizon {horizon} and --strategy auto, mimo or direct to "
                        "forecast that far with covariates, or give the ones known "
                        "in advance as --future-covariates.")
    keep = shape.window + shape.warmup + 1
    rows = origins[:, None] + np.arange(1 - keep, 1)  # (B, keep) rows of each tail
    ext = np.full((len(origins), keep + horizon), np.nan)
    ext[:, :keep] = np.where(rows >= 0, z[np.maximum(rows, 0)], np.nan)
    stamps = next_stamps(series, horizon + 1) if state.features.calendar else None
    for s in range(horizon):
        tails = ext[:, s: s + keep]  # (B, keep)
        feats = _tail_features(state, tails, stamps, rows + s, fc,
                               start)  # (B, keep, F)
        x = torch.from_numpy(np.ascontiguousarray(feats[:, -shape.window:]))
        size = inference_batch(net, shape.window)
        step = np.concatenate([_outputs(net, x[lo: lo + size])[:, 0]
                               for lo in range(0, len(x), size)]) \
            if len(x) else np.empty(0)  # (B,)
        ext[:, keep + s] = tails[:, -1] + shape.delta_scale * step \
            if shape.target_mode == "delta" else step
    return ext[:, keep:]


def _tail_features(state: FittedState, tails: np.ndarray, stamps: pd.Index | None,
                   rows: np.ndarray, fc: np.ndarray, start: int) -> np.ndarray:
    """(B, L, F) float32 features of each row of ``tails`` (B, L) at ``rows``:
    the target's, the cycle's at the steps after them (``rows`` count from
    training row ``start``), and the future covariates ``fc`` there."""
    features = state.features
    if not (features.lags or features.rolling or features.calendar
            or features.future or features.cycle):
        return tails[:, :, None].astype(np.float32)
    out = []
    for tail, where in zip(tails, rows, strict=True):
        cal = stamps[np.maximum(where, 0)] if features.calendar else None
        known = _padded(fc, int(where[0]), len(tail) + features.leads)
        feats, _ = build_features(tail, np.empty((len(tail), 0)), cal,
                                  lags=features.lags,
                                  rolling_windows=features.rolling,
                                  rolling_stats=features.rolling_stats,
                                  future=known, future_names=features.future,
                                  leads=features.leads, cycle=features.cycle,
                                  cycle_harmonics=features.cycle_harmonics,
                                  next_positions=start + 1 + where)
        out.append(feats)
    return np.stack(out)


def _padded(values: np.ndarray, first: int, count: int) -> np.ndarray:
    """Rows ``first .. first + count - 1`` of ``values``, NaN where outside."""
    out = np.full((count, values.shape[1]), np.nan)
    lo, hi = max(first, 0), min(first + count, len(values))
    if hi > lo:
        out[lo - first: hi - first] = values[lo:hi]
    return out
