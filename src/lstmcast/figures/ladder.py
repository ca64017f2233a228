"""The figures of the R² ladder (``lstmcast improve``), from its ``ladder.csv``
(one row per rung: rung, r2, seconds, ...) and the baselines' R² of
``ladder.json``.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lstmcast.figures.plots import COLORS

REFERENCE_STYLE = {"naive": ("#7f7f7f", "--"), "seasonal_naive": ("#17becf", "--"),
                   "arima": ("#ff7f0e", ":"), "ets": ("#2ca02c", ":")}


def _labels(ladder: pd.DataFrame) -> list[str]:
    """Rung names (the table beside the figure has the descriptions)."""
    return [textwrap.shorten(str(r), 30, placeholder="…") for r in ladder["rung"]]


def r2_ladder(ladder: pd.DataFrame, baselines: dict[str, float | None],
              best: str | None = None) -> Figure:
    """R² of every rung as a bar, with the baselines as reference lines; bars
    below the axis are clipped at -1 and labelled with their value."""
    fig = Figure(figsize=(9.0, 1.4 + 0.42 * len(ladder)), layout="constrained")
    ax = fig.subplots()
    r2 = ladder["r2"].to_numpy(float)
    y = np.arange(len(ladder))[::-1]
    colors = [COLORS["lstm"] if str(rung) == str(best) else "#e89a9a"
              for rung in ladder["rung"]]
    ax.barh(y, np.clip(np.nan_to_num(r2, nan=-1.0), -1.0, None), color=colors)
    for yi, value in zip(y, r2, strict=True):
        ax.text(max(value, -1.0) if np.isfinite(value) else -1.0, yi,
                f" {value:.3f}" if np.isfinite(value) else " undefined",
                va="center", fontsize=8)
    for name, value in baselines.items():
        if name not in REFERENCE_STYLE or value is None or not np.isfinite(value):
            continue
        color, style = REFERENCE_STYLE.get(name, ("#9467bd", "-."))
        ax.axvline(max(value, -1.0), color=color, ls=style, lw=1.4,
                   label=f"{name} {value:.3f}")
    ax.set_yticks(y, _labels(ladder), fontsize=8)
    refs = [v for k, v in baselines.items() if k in REFERENCE_STYLE and v is not None]
    low = min(np.nanmin(np.r_[r2, refs, 0.0]), 0.0)
    ax.set_xlim(max(low, -1.0) - 0.05, 1.08)
    ax.axvline(0, color="black", lw=0.6)
    ax.set_xlabel("R² on the test part (original scale)")
    ax.set_title("The R² ladder: what each step adds")
    if ax.get_legend_handles_labels()[0]:
        fig.legend(fontsize=8, loc="outside lower center", ncols=4)
    return fig


def seconds_per_rung(ladder: pd.DataFrame) -> Figure:
    """Wall time of every rung."""
    fig = Figure(figsize=(9.0, 1.2 + 0.3 * len(ladder)), layout="constrained")
    ax = fig.subplots()
    y = np.arange(len(ladder))[::-1]
    ax.barh(y, ladder["seconds"].to_numpy(float), color=COLORS["actual"])
    ax.set_yticks(y, _labels(ladder), fontsize=8)
    ax.set_xlabel("seconds")
    ax.set_title("Time per rung")
    return fig
