"""The figures of a tuning run, from the files of its run folder:
``trials.csv`` gives :func:`history`, ``importances.json`` :func:`importances`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lstmcast.figures.plots import COLORS


def history(trials: pd.DataFrame, metric: str, maximise: bool) -> Figure:
    """The value of every finished trial, the best so far, and the trials that
    were pruned or failed (marked at the bottom)."""
    fig = Figure(figsize=(9.0, 3.4), layout="constrained")
    ax = fig.subplots()
    state = trials["state"].astype(str).str.upper()
    done = trials[(state == "COMPLETE") & trials["value"].notna()]
    ax.scatter(done["number"], done["value"], s=18, color=COLORS["actual"],
               label="trial", zorder=3)
    if len(done):
        values = done["value"].to_numpy(float)
        best = np.maximum.accumulate(values) if maximise else \
            np.minimum.accumulate(values)
        ax.step(done["number"], best, where="post", color=COLORS["lstm"],
                lw=1.8, label="best so far")
        if values.min() > 0 and values.max() / values.min() > 10:
            ax.set_yscale("log")
    low = ax.get_ylim()[0]
    for name, marker, color in (("PRUNED", "x", "#e8a200"), ("FAIL", "v", "#555555")):
        rows = trials[state == name]
        if len(rows):
            ax.scatter(rows["number"], np.full(len(rows), low), marker=marker,
                       color=color, s=30, label=f"{name.lower()} ({len(rows)})",
                       clip_on=False, zorder=4)
    ax.set_xlabel("trial")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(metric)
    ax.set_title(f"Optimisation history ({'higher' if maximise else 'lower'} "
                 "is better)")
    ax.legend(fontsize=8, ncols=4)
    return fig


def importances(values: dict[str, float]) -> Figure:
    """Parameter importance as horizontal bars, the most important on top."""
    items = sorted(values.items(), key=lambda item: item[1])
    fig = Figure(figsize=(9.0, 0.9 + 0.32 * max(len(items), 1)),
                 layout="constrained")
    ax = fig.subplots()
    ax.barh([name for name, _ in items], [v for _, v in items],
            color=COLORS["actual"])
    for i, (_, v) in enumerate(items):
        ax.text(v, i, f" {v:.2f}", va="center", fontsize=8)
    ax.set_xlim(0, max([v for _, v in items], default=1.0) * 1.15 or 1.0)
    ax.set_title("Parameter importance (share of the variation of the objective)")
    return fig
