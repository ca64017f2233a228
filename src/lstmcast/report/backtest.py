"""The HTML report of ``lstmcast backtest --out DIR``, rebuilt from its files.

Files read (as :meth:`lstmcast.evaluation.backtest_result.BacktestResult.save`
writes them): ``backtest.json`` (settings, folds, summary, ranking, scores),
``per_fold.csv`` (fold, model and each summary metric averaged over h = 1..H),
``per_horizon.csv`` (h, model, metric, mean and std across folds),
``forecasts.csv`` (every model's forecast of every test point from every
origin) and ``series.csv`` (the target, for the fold layout); the last two are
optional. :func:`write_backtest_report` writes ``report.html`` beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lstmcast.core.persist import read_json
from lstmcast.figures import plots
from lstmcast.figures.backtest import (
    fold_layout,
    one_step_forecasts,
    per_fold_errors,
    per_horizon_errors,
)
from lstmcast.report import html
from lstmcast.report.runs import run_zone

BACKTEST = "backtest.json"


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
    zone = run_zone(settings)
    series = plots.zoned(pd.read_csv(out / "series.csv"), zone) \
        if (out / "series.csv").is_file() else None
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
            one_step_forecasts(plots.zoned(pd.read_csv(out / "forecasts.csv"), zone)),
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
    return html.write_page(out, f"lstmcast backtest: {target}", subtitle, sections)
