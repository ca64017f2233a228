"""How loading errors and notes name rows, cells and counts.

Every check of :mod:`lstmcast.data` says where a problem is (``line 7`` of a
CSV file, ``row 3`` of a DataFrame) and shows the offending values the way
the user wrote them; these helpers keep that wording alike everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

#: Turns a 0-based row position into words, e.g. ``"line 7"`` for a CSV file.
RowLabel = Callable[[int], str]


def fmt_value(value: object, limit: int = 60) -> str:
    """A cell as the user would recognise it: strings quoted, numbers plain;
    a long text cut after ``limit`` characters, with its length."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}... ({len(value):,} characters)"
    return repr(value) if isinstance(value, str) else str(value)


def show(items: Iterable[str], limit: int = 5) -> str:
    """Join at most ``limit`` items, then say how many were left out."""
    items = list(items)
    text = ", ".join(items[:limit])
    if len(items) > limit:
        text += f", ... ({len(items)} in all)"
    return text


def count(n: int, noun: str) -> str:
    """``count(1, "row")`` is '1 row'; ``count(3, "row")`` is '3 rows'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def show_cells(positions: Iterable[int], values: Iterable[object],
               label: RowLabel) -> str:
    """``line 4 ('abc'), line 9 ('1,234')``: rows with their offending values."""
    pairs = zip(positions, values, strict=True)
    return show(f"{label(int(p))} ({fmt_value(v)})" for p, v in pairs)
