"""PanelState: what fitting a global model on a panel learns.

The network is the only thing learned across series. The per-series parts
(scaling, Theta, damped-trend ETS) are refitted on whatever history is
forecast from, in a few seconds for thousands of series, so a saved global
model also forecasts series it never saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lstmcast.panel.bands import RECENT

if TYPE_CHECKING:
    from torch import nn

    from lstmcast.core.config import ForecastConfig
    from lstmcast.data.panel import PanelData
    from lstmcast.intervals.conformal import Calibration
    from lstmcast.network.train import TrainResult


@dataclass(frozen=True)
class PanelState:
    """A fitted global model.

    ``season`` m and ``window`` L as used; ``horizon`` H the network's outputs;
    ``weights`` of the forecasts combined, by component
    (:data:`lstmcast.panel.combine.COMPONENTS`); ``validation`` the sMAPE of
    every candidate combination on the held-out last H values (empty when the
    weights were given); ``context`` the panel ``fit`` saw (forecast from when
    no data is given); ``calibration`` the scaled errors of the chosen
    combination on those held-out values, which the prediction intervals are
    made from (:mod:`lstmcast.panel.bands`; None for a model saved before
    intervals existed: point forecasts only); ``scale_recent`` how many of a
    series' latest differences its scale reads beside the whole history's
    (:func:`lstmcast.panel.bands.series_scales`; 0 in a model saved before
    that rule).
    """

    config: ForecastConfig
    season: int
    window: int
    horizon: int
    weights: dict[str, float]
    net: nn.Module
    history: TrainResult
    n_train_windows: int
    context: PanelData
    facts: dict[str, Any]
    validation: dict[str, float] = field(default_factory=dict)
    calibration: Calibration | None = None
    scale_recent: int = RECENT
