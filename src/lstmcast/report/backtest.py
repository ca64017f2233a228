"""The files and the HTML report of ``lstmcast backtest --out DIR``.

:func:`save_backtest` writes ``backtest.json`` (settings, folds, summary,
ranking, scores), ``per_fold.csv`` (fold, model and each summary metric
averaged over h = 1..H), ``per_horizon.csv`` (h, model, metric, mean and std
across folds), ``forecasts.csv`` (every model's forecast of every test point
from every origin), ``series.csv`` (the target, for the fold layout) and
``report.html``. :func:`write_backtest_report` rebuilds the page from those
files alone (``lstmcast report DIR``).
"""

from __future__ import annotations

import io as _io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from lstmcast.core.persist import atomic_write_bytes, atomic_write_json, read_json
from lstmcast.figures.plots import COLORS, _stamps
from lstmcast.report import html

BACKTEST = "backtest.json"
METRICS = ("r2", "mae", "rmse", "mase", "skill_vs_naive")
EXTRA_COLORS = {"arima": "#ff7f0e", "ets": "#2ca02c"}


def save_backtest(result: Any, out: str | Path, series: Any = None) -> Path:
    """Write the backtest's files and ``report.html`` into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_json(out / BACKTEST, result.to_dict())
    scores = result.scores[result.scores["metric"].isin(METRICS)]
    per_fold = scores.pivot_table(index=["fold", "model"], columns="metric",
                                  values="value", aggfunc="mean", sort=False)
    _write_csv(out / "per_fold.csv", per_fold.reset_index())
    _write_csv(out / "per_horizon.csv", result.per_horizon())
    _write_csv(out / "forecasts.csv", result.forecasts)
    if series is not None:
        _write_csv(out / "series.csv", pd.DataFrame(
            {"timestamp": series.index, "actual": series.y}))
    return write_backtest_report(out)


def _write_csv(path: Path, frame: pd.DataFrame) -> None:
    buffer = _io.StringIO()
    frame.to_csv(buffer, index=False)
    atomic_write_bytes(path, buffer.getvalue().encode())


def _color(model: str) -> str | None:
    return COLORS.get(model) or EXTRA_COLORS.get(model)


# ------------------------------------------------------------------ the plots


def fold_layout(series: pd.DataFrame | None, folds: list[dict[str, Any]]) -> Figure:
    """The series above, and below it each fold's training and test rows."""
    fig = Figure(figsize=(9.0, 4.2), layout="constrained")
    ax_series, ax_folds = fig.subplots(2, 1, sharex=True,
                                       gridspec_kw={"height_ratios": [2, 1]})
    if series is not None:
        ax_series.plot(_stamps(series["timestamp"]), series["actual"],
                       color=COLORS["actual"], lw=0.8)
    ax_series.set_title("Series and folds (training rows blue, test rows red)")
    for fold in folds:
        k = fold["fold"]
        train, test = _stamps(pd.Series(fold["train"])), _stamps(pd.Series(
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
        stamps = _stamps(pd.Series(wide.index))
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


# ------------------------------------------------------------------ the page


def backtest_verdict(data: dict[str, Any]) -> tuple[str, str]:
    """Where the LSTM ranks, and its mean R² and skill, in plain words."""
    ranking = data["ranking"]
    settings = data["settings"]
    steps = "mean" if settings["horizon"] > 1 else "h1"
    summary = {row["model"]: row for row in data["summary"] if row["steps"] == steps}
    lstm = summary.get("lstm", {})
    place = next((row["rank"] for row in ranking if row["model"] == "lstm"), None)
    best = ranking[0]["model"] if ranking else None
    where = ("h = 1" if steps == "h1" else f"h = 1..{settings['horizon']}")
    r2, skill = lstm.get("r2_mean"), lstm.get("skill_vs_naive_mean")
    text = (f"Over {settings['folds']} {settings['mode']} folds ({where}) the LSTM "
            f"ranks {place} of {len(ranking)} by MASE; mean R² {_f(r2)}, skill vs "
            f"naive {_f(skill)}.")
    if skill is not None and skill <= 0:
        return (text + " It does not beat repeating the last value: use the naive "
                "forecast, or model the changes of the series.", "bad")
    if place == 1:
        return text + " It is the best model here.", "good"
    best_r2 = summary.get(best, {}).get("r2_mean")
    return text + f" {best} does better (mean R² {_f(best_r2)}).", "meh"


def _f(value: Any) -> str:
    return "undefined" if value is None else f"{value:.3f}"


def ranking_table(data: dict[str, Any]) -> str:
    """Rank, MASE, mean rank, then R², RMSE and skill as mean ± std per model."""
    steps = "mean" if data["settings"]["horizon"] > 1 else "h1"
    summary = {row["model"]: row for row in data["summary"] if row["steps"] == steps}
    seconds: dict[str, float] = {}
    for row in data.get("timings", []):
        seconds[row["model"]] = seconds.get(row["model"], 0.0) + (
            row.get("fit_seconds") or 0.0)
    rows = []
    for row in data["ranking"]:
        s = summary.get(row["model"], {})
        rows.append([row["model"], row["rank"], row["mase"], row["mean_rank"],
                     _pm(s, "r2"), _pm(s, "rmse"), _pm(s, "skill_vs_naive"),
                     seconds.get(row["model"])])
    return html.table(["model", "rank", "MASE", "mean rank over folds",
                       "R² (mean ± std)", "RMSE", "skill vs naive", "fit s"], rows)


def _pm(row: dict[str, Any], metric: str) -> str:
    mean, std = row.get(f"{metric}_mean"), row.get(f"{metric}_std")
    if mean is None:
        return "undefined"
    return f"{mean:.4g} ± {std:.2g}" if std is not None else f"{mean:.4g}"


def write_backtest_report(out: str | Path) -> Path:
    """Write ``report.html`` of a backtest folder from its files."""
    out = Path(out)
    html.require_files(out, (BACKTEST, "per_fold.csv", "per_horizon.csv"), "backtest")
    data = read_json(out / BACKTEST)
    settings = data["settings"]
    series = pd.read_csv(out / "series.csv") if (out / "series.csv").is_file() \
        else None
    text, tone = backtest_verdict(data)
    sections = [("", html.verdict_block(text, tone)),
                ("Ranking (mean across folds)", ranking_table(data)),
                ("Errors per fold", html.figure_block(
                    per_fold_errors(pd.read_csv(out / "per_fold.csv")),
                    "Each fold refits the whole pipeline on its own past; the "
                    "spread across folds is how much one split can mislead.")),
                ("Errors per horizon step", html.figure_block(
                    per_horizon_errors(pd.read_csv(out / "per_horizon.csv")),
                    "Mean across folds at each step h: errors usually grow with "
                    "h; skill below 0 means the naive forecast does better."))]
    if (out / "forecasts.csv").is_file():
        sections.append(("Forecasts", html.figure_block(
            one_step_forecasts(pd.read_csv(out / "forecasts.csv")),
            "Forecasts one step ahead from the true history, fold by fold.")))
    sections.append(("Folds", html.figure_block(
        fold_layout(series, data["folds"]), "Training rows (blue) and test rows "
        "(red) of every fold.")))
    if data.get("failures"):
        sections.append(("Reference models that failed", html.table(
            ["model", "fold", "message"], [[f["model"], f["fold"], f["message"]]
                                           for f in data["failures"]])))
    sections.append(("Settings", html.pre_json(settings)))
    target = settings["config"]["data"].get("target") or "target"
    subtitle = (f"{settings['n']} points; {settings['folds']} {settings['mode']} "
                f"folds of {settings['test_size']} test rows; horizon "
                f"{settings['horizon']}")
    page = html.page(f"lstmcast backtest: {target}", subtitle, sections)
    path = out / "report.html"
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
