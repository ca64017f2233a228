"""The report of a ``fit`` run, rebuilt from the files in its folder.

``write_fit_report(run_dir)`` reads ``metrics.json``, ``test_predictions.csv``,
``series.csv`` and ``model.json`` (all written by
:meth:`lstmcast.evaluation.holdout.FitResult.save`) and writes
``report.html`` beside them: the summary first (R² against the baselines and a
verdict in plain words), then the evidence (figures, training, settings).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from lstmcast.core.persist import read_json
from lstmcast.figures import plots
from lstmcast.figures.backtest import per_horizon_errors
from lstmcast.figures.intervals import fan_chart
from lstmcast.report import html
from lstmcast.report.runs import run_zone, verdict


def write_fit_report(run_dir: str | Path) -> Path:
    """Write ``report.html`` for a ``fit`` run folder and return its path."""
    run = Path(run_dir)
    html.require_files(run, ("metrics.json", "test_predictions.csv", "model.json"),
                       "fit")
    metrics = read_json(run / "metrics.json")
    meta = read_json(run / "model.json")
    zone = run_zone(metrics)
    predictions = plots.zoned(pd.read_csv(run / "test_predictions.csv"), zone)
    findings = metrics.get("doctor", [])
    text, tone = verdict(metrics["models"])
    text = metrics.get("verdict") or text
    facts, split = meta["fitted"], metrics["split"]
    history = meta["history"]["history"]
    sections = [("", html.verdict_block(text, tone)),
                ("Test part, original scale", html.metrics_table(metrics["models"])
                 + _saved_model(metrics.get("saved_model"))),
                ("What the doctor says", html.findings_block(
                    [f for f in findings if f["severity"] != "info"])),
                ("Forecasts", html.figure_block(
                    plots.forecasts(predictions),
                    "Each model forecasts every test point one step ahead from "
                    "the true history, with parameters fixed after training; "
                    "the shading is the LSTM's 80% and 95% intervals."))]
    if (run / "series.csv").is_file() and (run / "future_forecast.csv").is_file():
        sections.append(("Forecast with prediction intervals", html.figure_block(
            fan_chart(plots.zoned(pd.read_csv(run / "series.csv"), zone),
                      plots.zoned(pd.read_csv(run / "future_forecast.csv"), zone)),
            "The saved model's forecast after the last value, with its 80% and "
            f"95% intervals: {_bands_made(metrics)}.")))
    if (run / "series.csv").is_file():
        series = plots.zoned(pd.read_csv(run / "series.csv"), zone)
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
            f"epoch {meta['history']['best_epoch']}"
            f"{'; ' + meta['history']['refit'] if meta['history'].get('refit') else ''}"
            ".") if history else
         "<p>No training history.</p>"),
        ("Settings", html.pre_json({"season": facts["season"],
                                    "window": facts["window"],
                                    "features": facts["feature_names"],
                                    "split": split, "config": metrics["config"]}))]
    title = f"lstmcast: {facts['target']}"
    subtitle = (f"{split['n']} points, test {split['test'][0]} to "
                f"{split['test'][1]}; season {facts['season']}, window "
                f"{facts['window']}")
    return html.write_page(run, title, subtitle, sections)


def _saved_model(saved: dict[str, Any] | None) -> str:
    """Which model the folder holds: the refit on every row, or the evaluated
    fit (runs saved before refits existed say nothing)."""
    if not saved:
        return ""
    return f"<p>The saved model: {html.esc(saved['said'])}.</p>"


def _horizon_figure(horizon_metrics: dict[str, dict[str, dict[str, Any]]]
                    ) -> Figure:
    """The errors per step h of the multi-step forecasts (``horizon_metrics``
    of ``metrics.json``), drawn as a backtest's errors per horizon step."""
    rows = [{"h": int(h[1:]), "model": model, "metric": metric, "mean": value}
            for h, models in horizon_metrics.items()
            for model, values in models.items()
            for metric, value in values.items() if isinstance(value, float | int)]
    return per_horizon_errors(pd.DataFrame(rows))


def _bands_made(metrics: dict[str, Any]) -> str:
    """How the LSTM's bands were made, as metrics.json says (a run saved
    before it said so: the validation part's errors)."""
    info = metrics.get("intervals")
    method = info.get("method") if isinstance(info, dict) else None
    said = method.get("lstm") if isinstance(method, dict) else None
    return said if isinstance(said, str) and said else (
        "conformal, from the errors of its forecasts of the validation part "
        "at each step ahead")
