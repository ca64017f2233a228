"""``lstmcast diagnose``: findings about a series before training, with fixes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from lstmcast.cli import show
from lstmcast.cli.folders import save_run, writing_run
from lstmcast.cli.jsonout import emit_json, to_stdout
from lstmcast.cli.options import (
    DATA_OPTIONS,
    ConfigFile,
    DataFile,
    Force,
    JsonFile,
    OptionalOutFolder,
    build_config,
    with_options_of,
)
from lstmcast.cli.run import run_command

EXAMPLE = ("Example: lstmcast diagnose sales.csv --target units "
           "--write-config recommended.json && lstmcast fit sales.csv "
           "--config recommended.json")


@with_options_of((*DATA_OPTIONS, "window"))
def diagnose(
        data: DataFile,
        config: ConfigFile = None,
        json_file: JsonFile = None,
        write_config: Annotated[str | None, typer.Option(
            "--write-config", metavar="FILE", help="Write the recommended "
            "settings, accepted by `lstmcast fit --config`.")] = None,
        out: OptionalOutFolder = None,
        force: Force = False,
        **settings: Any) -> None:
    """Findings about the series before training, each with evidence and a fix.

    It reads the data with the same options as fit (--sep, --decimal,
    --unsorted, --timezone, --resample, ...); only the training part chooses
    settings, and --window is the window you plan to use."""
    def action() -> None:
        from lstmcast.core.persist import atomic_write_bytes
        from lstmcast.diagnosis.diagnose import diagnose as run_diagnosis
        quiet = to_stdout(json_file)
        result = run_diagnosis(data, build_config(config, settings))
        if out:
            with writing_run(out, "diagnose", force=force,
                             replaces=("diagnose",)):
                save_run(out, result.save)
        emit_json(json_file, result.to_dict())
        if write_config:
            atomic_write_bytes(write_config, result.recommended.to_json().encode())
        if not quiet:
            show.print_diagnosis(result, json_file, write_config)
            if out:
                typer.echo(f"report written to {Path(out) / 'report.html'}")
    run_command(action)
