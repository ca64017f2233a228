"""The figures of a panel run (a global model scored on the last H values of
every series), from the frames of its run folder.

``per_series.csv`` gives :func:`error_distribution` (the spread of the
per-series sMAPE across series, which one mean hides); ``history.csv`` with
``test_forecasts.csv`` gives :func:`series_panels` (a few series drawn whole
around their test part, with the lstm's bands); with ``future_forecast.csv``
it gives :func:`fan_panels` (the forecast after the end of each, a fan chart).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lstmcast.figures.plots import COLORS, to_stamps

THETA_COLOR = "#2ca02c"


def _color(model: str) -> str | None:
    return THETA_COLOR if model == "theta" else COLORS.get(model)


def error_distribution(smape: pd.DataFrame, against: str = "theta") -> Figure:
    """Left, the sMAPE of every series for each model (columns of ``smape``,
    one row per series) as box plots with the series as dots; right, the
    histogram of the lstm's sMAPE minus ``against``'s, series by series
    (below 0 the lstm does better)."""
    fig = Figure(figsize=(11.0, 3.6), layout="constrained")
    ax_box, ax_diff = fig.subplots(1, 2)
    models = list(smape.columns)
    values = [smape[m].to_numpy(float) for m in models]
    values = [v[np.isfinite(v)] for v in values]
    ax_box.boxplot(values, widths=0.5, showfliers=False)
    jitter = np.random.default_rng(0)
    for k, (model, v) in enumerate(zip(models, values, strict=True), start=1):
        ax_box.scatter(k + jitter.uniform(-0.12, 0.12, v.size), v, s=9,
                       alpha=0.6, color=_color(model), zorder=3)
    ax_box.set_xticks(range(1, len(models) + 1), models)
    ax_box.set_ylabel("sMAPE % of a series")
    ax_box.set_title("sMAPE per series (lower is better)")
    diff = (smape["lstm"] - smape[against]).to_numpy(float)
    diff = diff[np.isfinite(diff)]
    ax_diff.hist(diff, bins=min(30, max(5, diff.size // 3)), color=COLORS["lstm"])
    ax_diff.axvline(0, color="black", lw=0.8)
    ax_diff.set_xlabel(f"sMAPE of lstm minus sMAPE of {against}")
    ax_diff.set_ylabel("series")
    ax_diff.set_title(f"lstm against {against}, series by series "
                      "(left of 0: lstm better)")
    return fig


def series_panels(history: pd.DataFrame, tests: pd.DataFrame, ids: list[str],
                  titles: dict[str, str], models: tuple[str, ...] = (
                      "lstm", "theta")) -> Figure:
    """One small panel per series of ``ids``, side by side: the end of its
    training part (``history``: id, time, actual), its test actuals and the
    ``models``' forecasts of them (``tests``: id, time, actual, a column per
    model, and the lstm's bands ``lstm-lo-80``, ... where there are any),
    titled from ``titles``."""
    fig = Figure(figsize=(11.0, 2.9), layout="constrained")
    axes = fig.subplots(1, len(ids), squeeze=False)[0]
    for ax, key in zip(axes, ids, strict=True):
        past = history[history["id"] == key]
        test = tests[tests["id"] == key]
        stamps = to_stamps(test["time"])
        ax.plot(to_stamps(past["time"]), past["actual"], color=COLORS["actual"],
                lw=1.0, label="training part")
        ax.plot(stamps, test["actual"], color=COLORS["actual"], lw=2.0,
                marker="o", ms=3, label="test actuals")
        draw_bands(ax, stamps, test, "lstm-")
        for model in models:
            ax.plot(stamps, test[model], color=_color(model),
                    lw=1.6 if model == "lstm" else 1.0,
                    ls="-" if model == "lstm" else "--", label=model)
        if len(stamps):
            ax.axvline(stamps[0], color="#999999", lw=0.6, ls=":")
        ax.set_title(titles.get(key, key), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", labelrotation=30)
    axes[0].legend(fontsize=7)
    return fig


def band_levels(frame: pd.DataFrame, prefix: str = "") -> list[str]:
    """The levels (as written: '80', '95') of the ``{prefix}lo-L`` and
    ``{prefix}hi-L`` column pairs of ``frame``, widest first."""
    found = [c[len(prefix) + 3:] for c in frame.columns
             if c.startswith(f"{prefix}lo-") and
             f"{prefix}hi-{c[len(prefix) + 3:]}" in frame.columns]
    return sorted(found, key=float, reverse=True)


def draw_bands(ax: object, stamps: np.ndarray, frame: pd.DataFrame,
               prefix: str = "", color: str = COLORS["lstm"]) -> None:
    """Shade the prediction intervals of ``frame`` (columns ``{prefix}lo-80``,
    ``{prefix}hi-80``, ...), the widest palest."""
    levels = band_levels(frame, prefix)
    for k, level in enumerate(levels):
        ax.fill_between(stamps, frame[f"{prefix}lo-{level}"].to_numpy(float),
                        frame[f"{prefix}hi-{level}"].to_numpy(float),
                        color=color, alpha=0.12 + 0.12 * k, lw=0,
                        label=f"{level}% interval")


def fan_panels(history: pd.DataFrame, tests: pd.DataFrame, future: pd.DataFrame,
               ids: list[str], titles: dict[str, str]) -> Figure:
    """One small panel per series of ``ids``: its last values (the end of the
    training part from ``history``, then the test actuals of ``tests``) and
    the forecast after them with its bands (``future``: id, time, forecast,
    lo-80, hi-80, ...): a fan chart."""
    rows = -(-len(ids) // 3)
    fig = Figure(figsize=(11.0, 2.9 * rows), layout="constrained")
    grid = fig.subplots(rows, min(3, len(ids)), squeeze=False).ravel()
    for ax in grid[len(ids):]:
        ax.set_visible(False)
    axes = grid[:len(ids)]
    for ax, key in zip(axes, ids, strict=True):
        past = pd.concat([history.loc[history["id"] == key, ["time", "actual"]],
                          tests.loc[tests["id"] == key, ["time", "actual"]]])
        ahead = future[future["id"] == key]
        stamps = to_stamps(ahead["time"])
        ax.plot(to_stamps(past["time"]), past["actual"], color=COLORS["actual"],
                lw=1.0, label="history")
        draw_bands(ax, stamps, ahead)
        ax.plot(stamps, ahead["forecast"], color=COLORS["lstm"], lw=1.6,
                label="forecast")
        ax.set_title(titles.get(key, key), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.tick_params(axis="x", labelrotation=30)
    axes[0].legend(fontsize=7)
    return fig
