"""Fit one network over every series of a panel.

The series are scaled on their own (:mod:`lstmcast.panel.prepare`), the
training windows drawn from all of them (:mod:`lstmcast.panel.windows`), and
one :class:`~lstmcast.network.model.LSTMNet` with H outputs (MIMO) trained by
:func:`lstmcast.network.train.train`; ``ensemble = k`` trains k networks from k
seeds and averages them. Settings the user left at the single-series
defaults take the panel defaults of :data:`PANEL_DEFAULTS` (measured on M3:
short fits with the L1 loss, which is what sMAPE and MASE reward).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.panel import PanelData
from lstmcast.data.seasonality import season_from_freq
from lstmcast.panel.prepare import scale_series
from lstmcast.panel.state import PanelState
from lstmcast.panel.windows import INPUTS, PanelWindows, train_origins

PANEL_DEFAULTS: dict[str, Any] = {"loss": "mae", "epochs": 10, "lr": 0.001,
                                  "batch_size": 256, "scheduler": "cosine",
                                  "network_weight": 1 / 3}
"""Panel settings where the single-series default was left as it is."""


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


def fit_panel(panel: PanelData, config: ForecastConfig, *,
              progress: bool = False) -> PanelState:
    """Train the global network on every series of ``panel`` (all of it is
    training data) and return the fitted state."""
    from lstmcast.network.ensemble import MeanOf, build_net
    from lstmcast.network.train import seed_everything, train

    horizon = config.model.horizon
    season = panel_season(panel, config)
    window = config.model.window or panel_window(season, horizon)
    scaled = scale_series([panel.y(i) for i in range(len(panel))], season)
    origins = train_origins(scaled, window, horizon)
    if not len(origins):
        raise DataError(f"No series of the panel is long enough to train on: "
                        f"each needs at least {horizon + 2} values for a horizon "
                        f"of {horizon} (the longest has {panel.lengths().max()}).")
    windows = PanelWindows(scaled, origins, window, horizon)
    members, histories = [], []
    for member in range(config.model.ensemble):
        tcfg = replace(config.train, seed=config.train.seed + member)
        seed_everything(tcfg.seed)
        net = build_net(config.model, INPUTS, window, horizon)
        histories.append(train(net, windows, None, tcfg, progress=progress))
        members.append(net.to("cpu").eval())
    net = members[0] if len(members) == 1 else MeanOf(members)
    facts = {"series": len(panel), "rows": int(panel.lengths().sum()),
             "first": str(panel.stamps.min()), "last": str(panel.stamps.max()),
             "data_sha256": panel.fingerprint(),
             "logged_series": int(np.sum(scaled.logged)),
             "adjusted_series": int(np.sum(np.any(scaled.indices != 1, axis=1)))}
    return PanelState(config, season, window, horizon,
                      float(config.preprocess.network_weight), net, histories[0],
                      len(origins), panel, facts)
