"""Plots and the HTML report of a run, rebuilt from the files in its folder.

``write_fit_report(run_dir)`` reads ``metrics.json``, ``test_predictions.csv``,
``series.csv`` and ``model.json`` (all written by ``lstmcast fit``) and writes
``report.html`` beside them: the summary first (R² against the baselines and a
verdict in plain words), then the evidence (figures, training, settings).

``write_report(run_dir)`` rebuilds the report of any run folder, telling its
kind from the files in it (:func:`run_kind`): ``tune``, ``improve``,
``backtest``, ``diagnose`` or ``fit``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lstmcast.errors import DataError
from lstmcast.persist import atomic_write_bytes, read_json

REPORT = "report.html"
# (kind, file that marks it); tune and improve folders also hold a fit's files
KINDS = (("tune", "tune.json"), ("improve", "ladder.json"),
         ("backtest", "backtest.json"), ("diagnose", "diagnosis.json"),
         ("fit", "metrics.json"))


def run_kind(run_dir: str | Path) -> str:
    """Which command wrote this folder: tune, improve, backtest, diagnose or fit."""
    run = Path(run_dir)
    for kind, marker in KINDS:
        if (run / marker).is_file():
            return kind
    what = "does not exist" if not run.exists() else "holds no finished run"
    raise DataError(f"{run} {what}: give the --out folder of a finished `lstmcast "
                    "fit`, `diagnose`, `backtest`, `tune` or `improve` (it holds "
                    + ", ".join(m for _, m in KINDS) + " respectively).")


def write_report(run_dir: str | Path) -> Path:
    """Rebuild ``report.html`` of any run folder from its files; return its path."""
    kind = run_kind(run_dir)
    if kind == "tune":
        from lstmcast.report.tune import write_tune_report
        return write_tune_report(run_dir)
    if kind == "improve":
        from lstmcast.report.ladder import write_ladder_report
        return write_ladder_report(run_dir)
    if kind == "backtest":
        from lstmcast.report.backtest import write_backtest_report
        return write_backtest_report(run_dir)
    if kind == "diagnose":
        from lstmcast.report.diagnosis import render_diagnosis_report
        return render_diagnosis_report(run_dir)
    return write_fit_report(run_dir)


def verdict(metrics: dict[str, dict[str, Any]]) -> tuple[str, str]:
    """A plain-words verdict on the LSTM against the baselines, and its tone."""
    lstm = metrics["lstm"]
    skill = lstm.get("skill_vs_naive")
    best_name, best = max(((m, v.get("r2")) for m, v in metrics.items()
                           if m != "lstm" and v.get("r2") is not None),
                          key=lambda item: item[1], default=(None, None))
    r2 = lstm.get("r2")
    r2_text = "undefined" if r2 is None else f"{r2:.3f}"
    if skill is None:
        return (f"R² of the LSTM is {r2_text}; skill against the naive forecast is "
                "undefined (the naive forecast is perfect on this test part).", "meh")
    if skill <= 0:
        return (f"The LSTM is no better than repeating the last value: its squared "
                f"error is {-skill:.0%} higher than the naive forecast's (R² "
                f"{r2_text}). Whatever R² says, use the naive forecast here, or "
                "model the changes of the series.", "bad")
    tail = ""
    if best is not None and r2 is not None and best > r2:
        tail = f" But {best_name} does better (R² {best:.3f})."
    tone = "meh" if tail else "good"
    return (f"The LSTM beats the naive forecast by {skill:.0%} in squared error "
            f"(R² {r2_text}).{tail}", tone)


def write_fit_report(run_dir: str | Path, findings: list[dict[str, Any]] | None
                     = None) -> Path:
    """Write ``report.html`` for a ``fit`` run folder and return its path."""
    from lstmcast.report import html, plots
    run = Path(run_dir)
    html.require_files(run, ("metrics.json", "test_predictions.csv", "model.json"),
                       "fit")
    metrics = read_json(run / "metrics.json")
    meta = read_json(run / "model.json")
    predictions = pd.read_csv(run / "test_predictions.csv")
    findings = findings if findings is not None else metrics.get("doctor", [])
    text, tone = verdict(metrics["models"])
    text = metrics.get("verdict") or text
    facts, split = meta["fitted"], metrics["split"]
    history = meta["history"]["history"]
    sections = [("", html.verdict_block(text, tone)),
                ("Test part, original scale", html.metrics_table(metrics["models"])),
                ("What the doctor says", html.findings_block(
                    [f for f in findings if f["severity"] != "info"])),
                ("Forecasts", html.figure_block(
                    plots.forecasts(predictions),
                    "Each model forecasts every test point one step ahead from "
                    "the true history, with parameters fixed after training."))]
    if (run / "series.csv").is_file():
        series = pd.read_csv(run / "series.csv")
        sections.append(("Data", html.figure_block(
            plots.series_split(series, split), "The target with the parts "
            "of the temporal split shaded.")))
    if metrics.get("horizon_metrics"):
        sections.append(("Errors per horizon step", html.figure_block(
            _horizon_figure(metrics["horizon_metrics"]), "h-step forecasts from "
            "every test origin: errors usually grow with h.")))
    sections += [
        ("Residuals", html.figure_block(
            plots.residuals(predictions), "Residuals of the LSTM on the test part: "
            "structure left in them is signal the model missed.")),
        ("Training", html.figure_block(
            plots.learning_curves(history), f"{meta['history']['stopped']}; best "
            f"epoch {meta['history']['best_epoch']}.") if history else
         "<p>No training history.</p>"),
        ("Settings", html.pre_json({"season": facts["season"],
                                    "window": facts["window"],
                                    "features": facts["feature_names"],
                                    "split": split, "config": metrics["config"]}))]
    title = f"lstmcast: {facts['target']}"
    subtitle = (f"{split['n']} points, test {split['test'][0]} to "
                f"{split['test'][1]}; season {facts['season']}, window "
                f"{facts['window']}")
    path = run / REPORT
    atomic_write_bytes(path, html.page(title, subtitle, sections).encode("utf-8"))
    return path


def _horizon_figure(horizon_metrics: dict[str, dict[str, dict[str, Any]]]) -> Any:
    from lstmcast.report.backtest import per_horizon_errors
    rows = [{"h": int(h[1:]), "model": model, "metric": metric, "mean": value}
            for h, models in horizon_metrics.items()
            for model, values in models.items()
            for metric, value in values.items() if isinstance(value, float | int)]
    return per_horizon_errors(pd.DataFrame(rows))
