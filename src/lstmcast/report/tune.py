"""The HTML report of ``lstmcast tune``, rebuilt from the files in its folder.

Files read: ``tune.json`` (best_value, best_r2, n_trials, metric; optionally
direction), ``trials.csv`` (number, state, value, r2, duration_s and one
``param_<name>`` column per parameter), ``importances.json`` ({param:
importance}), ``best_config.json``, and the refit's files as
:meth:`lstmcast.evaluation.holdout.FitResult.save` writes them (``metrics.json``,
``test_predictions.csv``, ``series.csv``, the model files); the refit's are
optional, so a study without a refit still gets its page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from lstmcast.core.persist import atomic_write_bytes, read_json
from lstmcast.figures import plots
from lstmcast.report import html

TUNE = "tune.json"
HIGHER_IS_BETTER = ("r2", "skill", "skill_vs_naive")


def _maximise(info: dict[str, Any]) -> bool:
    direction = str(info.get("direction", "")).lower()
    if direction in ("maximize", "maximise", "minimize", "minimise"):
        return direction.startswith("max")
    return str(info.get("metric", "")).lower() in HIGHER_IS_BETTER


def history(trials: pd.DataFrame, metric: str, maximise: bool) -> Figure:
    """The value of every finished trial, the best so far, and the trials that
    were pruned or failed (marked at the bottom)."""
    fig = Figure(figsize=(9.0, 3.4), layout="constrained")
    ax = fig.subplots()
    state = trials["state"].astype(str).str.upper()
    done = trials[(state == "COMPLETE") & trials["value"].notna()]
    ax.scatter(done["number"], done["value"], s=18, color=plots.COLORS["actual"],
               label="trial", zorder=3)
    if len(done):
        values = done["value"].to_numpy(float)
        best = np.maximum.accumulate(values) if maximise else \
            np.minimum.accumulate(values)
        ax.step(done["number"], best, where="post", color=plots.COLORS["lstm"],
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
            color=plots.COLORS["actual"])
    for i, (_, v) in enumerate(items):
        ax.text(v, i, f" {v:.2f}", va="center", fontsize=8)
    ax.set_xlim(0, max([v for _, v in items], default=1.0) * 1.15 or 1.0)
    ax.set_title("Parameter importance (share of the variation of the objective)")
    return fig


def tune_verdict(info: dict[str, Any], metrics: dict[str, Any] | None
                 ) -> tuple[str, str]:
    """The best trial in plain words; with the refit, its R² against the
    baselines (the verdict of the fit report)."""
    head = (f"Best of {info.get('n_trials')} trials (validation): "
            f"{info.get('metric')} "
            f"{_f(info.get('best_value'))} (R² {_f(info.get('best_r2'))}).")
    if metrics is None:
        return head + " No refit was saved.", "meh"
    from lstmcast.report.runs import verdict
    text, tone = verdict(metrics["models"])
    return f"{head} Refit with these settings on the test part: {text}", tone


def _f(value: Any) -> str:
    return "undefined" if value is None else f"{value:.4g}"


def trials_table(trials: pd.DataFrame, maximise: bool, top: int = 5) -> str:
    """The ``top`` best finished trials side by side: one column per trial, one
    row per score and setting (readable with many settings)."""
    params = [c for c in trials.columns if c.startswith("param_")]
    done = trials[trials["state"].astype(str).str.upper() == "COMPLETE"]
    done = done.sort_values("value", ascending=not maximise).head(top)
    rows = [[label, *[_value(v) for v in done[col]]] for label, col in (
        [("value", "value"), ("R²", "r2"), ("seconds", "duration_s")]
        + [(p[len("param_"):], p) for p in params])]
    return html.table(["", *[f"trial {int(n)}" for n in done["number"]]], rows,
                      bold="value")


def _value(value: Any) -> Any:
    if isinstance(value, float) and value == value and value != 0 and (
            abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.2e}"
    return value


def write_tune_report(out_dir: str | Path) -> Path:
    """Write ``report.html`` of a ``tune`` folder from its files."""
    out = Path(out_dir)
    html.require_files(out, (TUNE, "trials.csv"), "tune")
    info = read_json(out / TUNE)
    trials = pd.read_csv(out / "trials.csv")
    maximise = _maximise(info)
    metrics = read_json(out / "metrics.json") if (out / "metrics.json").is_file() \
        else None
    text, tone = tune_verdict(info, metrics)
    sections = [("", html.verdict_block(text, tone))]
    if metrics is not None:
        sections.append(("Refit of the best settings: test part, original scale",
                         html.metrics_table(metrics["models"])))
    sections.append(("Optimisation history", html.figure_block(
        history(trials, str(info.get("metric", "value")), maximise),
        "Each dot a finished trial; the line the best so far. Pruned trials "
        "were stopped early because they were doing worse than the others.")))
    imp_path = out / "importances.json"
    if imp_path.is_file() and read_json(imp_path):
        sections.append(("Parameter importance", html.figure_block(
            importances(read_json(imp_path)), "Which settings mattered: "
            "tune the important ones, fix the others.")))
    if (out / "test_predictions.csv").is_file():
        sections.append(("Forecasts of the refit", html.figure_block(
            plots.forecasts(pd.read_csv(out / "test_predictions.csv")),
            "The best settings, refitted, forecasting every test point one step "
            "ahead from the true history.")))
    sections.append(("Best trials", trials_table(trials, maximise)))
    states = trials["state"].astype(str).str.upper().value_counts()
    sections.append(("Trials by state", html.table(
        ["state", "trials"], [[s.lower(), int(c)] for s, c in states.items()],
        bold="")))
    if (out / "best_config.json").is_file():
        sections.append(("Best settings (accepted by `lstmcast fit --config`)",
                         html.pre_json(read_json(out / "best_config.json"))))
    target = (metrics or {}).get("config", {}).get("data", {}).get("target") \
        or "target"
    subtitle = (f"{info.get('n_trials')} trials, objective {info.get('metric')} "
                f"({'maximised' if maximise else 'minimised'})")
    path = out / "report.html"
    atomic_write_bytes(path, html.page(f"lstmcast tune: {target}", subtitle,
                                       sections).encode("utf-8"))
    return path
