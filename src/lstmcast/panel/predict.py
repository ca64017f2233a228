"""Forecast every series of a panel: the global network, the classical members
fitted on each series' own history, and their combination.

The combination is ``w x network + (1 - w) x`` the mean of the members
(:data:`MEMBERS`: Theta and damped-trend ETS), ``w`` the state's network
weight (a third by default: the three forecasts weigh alike, the combination
the M competitions found hard to beat). A constant series is forecast by its
last value, whatever the members say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lstmcast.baselines.damped import damped_forecasts
from lstmcast.baselines.theta import Theta
from lstmcast.core.errors import DataError
from lstmcast.data.panel import PanelData
from lstmcast.panel.prepare import interpolated, scale_series, unscale
from lstmcast.panel.state import PanelState
from lstmcast.panel.windows import PanelWindows, end_origins

MEMBERS = ("theta", "damped")
MIN_MEMBER_HISTORY = 3  # fewer values: the members repeat the last one


@dataclass(frozen=True)
class PanelForecast:
    """(n, H) forecasts of every series: the combination (``forecast``) and its
    parts (``network`` and each member by name)."""

    forecast: np.ndarray
    network: np.ndarray
    members: dict[str, np.ndarray]


def network_paths(state: PanelState, histories: list[np.ndarray]) -> np.ndarray:
    """(n, H) the network's forecasts after each history."""
    import torch

    from lstmcast.network.model import inference_batch
    scaled = scale_series(histories, state.season)
    ends = end_origins(scaled)
    windows = PanelWindows(scaled, ends, state.window, state.horizon)
    size = inference_batch(state.net, state.window)
    outs = []
    state.net.eval()
    with torch.no_grad():
        for lo in range(0, len(ends), size):
            x, _ = windows.inputs(np.arange(lo, min(lo + size, len(ends))))
            outs.append(state.net(x).double().numpy())
    last = scaled.z[scaled.starts[1:] - 1]
    return unscale(np.concatenate(outs) + last[:, None], scaled)


def member_paths(histories: list[np.ndarray], season: int, horizon: int
                 ) -> dict[str, np.ndarray]:
    """(n, H) forecasts of each classical member, fitted on each history."""
    filled = [interpolated(np.asarray(h, dtype=np.float64)) for h in histories]
    theta = np.stack([Theta(season=season).fit(y).forecast(y, horizon)
                      if y.size >= MIN_MEMBER_HISTORY else np.full(horizon, y[-1])
                      for y in filled])
    return {"theta": theta, "damped": damped_forecasts(filled, season, horizon)}


def forecast_panel(state: PanelState, panel: PanelData | None = None,
                   horizon: int | None = None) -> PanelForecast:
    """Forecast ``horizon`` (default: the model's H) steps after every series of
    ``panel`` (default: the panel the model was fitted on)."""
    panel = state.context if panel is None else panel
    horizon = horizon or state.horizon
    if horizon > state.horizon:
        raise DataError(f"This global model forecasts at most {state.horizon} steps "
                        f"(its --horizon); {horizon} were asked for. Refit with "
                        f"--horizon {horizon}.")
    histories = [panel.y(i) for i in range(len(panel))]
    network = network_paths(state, histories)[:, :horizon]
    members = member_paths(histories, state.season, horizon)
    fallback = np.mean([members[name] for name in MEMBERS], axis=0)
    w = state.network_weight
    combined = w * network + (1 - w) * fallback
    for i, y in enumerate(histories):
        finite = y[np.isfinite(y)]
        if finite.max() == finite.min():  # constant: only the last value is known
            combined[i] = network[i] = finite[-1]
    bad = ~np.isfinite(combined).all(axis=1)
    if bad.any():
        names = [panel.ids[i] for i in np.flatnonzero(bad)[:5]]
        raise DataError(f"The forecasts of {int(bad.sum())} series are NaN or "
                        f"infinite (e.g. {names}): check them for extreme values.")
    return PanelForecast(combined, network, members)


def forecast_frame(panel: PanelData, forecast: PanelForecast) -> pd.DataFrame:
    """The forecasts in long format: the panel's id and time columns and
    ``forecast``, H rows per series, at the stamps after each series' end."""
    n, horizon = forecast.forecast.shape
    stamps = [panel.future_stamps(i, horizon) for i in range(n)]
    return pd.DataFrame({
        panel.id_name: np.repeat(np.array(panel.ids, dtype=object), horizon),
        panel.time_name: stamps[0].append(stamps[1:]) if n > 1 else stamps[0],
        "forecast": forecast.forecast.reshape(n * horizon)})

