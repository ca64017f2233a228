"""``--json FILE``: every command's results as JSON, to a file or to stdout.

``--json -`` prints the JSON alone on stdout (the tables are left out, notes
and progress stay on stderr), so ``lstmcast fit ... --json - | jq`` works; any
other value is a file, written atomically.
"""

from __future__ import annotations

from typing import Any

import typer

from lstmcast.core.errors import DataError

STDOUT = "-"


def to_stdout(json_file: str | None) -> bool:
    """Whether ``--json -`` asked for the JSON on stdout (then print no tables).

    A value such as ``--out`` is refused: ``--json`` takes a FILE, so
    ``--json --out runs/a`` would otherwise write the JSON to a file named
    '--out'."""
    if json_file is not None and json_file != STDOUT and json_file.startswith("-"):
        raise DataError(f"--json takes a FILE to write (or '-' for stdout), but got "
                        f"{json_file!r}. Write e.g. --json results.json or --json -.")
    return json_file == STDOUT


def emit_json(json_file: str | None, payload: Any) -> None:
    """Write ``payload`` (a JSON-ready object) to ``json_file``, or print it for
    '-'; nothing when None."""
    from lstmcast.core.persist import atomic_write_bytes, json_bytes
    if json_file is None:
        return
    text = json_bytes(payload)  # strict JSON (no NaN) either way
    if to_stdout(json_file):
        typer.echo(text.decode())
    else:
        atomic_write_bytes(json_file, text)
