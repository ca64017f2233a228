"""Forecast every series of a panel: the global network, the classical
methods fitted on each series' own history, and their combination.

The combination is the weighted sum of the state's components
(:mod:`lstmcast.panel.combine`: chosen on validation, or the network's weight
given and the rest shared by Theta, damped ETS and the dynamic optimised
Theta). A constant series is forecast by its last value, whatever the
components say.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.baselines.chunked import classical_paths
from lstmcast.baselines.joint import MIN_HISTORY
from lstmcast.core.errors import DataError
from lstmcast.data.panel import PanelData
from lstmcast.intervals.levels import check_levels, check_quantiles
from lstmcast.panel.bands import panel_bands
from lstmcast.panel.combine import CLASSICAL, COMPONENTS, combine
from lstmcast.panel.prepare import scale_series, unscale
from lstmcast.panel.state import PanelState
from lstmcast.panel.windows import PanelWindows, end_origins


@dataclass(frozen=True)
class PanelForecast:
    """(n, H) forecasts of every series: the combination (``forecast``) and its
    parts (``network`` and each classical method computed, by name in
    ``members``); ``notes`` says, for each series forecast in a special way
    (constant, shorter than the window), how; ``bands`` the combination's
    prediction intervals (``lo-80``, ``hi-80``, ...) or quantiles (``q-0.1``,
    ...), each (n, H), empty when none were asked for or the model has no
    calibration."""

    forecast: np.ndarray
    network: np.ndarray
    members: dict[str, np.ndarray]
    notes: dict[Any, str] = field(default_factory=dict)
    bands: dict[str, np.ndarray] = field(default_factory=dict)


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


def member_paths(histories: list[np.ndarray], season: int, horizon: int,
                 names: tuple[str, ...] = CLASSICAL) -> dict[str, np.ndarray]:
    """(n, H) forecasts of each classical method in ``names``, fitted on each
    history (in chunks of series side by side: :mod:`lstmcast.baselines.chunked`)."""
    return classical_paths(histories, season, horizon, names)


def component_paths(state: PanelState, histories: list[np.ndarray], horizon: int,
                    names: tuple[str, ...] = COMPONENTS) -> dict[str, np.ndarray]:
    """(n, H) forecasts of each component in ``names`` after each history."""
    paths = member_paths(histories, state.season, horizon,
                         tuple(n for n in names if n != "network"))
    if "network" in names:
        paths["network"] = network_paths(state, histories)[:, :horizon]
    return paths


def forecast_panel(state: PanelState, panel: PanelData | None = None,
                   horizon: int | None = None, *, every_component: bool = False,
                   levels: tuple[float, ...] | None = None,
                   quantiles: tuple[float, ...] | None = None) -> PanelForecast:
    """Forecast ``horizon`` (default: the model's H) steps after every series of
    ``panel`` (default: the panel the model was fitted on). The classical
    methods the combination does not use are computed only with
    ``every_component`` (to score them beside it). The bands are those of
    ``levels`` or ``quantiles`` (default: the model's settings; quantiles
    replace the levels when given)."""
    panel = state.context if panel is None else panel
    horizon = horizon or state.horizon
    if horizon > state.horizon:
        raise DataError(f"This global model forecasts at most {state.horizon} steps "
                        f"(its --horizon); {horizon} were asked for. Refit with "
                        f"--horizon {horizon}.")
    histories = [panel.y(i) for i in range(len(panel))]
    used = tuple(n for n in COMPONENTS if state.weights.get(n)
                 or every_component or n == "network")
    paths = component_paths(state, histories, horizon, used)
    combined = combine(state.weights, paths)
    network = paths.pop("network")
    for i, y in enumerate(histories):
        finite = y[np.isfinite(y)]
        if finite.max() == finite.min():  # constant: only the last value is known
            combined[i] = network[i] = finite[-1]
    bad = ~np.isfinite(combined).all(axis=1)
    if bad.any():
        names = [panel.ids[i] for i in np.flatnonzero(bad)[:5]]
        raise DataError(f"The forecasts of {int(bad.sum())} series are NaN or "
                        f"infinite (e.g. {names}): check them for extreme values.")
    return PanelForecast(combined, network, paths,
                         special_series(panel, state.window),
                         _bands(state, histories, combined, levels, quantiles))


def _bands(state: PanelState, histories: list[np.ndarray], forecast: np.ndarray,
           levels: tuple[float, ...] | None, quantiles: tuple[float, ...] | None
           ) -> dict[str, np.ndarray]:
    """The prediction intervals (or quantiles) of ``forecast``; none without
    a calibration."""
    if state.calibration is None:
        return {}
    levels = check_levels(state.config.model.levels if levels is None
                          else levels)
    quantiles = check_quantiles(state.config.model.quantiles if quantiles is None
                                else quantiles)
    return panel_bands(state.calibration, histories, forecast, state.season,
                       levels=levels, quantiles=quantiles,
                       recent=state.scale_recent)


def special_series(panel: PanelData, window: int) -> dict[Any, str]:
    """How each series forecast in a special way is forecast: a constant one
    by its last value; one shorter than the ``window`` from a padded window
    (and, under 3 values, members that repeat its last value)."""
    notes = {}
    for i, key in enumerate(panel.ids):
        y = panel.y(i)
        finite = y[np.isfinite(y)]
        if finite.max() == finite.min():
            notes[key] = "constant: forecast by its last value."
        elif y.size < MIN_HISTORY:
            notes[key] = (f"{y.size} value(s): the network reads them padded to "
                          f"its window of {window}, and Theta and damped ETS "
                          "repeat the last value.")
        elif y.size < window:
            notes[key] = (f"{y.size} values, fewer than the window of {window}: "
                          "the network reads them padded (the padding is marked "
                          "as such).")
    return notes


def forecast_frame(panel: PanelData, forecast: PanelForecast) -> pd.DataFrame:
    """The forecasts in long format: the panel's id and time columns,
    ``forecast`` and its bands (``lo-80, hi-80, ...`` or ``q-0.1, ...``), H
    rows per series, at the stamps after each series' end."""
    n, horizon = forecast.forecast.shape
    stamps = [panel.future_stamps(i, horizon) for i in range(n)]
    return pd.DataFrame({
        panel.id_name: np.repeat(np.array(panel.ids, dtype=object), horizon),
        panel.time_name: stamps[0].append(stamps[1:]) if n > 1 else stamps[0],
        "forecast": forecast.forecast.reshape(n * horizon),
        **{name: values.reshape(n * horizon)
           for name, values in forecast.bands.items()}})

