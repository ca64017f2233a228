"""The figures of a backtest, from the frames of its run folder.

``per_fold.csv`` gives :func:`per_fold_errors`, ``per_horizon.csv``
:func:`per_horizon_errors` (also the errors per step of a multi-step fit),
``forecasts.csv`` :func:`one_step_forecasts`, and ``series.csv`` with the folds
of ``backtest.json`` :func:`fold_layout`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lstmcast.figures.plots import COLORS, to_stamps

EXTRA_COLORS = {"arima": "#ff7f0e", "ets": "#2ca02c"}


def _color(model: str) -> str | None:
    return COLORS.get(model) or EXTRA_COLORS.get(model)


def fold_layout(series: pd.DataFrame | None, folds: list[dict[str, Any]]) -> Figure:
    """The series above, and below it each fold's training and test rows."""
    fig = Figure(figsize=(9.0, 4.2), layout="constrained")
    ax_series, ax_folds = fig.subplots(2, 1, sharex=True,
                                       gridspec_kw={"height_ratios": [2, 1]})
    if series is not None:
        ax_series.plot(to_stamps(series["timestamp"]), series["actual"],
                       color=COLORS["actual"], lw=0.8)
    ax_series.set_title("Series and folds (training rows blue, test rows red)")
    for fold in folds:
        k = fold["fold"]
        train, test = to_stamps(pd.Series(fold["train"])), to_stamps(pd.Series(
            fold["test"]))
        ax_folds.hlines(k, train[0], train[1], color="#9ab8de", lw=7)
        ax_folds.hlines(k, test[0], test[1], color="#e06666", lw=7)
    ax_folds.set_yticks([f["fold"] for f in folds])
    ax_folds.set_ylabel("fold")
    ax_folds.invert_yaxis()
    return fig


def per_fold_errors(per_fold: pd.DataFrame) -> Figure:
    """RMSE and R² of every model in every fold (averaged over h), as bars."""
    fig = Figure(figsize=(11.0, 3.4), layout="constrained")
    axes = fig.subplots(1, 2)
    models = list(dict.fromkeys(per_fold["model"]))
    folds = sorted(per_fold["fold"].unique())
    width = 0.8 / max(len(models), 1)
    for ax, metric, title in ((axes[0], "rmse", "RMSE per fold (lower is better)"),
                              (axes[1], "r2", "R² per fold (higher is better)")):
        wide = per_fold.pivot(index="fold", columns="model", values=metric)
        for i, model in enumerate(models):
            ax.bar(np.arange(len(folds)) + (i - (len(models) - 1) / 2) * width,
                   wide.reindex(folds)[model].to_numpy(float), width,
                   label=model, color=_color(model),
                   edgecolor="black" if model == "lstm" else None)
        ax.set_xticks(np.arange(len(folds)), [f"fold {k}" for k in folds])
        ax.set_title(title)
        if metric == "r2":
            low = np.nanmin(wide.to_numpy(float)) if wide.size else 0.0
            ax.set_ylim(max(low, -1.0) - 0.05, 1.0)
            ax.axhline(0, color="black", lw=0.6)
    axes[0].legend(fontsize=7, ncols=2)
    return fig


def per_horizon_errors(per_horizon: pd.DataFrame) -> Figure:
    """RMSE and skill against the naive forecast at each step h (mean across
    folds)."""
    fig = Figure(figsize=(11.0, 3.4), layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, metric, title in ((axes[0], "rmse", "RMSE per horizon step"),
                              (axes[1], "skill_vs_naive",
                               "Skill vs naive per horizon step (above 0 beats it)")):
        own = per_horizon[per_horizon["metric"] == metric]
        for model in dict.fromkeys(own["model"]):
            rows = own[own["model"] == model].sort_values("h")
            ax.plot(rows["h"], rows["mean"], marker="o", label=model,
                    color=_color(model), lw=2.0 if model == "lstm" else 1.0)
        ax.set_xlabel("steps ahead (h)")
        ax.set_title(title)
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[1].axhline(0, color="black", lw=0.6)
    axes[0].legend(fontsize=7, ncols=2)
    return fig


def one_step_forecasts(forecasts: pd.DataFrame) -> Figure:
    """The h = 1 forecasts of every fold's test part against the actual values."""
    fig = Figure(figsize=(9.0, 3.4), layout="constrained")
    ax = fig.subplots()
    first = forecasts[forecasts["h"] == 1]
    for fold, part in first.groupby("fold"):
        wide = part.pivot_table(index="timestamp", columns="model",
                                values="forecast", sort=False)
        actual = part.drop_duplicates("timestamp").set_index("timestamp")["actual"]
        stamps = to_stamps(pd.Series(wide.index))
        ax.plot(stamps, actual.reindex(wide.index), color=COLORS["actual"], lw=2,
                label="actual" if fold == first["fold"].min() else None)
        for model in ("lstm", "naive", "seasonal_naive"):
            if model in wide:
                ax.plot(stamps, wide[model], color=_color(model),
                        lw=1.5 if model == "lstm" else 1.0,
                        ls="-" if model == "lstm" else "--",
                        label=model if fold == first["fold"].min() else None)
    ax.set_title("One-step forecasts in every fold's test part")
    ax.legend(fontsize=8, ncols=4)
    return fig
