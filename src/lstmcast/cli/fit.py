"""``lstmcast fit`` and ``lstmcast demo``: choose, train, score and save a model."""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lstmcast.cli import show
from lstmcast.cli.folders import CHECKPOINT, save_run, writing_run
from lstmcast.cli.jsonout import emit_json, to_stdout
from lstmcast.cli.options import (
    ConfigFile,
    DataFile,
    Force,
    JsonFile,
    OutFolder,
    Quiet,
    build_config,
    explicit_settings,
    split_names,
    with_config_options,
)
from lstmcast.cli.run import progress_wanted, run_command
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.core.persist import read_json

if TYPE_CHECKING:
    from lstmcast.data.series import SeriesData

FIT_EXAMPLE = ("Example: lstmcast fit sales.csv --target units --out runs/a "
               "(chosen on validation in --budget seconds);  lstmcast fit sales.csv "
               "--target units --no-auto --window 48 --epochs 50 (the plain fit)")
DEMO_EXAMPLE = "Example: lstmcast demo --dataset airline --out runs/demo --epochs 20"


@with_config_options
def fit(data: DataFile,
        out: OutFolder = "runs/fit",
        config: ConfigFile = None,
        quiet: Quiet = False,
        json_file: JsonFile = None,
        auto: Annotated[bool, typer.Option(
            "--auto/--no-auto", help="--auto (the default): choose the target "
            "representation, size, combination and fallback (naive, ETS) on "
            "validation folds of the training part, then refit (writes "
            "auto.json). Settings you give (flags or --config) are kept: a "
            "candidate that needs another value of one is skipped, with a note "
            "in auto.json. --no-auto: the plain fit of exactly the settings "
            "given.")] = True,
        budget: Annotated[float | None, typer.Option(
            "--budget", help="Seconds for --auto (default 240).")] = None,
        refit: Annotated[bool, typer.Option(
            "--refit/--no-refit", help="--refit (the default): after scoring, fit "
            "the chosen settings again on every row (test part included) and save "
            "that model, so predict forecasts after the last row. --no-refit: "
            "save the evaluated model (trained on the training part only).")]
        = True,
        checkpoint_every: Annotated[int | None, typer.Option(
            "--checkpoint-every", help="Save a training checkpoint into "
            "OUT/checkpoint every N epochs (removed when the fit ends); Ctrl-C "
            "or SIGTERM saves one at the end of the epoch under way.")] = None,
        resume: Annotated[bool, typer.Option(
            "--resume", help="Continue a killed fit from OUT/checkpoint (same data "
            "and settings; the result equals an uninterrupted run on CPU).")]
        = False,
        force: Force = False,
        references: Annotated[str, typer.Option(
            "--references", metavar="NAMES", help="With --id: also score AutoARIMA "
            "(arima) and ETS (ets) fitted per series beside the global model "
            "(seconds a series: off by default).")] = "",
        **settings: Any) -> None:
    """Choose a model on validation (--auto, the default), train on the past,
    score on the last 20% against naive baselines, save.

    --auto keeps every setting you give (flags, every key of --config): a
    full config file (a fit's config.json) leaves nothing to choose and reruns
    that fit. --no-auto fits exactly the settings given (the defaults for the
    rest). Checkpointing (--checkpoint-every, --resume) needs --no-auto."""
    run_command(lambda: _fit(data, out, config, quiet, settings, json_file,
                             auto=auto, budget=budget, refit=refit,
                             checkpoint_every=checkpoint_every, resume=resume,
                             force=force, references=split_names(references)))


def _fit(data: str, out: str, config_file: str | None, quiet: bool,
         settings: dict[str, Any], json_file: str | None = None, *,
         auto: bool = False, budget: float | None = None,
         checkpoint_every: int | None = None, resume: bool = False,
         force: bool = False, refit: bool = True,
         references: tuple[str, ...] = ()) -> None:
    from lstmcast.data.loading import load_data
    from lstmcast.evaluation.holdout import fit_evaluate
    if auto and (checkpoint_every is not None or resume):
        raise DataError("--checkpoint-every and --resume checkpoint one training "
                        "run, and the --auto search (the default of fit) trains "
                        "many. Add --no-auto to checkpoint the plain fit of your "
                        "settings.")
    quiet = quiet or to_stdout(json_file)
    cfg = build_config(config_file, settings)
    if cfg.data.id is not None:  # a panel: one global model over its series
        from lstmcast.cli.panelfit import fit_panel_run
        fit_panel_run(data, out, cfg, quiet=quiet, json_file=json_file,
                      given=frozenset(explicit_settings(config_file, settings)),
                      force=force, refit=refit, resume=resume,
                      checkpoint_every=checkpoint_every, references=references)
        return
    _one_process_only()
    if references:
        raise DataError("--references scores per-series ARIMA and ETS beside a "
                        "global model (--id COLUMN); for one series, `lstmcast "
                        "backtest` scores them beside the LSTM. Drop --references, "
                        "or give --id.")
    series = load_data(data, cfg.data)
    progress = progress_wanted(quiet)
    # a resumed fit finds its own checkpoint in OUT: it never refuses OUT
    with writing_run(out, "fit", force=None if resume else force), \
            _checkpoints(out, checkpoint_every, resume, series, cfg):
        if auto:
            from lstmcast.search.auto import fit_auto
            result = fit_auto(series, cfg, budget=budget, progress=progress,
                              fixed=explicit_settings(config_file, settings),
                              refit=refit)
        else:
            result = fit_evaluate(series, cfg, progress=progress, refit=refit)
        save_run(out, result.save)  # inside: a failed save leaves the checkpoints
    emit_json(json_file, read_json(Path(out) / "metrics.json"))
    if not quiet:
        if result.auto is not None:
            show.print_auto(result.auto)
        show.print_fit(result, series, out)


def _checkpoints(out: str, every: int | None, resume: bool, series: SeriesData,
                 cfg: ForecastConfig) -> AbstractContextManager[object]:
    """The checkpoint session of a fit (a no-op without --checkpoint-every or
    --resume); resuming needs the same data and settings."""
    from lstmcast.network.checkpoint import checkpointing
    if every is None and not resume:
        return nullcontext()
    settings = {k: v for k, v in cfg.flat().items() if k not in ("threads", "device")}
    return checkpointing(Path(out) / CHECKPOINT, every=every or 1, resume=resume,
                         context={"data_sha256": series.fingerprint(),
                                  "settings": settings})


def demo(out: OutFolder = "runs/demo",
         dataset: Annotated[str, typer.Option(help="Bundled dataset to use.")] =
         "airline",
         epochs: Annotated[int | None, typer.Option(
             help="Cap on epochs (default: the normal default).")] = None,
         plain: Annotated[bool, typer.Option(
             "--plain", help="The plain default fit instead of --auto.")] = False,
         json_file: JsonFile = None) -> None:
    """The whole path on a bundled real dataset: load, choose a model on
    validation (--auto), fit, score against the baselines, save (it replaces
    an earlier demo in --out: the demo is meant to be rerun)."""
    def action() -> None:
        from lstmcast.data.bundled import dataset_path, load_dataset
        quiet = to_stdout(json_file)
        series = load_dataset(dataset)
        cfg = ForecastConfig().replace(target=series.target,
                                       covariates=series.covariates)
        if epochs:
            cfg = cfg.replace(epochs=epochs)
        if not quiet:
            typer.echo(f"lstmcast demo: {dataset} ({dataset_path(dataset).name}), "
                       f"{len(series)} rows")
        progress = progress_wanted(quiet)
        with writing_run(out, "demo", force=True):
            if plain:
                from lstmcast.evaluation.holdout import fit_evaluate
                result = fit_evaluate(series, cfg, progress=progress)
            else:
                from lstmcast.search.auto import fit_auto
                result = fit_auto(series, cfg, progress=progress)
            save_run(out, result.save)
        emit_json(json_file, read_json(Path(out) / "metrics.json"))
        if quiet:
            return
        if result.auto is not None:
            show.print_auto(result.auto)
        show.print_fit(result, series, out)
    run_command(action)


def _one_process_only() -> None:
    """A DataError when torchrun started several processes for one series (only
    a global model, --id, trains data-parallel)."""
    from lstmcast.network.data_parallel import launched
    if launched():
        raise DataError("torchrun trains a global model (--id COLUMN) across "
                        "processes; a one-series fit runs in one process. Run "
                        "`lstmcast fit` without torchrun, or give --id.")
