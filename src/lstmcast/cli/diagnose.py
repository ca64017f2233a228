"""``lstmcast diagnose``: findings about a series before training, with fixes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lstmcast.cli import show
from lstmcast.cli.folders import save_run, writing_run
from lstmcast.cli.options import DataFile, Force, OptionalOutFolder, split_names
from lstmcast.cli.run import run_command

EXAMPLE = ("Example: lstmcast diagnose sales.csv --target units "
           "--write-config recommended.json && lstmcast fit sales.csv "
           "--config recommended.json")


def diagnose(
        data: DataFile,
        target: Annotated[str | None, typer.Option(help="Column to forecast.")]
        = None,
        time: Annotated[str | None, typer.Option(help="Time column.")] = None,
        covariates: Annotated[str, typer.Option(
            help="Related series (comma-separated).")] = "",
        test_size: Annotated[float, typer.Option(
            help="Test part (fraction or count); only the training part chooses "
            "settings.")] = 0.2,
        season: Annotated[int | None, typer.Option(help="Season length.")] = None,
        window: Annotated[int | None, typer.Option(help="Planned window.")] = None,
        duplicates: Annotated[str, typer.Option(help="Duplicate time stamps policy."
                                                )] = "error",
        gaps: Annotated[str, typer.Option(help="Missing time stamps policy.")] =
        "report",
        json_file: Annotated[str | None, typer.Option(
            "--json", help="Write the diagnosis as JSON to this file.")] = None,
        write_config: Annotated[str | None, typer.Option(
            "--write-config", help="Write the recommended settings, accepted by "
            "`lstmcast fit --config`.")] = None,
        out: OptionalOutFolder = None,
        force: Force = False) -> None:
    """Findings about the series before training, each with evidence and a fix."""
    def action() -> None:
        from lstmcast.core.persist import atomic_write_bytes, atomic_write_json
        from lstmcast.diagnosis.diagnose import diagnose as run_diagnosis
        result = run_diagnosis(data, target=target, time=time,
                               covariates=split_names(covariates),
                               test_size=test_size, season=season, window=window,
                               duplicates=duplicates, gaps=gaps)
        if out:
            with writing_run(out, "diagnose", force=force,
                             replaces=("diagnose",)):
                save_run(out, result.save)
        if json_file:
            atomic_write_json(json_file, result.to_dict())
        if write_config:
            atomic_write_bytes(write_config, result.recommended.to_json().encode())
        show.print_diagnosis(result, json_file, write_config)
        if out:
            typer.echo(f"report written to {Path(out) / 'report.html'}")
    run_command(action)
