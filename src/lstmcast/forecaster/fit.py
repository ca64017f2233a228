"""Fitting: from a series and a validated config to a :class:`FittedState`.

Transforms are fitted on the training rows only (the rows before the
validation tail), windows are built over the transformed series, and one
network per entry of :func:`~lstmcast.forecaster.shape.network_steps` is
trained (see :mod:`lstmcast.forecaster.shape` for the multi-step strategies).
The estimator only holds the result, so each step here can be read alone.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from lstmcast.core.config import ForecastConfig, PreprocessConfig
from lstmcast.core.errors import DataError
from lstmcast.data.series import SeriesData
from lstmcast.data.split import check_length
from lstmcast.data.timeparse import zone_name
from lstmcast.forecaster.calibrate import SCALE_WINDOW, calibrate, network_free
from lstmcast.forecaster.inputs import (
    covariates_of,
    feature_settings,
    features_of,
    tail,
    targets,
)
from lstmcast.forecaster.shape import (
    check_strategy,
    future_leads,
    network_steps,
    resolve_shape,
)
from lstmcast.forecaster.state import (
    Context,
    DataFacts,
    FittedState,
    Networks,
    Shape,
    Transforms,
)
from lstmcast.network.windows import WindowSet, valid_origins

MAX_VAL_WINDOWS = 20_000  # validation windows scored per epoch, evenly spaced

if TYPE_CHECKING:
    from torch import nn

    from lstmcast.network.train import TrainResult
    from lstmcast.preprocess.base import Transform


def fit_state(series: SeriesData, config: ForecastConfig, *,
              progress: bool = False) -> FittedState:
    """Fit transforms and networks on ``series`` (all of it training data; its
    tail of ``val_size`` rows is held out for early stopping and calibrates
    the intervals). With ``refit_tail`` the model is then fitted again on
    every row (:func:`_refit_tail`)."""
    _check_settings(config, series.covariates)
    mcfg = config.model
    n = len(series)
    steps = network_steps(mcfg.strategy, mcfg.horizon)
    season, window, warm, n_val = resolve_shape(series, config)
    n_fit = n - n_val
    check_length(n, window=window + warm, horizon=steps[-1][-1], n_test=0,
                 n_val=n_val)
    config = _resolved_batching(config, n_fit - window - warm - steps[-1][-1] + 1,
                                window)
    shape = Shape(season=season, window=window, horizon=mcfg.horizon,
                  strategy=mcfg.strategy, outputs=len(steps[0]),
                  target_mode=mcfg.target_mode, delta_scale=1.0, n_fit=n_fit,
                  warmup=warm)
    state = _fit_rows(series, config, shape, progress=progress)
    refits = config.train.refit_tail and _refits(state, n)
    # a model trained on its validation tail too has no out-of-sample recent
    # errors to scale later bands by: the series' changes scale them
    state = replace(state, calibration=calibrate(state, series,
                                                 own_errors=not refits))
    if refits:
        state = _refit_tail(series, state, progress=progress)
    return state


def _fit_rows(series: SeriesData, config: ForecastConfig, shape: Shape, *,
              progress: bool, epochs: list[int] | None = None) -> FittedState:
    """Transforms fitted on the first ``shape.n_fit`` rows, then one network
    per entry of ``network_steps`` trained on them (early-stopped on the rows
    after, when there are any; ``epochs``: each network's count of epochs)."""
    pre, mcfg = config.preprocess, config.model
    transforms = _fit_transforms(series, pre, shape.season, shape.n_fit)
    features = feature_settings(pre, series, future_leads(mcfg.strategy,
                                                          mcfg.horizon))
    z, feats = features_of(transforms, features, series, 0)
    if mcfg.target_mode == "delta":
        shape = replace(shape, delta_scale=_delta_scale(z[:shape.n_fit]))
    steps = network_steps(mcfg.strategy, mcfg.horizon)
    fitted = [_fit_network(config if epochs is None else config.replace(
                  epochs=epochs[i], patience=0), shape, z, feats, series.y, s,
                  progress=progress) for i, s in enumerate(steps)]
    networks = Networks(nets=[net for net, _, _, _ in fitted],
                        histories=[history for _, history, _, _ in fitted],
                        n_train_windows=fitted[0][2], n_val_windows=fitted[0][3])
    return FittedState(data=_data_facts(series, shape.n_fit), shape=shape,
                       features=features, transforms=transforms, networks=networks,
                       context=_context(series, shape, transforms), config=config)


def _refits(state: FittedState, n: int) -> bool:
    """Whether a refit on all ``n`` rows changes anything: a trained network
    whose forecast counts (not the naive predictor, not weighted 0 beside a
    classical forecast), and rows held out that it has not seen."""
    return (not network_free(state) and state.shape.n_fit < n
            and all(h.best_epoch > 0 and not h.diverged
                    for h in state.networks.histories))


def _refit_tail(series: SeriesData, first: FittedState, *,
                progress: bool) -> FittedState:
    """``first`` fitted again on every row: its transforms (a classical
    residual model too) on all of them, each network for as many epochs as
    ``first``'s ran (its best epoch and the patience after it; nothing is held
    out to stop on now). Measured on short series (issue 19, five seeds each,
    R² mean): syn_cycle11 0.940 -> 0.945, syn_cycle10 0.916 -> 0.932,
    syn_lynxlike 0.723 -> 0.800, airline 0.958 -> 0.957; the best epoch count
    alone gained less (0.943, 0.930, 0.773, 0.957). On 1,200 training rows
    (syn_setar) it is neutral on average (0.805 -> 0.806) and narrows the
    seeds' spread (0.796-0.813 -> 0.802-0.809). It costs about one more fit,
    hence only where asked (``fit --auto``: at most
    :data:`~lstmcast.search.auto.REFIT_TAIL_ROWS` training rows, seconds).

    The intervals keep ``first``'s calibration: its validation forecasts are
    out of sample, and the refitted model, trained on more recent rows, is
    if anything more accurate there. The histories are ``first``'s (they hold
    the validation curve), each with a note of the refit."""
    started = time.perf_counter()
    epochs = [len(h.history) for h in first.networks.histories]
    shape = replace(first.shape, n_fit=len(series))
    state = _fit_rows(series, first.config, shape, progress=progress, epochs=epochs)
    seconds = time.perf_counter() - started
    histories = [replace(history, refit=(
        f"then trained again on all {len(series)} rows, the "
        f"{len(series) - first.shape.n_fit} validation rows included, for the "
        f"{count} epochs it ran ({seconds:.1f} s)"))
        for history, count in zip(first.networks.histories, epochs, strict=True)]
    networks = replace(state.networks, histories=histories,
                       n_val_windows=first.networks.n_val_windows)
    return replace(state, networks=networks, calibration=first.calibration)


def _check_settings(cfg: ForecastConfig, covariates: tuple[str, ...]) -> None:
    """Refuse settings that cannot be fitted together (a DataError naming the
    fix)."""
    pre, mcfg = cfg.preprocess, cfg.model
    if mcfg.predictor == "naive" and pre.residual_of != "none":
        raise DataError(
            "predictor='naive' repeats the last value, which a residual over "
            f"a classical forecast (residual_of='{pre.residual_of}') "
            "is not. Use --residual-of none with --predictor naive, or "
            "--predictor lstm.")
    if mcfg.horizon > 1 and pre.residual_of != "none":
        raise DataError(
            f"residual_of='{pre.residual_of}' is fitted for one-step "
            f"forecasts: with horizon={mcfg.horizon} every step of every "
            "path would refilter the classical model over the whole history "
            "(minutes for a backtest). Use --horizon 1 (predict then goes "
            "further recursively), or --residual-of none.")
    check_strategy(mcfg.strategy, mcfg.horizon, covariates)
    if mcfg.predictor == "naive" and (mcfg.target_mode != "delta" or pre.difference
                                      or pre.seasonal_difference
                                      or pre.decompose != "none"):
        raise DataError("predictor='naive' repeats the last value through a zero "
                        "change, which needs target_mode='delta' on the levels. Set "
                        "--target-mode delta --difference 0 --seasonal-difference 0 "
                        "--decompose none, or use --predictor lstm.")


def _resolved_batching(config: ForecastConfig, windows: int,
                       window: int) -> ForecastConfig:
    """``config`` with ``batching="auto"`` resolved for about ``windows``
    training windows (:func:`~lstmcast.network.sequences.choose_batching`); the
    state keeps the resolved value, so forecasting knows how it was trained."""
    from lstmcast.network.sequences import choose_batching
    mcfg = config.model
    batching = choose_batching(config.train.batching, windows, window,
                               bidirectional=mcfg.bidirectional,
                               trained=mcfg.predictor != "naive")
    return config if batching == config.train.batching else config.replace(
        batching=batching)


def _fit_transforms(series: SeriesData, pre: PreprocessConfig, season: int,
                    n_fit: int) -> Transforms:
    """The target pipeline, the imputers and scalers of the covariates and of
    the future covariates, fitted on the first ``n_fit`` rows."""
    from lstmcast.preprocess.impute import Impute
    from lstmcast.preprocess.pipeline import build_pipeline
    from lstmcast.preprocess.scale import Scaler
    times = series.times_float()
    pipeline = build_pipeline(pre, season).fit(series.y[:n_fit], times=times[:n_fit])
    method = pre.impute if pre.impute != "none" else "ffill"

    def fitted(values: np.ndarray) -> tuple[list[Transform], Transform | None]:
        imputers: list[Transform] = [Impute(method).fit(values[:n_fit, j])
                                     for j in range(values.shape[1])]
        filled = covariates_of(imputers, values, 0)
        return imputers, Scaler("standard").fit(filled[:n_fit]) \
            if filled.shape[1] else None
    cov_impute, cov_scaler = fitted(series.X)
    future_impute, future_scaler = fitted(series.F)
    return Transforms(pipeline=pipeline, cov_impute=cov_impute, cov_scaler=cov_scaler,
                      future_impute=future_impute, future_scaler=future_scaler)


def _data_facts(series: SeriesData, n_fit: int) -> DataFacts:
    """What the training data was: target, time axis, range, hash, repairs."""
    n = len(series)
    return DataFacts(
        target=series.target, time_name=series.frame.index.name, freq=series.freq,
        first_stamp=series.index[0], timezone=zone_name(series.index),
        train_range={"first": str(series.index[0]), "last": str(series.index[-1]),
                     "rows": n, "rows_fitting_transforms": n_fit,
                     "last_fitting_transforms": str(series.index[n_fit - 1])},
        data_hash=series.fingerprint(), repairs=series.repairs)


def _context(series: SeriesData, shape: Shape, transforms: Transforms) -> Context:
    """The tail kept for forecasting without new data: enough rows for a window,
    the warm-up, three seasons and the one-step forecasts of the last
    :data:`~lstmcast.forecaster.calibrate.SCALE_WINDOW` rows (the bands'
    scale, :func:`~lstmcast.forecaster.calibrate.error_scale`; a horizon
    more for a model whose last rows need future covariates). A residual
    over a classical forecast filters the series from the first training
    point, so its context reaches back to the end of the rows its model was
    fitted on (the rest is in its state)."""
    from lstmcast.preprocess.residual import Residual
    n = len(series)
    keep = min(n, shape.window + shape.warmup + 3 * max(shape.season, 1) + 16
               + SCALE_WINDOW + shape.horizon)
    if any(isinstance(s, Residual) for s in transforms.pipeline.steps) \
            and n - keep > shape.n_fit:
        keep = n - shape.n_fit
    return Context(series=tail(series, keep), start=n - keep)


def _delta_scale(z_train: np.ndarray) -> float:
    steps = np.diff(z_train)
    scale = float(np.nanstd(steps[np.isfinite(steps)])) if np.isfinite(steps).any() \
        else 1.0
    return scale if scale > 1e-12 else 1.0


def _fit_network(cfg: ForecastConfig, shape: Shape, z: np.ndarray, feats: np.ndarray,
                 y: np.ndarray, steps: list[int], *, progress: bool
                 ) -> tuple[nn.Module, TrainResult, int, int]:
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
    mcfg, window, n_fit, last = cfg.model, shape.window, shape.n_fit, steps[-1]
    goals = targets(z, y, steps, shape.target_mode, shape.delta_scale)
    train_origins = valid_origins(feats, goals, window, 0, n_fit - last)
    val_origins = valid_origins(feats, goals, window, n_fit - 1, len(z) - last)
    if len(train_origins) == 0:
        raise DataError(f"No complete training window: {n_fit} training rows, window "
                        f"{window}, warm-up {shape.warmup}, {last} step(s) ahead. Use "
                        "a smaller --window or more data.")
    feats_t, targets_t = torch.from_numpy(feats), torch.from_numpy(goals)
    train_set: WindowSet | SequenceSet = WindowSet(feats_t, targets_t, window,
                                                   train_origins)
    if cfg.train.batching == "sequences" and mcfg.predictor != "naive":
        check_sequences(mcfg.bidirectional)  # the same origins, scored per step
        train_set = SequenceSet(feats_t, targets_t, window, train_origins,
                                cfg.train.chunk or auto_chunk(window))
    val_used, note = val_origins, ""
    if isinstance(train_set, WindowSet) and len(val_origins) > MAX_VAL_WINDOWS:
        val_used = val_origins[np.unique(np.linspace(
            0, len(val_origins) - 1, MAX_VAL_WINDOWS).round().astype(np.int64))]
        note = (f"validation loss on {len(val_used):,} of the {len(val_origins):,} "
                "validation windows, evenly spaced (at most "
                f"{MAX_VAL_WINDOWS:,}: each costs a window of {window} steps)")
    val_set: WindowSet | SequenceSet | None = WindowSet(
        feats_t, targets_t, window, val_used) if len(val_used) else None
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
        histories[-1].validation = note
        members.append(net.to("cpu"))
    net = members[0] if len(members) == 1 else MeanOf(members)
    return net, histories[0], len(train_origins), len(val_origins)


def _untrained(net: nn.Module) -> TrainResult:
    """Zero every weight (output 0: no change from the last value) and return
    an empty training history: the naive predictor."""
    import torch

    from lstmcast.network.train import TrainResult
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
    return TrainResult(stopped="not trained: the naive predictor (no change from "
                       "the last value)")
