"""How every command runs: bad input is a message and exit code 2, a bug a
traceback and 1, Ctrl-C a short line; data warnings become "note:" lines.

``lstmcast --debug`` (see :mod:`lstmcast.cli.app`) also prints the traceback
of bad-input errors.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable
from typing import TextIO

import typer

from lstmcast.core.errors import DataError

_DEBUG = {"on": False}  # set by the global --debug option
_SHOW_WARNING = warnings.showwarning
SHOWN_NOTES: set[str] = set()  # DataWarnings printed while loading


def set_debug(on: bool) -> None:
    """Print the traceback of bad-input errors too (the global --debug)."""
    _DEBUG["on"] = on


def _show_data_warning(message: Warning | str, category: type[Warning],
                       filename: str, lineno: int, file: TextIO | None = None,
                       line: str | None = None) -> None:
    """A DataWarning as a "note:" line on stderr (once); others as usual."""
    from lstmcast.core.errors import DataWarning
    if not issubclass(category, DataWarning):
        _SHOW_WARNING(message, category, filename, lineno, file, line)
    elif str(message) not in SHOWN_NOTES:
        SHOWN_NOTES.add(str(message))
        typer.echo(f"note: {message}", err=True)


def run_command(action: Callable[[], None]) -> None:
    """Call ``action``; bad input -> message and exit 2 (with the traceback
    under --debug); a bug -> traceback, 1."""
    SHOWN_NOTES.clear()
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


def progress_wanted(quiet: bool) -> bool:
    """Progress bars on stderr: unless --quiet, and only on a terminal."""
    return not quiet and sys.stderr.isatty()
