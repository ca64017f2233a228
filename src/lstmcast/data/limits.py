"""Bounds on a CSV file, checked before pandas parses it, and the header's
repeated names found in linear time.

A line longer than ``MAX_LINE_BYTES`` (a cell of hundreds of megabytes) or a
header of more than ``MAX_COLUMNS`` names would make pandas' parser, or the
date parsing after it, run out of memory or time; they are refused with the
line and the size instead. The scan reads the file once in blocks and looks
only for line ends, so it costs a small fraction of the parse.
"""

from __future__ import annotations

import csv
import gzip
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from lstmcast.core.errors import DataError

MAX_LINE_BYTES = 8 << 20  # of one line (a header or a row) of a CSV file
MAX_COLUMNS = 100_000
_BLOCK = 1 << 20  # read at a time; no larger than MAX_LINE_BYTES
_SEPARATORS = (b",", b";", b"\t", b"|")


def check_csv_bounds(path: Path) -> None:
    """A DataError naming the line when one is longer than MAX_LINE_BYTES,
    or when the header names more than MAX_COLUMNS columns."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    run, lines, header = 0, 0, b""  # run: bytes since the last line end
    with opener(path, "rb") as fh:
        while block := fh.read(_BLOCK):
            first = block.find(b"\n")
            if lines == 0:
                header += block if first < 0 else block[:first]
            run += len(block) if first < 0 else first
            _check_line(path, lines + 1, run)
            if first >= 0:
                lines += block.count(b"\n")
                run = len(block) - block.rfind(b"\n") - 1
    _check_line(path, lines + 1, run)
    columns = 1 + max(header.count(sep) for sep in _SEPARATORS)
    if columns > MAX_COLUMNS:
        raise DataError(f"The header of {path} names about {columns:,} columns, more "
                        f"than the {MAX_COLUMNS:,} lstmcast reads. Keep the time, "
                        "target and covariate columns (e.g. with pandas or "
                        "`cut -d, -f...`) and pass that file.")


def _check_line(path: Path, line: int, size: int) -> None:
    if size > MAX_LINE_BYTES:
        raise DataError(f"Line {line} of {path} is longer than {MAX_LINE_BYTES:,} "
                        "bytes (a cell that large is not a time stamp or a number; "
                        "a line end may be missing). Check the file around that "
                        "line, or keep only the columns you need.")


def header_names(path: Path, sep: str) -> list[str]:
    """The names of the header line of CSV file ``path`` (``sep``: one
    character, or ``\\s+`` for runs of white space), each stripped."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8-sig", newline="") as fh:
        line = fh.readline(MAX_LINE_BYTES + 1).rstrip("\r\n")
    if len(sep) != 1:
        return line.split()
    return [name.strip() for name in next(csv.reader(
        [line], delimiter=sep, skipinitialspace=True), [])]


def repeated_names(names: Iterable[str]) -> dict[str, list[int]]:
    """Each name that appears more than once, with its positions (counting
    from 1), sorted by name."""
    positions: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(names, start=1):
        positions[name].append(i)
    return dict(sorted((n, at) for n, at in positions.items() if len(at) > 1))
