"""What the commands print: rich tables of scores, findings and searches.

Only :mod:`lstmcast.cli` prints; the results it shows are built elsewhere and
passed in. Tables are 120 columns wide when the output is not a terminal.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from lstmcast.cli.run import SHOWN_NOTES

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console
    from rich.table import Table

    from lstmcast.core.findings import Finding
    from lstmcast.data.series import SeriesData
    from lstmcast.diagnosis.diagnose import Diagnosis
    from lstmcast.evaluation.backtest_result import BacktestResult
    from lstmcast.evaluation.holdout import FitResult
    from lstmcast.evaluation.panel import PanelResult
    from lstmcast.search.ladder import LadderResult
    from lstmcast.search.tune_result import TuneResult

SEVERITY_STYLE = {"problem": "bold red", "warning": "yellow", "info": "blue"}


def console() -> Console:
    """A rich console; 120 columns when the output is not a terminal (a file or
    a pipe), where rich's 80 would cut the numbers of the tables."""
    from rich.console import Console
    return Console() if sys.stdout.isatty() else Console(width=120)


def fmt(value: float | None, *, signed: bool = False) -> str:
    """Scores with a sign and 3 decimals; errors with 4 significant digits."""
    if value is None:
        return "undefined"
    return f"{value:+.3f}" if signed else f"{value:.4g}"


#: Interval scores shown beside the point scores when a model has them.
INTERVAL_COLUMNS = (("coverage_80", "cov 80%"), ("coverage_95", "cov 95%"),
                    ("msis", "MSIS"), ("crps", "CRPS"))


def metrics_table(metrics: dict[str, dict[str, Any]]) -> Table:
    """The test scores of every model, the LSTM in bold."""
    from rich.table import Table
    table = Table(title="Test part, original scale")
    columns = [("model", "model"), ("r2", "R²"), ("mae", "MAE"), ("rmse", "RMSE"),
               ("mape", "MAPE %"), ("smape", "sMAPE %"), ("mase", "MASE"),
               ("skill_vs_naive", "skill vs naive")]
    columns += [(key, title) for key, title in INTERVAL_COLUMNS
                if any(values.get(key) is not None for values in metrics.values())]
    for _, title in columns:
        table.add_column(title, justify="left" if title == "model" else "right",
                         no_wrap=True)
    for model, values in metrics.items():
        cells = [model] + [fmt(values.get(key), signed=key in ("r2", "skill_vs_naive"))
                           for key, _ in columns[1:]]
        table.add_row(*cells, style="bold" if model == "lstm" else None)
    return table


def print_auto(auto: dict[str, Any]) -> None:
    """The candidates of --auto with their validation scores, and the choice."""
    from rich.markup import escape
    from rich.table import Table
    folds = auto.get("validation_folds", 1)
    table = Table(title=f"--auto: candidates on validation: the last "
                  f"{folds if folds > 1 else ''} block{'s' if folds > 1 else ''} "
                  f"of the training part ({auto['validation_rows']} one-step "
                  "forecasts)".replace("last  block", "last block"))
    for col in ("candidate", "val MSE", "skill vs naive", "fit s", "what"):
        table.add_column(col, justify="right" if col in ("val MSE", "skill vs "
                         "naive", "fit s") else "left")
    for c in auto["candidates"]:
        chosen = c["name"] == auto["chosen"]
        scored = c["val_mse"] is not None  # else skipped: its note says why
        table.add_row(("* " if chosen else "") + c["name"],
                      fmt(c["val_mse"]) if scored else "-",
                      fmt(c["val_skill_vs_naive"], signed=True) if scored else "-",
                      f"{c['seconds']:.1f}" if scored else "-",
                      escape(c["note"] or c["reason"]))
    out = console()
    out.print(table)
    out.print(f"[bold]Chose {escape(auto['chosen'])}:[/] {escape(auto['why'])}.",
              highlight=False)


def print_fit(result: FitResult, series: SeriesData, out: str) -> None:
    """A fit: the notes on the data, the split, the scores, the doctor."""
    from rich.markup import escape
    screen = console()
    for note in series.notes:
        if note not in SHOWN_NOTES:  # DataWarnings were printed while loading
            screen.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    est, split = result.forecaster, result.split
    screen.print(f"{series.target}: {split['n']} rows; train {split['n_train']}, "
                 f"validation {split['n_val']}, test {split['n_test']} "
                 f"(one-step forecasts from the true history). Season "
                 f"{est.season_}, window {est.window_}.", highlight=False)
    screen.print(metrics_table(result.metrics))
    if est.history_.diverged:
        screen.print(f"[bold yellow]warning:[/] {escape(est.history_.stopped)}",
                     highlight=False)
    print_findings(screen, [f for f in result.doctor if f.severity != "info"])
    screen.print(f"[bold]Doctor:[/] {escape(result.verdict)}", highlight=False)
    refit = f"; {est.history_.refit}" if est.history_.refit else ""
    screen.print(f"Training: {est.history_.stopped} (best epoch "
                 f"{est.history_.best_epoch}, {est.history_.seconds:.1f} s){refit}. "
                 f"Saved model: {escape(result.saved_model()['said'])}. "
                 f"Model, metrics and report written to {out}/ (open "
                 f"{out}/report.html).", highlight=False)


def print_findings(screen: Console, findings: list[Finding]) -> None:
    """Each finding: severity, title, evidence numbers, what to try."""
    from rich.markup import escape
    for f in findings:
        evidence = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                             for k, v in f.evidence.items())
        style = SEVERITY_STYLE.get(f.severity, "")
        screen.print(f"[{style}]{f.severity}[/] {escape(f.title)} "
                     f"[dim]({escape(evidence)})[/]\n  try: "
                     f"{escape(f.recommendation)}", highlight=False)


def findings_table(findings: list[Finding]) -> Table:
    """Findings as a table: severity, what was found (with the numbers), fix."""
    from rich.markup import escape
    from rich.table import Table
    table = Table(title="Diagnosis (most serious first)", show_lines=True)
    table.add_column("severity")
    table.add_column("finding", ratio=3)
    table.add_column("what to do", ratio=2)
    for f in findings:
        style = SEVERITY_STYLE.get(f.severity, "")
        settings = ", ".join(f"{k}={v}" for k, v in f.settings.items())
        table.add_row(f"[{style}]{f.severity}[/]\n[dim]{escape(f.code)}[/]",
                      escape(f.title), escape(f.recommendation) + (
                          f"\n[bold]settings: {escape(settings)}[/]" if settings
                          else ""))
    return table


def print_diagnosis(result: Diagnosis, json_file: str | None,
                    write_config: str | None) -> None:
    """The facts of a diagnosis in one line, then its findings."""
    from rich.markup import escape
    screen = console()
    st = result.stationarity
    screen.print(f"[bold]{escape(result.target)}[/]: {result.n} rows (train "
                 f"{result.n_train}, test {result.n_test}), frequency "
                 f"{result.frequency}, season {result.season_length}; "
                 f"stationarity: {st['verdict']} (ADF p={st['adf_pvalue']:.3g}, "
                 f"KPSS p={st['kpss_pvalue']:.3g}); random walk: "
                 f"{'yes' if result.random_walk else 'no'}", highlight=False)
    screen.print(findings_table(result.findings))
    for path, what in ((json_file, "diagnosis"), (write_config, "recommended config")):
        if path:
            screen.print(f"{what} written to {escape(path)}", highlight=False)


def print_backtest(result: BacktestResult, json_file: str | None) -> None:
    """Mean ± std across folds per model (one step, and over the horizon), the
    RMSE per step and the ranking."""
    from rich.table import Table
    screen = console()
    summary = result.summary().reset_index()
    seconds = result.timings.groupby("model")[["fit_seconds"]].sum() \
        if "fit_seconds" in result.timings else None
    for steps, title in (("h1", "One step ahead (h = 1)"),
                         ("mean", "Averaged over h = 1..H")):
        part = summary[summary["steps"] == steps]
        if part.empty:
            continue
        table = Table(title=f"{title}: mean ± std across folds")
        bands = [(key, name) for key, name in (("coverage_80", "cov 80%"),
                                               ("coverage_95", "cov 95%"),
                                               ("msis", "MSIS"))
                 if f"{key}_mean" in part and part[f"{key}_mean"].notna().any()]
        for col in ("model", "R²", "MASE", "RMSE", "skill vs naive",
                    *[name for _, name in bands], "fit s"):
            table.add_column(col, justify="left" if col == "model" else "right")
        for row in part.itertuples(index=False):
            fit_s = (f"{seconds.loc[row.model, 'fit_seconds']:.1f}"
                     if seconds is not None and row.model in seconds.index else "")
            band_cells = [_pm(getattr(row, f"{key}_mean"), getattr(row, f"{key}_std"))
                          if getattr(row, f"{key}_mean") == getattr(row, f"{key}_mean")
                          else "" for key, _ in bands]  # "": no intervals (NaN)
            table.add_row(row.model, _pm(row.r2_mean, row.r2_std),
                          _pm(row.mase_mean, row.mase_std),
                          _pm(row.rmse_mean, row.rmse_std),
                          _pm(row.skill_vs_naive_mean, row.skill_vs_naive_std),
                          *band_cells, fit_s,
                          style="bold" if row.model == "lstm" else None)
        screen.print(table)
    if result.per_horizon("rmse").shape[0] > 1:
        screen.print(_frame_table(result.per_horizon("rmse").reset_index(),
                                  "RMSE per horizon step"))
    ranking = result.ranking()
    screen.print("Ranking by MASE: " + ", ".join(
        f"{i + 1}. {m}" for i, m in enumerate(ranking["model"])), highlight=False)
    if json_file:
        screen.print(f"results written to {json_file}", highlight=False)


def _pm(mean: float, std: float) -> str:
    if mean is None or mean != mean:
        return "undefined"
    return f"{mean:.4g} ± {std:.2g}" if std == std else f"{mean:.4g}"


def _frame_table(frame: pd.DataFrame, title: str) -> Table:
    from rich.table import Table
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(str(col), justify="right", no_wrap=True)
    for row in frame.itertuples(index=False):
        table.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row])
    return table


def print_ladder(result: LadderResult, out: str) -> None:
    """Every rung's scores, what it adds, the reference models and the choice."""
    from rich.markup import escape
    from rich.table import Table
    screen = console()
    table = Table(title="R² ladder: test part, original scale (one-step)")
    for col in ("rung", "R²", "skill vs naive", "MAE", "RMSE", "val R²", "s"):
        table.add_column(col, justify="left" if col == "rung" else "right",
                         no_wrap=True)
    for i, r in enumerate(result.rungs):
        best = i == result.best_index
        table.add_row(r.name + (" *" if best else ""),
                      fmt(r.metric("r2"), signed=True),
                      fmt(r.metric("skill_vs_naive"), signed=True),
                      fmt(r.metric("mae")), fmt(r.metric("rmse")),
                      fmt(r.val_r2, signed=True), f"{r.seconds:.1f}",
                      style="bold" if best else None)
    screen.print(table)
    for r in result.rungs:
        screen.print(f"[bold]{r.name}[/]: {escape(r.description)}", highlight=False)
    screen.print("Reference models on the same rows: " + ", ".join(
        f"{name} {fmt(v['r2'], signed=True)}" + (
            f" ({v['seconds']:.1f} s)" if v["seconds"] is not None else "")
        for name, v in result.baselines.items()), highlight=False)
    for note in result.notes:
        screen.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    best = result.best_rung
    screen.print(f"* best rung, chosen on validation R² (the tail of the training "
                 f"part; the test part chose nothing): {best.name}, test R² "
                 f"{fmt(best.metric('r2'), signed=True)}. Its model, metrics and "
                 f"the ladder (ladder.csv, ladder.json) written to {out}/ (open "
                 f"{out}/report.html).", highlight=False)


def print_tune(result: TuneResult, out: str) -> None:
    """The study in one line, the top trials, importances and the refit."""
    from rich.table import Table
    screen = console()
    s = result.summary
    states = ", ".join(f"{v} {k.lower()}" for k, v in s["states"].items())
    screen.print(f"{s['n_trials']} trials ({states}); "
                 f"validation: {len(s['folds'])} expanding folds of {s['fold_size']} "
                 f"rows inside the {s['n_train']} training rows. Best: trial "
                 f"{result.best_trial}, MSE {result.best_value:.4g}, R² "
                 f"{fmt(result.best_r2, signed=True)}.", highlight=False)
    frame = result.trials_frame()
    top = frame[frame["state"] == "COMPLETE"].sort_values("value").head(5)
    table = Table(title="Top trials (validation folds)")
    table.add_column("setting")
    for number in top["number"]:
        table.add_column(f"trial {number}", justify="right", no_wrap=True)
    rows = [("MSE", "value"), ("R²", "r2"), ("seconds", "duration_s")] + [
        (c[len("param_"):], c) for c in frame.columns if c.startswith("param_")]
    for label, col in rows:
        table.add_row(label, *(fmt(v, signed=col == "r2") if isinstance(v, float)
                               else str(v) for v in top[col]))
    screen.print(table)
    if result.importances:
        screen.print("Importance: " + ", ".join(
            f"{k} {v:.2f}" for k, v in list(result.importances.items())[:6]),
            highlight=False)
    if result.test is not None:
        screen.print("The best config refitted on the whole training part, "
                     "scored once on the test part:")
        screen.print(metrics_table(result.test.metrics))
    screen.print(f"Best config written to {out}/best_config.json (rerun: lstmcast "
                 f"fit DATA --config {out}/best_config.json); trials, importances "
                 f"and the refitted model in {out}/.", highlight=False)


def print_panel(result: PanelResult, out: str) -> None:
    """A global model: the panel, the scores beside the references, the notes."""
    import pandas as pd
    from rich.markup import escape
    from rich.table import Table
    screen = console()
    split, est = result.split, result.forecaster
    screen.print(f"{split['series']} series scored on their last {split['horizon']} "
                 f"values (season {split['season']}, window {est.window_}); "
                 f"{len(result.dropped)} left out, {len(split['not_scored'])} too "
                 "short to score.", highlight=False)
    table = Table(title="Test part: the last H values of every series")
    summary = result.summary()
    bands = [(key, title) for key, title in (
        ("coverage_80", "cover 80 %"), ("coverage_95", "cover 95 %"),
        ("msis", "MSIS"), ("crps", "CRPS")) if key in summary
        and summary[key].notna().any()]
    for title in ("model", "sMAPE %", "MASE", "median sMAPE %",
                  *(title for _, title in bands)):
        table.add_column(title, justify="left" if title == "model" else "right")
    medians = result.scores.groupby("model")["smape"].median()
    for row in summary.to_dict("records"):
        table.add_row(row["model"], f"{row['smape']:.3f}", f"{row['mase']:.4g}",
                      f"{medians[row['model']]:.3f}",
                      *("" if pd.isna(row[key]) else f"{row[key]:.4g}"
                        for key, _ in bands),
                      style="bold" if row["model"] == "lstm" else None)
    screen.print(table)
    for note in result.intervals.get("notes", []):
        screen.print(f"[yellow]intervals:[/] {escape(note)}", highlight=False)
    for key, reason in list(result.dropped.items())[:5]:
        screen.print(f"[yellow]left out:[/] {escape(repr(key))}: {escape(reason)}",
                     highlight=False)
    noted = [(k, n) for k, notes in result.notes.items() for n in notes]
    for key, note in noted[:5]:
        screen.print(f"[yellow]note:[/] {escape(repr(key))}: {escape(note)}",
                     highlight=False)
    more = len(result.dropped) + len(noted) - min(5, len(result.dropped)) \
        - min(5, len(noted))
    if more > 0:
        screen.print(f"... and {more} more: every note is in metrics.json and the "
                     "report.", highlight=False)
    screen.print(f"Saved model: {escape(result.saved_model)}. Model, metrics and "
                 f"report written to {out}/ (open {out}/report.html).",
                 highlight=False)

