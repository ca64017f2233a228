"""Fit one network over every series of a panel, and choose what it is
combined with.

The series are scaled on their own (:mod:`lstmcast.panel.prepare`), the
training windows drawn from all of them (:mod:`lstmcast.panel.windows`), and
one :class:`~lstmcast.network.model.LSTMNet` with H outputs (MIMO) trained by
:func:`lstmcast.network.train.train`; ``ensemble = k`` trains k networks from k
seeds and averages them. Unless ``network_weight`` is given, the combination
of the network with the classical methods is chosen on validation
(:mod:`lstmcast.panel.combine`): a second network is fitted without the last H
values of every series and every combination scored on them. Settings the
user left at the single-series defaults take the panel defaults of
:data:`PANEL_DEFAULTS` (measured on M3: short fits with the L1 loss, which is
what sMAPE and MASE reward).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from lstmcast.core.config import ForecastConfig, PreprocessConfig
from lstmcast.core.errors import DataError
from lstmcast.core.parallel import on_cluster
from lstmcast.data.panel import PanelData
from lstmcast.data.seasonality import season_from_freq
from lstmcast.panel.combine import choose, combine, fixed_weights
from lstmcast.panel.prepare import Scaled, scale_series
from lstmcast.panel.state import PanelState
from lstmcast.panel.windows import INPUTS, PanelWindows, train_origins

if TYPE_CHECKING:
    from torch import nn

    from lstmcast.intervals.conformal import Calibration
    from lstmcast.network.train import TrainResult

PANEL_DEFAULTS: dict[str, Any] = {"loss": "mae", "epochs": 10,
                                  "scheduler": "cosine"}
"""Panel settings where the single-series default was left as it is (the
batch size and learning rate too, from the number of windows:
:func:`panel_batch`)."""
STEPS_PER_EPOCH = 64
"""The batch size left to the panel grows with the data from 256 up to 1,024
while an epoch keeps at least this many optimizer steps."""

MIN_VALIDATION_HISTORY = 3
"""Values a series needs before its last H to take part in the validation."""


def panel_config(config: ForecastConfig, given: set[str] | frozenset[str] = frozenset()
                 ) -> ForecastConfig:
    """``config`` with :data:`PANEL_DEFAULTS` for every setting not in
    ``given`` that still has its single-series default."""
    defaults, flat = ForecastConfig().flat(), config.flat()
    changes = {k: v for k, v in PANEL_DEFAULTS.items()
               if k not in given and flat[k] == defaults[k]}
    return config.replace(**changes) if changes else config


def panel_season(panel: PanelData, config: ForecastConfig) -> int:
    """The season: as given, else from the calendar frequency, else 1."""
    return int(config.data.season or season_from_freq(panel.freq) or 1)


def panel_window(season: int, horizon: int) -> int:
    """Inputs L: two seasons or two horizons, at least 8 steps."""
    return max(2 * season, 2 * horizon, 8)


def panel_batch(windows: int) -> tuple[int, float]:
    """The batch size and learning rate for ``windows`` training windows: 256
    and 0.001, doubled (the rate by the square root) while an epoch keeps
    :data:`STEPS_PER_EPOCH` steps, up to 1,024 and 0.002 (M3 monthly's 67,000
    windows: four times faster an epoch, sMAPE 13.47 against 13.51)."""
    batch = 256
    while batch < 1024 and windows // (2 * batch) >= STEPS_PER_EPOCH:
        batch *= 2
    return batch, 0.001 * (batch / 256) ** 0.5


def weights_given(config: ForecastConfig, given: set[str] | frozenset[str]) -> bool:
    """Whether the user fixed the network's weight (else it is chosen)."""
    return "network_weight" in given or (
        config.preprocess.network_weight != PreprocessConfig().network_weight)


@on_cluster
def fit_panel(panel: PanelData, config: ForecastConfig, *, progress: bool = False,
              given: set[str] | frozenset[str] = frozenset()) -> PanelState:
    """Train the global network on every series of ``panel`` (all of it is
    training data), choose its combination (unless ``network_weight`` is
    given), and return the fitted state."""
    horizon = config.model.horizon
    season = panel_season(panel, config)
    window = config.model.window or panel_window(season, horizon)
    validation: dict[str, float] = {}
    scaled = _scaled(panel, season)
    config = _sized(scaled, config, window, given)
    fixed = weights_given(config, given)
    weights = fixed_weights(float(config.preprocess.network_weight))
    calibration = None
    if not fixed or _intervals_wanted(config):
        chosen, validation, calibration = _validate(
            panel, config, season, window, progress, weights if fixed else None)
        weights = weights if fixed else chosen
        validation = {} if fixed else validation
    net, history, windows = _train(scaled, config, window, progress)
    facts = {"series": len(panel), "rows": int(panel.lengths().sum()),
             "first": str(panel.stamps.min()), "last": str(panel.stamps.max()),
             "data_sha256": panel.fingerprint(),
             "logged_series": int(np.sum(scaled.logged)),
             "adjusted_series": int(np.sum(np.any(scaled.indices != 1, axis=1)))}
    return PanelState(config, season, window, horizon, weights, net, history,
                      windows, panel, facts, validation, calibration)


def _intervals_wanted(config: ForecastConfig) -> bool:
    """Whether the config asks for prediction intervals or quantiles."""
    return bool(config.model.levels or config.model.quantiles)


def _scaled(panel: PanelData, season: int) -> Scaled:
    return scale_series([panel.y(i) for i in range(len(panel))], season)


def _sized(scaled: Scaled, config: ForecastConfig, window: int,
           given: set[str] | frozenset[str]) -> ForecastConfig:
    """``config`` with the batch size and learning rate of :func:`panel_batch`
    where the user left their single-series defaults."""
    defaults, flat = ForecastConfig().flat(), config.flat()
    batch, lr = panel_batch(len(train_origins(scaled, window, config.model.horizon)))
    changes = {k: v for k, v in (("batch_size", batch), ("lr", lr))
               if k not in given and flat[k] == defaults[k]}
    return config.replace(**changes) if changes else config


def _train(scaled: Scaled, config: ForecastConfig, window: int,
           progress: bool) -> tuple[nn.Module, TrainResult, int]:
    """The network (the mean of ``ensemble`` seeds) trained on the ``scaled``
    series, the first one's history and the number of training windows."""
    from lstmcast.network.ensemble import MeanOf, build_net
    from lstmcast.network.train import seed_everything, train
    horizon = config.model.horizon
    origins = train_origins(scaled, window, horizon)
    if not len(origins):
        raise DataError(f"No series of the panel is long enough to train on: "
                        f"each needs at least {horizon + 2} values for a horizon "
                        f"of {horizon} (the longest has "
                        f"{np.diff(scaled.starts).max()}).")
    windows = PanelWindows(scaled, origins, window, horizon)
    members, histories = [], []
    for member in range(config.model.ensemble):
        tcfg = replace(config.train, seed=config.train.seed + member)
        seed_everything(tcfg.seed)
        net = build_net(config.model, INPUTS, window, horizon)
        histories.append(train(net, windows, None, tcfg, progress=progress))
        members.append(net.to("cpu").eval())
    net = members[0] if len(members) == 1 else MeanOf(members)
    return net, histories[0], len(origins)


def _validate(panel: PanelData, config: ForecastConfig, season: int, window: int,
              progress: bool, weights: dict[str, float] | None = None
              ) -> tuple[dict[str, float], dict[str, float], Calibration | None]:
    """The combination with the lowest sMAPE on the last H values of every
    series long enough, forecast by components fitted without them (or the
    ``weights`` given), every candidate's sMAPE, and the calibration of the
    prediction intervals from that combination's errors on those values
    (:mod:`lstmcast.panel.bands`); with no such series, the equal weights of
    all components and no calibration."""
    from lstmcast.panel.bands import calibrate
    from lstmcast.panel.predict import component_paths
    horizon = config.model.horizon
    long = np.flatnonzero(panel.lengths() >= horizon + MIN_VALIDATION_HISTORY)
    if not long.size:
        return fixed_weights(0.25), {}, None
    histories = [panel.y(i)[:-horizon] for i in long]  # views: nothing copied
    try:
        net, _, _ = _train(scale_series(histories, season), config, window, progress)
    except DataError:
        return fixed_weights(0.25), {}, None
    trial = PanelState(config, season, window, horizon, fixed_weights(0.25), net,
                       None, 0, panel, {})
    actual = panel.values[panel.starts[long + 1, None] - horizon
                          + np.arange(horizon)[None, :]]
    paths = component_paths(trial, histories, horizon)
    scores: dict[str, float] = {}
    if weights is None:
        weights, scores = choose(paths, actual)
    return weights, scores, calibrate(histories, combine(weights, paths), actual,
                                      season)
