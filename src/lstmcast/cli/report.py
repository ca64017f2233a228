"""``lstmcast report`` (rebuild the page of a saved run) and ``lstmcast
datasets`` (the bundled series): the commands that only read."""

from __future__ import annotations

from typing import Annotated

import typer

from lstmcast.cli import show
from lstmcast.cli.jsonout import emit_json, to_stdout
from lstmcast.cli.options import JsonFile
from lstmcast.cli.run import run_command

REPORT_EXAMPLE = ("Example: lstmcast report runs/a  (any --out folder of fit, "
                  "diagnose, backtest, tune or improve)")
DATASETS_EXAMPLE = "Example: lstmcast datasets, then lstmcast demo --dataset airline"


def report(run_dir: Annotated[str, typer.Argument(
        help="The --out folder of a fit, diagnose, backtest, tune or improve run."
        )]) -> None:
    """Rebuild report.html of a saved run from its files (the kind of run is
    told from the files)."""
    def action() -> None:
        from lstmcast.cli.folders import rebuild_report
        from lstmcast.report.runs import run_kind
        kind = run_kind(run_dir)
        typer.echo(f"written {rebuild_report(run_dir)} ({kind} run)")
    run_command(action)


def datasets(json_file: JsonFile = None) -> None:
    """List the bundled real datasets (name, size, frequency, source, licence)."""
    def action() -> None:
        from rich.table import Table

        from lstmcast.data.bundled import list_datasets
        frame = list_datasets()
        emit_json(json_file, frame.to_dict(orient="records"))
        if to_stdout(json_file):
            return
        table = Table(title="Bundled datasets")
        for col in frame.columns:
            table.add_column(str(col))
        for row in frame.itertuples(index=False):
            table.add_row(*[str(v) for v in row])
        show.console().print(table)
    run_command(action)
