"""The HTML report of ``lstmcast tune``, rebuilt from the files in its folder.

Files read: ``tune.json`` (best_value, best_r2, n_trials, metric; optionally
direction), ``trials.csv`` (number, state, value, r2, duration_s and one
``param_<name>`` column per parameter), ``importances.json`` ({param:
importance}) and ``best_config.json``, all written by
:meth:`lstmcast.search.tune_result.TuneResult.save`, and the refit's files as
:meth:`lstmcast.evaluation.holdout.FitResult.save` writes them
(``metrics.json``, ``test_predictions.csv``, ``series.csv``, the model files);
the refit's are optional, so a study without a refit still gets its page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lstmcast.core.persist import read_json
from lstmcast.figures import plots
from lstmcast.figures.tune import history, importances
from lstmcast.report import html
from lstmcast.report.runs import run_zone, verdict

TUNE = "tune.json"
HIGHER_IS_BETTER = ("r2", "skill", "skill_vs_naive")


def _maximise(info: dict[str, Any]) -> bool:
    direction = str(info.get("direction", "")).lower()
    if direction in ("maximize", "maximise", "minimize", "minimise"):
        return direction.startswith("max")
    return str(info.get("metric", "")).lower() in HIGHER_IS_BETTER


def tune_verdict(info: dict[str, Any], metrics: dict[str, Any] | None
                 ) -> tuple[str, str]:
    """The best trial in plain words; with the refit, its R² against the
    baselines (the verdict of the fit report)."""
    head = (f"Best of {info.get('n_trials')} trials (validation): "
            f"{info.get('metric')} "
            f"{_f(info.get('best_value'))} (R² {_f(info.get('best_r2'))}).")
    if metrics is None:
        return head + " No refit was saved.", "meh"
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
            plots.forecasts(plots.zoned(pd.read_csv(out / "test_predictions.csv"),
                                        run_zone(metrics))),
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
    return html.write_page(out, f"lstmcast tune: {target}", subtitle, sections)
