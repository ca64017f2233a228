"""``lstmcast backtest``: cross-validation over time of the LSTM and the
reference models."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer

from lstmcast.cli import show
from lstmcast.cli.folders import save_run, writing_run
from lstmcast.cli.jsonout import emit_json, to_stdout
from lstmcast.cli.options import (
    ConfigFile,
    DataFile,
    Force,
    JsonFile,
    OptionalOutFolder,
    Quiet,
    build_config,
    split_names,
    with_config_options,
)
from lstmcast.cli.run import progress_wanted, run_command

EXAMPLE = ("Example: lstmcast backtest sales.csv --target units --folds 4 "
           "--horizon 6 --strategy mimo --mode sliding --out runs/bt "
           "--json bt.json")


@with_config_options
def backtest(
        data: DataFile,
        folds: Annotated[int, typer.Option(help="Number of folds.")] = 3,
        mode: Annotated[str, typer.Option(help="expanding or sliding training "
                                          "windows.")] = "expanding",
        fold_size: Annotated[int | None, typer.Option(
            help="Test rows per fold (default: the last 20% split across the "
            "folds, at least 24 each).")] = None,
        gap: Annotated[int, typer.Option(help="Rows left out between training and "
                                         "test parts.")] = 0,
        stride: Annotated[int | None, typer.Option(
            help="Rows between fold starts (default: the fold size).")] = None,
        train_size: Annotated[int | None, typer.Option(
            help="Training rows per fold (sliding mode).")] = None,
        refit: Annotated[bool, typer.Option(help="Retrain the LSTM in every fold "
                                            "(--no-refit reuses the first fit).")]
        = True,
        models: Annotated[str, typer.Option(help="Reference models, comma-separated."
                                            )] = "naive,seasonal_naive,drift,mean,"
        "arima,ets",
        config: ConfigFile = None,
        json_file: JsonFile = None,
        out: OptionalOutFolder = None,
        quiet: Quiet = False,
        force: Force = False,
        **settings: Any) -> None:
    """Cross-validate over time: every fold refits everything on its own past."""
    def action() -> None:
        from lstmcast.data.loading import load_data
        from lstmcast.evaluation.backtest import backtest as run_backtest
        silent = quiet or to_stdout(json_file)
        cfg = build_config(config, settings)
        series = load_data(data, cfg.data)
        with writing_run(out, "backtest", force=force) if out else nullcontext():
            result = run_backtest(series, cfg, folds=folds, mode=mode,
                                  test_size=fold_size, gap=gap, stride=stride,
                                  train_size=train_size, refit=refit,
                                  models=split_names(models),
                                  progress=progress_wanted(silent))
            if out:
                save_run(out, result.save)
        # after the swap, which would drop a JSON file written into an old --out
        emit_json(json_file, result.to_dict())
        if not silent:
            show.print_backtest(result, json_file)
            if out:
                typer.echo(f"report written to {Path(out) / 'report.html'}")
    run_command(action)
