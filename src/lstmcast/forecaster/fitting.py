"""The work behind LSTMForecaster: fit transforms, build windows, train, forecast.

Kept apart from the estimator class so that the class stays a thin holder of
parameters and fitted state, and each function here can be read alone.

Multi-step strategies (``ModelConfig.strategy``), for a horizon of H steps:

- ``mimo``: one network with H outputs, trained on the H targets at once;
- ``direct``: H networks with one output each, network h trained on the
  h-step target (H times the training cost);
- ``recursive``: one one-step network whose forecasts are fed back as inputs
  (target-only models: covariates have no known future values);
- ``auto`` (the default): ``mimo`` up to H, ``recursive`` beyond H.

At H = 1 all four fit the very same network.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.series import SeriesData
from lstmcast.data.split import check_length
from lstmcast.network.model import inference_batch
from lstmcast.network.windows import WindowSet, valid_origins
from lstmcast.preprocess.features import build_features, feature_warmup

STRATEGIES = ("auto", "mimo", "direct", "recursive")


def check_strategy(strategy: str, horizon: int, covariates: tuple[str, ...]) -> None:
    """Refuse settings that cannot go together (a DataError naming the fix)."""
    if strategy not in STRATEGIES:
        raise DataError(f"The 'strategy' setting must be one of "
                        f"{', '.join(STRATEGIES)}. Got {strategy!r} instead.")
    if strategy == "recursive" and covariates and horizon > 1:
        raise DataError(
            f"strategy='recursive' with horizon={horizon} feeds the network its own "
            f"forecasts, but the covariates ({', '.join(covariates)}) have no known "
            f"future values to feed with them. Use --strategy mimo or direct (both "
            f"forecast {horizon} steps from known inputs only), or drop the "
            "covariates (--covariates none).")


def network_steps(strategy: str, horizon: int) -> list[list[int]]:
    """The steps ahead each network is trained on, one list per network."""
    if strategy in ("auto", "mimo"):
        return [list(range(1, horizon + 1))]
    if strategy == "direct":
        return [[h] for h in range(1, horizon + 1)]
    return [[1]]


def fit_forecaster(est: Any, series: SeriesData, cfg: ForecastConfig,
                   *, progress: bool = False) -> None:
    """Fit every fitted attribute of ``est`` (an LSTMForecaster) on ``series``."""
    from lstmcast.preprocess.pipeline import build_pipeline

    pre, mcfg = cfg.preprocess, cfg.model
    n = len(series)
    check_strategy(mcfg.strategy, mcfg.horizon, series.covariates)
    if mcfg.predictor == "naive" and (mcfg.target_mode != "delta" or pre.difference
                                      or pre.seasonal_difference
                                      or pre.decompose != "none"):
        raise DataError("predictor='naive' repeats the last value through a zero "
                        "change, which needs target_mode='delta' on the levels. Set "
                        "--target-mode delta --difference 0 --seasonal-difference 0 "
                        "--decompose none, or use --predictor lstm.")
    steps = network_steps(mcfg.strategy, mcfg.horizon)
    season, window, warm, n_val = resolve_shape(series, cfg)
    n_fit = n - n_val
    check_length(n, window=window + warm, horizon=steps[-1][-1], n_test=0,
                 n_val=n_val)
    times = series.times_float()
    est.pipeline_ = build_pipeline(pre, season).fit(series.y[:n_fit],
                                                    times=times[:n_fit])
    _fit_covariates(est, series, n_fit, pre.impute)
    est.season_, est.window_, est.horizon_ = season, window, mcfg.horizon
    est.strategy_, est.outputs_ = mcfg.strategy, len(steps[0])
    est.target_mode_, est.n_fit_ = mcfg.target_mode, n_fit
    est.target_, est.covariates_ = series.target, series.covariates
    est.time_name_, est.freq_ = series.frame.index.name, series.freq
    est.first_stamp_ = series.index[0]
    est.data_hash_, est.repairs_ = series.fingerprint(), series.repairs
    est.train_range_ = {"first": str(series.index[0]), "last": str(series.index[-1]),
                        "rows": n, "rows_fitting_transforms": n_fit,
                        "last_fitting_transforms": str(series.index[n_fit - 1])}
    est.lags_, est.rolling_, est.rolling_stats_ = pre.lags, pre.rolling, \
        pre.rolling_stats
    est.calendar_, est.covariate_lags_ = pre.calendar, pre.covariate_lags
    est.warmup_ = warm
    z, feats = features_of(est, series, 0)
    est.delta_scale_ = _delta_scale(z[:n_fit]) if mcfg.target_mode == "delta" else 1.0
    est.feature_names_ = _names(est, series)
    fitted = [_fit_network(est, cfg, z, feats, series.y, s, progress=progress)
              for s in steps]
    est.nets_ = [net for net, _, _, _ in fitted]
    est.histories_ = [history for _, history, _, _ in fitted]
    est.net_, est.history_ = est.nets_[0], est.histories_[0]
    est.n_train_windows_, est.n_val_windows_ = fitted[0][2], fitted[0][3]
    keep = min(n, window + warm + 3 * max(season, 1) + 16)
    est.context_start_ = n - keep
    est.context_ = _tail(series, keep)


def _fit_network(est: Any, cfg: ForecastConfig, z: np.ndarray, feats: np.ndarray,
                 y: np.ndarray, steps: list[int], *, progress: bool
                 ) -> tuple[Any, Any, int, int]:
    """Train one network on the targets ``steps`` ahead: (net, history, windows
    for training, windows for validation)."""
    import torch

    from lstmcast.network.ensemble import MeanOf, build_net
    from lstmcast.network.sequences import (
        VALIDATION_CHUNK,
        SequenceSet,
        auto_chunk,
        check_sequences,
    )
    from lstmcast.network.train import seed_everything, train
    mcfg, window, n_fit, last = cfg.model, est.window_, est.n_fit_, steps[-1]
    targets = _targets(z, y, steps, mcfg.target_mode, est.delta_scale_)
    train_origins = valid_origins(feats, targets, window, 0, n_fit - last)
    val_origins = valid_origins(feats, targets, window, n_fit - 1, len(z) - last)
    if len(train_origins) == 0:
        raise DataError(f"No complete training window: {n_fit} training rows, window "
                        f"{window}, warm-up {est.warmup_}, {last} step(s) ahead. Use "
                        "a smaller --window or more data.")
    feats_t, targets_t = torch.from_numpy(feats), torch.from_numpy(targets)
    train_set: WindowSet | SequenceSet = WindowSet(feats_t, targets_t, window,
                                                   train_origins)
    if cfg.train.batching == "sequences" and mcfg.predictor != "naive":
        check_sequences(mcfg.bidirectional)  # the same origins, scored per step
        train_set = SequenceSet(feats_t, targets_t, window, train_origins,
                                cfg.train.chunk or auto_chunk(window))
    val_set: WindowSet | SequenceSet | None = WindowSet(
        feats_t, targets_t, window, val_origins) if len(val_origins) else None
    if val_set is not None and isinstance(train_set, SequenceSet):
        val_set = SequenceSet(feats_t, targets_t, window, val_origins,
                              min(len(val_origins), VALIDATION_CHUNK))
    members, histories = [], []
    for member in range(mcfg.ensemble):  # an ensemble: one seed per member
        tcfg = replace(cfg.train, seed=cfg.train.seed + member)
        seed_everything(tcfg.seed)  # the initial weights come from the seed too
        net = build_net(mcfg, feats.shape[1], window, len(steps))
        histories.append(_untrained(net) if mcfg.predictor == "naive" else train(
            net, train_set, val_set, tcfg, progress=progress))
        members.append(net.to("cpu"))
    net = members[0] if len(members) == 1 else MeanOf(members)
    return net, histories[0], len(train_origins), len(val_origins)


def _untrained(net: Any) -> Any:
    """Zero every weight (output 0: no change from the last value) and return
    an empty training history: the naive predictor."""
    import torch

    from lstmcast.network.train import TrainResult
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
    return TrainResult(stopped="not trained: the naive predictor (no change from "
                       "the last value)")


def resolve_shape(series: SeriesData, cfg: ForecastConfig) -> tuple[int, int, int,
                                                                    int]:
    """Season, window, feature warm-up and validation rows for fitting ``series``.

    The season is detected on ``series`` (the training data) when not given;
    the window defaults to two seasons (see :func:`auto_window`).
    """
    from lstmcast.data.seasonality import detect_season
    from lstmcast.data.split import auto_window, count_of
    pre = cfg.preprocess
    n_val = count_of(cfg.data.val_size, len(series))
    season = cfg.data.season or detect_season(_interpolated(series.y), series.freq)
    window = cfg.model.window or auto_window(season, len(series) - n_val)
    warm = (feature_warmup(pre.lags, pre.rolling, pre.covariate_lags)
            + pre.difference + pre.seasonal_difference)
    return season, window, warm, n_val



def _interpolated(y: np.ndarray) -> np.ndarray:
    return pd.Series(y).interpolate(limit_direction="both").to_numpy()


def _fit_covariates(est: Any, series: SeriesData, n_fit: int, impute: str) -> None:
    from lstmcast.preprocess.impute import Impute
    from lstmcast.preprocess.scale import Scaler
    method = impute if impute != "none" else "ffill"
    est.cov_impute_ = [Impute(method).fit(series.X[:n_fit, j])
                       for j in range(len(series.covariates))]
    filled = _covariates(est, series, 0)
    est.cov_scaler_ = Scaler("standard").fit(filled[:n_fit]) if filled.shape[1] \
        else None


def _covariates(est: Any, series: SeriesData, start: int) -> np.ndarray:
    cols = [imp.transform(series.X[:, j], start=start)
            for j, imp in enumerate(est.cov_impute_)]
    return np.column_stack(cols) if cols else np.empty((len(series), 0))


def _delta_scale(z_train: np.ndarray) -> float:
    steps = np.diff(z_train)
    scale = float(np.nanstd(steps[np.isfinite(steps)])) if np.isfinite(steps).any() \
        else 1.0
    return scale if scale > 1e-12 else 1.0


def _targets(z: np.ndarray, y: np.ndarray, steps: list[int], mode: str,
             scale: float) -> np.ndarray:
    """(N, K) float32 targets by origin t: the values ``steps`` (K of them) after
    t, NaN where the true value was missing (imputed values are never learned
    as truth)."""
    n = len(z)
    out = np.full((n, len(steps)), np.nan)
    truth = np.where(np.isfinite(y), z, np.nan)
    for k, h in enumerate(steps):
        ahead = np.full(n, np.nan)
        ahead[: n - h] = truth[h:]
        out[:, k] = (ahead - z) / scale if mode == "delta" else ahead
    return out.astype(np.float32)


def next_stamps(series: SeriesData, extra: int = 1) -> pd.Index:
    """The stamp after each row (and ``extra - 1`` more beyond the end)."""
    index = series.index
    try:
        future = series.future_index(extra)
    except DataError:
        step = index[-1] - index[-2] if len(index) > 1 else 1
        future = pd.Index([index[-1] + step * (k + 1) for k in range(extra)])
    return index[1:].append(future)


def features_of(est: Any, series: SeriesData, start: int) -> tuple[np.ndarray,
                                                                   np.ndarray]:
    """Transformed target z (N,) and the input features (N, F) of ``series``."""
    z = est.pipeline_.transform(series.y, start=start, times=series.times_float())
    cov = _covariates(est, series, start)
    if est.cov_scaler_ is not None:
        cov = est.cov_scaler_.transform(cov)
    stamps = next_stamps(series)[: len(series)] if est.calendar_ else None
    feats, _ = build_features(z, cov, stamps, lags=est.lags_,
                              rolling_windows=est.rolling_,
                              rolling_stats=est.rolling_stats_,
                              covariate_names=est.covariates_,
                              covariate_lags=est.covariate_lags_)
    return z, feats


def _names(est: Any, series: SeriesData) -> list[str]:
    head = _tail(series, min(len(series), 3))
    stamps = next_stamps(head)[:3] if est.calendar_ else None
    _, names = build_features(np.zeros(len(head)), np.zeros((len(head),
                              len(est.covariates_))), stamps, lags=est.lags_,
                              rolling_windows=est.rolling_,
                              rolling_stats=est.rolling_stats_,
                              covariate_names=est.covariates_,
                              covariate_lags=est.covariate_lags_)
    return names


def _tail(series: SeriesData, keep: int) -> SeriesData:
    frame = series.frame.iloc[len(series) - keep:].copy()
    return SeriesData(frame=frame, target=series.target,
                      covariates=series.covariates, freq=series.freq)


def start_of(est: Any, series: SeriesData) -> int:
    """Position of ``series``' first row counted from the first training row."""
    first = series.index[0]
    if first == est.first_stamp_:
        return 0
    context = est.context_.index
    if first in context:
        return est.context_start_ + int(context.get_loc(first))
    if not isinstance(first, pd.Timestamp):
        return int(first - est.first_stamp_)
    if est.freq_:
        lo, hi = sorted([first, est.first_stamp_])
        steps = len(pd.date_range(lo, hi, freq=est.freq_)) - 1
        return steps if first > est.first_stamp_ else -steps
    raise DataError(f"Cannot place data starting at {first} relative to the "
                    f"training data (which started at {est.first_stamp_}) because "
                    "the series has no regular frequency. Give data that starts "
                    "at the training start, or refit with --gaps fill.")


def forward(est: Any, feats: np.ndarray, origins: np.ndarray,
            net: Any = None) -> np.ndarray:
    """Outputs (B, K) of ``net`` (default: the first network) for the windows
    ending at ``origins``, batched."""
    import torch
    net = est.net_ if net is None else net
    windows = WindowSet(torch.from_numpy(feats), torch.empty(0), est.window_,
                        np.asarray(origins))
    size = inference_batch(net, est.window_)
    outs = [_outputs(net, windows.inputs_at(origins[lo: lo + size]))
            for lo in range(0, len(origins), size)]  # (B, L, F) -> (B, K)
    return np.concatenate(outs) if outs else np.empty((0, est.outputs_))


def _outputs(net: Any, x: Any) -> np.ndarray:
    """The network's outputs (B, K) for inputs x (B, L, F), in eval mode."""
    import torch
    net.eval()
    with torch.no_grad():
        return net(x).double().numpy()


def _usable_origins(est: Any, feats: np.ndarray) -> np.ndarray:
    ones = np.ones((len(feats), 1))
    return valid_origins(feats, ones, est.window_, 0, len(feats))


def one_step(est: Any, series: SeriesData, rows: np.ndarray | None) -> np.ndarray:
    """One-step forecasts of the target at ``rows`` from their true history."""
    start = start_of(est, series)
    z, feats = features_of(est, series, start)
    usable = _usable_origins(est, feats) + 1
    usable = usable[usable < len(series)]
    if rows is None:
        rows = usable
    rows = np.asarray(rows, dtype=np.int64)
    bad = rows[~np.isin(rows, usable)]
    if len(bad):
        need = int(usable[0]) if len(usable) else len(series) + 1
        raise DataError(f"Cannot forecast row(s) {bad[:5].tolist()}: each needs "
                        f"{est.window_} complete rows of history before it (plus a "
                        f"warm-up of {est.warmup_}); the first row that has it is "
                        f"{need}, and rows must be < {len(series)}.")
    out = forward(est, feats, rows - 1)[:, 0]
    z_hat = z[rows - 1] + est.delta_scale_ * out if est.target_mode_ == "delta" \
        else out
    return finite(est.pipeline_.inverse_one_step(z_hat, rows, series.y, start=start,
                                                 times=series.times_float()))


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


def path(est: Any, series: SeriesData, origin: int, horizon: int) -> np.ndarray:
    """Forecast ``horizon`` steps after row ``origin`` with the model's strategy."""
    start = start_of(est, series)
    z, feats = features_of(est, series, start)
    if origin not in _usable_origins(est, feats):
        raise DataError(f"Row {origin} has fewer than {est.window_} complete rows "
                        "of history: give a longer history.")
    z_path = _z_paths(est, series, z, feats, np.array([origin]), horizon)[0]
    times = series.times_float()[: origin + 1]
    return finite(est.pipeline_.inverse_path(z_path, series.y[: origin + 1],
                                             start=start, times=times))


def multi_step(est: Any, series: SeriesData, origins: np.ndarray,
               horizon: int | None = None) -> np.ndarray:
    """(B, H) forecasts of steps 1..H after each origin (H: the model's horizon
    unless given), batched over the origins, on the original scale."""
    horizon = horizon or est.horizon_
    origins = np.asarray(origins, dtype=np.int64)
    start = start_of(est, series)
    z, feats = features_of(est, series, start)
    out = _z_paths(est, series, z, feats, origins, horizon)  # (B, H)
    times, y = series.times_float(), series.y
    paths = [est.pipeline_.inverse_path(out[i], y[: t + 1], start=start,
                                        times=times[: t + 1])
             for i, t in enumerate(origins)]
    return finite(np.stack(paths)) if paths else np.empty((0, horizon))


def _z_paths(est: Any, series: SeriesData, z: np.ndarray, feats: np.ndarray,
             origins: np.ndarray, horizon: int) -> np.ndarray:
    """(B, H) forecasts on the transformed scale, by the model's strategy."""
    strategy = est.strategy_
    if horizon > est.horizon_ and strategy in ("mimo", "direct"):
        raise DataError(f"This model forecasts at most {est.horizon_} step(s) "
                        f"(strategy '{strategy}'); {horizon} were asked for. Refit "
                        f"with --horizon {horizon}, or with --strategy auto "
                        "(recursive beyond the horizon) or recursive.")
    if horizon > est.horizon_ or strategy == "recursive":
        return _recursive(est, series, z, origins, horizon)
    if strategy == "direct":
        out = np.column_stack([forward(est, feats, origins, net)[:, 0]
                               for net in est.nets_[:horizon]])  # (B, H)
    else:
        out = forward(est, feats, origins)[:, :horizon]  # (B, H)
    return z[origins, None] + est.delta_scale_ * out if est.target_mode_ == "delta" \
        else out


def _recursive(est: Any, series: SeriesData, z: np.ndarray, origins: np.ndarray,
               horizon: int) -> np.ndarray:
    """Feed one-step forecasts back as inputs (target-only models), batched over
    the origins: (B, H) forecasts on the transformed scale."""
    import torch
    if est.covariates_:
        raise DataError(f"A {horizon}-step forecast needs future covariate values, "
                        f"which are unknown; this model forecasts {est.horizon_} "
                        f"step(s) (strategy '{est.strategy_}'). Refit with --horizon "
                        f"{horizon} and --strategy auto, mimo or direct to forecast "
                        "that far with covariates.")
    keep = est.window_ + est.warmup_ + 1
    rows = origins[:, None] + np.arange(1 - keep, 1)  # (B, keep) rows of each tail
    ext = np.full((len(origins), keep + horizon), np.nan)
    ext[:, :keep] = np.where(rows >= 0, z[np.maximum(rows, 0)], np.nan)
    stamps = next_stamps(series, horizon + 1) if est.calendar_ else None
    for s in range(horizon):
        tails = ext[:, s: s + keep]  # (B, keep)
        feats = _tail_features(est, tails, stamps, rows + s)  # (B, keep, F)
        x = torch.from_numpy(np.ascontiguousarray(feats[:, -est.window_:]))
        size = inference_batch(est.net_, est.window_)
        step = np.concatenate([_outputs(est.net_, x[lo: lo + size])[:, 0]
                               for lo in range(0, len(x), size)]) \
            if len(x) else np.empty(0)  # (B,)
        ext[:, keep + s] = tails[:, -1] + est.delta_scale_ * step \
            if est.target_mode_ == "delta" else step
    return ext[:, keep:]


def _tail_features(est: Any, tails: np.ndarray, stamps: pd.Index | None,
                   rows: np.ndarray) -> np.ndarray:
    """(B, L, F) float32 target-only features of each row of ``tails`` (B, L)."""
    if not (est.lags_ or est.rolling_ or est.calendar_):
        return tails[:, :, None].astype(np.float32)
    out = []
    for tail, where in zip(tails, rows, strict=True):
        cal = stamps[np.maximum(where, 0)] if est.calendar_ else None
        feats, _ = build_features(tail, np.empty((len(tail), 0)), cal,
                                  lags=est.lags_, rolling_windows=est.rolling_,
                                  rolling_stats=est.rolling_stats_)
        out.append(feats)
    return np.stack(out)
