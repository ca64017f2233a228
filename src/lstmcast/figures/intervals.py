"""Figures of prediction intervals: the fan chart of a forecast after the
history, and the bands of the test forecasts (drawn into
:func:`lstmcast.figures.plots.forecasts`). Plain frames in, Figures out.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from lstmcast.figures.plots import COLORS, _figure, to_stamps

#: Band opacity by level rank: the widest band lightest.
_ALPHAS = (0.35, 0.18, 0.1)


def levels_in(frame: pd.DataFrame, prefix: str = "") -> list[float]:
    """The levels whose ``{prefix}lo-L`` and ``{prefix}hi-L`` columns are in
    ``frame``, narrowest first."""
    found = []
    for column in frame.columns:
        name = str(column)
        if name.startswith(f"{prefix}lo-"):
            label = name[len(prefix) + 3:]
            if f"{prefix}hi-{label}" in frame.columns:
                try:
                    found.append(float(label))
                except ValueError:
                    continue
    return sorted(found)


def draw_bands(ax: Any, stamps: Any, frame: pd.DataFrame, prefix: str = "",
               color: str = COLORS["lstm"]) -> None:
    """Shade every level's band of ``frame`` (widest lightest) on ``ax``."""
    levels = levels_in(frame, prefix)
    for rank, level in enumerate(reversed(levels)):
        alpha = _ALPHAS[min(len(levels) - 1 - rank, len(_ALPHAS) - 1)]
        ax.fill_between(stamps, frame[f"{prefix}lo-{level:g}"],
                        frame[f"{prefix}hi-{level:g}"], color=color, alpha=alpha,
                        lw=0, label=f"{level:g}% interval")


def fan_chart(history: pd.DataFrame, forecast: pd.DataFrame,
              last: int = 200) -> Figure:
    """The last ``last`` values of ``history`` (timestamp, actual), then the
    ``forecast`` (timestamp, forecast, lo-80, hi-80, ...) with its bands."""
    fig, ax = _figure()
    tail = history.tail(last)
    ax.plot(to_stamps(tail["timestamp"]), tail["actual"], color=COLORS["actual"],
            lw=1.2, label="history")
    stamps = to_stamps(forecast["timestamp"])
    draw_bands(ax, stamps, forecast)
    ax.plot(stamps, forecast["forecast"], color=COLORS["lstm"], lw=1.6,
            label="forecast")
    ax.set_title(f"The next {len(forecast)} steps with their prediction intervals")
    ax.legend(fontsize=8, ncols=4, loc="upper left")
    return fig
