"""The work behind LSTMForecaster: fit transforms, build windows, train, forecast.

Kept apart from the estimator class so that the class stays a thin holder of
parameters and fitted state, and each function here can be read alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from lstmcast.config import ForecastConfig
from lstmcast.errors import DataError
from lstmcast.features import build_features, feature_warmup
from lstmcast.io import SeriesData, check_length
from lstmcast.windows import WindowSet, valid_origins

INFER_BATCH = 8192


def fit_forecaster(est: Any, series: SeriesData, cfg: ForecastConfig,
                   *, progress: bool = False) -> None:
    """Fit every fitted attribute of ``est`` (an LSTMForecaster) on ``series``."""
    from lstmcast.model import LSTMNet
    from lstmcast.train import seed_everything, train
    from lstmcast.transforms import build_pipeline

    pre, mcfg = cfg.preprocess, cfg.model
    n = len(series)
    season, window, warm, n_val = resolve_shape(series, cfg)
    n_fit = n - n_val
    check_length(n, window=window + warm, horizon=mcfg.horizon, n_test=0,
                 n_val=n_val)
    times = series.times_float()
    est.pipeline_ = build_pipeline(pre, season).fit(series.y[:n_fit],
                                                    times=times[:n_fit])
    _fit_covariates(est, series, n_fit, pre.impute)
    est.season_, est.window_, est.horizon_ = season, window, mcfg.horizon
    est.target_mode_, est.n_fit_ = mcfg.target_mode, n_fit
    est.target_, est.covariates_ = series.target, series.covariates
    est.time_name_, est.freq_ = series.frame.index.name, series.freq
    est.first_stamp_ = series.index[0]
    est.train_range_ = {"first": str(series.index[0]), "last": str(series.index[-1]),
                        "rows": n, "rows_fitting_transforms": n_fit,
                        "last_fitting_transforms": str(series.index[n_fit - 1])}
    est.lags_, est.rolling_, est.rolling_stats_ = pre.lags, pre.rolling, \
        pre.rolling_stats
    est.calendar_, est.covariate_lags_ = pre.calendar, pre.covariate_lags
    est.warmup_ = warm
    z, feats = features_of(est, series, 0)
    est.delta_scale_ = _delta_scale(z[:n_fit]) if mcfg.target_mode == "delta" else 1.0
    targets = _targets(z, series.y, mcfg.horizon, mcfg.target_mode,
                       est.delta_scale_)
    train_origins = valid_origins(feats, targets, window, 0, n_fit - mcfg.horizon)
    val_origins = valid_origins(feats, targets, window, n_fit - 1, n - mcfg.horizon)
    if len(train_origins) == 0:
        raise DataError(f"No complete training window: {n_fit} training rows, window "
                        f"{window}, warm-up {warm}. Use a smaller --window or more "
                        "data.")
    est.feature_names_ = _names(est, series)
    seed_everything(cfg.train.seed)  # the initial weights come from the seed too
    est.net_ = LSTMNet(feats.shape[1], mcfg.hidden_size, mcfg.num_layers,
                       dropout=mcfg.dropout, bidirectional=mcfg.bidirectional,
                       cell_activation=mcfg.cell_activation, head=mcfg.head,
                       head_hidden=mcfg.head_hidden,
                       head_activation=mcfg.head_activation,
                       output_size=mcfg.horizon,
                       skip_window=skip_width(mcfg.skip, window),
                       skip_relative=mcfg.target_mode == "delta")
    import torch
    feats_t, targets_t = torch.from_numpy(feats), torch.from_numpy(targets)
    train_set = WindowSet(feats_t, targets_t, window, train_origins)
    val_set = WindowSet(feats_t, targets_t, window, val_origins) if len(
        val_origins) else None
    est.history_ = train(est.net_, train_set, val_set, cfg.train, progress=progress)
    est.net_.to("cpu")
    est.n_train_windows_, est.n_val_windows_ = len(train_origins), len(val_origins)
    keep = min(n, window + warm + 3 * max(season, 1) + 16)
    est.context_start_ = n - keep
    est.context_ = _tail(series, keep)


def resolve_shape(series: SeriesData, cfg: ForecastConfig) -> tuple[int, int, int,
                                                                    int]:
    """Season, window, feature warm-up and validation rows for fitting ``series``.

    The season is detected on ``series`` (the training data) when not given;
    the window defaults to two seasons (see :func:`auto_window`).
    """
    from lstmcast.forecaster import auto_window, count_of
    from lstmcast.seasonality import detect_season
    pre = cfg.preprocess
    n_val = count_of(cfg.data.val_size, len(series))
    season = cfg.data.season or detect_season(_interpolated(series.y), series.freq)
    window = cfg.model.window or auto_window(season, len(series) - n_val)
    warm = (feature_warmup(pre.lags, pre.rolling, pre.covariate_lags)
            + pre.difference + pre.seasonal_difference)
    return season, window, warm, n_val


def skip_width(skip: int | None, window: int) -> int:
    """Steps of the linear path: the whole window unless set (0 = off)."""
    return window if skip is None else min(skip, window)


def _interpolated(y: np.ndarray) -> np.ndarray:
    return pd.Series(y).interpolate(limit_direction="both").to_numpy()


def _fit_covariates(est: Any, series: SeriesData, n_fit: int, impute: str) -> None:
    from lstmcast.transforms import Impute, Scaler
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


def _targets(z: np.ndarray, y: np.ndarray, horizon: int, mode: str,
             scale: float) -> np.ndarray:
    """(N, K) float32 targets by origin t: steps t+1 .. t+K, NaN where the true
    value was missing (imputed values are never learned as truth)."""
    n = len(z)
    out = np.full((n, horizon), np.nan)
    truth = np.where(np.isfinite(y), z, np.nan)
    for h in range(horizon):
        ahead = np.full(n, np.nan)
        ahead[: n - 1 - h] = truth[1 + h:]
        out[:, h] = (ahead - z) / scale if mode == "delta" else ahead
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


def forward(est: Any, feats: np.ndarray, origins: np.ndarray) -> np.ndarray:
    """Network outputs (B, K) for windows ending at ``origins``, batched."""
    import torch
    windows = WindowSet(torch.from_numpy(feats), torch.empty(0), est.window_,
                        np.asarray(origins))
    est.net_.eval()
    outs = []
    with torch.no_grad():
        for lo in range(0, len(origins), INFER_BATCH):
            x = windows.inputs_at(origins[lo: lo + INFER_BATCH])  # (B, L, F)
            outs.append(est.net_(x).double().numpy())  # (B, K)
    return np.concatenate(outs) if outs else np.empty((0, est.horizon_))


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
    return est.pipeline_.inverse_one_step(z_hat, rows, series.y, start=start,
                                          times=series.times_float())


def path(est: Any, series: SeriesData, origin: int, horizon: int) -> np.ndarray:
    """Forecast ``horizon`` steps after row ``origin`` (MIMO, else recursive)."""
    start = start_of(est, series)
    z, feats = features_of(est, series, start)
    if origin not in _usable_origins(est, feats):
        raise DataError(f"Row {origin} has fewer than {est.window_} complete rows "
                        "of history: give a longer history.")
    if horizon <= est.horizon_:
        out = forward(est, feats, np.array([origin]))[0, :horizon]
        z_path = z[origin] + est.delta_scale_ * out if est.target_mode_ == "delta" \
            else out
    else:
        z_path = _recursive(est, series, z[: origin + 1], horizon)
    times = series.times_float()[: origin + 1]
    return est.pipeline_.inverse_path(z_path, series.y[: origin + 1], start=start,
                                      times=times)


def _recursive(est: Any, series: SeriesData, z_hist: np.ndarray,
               horizon: int) -> np.ndarray:
    """Feed one-step forecasts back as inputs (target-only models)."""
    if est.covariates_:
        raise DataError(f"A {horizon}-step forecast needs future covariate values, "
                        f"which are unknown; this model outputs {est.horizon_} "
                        f"step(s). Refit with --horizon {horizon} (one network, "
                        f"{horizon} outputs) to forecast that far with covariates.")
    origin = len(z_hist) - 1
    stamps = next_stamps(series.head(origin + 1), horizon + 1)
    z_ext = list(z_hist)
    keep = est.window_ + est.warmup_ + 1
    for _ in range(horizon):
        tail = np.asarray(z_ext[-keep:])
        lo = len(z_ext) - len(tail)
        cal = stamps[lo: lo + len(tail)] if est.calendar_ else None
        feats, _ = build_features(tail, np.empty((len(tail), 0)), cal,
                                  lags=est.lags_, rolling_windows=est.rolling_,
                                  rolling_stats=est.rolling_stats_)
        step = forward(est, feats, np.array([len(tail) - 1]))[0, 0]
        z_ext.append(z_ext[-1] + est.delta_scale_ * step
                     if est.target_mode_ == "delta" else step)
    return np.asarray(z_ext[origin + 1:])


def multi_step(est: Any, series: SeriesData, origins: np.ndarray) -> np.ndarray:
    """(B, K) forecasts of steps 1..K after each origin, one batched pass (MIMO)."""
    start = start_of(est, series)
    z, feats = features_of(est, series, start)
    out = forward(est, feats, origins)  # (B, K)
    if est.target_mode_ == "delta":
        out = z[origins, None] + est.delta_scale_ * out
    times = series.times_float()
    return np.stack([est.pipeline_.inverse_path(out[i], series.y[: t + 1],
                                                start=start, times=times[: t + 1])
                     for i, t in enumerate(origins)])
