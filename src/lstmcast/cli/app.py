"""The command line (thin: parses, calls the API, prints).

Exit codes: 0 ok, 2 bad input (the message names the problem and the fix),
1 a bug (with its traceback). Heavy modules (torch, pandas) load inside the
commands, so ``lstmcast --help`` answers at once. Each command lives in its
own module of :mod:`lstmcast.cli`; this one makes the app, its global options
and the list of commands.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer
from typer.core import TyperCommand, TyperGroup

from lstmcast.cli import backtest, diagnose, fit, predict, report, tune
from lstmcast.cli.run import set_debug
from lstmcast.core.version import __version__

_METAVARS = {"<str>": "TEXT", "<int>": "INT", "<float>": "FLOAT"}


class _ShowSwitches:
    """--help shows a switch as a bare flag (not ``--quiet <bool>``), a value as
    TEXT, INT or FLOAT, and an argument by its name in capitals."""

    def get_params(self, ctx: Any) -> list[Any]:
        params = super().get_params(ctx)  # type: ignore[misc]
        for param in params:
            if param.metavar is not None:
                continue
            if getattr(param, "is_flag", False):
                param.metavar = ""
            elif param.param_type_name == "argument":
                param.metavar = param.name.upper()
            else:
                shown = param.display_type_rich(ctx)
                param.metavar = _METAVARS.get(shown, shown)
        return params


class Command(_ShowSwitches, TyperCommand):
    """A command whose --help shows switches as switches."""


class Group(_ShowSwitches, TyperGroup):
    """The app, with the same --help."""


app = typer.Typer(cls=Group, add_completion=False, no_args_is_help=True,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  pretty_exceptions_enable=False,
                  help="LSTM forecasting that works, and says honestly when it "
                       "does not. Every fit is scored against naive baselines "
                       "on the test part, on the original scale.",
                  epilog="Start here: lstmcast demo; then lstmcast diagnose "
                         "data.csv --target y --out runs/diag and lstmcast fit "
                         "data.csv --target y --out runs/a (open runs/a/report.html)."
                         " Exit codes: 0 ok, 2 bad input, 1 a bug.")


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"lstmcast {__version__}")
        raise typer.Exit


@app.callback()
def _options(debug: Annotated[bool, typer.Option(
        "--debug", help="Also print the traceback of bad-input errors (exit "
        "code 2 still).")] = False,
             version: Annotated[bool, typer.Option(
                 "--version", callback=_print_version, is_eager=True,
                 help="Print the version and exit.")] = False) -> None:
    set_debug(debug)


# The commands, in the order `lstmcast --help` lists them, each with its example.
for _command, _example in ((fit.fit, fit.FIT_EXAMPLE),
                           (predict.predict, predict.EXAMPLE),
                           (diagnose.diagnose, diagnose.EXAMPLE),
                           (backtest.backtest, backtest.EXAMPLE),
                           (report.report, report.REPORT_EXAMPLE),
                           (report.datasets, report.DATASETS_EXAMPLE),
                           (fit.demo, fit.DEMO_EXAMPLE),
                           (tune.improve, tune.IMPROVE_EXAMPLE),
                           (tune.tune, tune.TUNE_EXAMPLE)):
    app.command(cls=Command, epilog=_example)(_command)


def main() -> None:
    """Console-script entry point (large arrays go back to the system when
    freed: :mod:`lstmcast.core.heap`)."""
    from lstmcast.core.heap import return_large_blocks
    return_large_blocks()
    app()


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["app", "main"]
