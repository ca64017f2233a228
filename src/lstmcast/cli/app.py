"""The command line (thin: parses, calls the API, prints).

Exit codes: 0 ok, 2 bad input (the message names the problem and the fix),
1 a bug (with its traceback). Heavy modules (torch, pandas) load inside the
commands, so ``lstmcast --help`` answers at once.
"""

from __future__ import annotations

import inspect
import sys
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Annotated, Any, Optional, get_type_hints

import typer

from lstmcast.core.config import SECTIONS, ForecastConfig
from lstmcast.core.errors import DataError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  pretty_exceptions_enable=False,
                  help="LSTM forecasting that works, and says honestly when it "
                       "does not. Every fit is scored against naive baselines "
                       "on the test part, on the original scale.",
                  epilog="Start here: lstmcast demo; then lstmcast diagnose "
                         "data.csv --target y --out runs/diag and lstmcast fit "
                         "data.csv --target y --out runs/a (open runs/a/report.html)."
                         " Exit codes: 0 ok, 2 bad input, 1 a bug.")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _metavar(kind: str) -> str:
    for prefix, name in (("tuple[int", "INT,..."), ("tuple[str", "TEXT,..."),
                         ("int", "INT"), ("float", "FLOAT")):
        if kind.startswith(prefix):
            return name
    return "TEXT"


def _config_options() -> list[inspect.Parameter]:
    """One CLI option per config field, named after it (``clip_grad`` ->
    ``--clip-grad``); defaults None mean "keep the config's value"."""
    params = []
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            meta = f.metadata
            default = f.default if f.default is not None else "auto"
            if isinstance(default, tuple):
                default = ",".join(map(str, default)) or "none"
            extra = f" One of: {', '.join(meta['choices'])}." if meta.get(
                "choices") else ""
            text = f"{meta['help']}{extra} \\[default: {default}]"
            if str(f.type) == "bool":
                kind: Any = Annotated[Optional[bool], typer.Option(  # noqa: UP045
                    f"{_flag(f.name)}/--no-{f.name.replace('_', '-')}", help=text,
                    rich_help_panel=section.capitalize(), show_default=False)]
            else:
                kind = Annotated[Optional[str], typer.Option(  # noqa: UP045
                    _flag(f.name), help=text, rich_help_panel=section.capitalize(),
                    show_default=False, metavar=_metavar(str(f.type)))]
            params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY,
                                            default=None, annotation=kind))
    return params


def _with_config_options(func: Any) -> Any:
    """Give ``func`` (taking ``**settings``) one typed option per config field."""
    sig = inspect.signature(func)
    hints = get_type_hints(func, include_extras=True)  # resolve string annotations
    own = [p.replace(annotation=hints.get(p.name, p.annotation))
           for p in sig.parameters.values() if p.kind != p.VAR_KEYWORD]
    params = own + _config_options()
    func.__signature__ = sig.replace(parameters=params)
    func.__annotations__ = {p.name: p.annotation for p in params}
    return func


def _build_config(config_file: str | None, settings: dict[str, Any]) -> ForecastConfig:
    base = ForecastConfig.from_json_file(config_file) if config_file else \
        ForecastConfig()
    given = {k: v for k, v in settings.items() if v is not None}
    return base.replace(**given)


def explicit_settings(config_file: str | None, settings: dict[str, Any]) -> set[str]:
    """The settings the user gave: flags, and every key of the --config file."""
    from lstmcast.core.persist import read_json
    given = {k for k, v in settings.items() if v is not None}
    if config_file:
        values = read_json(config_file)
        if isinstance(values, dict):
            given |= {k for section in values.values() if isinstance(section, dict)
                      for k in section}
    return given


_DEBUG = {"on": False}  # set by the global --debug option
_SHOW_WARNING = warnings.showwarning


@app.callback()
def _options(debug: Annotated[bool, typer.Option(
        "--debug", help="Also print the traceback of bad-input errors (exit "
        "code 2 still).")] = False) -> None:
    _DEBUG["on"] = debug


_SHOWN_NOTES: set[str] = set()  # DataWarnings printed while loading


def _show_data_warning(message: Any, category: Any, *args: Any, **kwargs: Any
                       ) -> None:
    """A DataWarning as a "note:" line on stderr (once); others as usual."""
    from lstmcast.core.errors import DataWarning
    if not issubclass(category, DataWarning):
        _SHOW_WARNING(message, category, *args, **kwargs)
    elif str(message) not in _SHOWN_NOTES:
        _SHOWN_NOTES.add(str(message))
        typer.echo(f"note: {message}", err=True)


def _run(action: Any) -> None:
    """Call ``action``; bad input -> message and exit 2 (with the traceback
    under --debug); a bug -> traceback, 1."""
    _SHOWN_NOTES.clear()
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_data_warning
            action()
    except DataError as exc:
        from rich.console import Console
        from rich.markup import escape
        if _DEBUG["on"]:
            import traceback
            traceback.print_exc()
        Console(stderr=True, soft_wrap=True).print(
            f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2) from None
    except KeyboardInterrupt as exc:  # a checkpointed fit says how to resume
        typer.echo(f"interrupted: {exc}" if str(exc) else "interrupted", err=True)
        raise typer.Exit(getattr(exc, "exit_code", 130)) from None


# Files that show a folder already holds the result of a run (fit and improve:
# the model and metrics; backtest; improve; tune's refit).
RUN_FILES = ("manifest.json", "model.safetensors", "metrics.json", "backtest.json",
             "ladder.json", "best_config.json")


def refuse_existing_run(out: str | Path, force: bool) -> None:
    """A DataError when ``out`` already holds a saved model or run, unless
    ``force`` (then the files are replaced, one by one, atomically). Nothing is
    ever deleted here. ``tune`` does not call this: its --out holds the study
    journal that a second run resumes."""
    folder = Path(out)
    found = [folder / name for name in RUN_FILES if (folder / name).is_file()]
    if not found or force:
        return
    from datetime import datetime
    stamp = datetime.fromtimestamp(max(p.stat().st_mtime for p in found))
    raise DataError(f"{folder} already holds a model or run from "
                    f"{stamp:%Y-%m-%d %H:%M} ({', '.join(p.name for p in found)}); "
                    "use --force to replace it, or another --out.")


@app.command(epilog="Example: lstmcast fit sales.csv --target units --out runs/a "
             "(chosen on validation in --budget seconds);  lstmcast fit sales.csv "
             "--target units --no-auto --window 48 --epochs 50 (the plain fit)")
@_with_config_options
def fit(data: Annotated[str, typer.Argument(help="CSV or Parquet file.")],
        out: Annotated[str, typer.Option("--out", "-o", help="Output folder.")] =
        "runs/fit",
        config: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "--config", help="JSON settings file (flags override it).")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                            help="Print only errors.")] = False,
        json_out: Annotated[bool, typer.Option(
            "--json", help="Print metrics.json to stdout instead of tables.")]
        = False,
        auto: Annotated[bool, typer.Option(
            "--auto/--no-auto", help="--auto (the default): choose the target "
            "representation, size, combination and fallback (naive, ETS) on "
            "validation folds of the training part, then refit (writes "
            "auto.json). Settings you give (flags or --config) are kept: a "
            "candidate that needs another value of one is skipped, with a note "
            "in auto.json. --no-auto: the plain fit of exactly the settings "
            "given.")] = True,
        budget: Annotated[Optional[float], typer.Option(  # noqa: UP045
            "--budget", help="Seconds for --auto (default 240).")] = None,
        checkpoint_every: Annotated[Optional[int], typer.Option(  # noqa: UP045
            "--checkpoint-every", help="Save a training checkpoint into "
            "OUT/checkpoint every N epochs (removed when the fit ends); Ctrl-C "
            "or SIGTERM saves one at the end of the epoch under way.")] = None,
        resume: Annotated[bool, typer.Option(
            "--resume", help="Continue a killed fit from OUT/checkpoint (same data "
            "and settings; the result equals an uninterrupted run on CPU).")]
        = False,
        force: Annotated[bool, typer.Option(
            "--force", help="Replace a model or run already in --out (without it "
            "the command refuses to overwrite one).")] = False,
        **settings: Any) -> None:
    """Choose a model on validation (--auto, the default), train on the past,
    score on the last 20% against naive baselines, save.

    --auto keeps every setting you give (flags, every key of --config): a
    full config file (a fit's config.json) leaves nothing to choose and reruns
    that fit. --no-auto fits exactly the settings given (the defaults for the
    rest). Checkpointing (--checkpoint-every, --resume) needs --no-auto."""
    _run(lambda: _fit(data, out, config, quiet or json_out, settings, json_out,
                      auto=auto, budget=budget, checkpoint_every=checkpoint_every,
                      resume=resume, force=force))


def _fit(data: str, out: str, config_file: str | None, quiet: bool,
         settings: dict[str, Any], json_out: bool = False, *, auto: bool = False,
         budget: float | None = None, checkpoint_every: int | None = None,
         resume: bool = False, force: bool = False) -> None:
    from lstmcast.data.loading import load_data
    from lstmcast.evaluation.holdout import fit_evaluate
    if auto and (checkpoint_every is not None or resume):
        raise DataError("--checkpoint-every and --resume checkpoint one training "
                        "run, and the --auto search (the default of fit) trains "
                        "many. Add --no-auto to checkpoint the plain fit of your "
                        "settings.")
    cfg = _build_config(config_file, settings)
    series = load_data(data, cfg.data)
    if not resume:  # a resumed fit finds its own checkpoint in OUT
        refuse_existing_run(out, force)
    progress = not quiet and sys.stderr.isatty()
    with _checkpoints(out, checkpoint_every, resume, series, cfg):
        if auto:
            from lstmcast.search.auto import fit_auto
            result = fit_auto(series, cfg, budget=budget, progress=progress,
                              fixed=explicit_settings(config_file, settings))
        else:
            result = fit_evaluate(series, cfg, progress=progress)
        from lstmcast.report.runs import write_report
        # inside: a failed save leaves the checkpoints to resume
        write_report(result.save(out))
    if json_out:
        typer.echo((Path(out) / "metrics.json").read_text())
    elif not quiet:
        if result.auto is not None:
            _print_auto(result.auto)
        _print_result(result, series, out)


def _checkpoints(out: str, every: int | None, resume: bool, series: Any,
                 cfg: ForecastConfig) -> Any:
    """The checkpoint session of a fit (a no-op without --checkpoint-every or
    --resume); resuming needs the same data and settings."""
    from contextlib import nullcontext

    from lstmcast.network.checkpoint import checkpointing
    if every is None and not resume:
        return nullcontext()
    settings = {k: v for k, v in cfg.flat().items() if k not in ("threads", "device")}
    return checkpointing(Path(out) / "checkpoint", every=every or 1, resume=resume,
                         context={"data_sha256": series.fingerprint(),
                                  "settings": settings})


def _print_auto(auto: dict[str, Any]) -> None:
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
        table.add_row(("* " if chosen else "") + c["name"], _fmt(c["val_mse"]),
                      _fmt(c["val_skill_vs_naive"], signed=True),
                      f"{c['seconds']:.1f}", escape(c["note"] or c["reason"]))
    console = _console()
    console.print(table)
    console.print(f"[bold]Chose {escape(auto['chosen'])}:[/] {escape(auto['why'])}.",
                  highlight=False)


def _print_result(result: Any, series: Any, out: str) -> None:
    from rich.markup import escape
    console = _console()
    for note in series.notes:
        if note not in _SHOWN_NOTES:  # DataWarnings were printed while loading
            console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    est, split = result.forecaster, result.split
    console.print(f"{series.target}: {split['n']} rows; train {split['n_train']}, "
                  f"validation {split['n_val']}, test {split['n_test']} "
                  f"(one-step forecasts from the true history). Season "
                  f"{est.season_}, window {est.window_}.", highlight=False)
    console.print(_metrics_table(result.metrics))
    if est.history_.diverged:
        console.print(f"[bold yellow]warning:[/] {escape(est.history_.stopped)}",
                      highlight=False)
    _print_findings(console, [f for f in result.doctor if f.severity != "info"])
    console.print(f"[bold]Doctor:[/] {escape(result.verdict)}", highlight=False)
    console.print(f"Training: {est.history_.stopped} (best epoch "
                  f"{est.history_.best_epoch}, {est.history_.seconds:.1f} s). "
                  f"Model, metrics and report written to {out}/ (open "
                  f"{out}/report.html).", highlight=False)


SEVERITY_STYLE = {"problem": "bold red", "warning": "yellow", "info": "blue"}


def _print_findings(console: Any, findings: list[Any]) -> None:
    """Each finding: severity, title, evidence numbers, what to try."""
    from rich.markup import escape
    for f in findings:
        evidence = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}"
                             for k, v in f.evidence.items())
        style = SEVERITY_STYLE.get(f.severity, "")
        console.print(f"[{style}]{f.severity}[/] {escape(f.title)} "
                      f"[dim]({escape(evidence)})[/]\n  try: "
                      f"{escape(f.recommendation)}", highlight=False)


def _findings_table(findings: list[Any]) -> Any:
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


def _metrics_table(metrics: dict[str, dict[str, Any]]) -> Any:
    from rich.table import Table
    table = Table(title="Test part, original scale")
    columns = [("model", "model"), ("r2", "R²"), ("mae", "MAE"), ("rmse", "RMSE"),
               ("mape", "MAPE %"), ("smape", "sMAPE %"), ("mase", "MASE"),
               ("skill_vs_naive", "skill vs naive")]
    for _, title in columns:
        table.add_column(title, justify="left" if title == "model" else "right",
                         no_wrap=True)
    for model, values in metrics.items():
        cells = [model] + [_fmt(values.get(key), signed=key in ("r2", "skill_vs_naive"))
                           for key, _ in columns[1:]]
        table.add_row(*cells, style="bold" if model == "lstm" else None)
    return table


def _fmt(value: Any, *, signed: bool = False) -> str:
    """Scores with a sign and 3 decimals; errors with 4 significant digits."""
    if value is None:
        return "undefined"
    return f"{value:+.3f}" if signed else f"{value:.4g}"


@app.command(epilog="Example: lstmcast predict runs/a sales.csv --horizon 12 "
             "--out forecast.csv")
def predict(model_dir: Annotated[str, typer.Argument(help="Folder of a fitted "
                                                              "model.")],
            data: Annotated[Optional[str], typer.Argument(  # noqa: UP045
                help="History to forecast from (default: the data seen by fit).")]
            = None,
            horizon: Annotated[Optional[int], typer.Option(  # noqa: UP045
                "--horizon", "-h", help="Steps to forecast (default: the "
                "model's horizon).")] = None,
            out: Annotated[str, typer.Option("--out", "-o", help="CSV to write.")]
            = "forecast.csv") -> None:
    """Forecast the steps after DATA (timestamps and values, original scale)."""
    _run(lambda: _predict(model_dir, data, horizon, out))


def _predict(model_dir: str, data: str | None, horizon: int | None, out: str) -> None:
    import io as _io

    from lstmcast.core.persist import atomic_write_bytes
    from lstmcast.forecaster.estimator import LSTMForecaster
    if horizon is not None and horizon < 1:
        raise DataError(f"--horizon must be an int >= 1. Got {horizon} instead.")
    est = LSTMForecaster.load(model_dir)
    forecast = est.predict(horizon, data)
    frame = forecast.rename_axis("timestamp").reset_index()
    buffer = _io.StringIO()
    frame.to_csv(buffer, index=False)
    atomic_write_bytes(out, buffer.getvalue().encode())
    typer.echo(frame.to_string(index=False))
    typer.echo(f"written to {out}")


@app.command(epilog="Example: lstmcast diagnose sales.csv --target units "
             "--write-config recommended.json && lstmcast fit sales.csv "
             "--config recommended.json")
def diagnose(
        data: Annotated[str, typer.Argument(help="CSV or Parquet file.")],
        target: Annotated[Optional[str], typer.Option(help="Column to forecast.")]  # noqa: UP045
        = None,
        time: Annotated[Optional[str], typer.Option(help="Time column.")] = None,  # noqa: UP045
        covariates: Annotated[str, typer.Option(
            help="Related series (comma-separated).")] = "",
        test_size: Annotated[float, typer.Option(
            help="Test part (fraction or count); only the training part chooses "
            "settings.")] = 0.2,
        season: Annotated[Optional[int], typer.Option(help="Season length.")] = None,  # noqa: UP045
        window: Annotated[Optional[int], typer.Option(help="Planned window.")] = None,  # noqa: UP045
        duplicates: Annotated[str, typer.Option(help="Duplicate time stamps policy."
                                                )] = "error",
        gaps: Annotated[str, typer.Option(help="Missing time stamps policy.")] =
        "report",
        json_file: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "--json", help="Write the diagnosis as JSON to this file.")] = None,
        write_config: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "--write-config", help="Write the recommended settings, accepted by "
            "`lstmcast fit --config`.")] = None,
        out: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "--out", "-o", help="Folder for report.html.")] = None) -> None:
    """Findings about the series before training, each with evidence and a fix."""
    def run() -> None:
        from lstmcast.core.persist import atomic_write_bytes, atomic_write_json
        from lstmcast.data.loading import load
        from lstmcast.diagnosis.diagnose import diagnose as run_diagnosis
        names = tuple(c for c in covariates.replace(" ", "").split(",") if c)
        series = load(data, target=target, time=time, covariates=names,
                      duplicates=duplicates, gaps=gaps)
        result = run_diagnosis(series, test_size=test_size, season=season,
                               window=window)
        if out:
            from lstmcast.report.runs import write_report
            write_report(result.save(out))
        if json_file:
            atomic_write_json(json_file, result.to_dict())
        if write_config:
            atomic_write_bytes(write_config, result.recommended.to_json().encode())
        _print_diagnosis(result, json_file, write_config)
        if out:
            typer.echo(f"report written to {Path(out) / 'report.html'}")
    _run(run)


def _print_diagnosis(result: Any, json_file: str | None,
                     write_config: str | None) -> None:
    from rich.markup import escape
    console = _console()
    st = result.stationarity
    console.print(f"[bold]{escape(result.target)}[/]: {result.n} rows (train "
                  f"{result.n_train}, test {result.n_test}), frequency "
                  f"{result.frequency}, season {result.season_length}; "
                  f"stationarity: {st['verdict']} (ADF p={st['adf_pvalue']:.3g}, "
                  f"KPSS p={st['kpss_pvalue']:.3g}); random walk: "
                  f"{'yes' if result.random_walk else 'no'}", highlight=False)
    console.print(_findings_table(result.findings))
    for path, what in ((json_file, "diagnosis"), (write_config, "recommended config")):
        if path:
            console.print(f"{what} written to {escape(path)}", highlight=False)


@app.command(epilog="Example: lstmcast backtest sales.csv --target units --folds 4 "
             "--horizon 6 --strategy mimo --mode sliding --out runs/bt "
             "--json bt.json")
@_with_config_options
def backtest(
        data: Annotated[str, typer.Argument(help="CSV or Parquet file.")],
        folds: Annotated[int, typer.Option(help="Number of folds.")] = 3,
        mode: Annotated[str, typer.Option(help="expanding or sliding training "
                                          "windows.")] = "expanding",
        fold_size: Annotated[Optional[int], typer.Option(  # noqa: UP045
            help="Test rows per fold (default: the last 20% split across the "
            "folds, at least 24 each).")] = None,
        gap: Annotated[int, typer.Option(help="Rows left out between training and "
                                         "test parts.")] = 0,
        stride: Annotated[Optional[int], typer.Option(  # noqa: UP045
            help="Rows between fold starts (default: the fold size).")] = None,
        train_size: Annotated[Optional[int], typer.Option(  # noqa: UP045
            help="Training rows per fold (sliding mode).")] = None,
        refit: Annotated[bool, typer.Option(help="Retrain the LSTM in every fold "
                                            "(--no-refit reuses the first fit).")]
        = True,
        models: Annotated[str, typer.Option(help="Reference models, comma-separated."
                                            )] = "naive,seasonal_naive,drift,mean,"
        "arima,ets",
        config: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "--config", help="JSON settings file (flags override it).")] = None,
        json_file: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "--json", help="Write the results as JSON to this file.")] = None,
        out: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "--out", "-o", help="Folder for backtest.json, per-fold and "
            "per-horizon CSVs and report.html.")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                            help="Print only errors.")] = False,
        force: Annotated[bool, typer.Option(
            "--force", help="Replace a model or run already in --out (without it "
            "the command refuses to overwrite one).")] = False,
        **settings: Any) -> None:
    """Cross-validate over time: every fold refits everything on its own past."""
    def run() -> None:
        from lstmcast.core.persist import atomic_write_json
        from lstmcast.data.loading import load_data
        from lstmcast.evaluation.backtest import backtest as run_backtest
        cfg = _build_config(config, settings)
        series = load_data(data, cfg.data)
        names = tuple(m for m in models.replace(" ", "").split(",") if m)
        if out:
            refuse_existing_run(out, force)
        result = run_backtest(cfg, series, folds=folds, mode=mode,
                              test_size=fold_size, gap=gap, stride=stride,
                              train_size=train_size, refit=refit, models=names,
                              progress=not quiet and sys.stderr.isatty())
        if json_file:
            atomic_write_json(json_file, result.to_dict())
        if out:
            from lstmcast.report.runs import write_report
            write_report(result.save(out))
        if not quiet:
            _print_backtest(result, json_file)
            if out:
                typer.echo(f"report written to {Path(out) / 'report.html'}")
    _run(run)


def _print_backtest(result: Any, json_file: str | None) -> None:
    from rich.table import Table
    console = _console()
    summary = result.summary().reset_index()
    seconds = result.timings.groupby("model")[["fit_seconds"]].sum() \
        if "fit_seconds" in result.timings else None
    for steps, title in (("h1", "One step ahead (h = 1)"),
                         ("mean", "Averaged over h = 1..H")):
        part = summary[summary["steps"] == steps]
        if part.empty:
            continue
        table = Table(title=f"{title}: mean ± std across folds")
        for col in ("model", "R²", "MASE", "RMSE", "skill vs naive", "fit s"):
            table.add_column(col, justify="left" if col == "model" else "right")
        for row in part.itertuples(index=False):
            fit_s = (f"{seconds.loc[row.model, 'fit_seconds']:.1f}"
                     if seconds is not None and row.model in seconds.index else "")
            table.add_row(row.model, _pm(row.r2_mean, row.r2_std),
                          _pm(row.mase_mean, row.mase_std),
                          _pm(row.rmse_mean, row.rmse_std),
                          _pm(row.skill_vs_naive_mean, row.skill_vs_naive_std),
                          fit_s, style="bold" if row.model == "lstm" else None)
        console.print(table)
    if result.per_horizon("rmse").shape[0] > 1:
        console.print(_frame_table(result.per_horizon("rmse").reset_index(),
                                   "RMSE per horizon step"))
    ranking = result.ranking()
    console.print("Ranking by MASE: " + ", ".join(
        f"{i + 1}. {m}" for i, m in enumerate(ranking["model"])), highlight=False)
    if json_file:
        console.print(f"results written to {json_file}", highlight=False)


def _pm(mean: float, std: float) -> str:
    if mean is None or mean != mean:
        return "undefined"
    return f"{mean:.4g} ± {std:.2g}" if std == std else f"{mean:.4g}"


def _frame_table(frame: Any, title: str) -> Any:
    from rich.table import Table
    table = Table(title=title)
    for col in frame.columns:
        table.add_column(str(col), justify="right", no_wrap=True)
    for row in frame.itertuples(index=False):
        table.add_row(*[f"{v:.4g}" if isinstance(v, float) else str(v) for v in row])
    return table


@app.command(epilog="Example: lstmcast report runs/a  (any --out folder of fit, "
             "diagnose, backtest, tune or improve)")
def report(run_dir: Annotated[str, typer.Argument(
        help="The --out folder of a fit, diagnose, backtest, tune or improve run."
        )]) -> None:
    """Rebuild report.html of a saved run from its files (the kind of run is
    told from the files)."""
    def run() -> None:
        from lstmcast.report.runs import run_kind, write_report
        kind = run_kind(run_dir)
        typer.echo(f"written {write_report(run_dir)} ({kind} run)")
    _run(run)


@app.command(epilog="Example: lstmcast datasets, then lstmcast demo --dataset "
             "airline")
def datasets() -> None:
    """List the bundled real datasets (name, size, frequency, source, licence)."""
    def show() -> None:
        from rich.table import Table

        from lstmcast.data.bundled import list_datasets
        frame = list_datasets()
        table = Table(title="Bundled datasets")
        for col in frame.columns:
            table.add_column(str(col))
        for row in frame.itertuples(index=False):
            table.add_row(*[str(v) for v in row])
        _console().print(table)
    _run(show)


@app.command(epilog="Example: lstmcast demo --dataset airline --out runs/demo "
             "--epochs 20")
def demo(out: Annotated[str, typer.Option("--out", "-o", help="Output folder.")] =
         "runs/demo",
         dataset: Annotated[str, typer.Option(help="Bundled dataset to use.")] =
         "airline",
         epochs: Annotated[Optional[int], typer.Option(  # noqa: UP045
             help="Cap on epochs (default: the normal default).")] = None,
         plain: Annotated[bool, typer.Option(
             "--plain", help="The plain default fit instead of --auto.")] = False,
         ) -> None:
    """The whole path on a bundled real dataset: load, choose a model on
    validation (--auto), fit, score against the baselines, save (it replaces
    an earlier demo in --out: the demo is meant to be rerun)."""
    def run() -> None:
        from lstmcast.data.bundled import dataset_path, load_dataset
        series = load_dataset(dataset)
        cfg = ForecastConfig().replace(target=series.target,
                                       covariates=series.covariates)
        if epochs:
            cfg = cfg.replace(epochs=epochs)
        typer.echo(f"lstmcast demo: {dataset} ({dataset_path(dataset).name}), "
                   f"{len(series)} rows")
        if plain:
            from lstmcast.evaluation.holdout import fit_evaluate
            result = fit_evaluate(series, cfg, progress=sys.stderr.isatty())
        else:
            from lstmcast.search.auto import fit_auto
            result = fit_auto(series, cfg, progress=sys.stderr.isatty())
        from lstmcast.report.runs import write_report
        write_report(result.save(out))
        if result.auto is not None:
            _print_auto(result.auto)
        _print_result(result, series, out)
    _run(run)


@app.command(epilog="Example: lstmcast improve sales.csv --target units --trials 20 "
             "--timeout 600 --out runs/ladder  (quick look: --trials 0 --epochs 20)")
@_with_config_options
def improve(
        data: Annotated[str, typer.Argument(help="CSV or Parquet file.")],
        trials: Annotated[int, typer.Option(
            help="Tuning budget of the last rung in trials (0 = no tuning rung).")]
        = 20,
        timeout: Annotated[Optional[float], typer.Option(  # noqa: UP045
            help="Tuning budget in seconds (stops at whichever comes first).")]
        = None,
        classical: Annotated[str, typer.Option(
            help="Classical models scored on the same test rows (comma-separated; "
            "none = skip).")] = "arima,ets",
        out: Annotated[str, typer.Option("--out", "-o", help="Output folder.")] =
        "runs/improve",
        config: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "--config", help="JSON settings file for the base (flags override it)."
        )] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                            help="Print only errors.")] = False,
        json_out: Annotated[bool, typer.Option(
            "--json", help="Print ladder.json to stdout instead of tables.")]
        = False,
        force: Annotated[bool, typer.Option(
            "--force", help="Replace a model or run already in --out (without it "
            "the command refuses to overwrite one).")] = False,
        **settings: Any) -> None:
    """The R² ladder: from the articles' recipe, one step at a time, each rung
    scored on the same test rows; the best rung (chosen on validation) is saved.

    Base settings that differ from the defaults (e.g. --epochs 20) hold in every
    rung; the `default` rung is exactly what `lstmcast fit --no-auto` would run."""
    def run() -> None:
        from lstmcast.data.loading import load_data
        from lstmcast.search.ladder import improve as climb
        cfg = _build_config(config, settings)
        series = load_data(data, cfg.data)
        names = tuple(m for m in classical.replace(" ", "").split(",")
                      if m and m.lower() != "none")
        refuse_existing_run(out, force)

        def show(rung: Any, number: int, planned: int) -> None:
            if not (quiet or json_out):
                r2 = _fmt(rung.metric("r2"), signed=True)
                typer.echo(f"rung {number}/{planned} {rung.name}: test R² {r2} "
                           f"({rung.seconds:.1f} s)", err=True)
        result = climb(series, cfg, trials=trials, timeout=timeout,
                       seed=cfg.train.seed, progress=not quiet and sys.stderr.isatty(),
                       out_dir=out, classical=names, on_rung=show)
        from lstmcast.report.runs import write_report
        write_report(out)
        if json_out:
            typer.echo((Path(out) / "ladder.json").read_text())
        elif not quiet:
            _print_ladder(result, out)
    _run(run)


def _print_ladder(result: Any, out: str) -> None:
    from rich.markup import escape
    from rich.table import Table
    console = _console()
    table = Table(title="R² ladder: test part, original scale (one-step)")
    for col in ("rung", "R²", "skill vs naive", "MAE", "RMSE", "val R²", "s"):
        table.add_column(col, justify="left" if col == "rung" else "right",
                         no_wrap=True)
    for i, r in enumerate(result.rungs):
        best = i == result.best_index
        table.add_row(r.name + (" *" if best else ""),
                      _fmt(r.metric("r2"), signed=True),
                      _fmt(r.metric("skill_vs_naive"), signed=True),
                      _fmt(r.metric("mae")), _fmt(r.metric("rmse")),
                      _fmt(r.val_r2, signed=True), f"{r.seconds:.1f}",
                      style="bold" if best else None)
    console.print(table)
    for r in result.rungs:
        console.print(f"[bold]{r.name}[/]: {escape(r.description)}", highlight=False)
    console.print("Reference models on the same rows: " + ", ".join(
        f"{name} {_fmt(v['r2'], signed=True)}" + (
            f" ({v['seconds']:.1f} s)" if v["seconds"] is not None else "")
        for name, v in result.baselines.items()), highlight=False)
    for note in result.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False)
    best = result.best_rung
    console.print(f"* best rung, chosen on validation R² (the tail of the training "
                  f"part; the test part chose nothing): {best.name}, test R² "
                  f"{_fmt(best.metric('r2'), signed=True)}. Its model, metrics and "
                  f"the ladder (ladder.csv, ladder.json) written to {out}/ (open "
                  f"{out}/report.html).", highlight=False)


@app.command(epilog="Example: lstmcast tune sales.csv --target units --trials 50 "
             "--timeout 3600 --workers 2 --out runs/tune  (run it again to resume)")
@_with_config_options
def tune(
        data: Annotated[str, typer.Argument(help="CSV or Parquet file.")],
        trials: Annotated[int, typer.Option(help="Trials in the study (all workers "
                                            "and runs together).")] = 20,
        timeout: Annotated[Optional[float], typer.Option(  # noqa: UP045
            help="Time budget of the search in seconds: no trial starts after it, "
            "running ones stop at their next epoch.")] = None,
        folds: Annotated[int, typer.Option(help="Expanding validation folds inside "
                                           "the training part.")] = 3,
        workers: Annotated[int, typer.Option(help="Local processes working on the "
                                             "study.")] = 1,
        storage: Annotated[Optional[str], typer.Option(  # noqa: UP045
            help="Shared study: a database URL (postgresql://user:pw@host/db) or "
            "a journal file (default: OUT/study.journal).")] = None,
        study_name: Annotated[Optional[str], typer.Option(  # noqa: UP045
            help="Study name (default: from the data, settings and seed).")] = None,
        pruner: Annotated[str, typer.Option(help="Stop hopeless trials early: "
                                            "percentile (the worst quarter at "
                                            "each epoch), hyperband or none.")] =
        "percentile",
        out: Annotated[str, typer.Option("--out", "-o", help="Output folder.")] =
        "runs/tune",
        config: Annotated[Optional[str], typer.Option(  # noqa: UP045
            "--config", help="JSON settings file: the base config (flags override "
            "it; flags given are not searched).")] = None,
        quiet: Annotated[bool, typer.Option("--quiet", "-q",
                                            help="Print only errors.")] = False,
        **settings: Any) -> None:
    """Search the settings of `fit` with Optuna on validation folds inside the
    training part; refit the best once and score it on the test part.

    A second run with the same --out resumes the study kept there (so tune,
    unlike fit, improve and backtest, never refuses an existing --out)."""
    def run() -> None:
        from lstmcast.data.loading import load_data
        from lstmcast.search.tune import tune as run_tune
        cfg = _build_config(config, settings)
        series = load_data(data, cfg.data)
        fixed = tuple(k for k, v in settings.items() if v is not None)
        result = run_tune(series, cfg, trials=trials, timeout=timeout, folds=folds,
                          storage=storage, study_name=study_name, out_dir=out,
                          workers=workers, seed=cfg.train.seed, pruner=pruner,
                          fixed=fixed, progress=not quiet and sys.stderr.isatty())
        from lstmcast.report.runs import write_report
        write_report(out)
        if not quiet:
            _print_tune(result, out)
    _run(run)


def _print_tune(result: Any, out: str) -> None:
    from rich.table import Table
    console = _console()
    s = result.summary
    states = ", ".join(f"{v} {k.lower()}" for k, v in s["states"].items())
    console.print(f"{s['n_trials']} trials ({states}); "
                  f"validation: {len(s['folds'])} expanding folds of {s['fold_size']} "
                  f"rows inside the {s['n_train']} training rows. Best: trial "
                  f"{result.best_trial}, MSE {result.best_value:.4g}, R² "
                  f"{_fmt(result.best_r2, signed=True)}.", highlight=False)
    frame = result.trials_frame()
    top = frame[frame["state"] == "COMPLETE"].sort_values("value").head(5)
    table = Table(title="Top trials (validation folds)")
    table.add_column("setting")
    for number in top["number"]:
        table.add_column(f"trial {number}", justify="right", no_wrap=True)
    rows = [("MSE", "value"), ("R²", "r2"), ("seconds", "duration_s")] + [
        (c[len("param_"):], c) for c in frame.columns if c.startswith("param_")]
    for label, col in rows:
        table.add_row(label, *(_fmt(v, signed=col == "r2") if isinstance(v, float)
                               else str(v) for v in top[col]))
    console.print(table)
    if result.importances:
        console.print("Importance: " + ", ".join(
            f"{k} {v:.2f}" for k, v in list(result.importances.items())[:6]),
            highlight=False)
    if result.test is not None:
        console.print("The best config refitted on the whole training part, "
                      "scored once on the test part:")
        console.print(_metrics_table(result.test.metrics))
    console.print(f"Best config written to {out}/best_config.json (rerun: lstmcast "
                  f"fit DATA --config {out}/best_config.json); trials, importances "
                  f"and the refitted model in {out}/.", highlight=False)


def _console() -> Any:
    """A rich console; 120 columns when the output is not a terminal (a file or
    a pipe), where rich's 80 would cut the numbers of the tables."""
    from rich.console import Console
    return Console() if sys.stdout.isatty() else Console(width=120)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["app", "main"]
