"""``lstmcast tune`` (an Optuna search of fit's settings) and ``lstmcast
improve`` (the R² ladder, one step of the usual advice at a time)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lstmcast.cli import show
from lstmcast.cli.folders import save_run, writing_run
from lstmcast.cli.jsonout import emit_json, to_stdout
from lstmcast.cli.options import (
    ConfigFile,
    DataFile,
    Force,
    JsonFile,
    OutFolder,
    Quiet,
    build_config,
    given_flags,
    split_names,
    with_config_options,
)
from lstmcast.cli.run import progress_wanted, run_command
from lstmcast.core.persist import read_json
from lstmcast.search.tune_storage import JOURNAL

if TYPE_CHECKING:
    from lstmcast.search.ladder import Rung

TUNE_EXAMPLE = ("Example: lstmcast tune sales.csv --target units --trials 50 "
                "--timeout 3600 --workers 2 --out runs/tune  (run it again to "
                "resume)")
IMPROVE_EXAMPLE = ("Example: lstmcast improve sales.csv --target units --trials 20 "
                   "--timeout 600 --out runs/ladder  (quick look: --trials 0 "
                   "--epochs 20)")


@with_config_options
def improve(
        data: DataFile,
        trials: Annotated[int, typer.Option(
            help="Tuning budget of the last rung in trials (0 = no tuning rung).")]
        = 20,
        timeout: Annotated[float | None, typer.Option(
            help="Tuning budget in seconds (stops at whichever comes first).")]
        = None,
        classical: Annotated[str, typer.Option(
            help="Classical models scored on the same test rows (comma-separated; "
            "none = skip).")] = "arima,ets",
        out: OutFolder = "runs/improve",
        config: ConfigFile = None,
        quiet: Quiet = False,
        json_file: JsonFile = None,
        force: Force = False,
        **settings: Any) -> None:
    """The R² ladder: from the articles' recipe, one step at a time, each rung
    scored on the same test rows; the best rung (chosen on validation) is saved.

    Base settings that differ from the defaults (e.g. --epochs 20) hold in every
    rung; the `default` rung is exactly what `lstmcast fit --no-auto` would run."""
    def action() -> None:
        from lstmcast.data.loading import load_data
        from lstmcast.search.ladder import improve as climb
        silent = quiet or to_stdout(json_file)
        cfg = build_config(config, settings)
        series = load_data(data, cfg.data)
        names = tuple(m for m in split_names(classical) if m.lower() != "none")

        def report_rung(rung: Rung, number: int, planned: int) -> None:
            if not silent:
                r2 = show.fmt(rung.metric("r2"), signed=True)
                typer.echo(f"rung {number}/{planned} {rung.name}: test R² {r2} "
                           f"({rung.seconds:.1f} s)", err=True)
        with writing_run(out, "improve", force=force):
            result = climb(series, cfg, trials=trials, timeout=timeout,
                           seed=cfg.train.seed, progress=progress_wanted(silent),
                           classical=names, on_rung=report_rung)
            save_run(out, result.save)
        emit_json(json_file, read_json(Path(out) / "ladder.json"))
        if not silent:
            show.print_ladder(result, out)
    run_command(action)


@with_config_options
def tune(
        data: DataFile,
        trials: Annotated[int, typer.Option(help="Trials in the study (all workers "
                                            "and runs together).")] = 20,
        timeout: Annotated[float | None, typer.Option(
            help="Time budget of the search in seconds: no trial starts after it, "
            "running ones stop at their next epoch.")] = None,
        folds: Annotated[int, typer.Option(help="Expanding validation folds inside "
                                           "the training part.")] = 3,
        workers: Annotated[int, typer.Option(help="Local processes working on the "
                                             "study.")] = 1,
        storage: Annotated[str | None, typer.Option(
            help="Shared study: a database URL (postgresql://user:pw@host/db) or "
            "a journal file (default: OUT/study.journal).")] = None,
        study_name: Annotated[str | None, typer.Option(
            help="Study name (default: from the data, settings and seed).")] = None,
        pruner: Annotated[str, typer.Option(help="Stop hopeless trials early: "
                                            "percentile (the worst quarter at "
                                            "each epoch), hyperband or none.")] =
        "percentile",
        out: OutFolder = "runs/tune",
        config: ConfigFile = None,
        quiet: Quiet = False,
        json_file: JsonFile = None,
        **settings: Any) -> None:
    """Search the settings of `fit` with Optuna on validation folds inside the
    training part; refit the best once and score it on the test part.

    --config is the base config; the settings given as flags are not searched.
    A second run with the same --out resumes the study kept there (so tune,
    unlike fit, improve and backtest, never refuses an existing --out)."""
    def action() -> None:
        from lstmcast.data.loading import load_data
        from lstmcast.search.tune import tune as run_tune
        silent = quiet or to_stdout(json_file)
        cfg = build_config(config, settings)
        series = load_data(data, cfg.data)
        with writing_run(out, "tune", force=None):  # the study in OUT resumes
            result = run_tune(series, cfg, trials=trials, timeout=timeout,
                              folds=folds, storage=storage or str(Path(out) /
                                                                  JOURNAL),
                              study_name=study_name, workers=workers,
                              seed=cfg.train.seed, pruner=pruner,
                              fixed=given_flags(settings),
                              progress=progress_wanted(silent))
            save_run(out, result.save)
        emit_json(json_file, read_json(Path(out) / "tune.json"))
        if not silent:
            show.print_tune(result, out)
    run_command(action)
