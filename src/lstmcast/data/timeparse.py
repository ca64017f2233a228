"""Time columns: find them, parse them into a time index, place them in a zone.

Helpers of :func:`lstmcast.data.loading.load` (checks 2 and 3): the time
column is found by name or by its dates, then parsed into a DatetimeIndex or
integer steps; :func:`localize` places the stamps in a time zone. Every
failure is a ``DataError`` that names the column, the rows and the values, and
says how to fix the input.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from lstmcast.core.errors import DataError
from lstmcast.data.messages import RowLabel, count, show, show_cells

#: Column names (compared case-insensitively) taken as the time column.
TIME_NAMES = frozenset(
    {"time", "timestamp", "date", "datetime", "ds", "period", "month", "year", "step"}
)

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_INT = re.compile(r"^[+-]?\d{1,15}$")
_MAX_EXACT_INT = 2**53
#: Longer cells are not read as times (no stamp is; date parsing of a cell
#: grows faster than its length, taking minutes at a million characters).
MAX_TIME_CHARS = 100
#: How the note of a conversion of mixed UTC offsets to UTC begins.
UTC_NOTE = "Time column '{}' mixes UTC offsets"


# --- finding the time column ------------------------------------------------

def detect_time_column(frame: pd.DataFrame, skip: set[str]) -> str | None:
    """The time column: one named like a time, else the first holding dates.

    Columns in ``skip`` (the target and the covariates) are never taken.
    """
    columns = [c for c in frame.columns if c not in skip]
    for name in columns:
        if name.strip().lower() in TIME_NAMES:
            return name
    for name in columns:
        if _holds_dates(frame[name]):
            return name
    return None


def _holds_dates(column: pd.Series) -> bool:
    """True when every non-empty cell parses as a date (not as a number)."""
    if ptypes.is_datetime64_any_dtype(column) or isinstance(
            column.dtype, pd.PeriodDtype):
        return True
    if ptypes.is_numeric_dtype(column) or ptypes.is_bool_dtype(column):
        return False
    present = column.dropna()
    if present.empty:
        return False
    text = present.astype(str).str.strip()
    kind, parsed, _ = _best_text_parse(text, str(column.name))
    return kind != "int" and bool(parsed.notna().all())


def is_integer_steps(column: pd.Series) -> bool:
    """True for whole numbers that strictly increase (e.g. 0, 1, 2, ...)."""
    if (not ptypes.is_integer_dtype(column) or ptypes.is_bool_dtype(column)
            or column.isna().any()):
        return False
    values = column.to_numpy(dtype=np.int64)
    return len(values) > 1 and bool(np.all(np.diff(values) > 0))


# --- parsing ----------------------------------------------------------------

def time_index(frame: pd.DataFrame, time: str | None, label: RowLabel,
               notes: list[str]) -> pd.Index:
    """The parsed time column, or row positions 0, 1, 2, ... when there is none."""
    if time is None:
        notes.append("No time column found: the rows are taken as steps 0, 1, 2, "
                     "... Pass time=NAME (--time NAME) if a column holds the times.")
        return pd.Index(np.arange(len(frame)), name="step", dtype=np.int64)
    index, more = parse_time(frame[time], label)
    notes.extend(more)
    return index


def parse_time(column: pd.Series, label: RowLabel) -> tuple[pd.Index, list[str]]:
    """Parse a time column into a DatetimeIndex or an integer index.

    Accepts datetimes (timezone-aware ones are kept), periods, month strings
    (``1949-01``), quarters (``1970Q1``, taken as the quarter's first day),
    whole numbers (integer steps; 4-digit numbers in a column named ``year``
    become yearly dates) and any date string pandas reads in one format.

    Returns
    -------
    index : pd.Index
        Named after the column.
    notes : list of str
        Conversions worth telling the user about.
    """
    name = str(column.name)
    empty = np.flatnonzero(column.isna().to_numpy())
    if len(empty):
        raise DataError(
            f"Time column '{name}' has empty cells at "
            f"{show(label(int(p)) for p in empty)}. Fill in those time stamps "
            "or delete those rows.")
    if isinstance(column.dtype, pd.PeriodDtype):
        return pd.DatetimeIndex(column.dt.start_time, name=name), []
    if ptypes.is_datetime64_any_dtype(column):
        return pd.DatetimeIndex(column, name=name), []
    if ptypes.is_bool_dtype(column):
        raise DataError(f"Time column '{name}' holds True/False values, not times. "
                        "Pass the right column as time=NAME (--time NAME).")
    if ptypes.is_numeric_dtype(column):
        return _numeric_time(column, label), []
    return _text_time(column, label)


def _numeric_time(column: pd.Series, label: RowLabel) -> pd.Index:
    """Whole numbers become integer steps, or yearly dates in a 'year' column."""
    name = str(column.name)
    values = column.to_numpy(dtype=np.float64)
    bad = np.flatnonzero((values != np.round(values)) | ~np.isfinite(values)
                         | (np.abs(values) > _MAX_EXACT_INT))
    if len(bad):
        raise DataError(
            f"Time column '{name}' must hold dates or whole-number steps; these "
            f"cells are neither: {show_cells(bad, values[bad], label)}. Fix those "
            "cells, or pass another column as time=NAME (--time NAME).")
    steps = values.astype(np.int64)
    if name.strip().lower() == "year" and steps.min() >= 1000 and steps.max() <= 2999:
        return pd.DatetimeIndex(pd.to_datetime(steps.astype(str), format="%Y"),
                                name=name)
    return pd.Index(steps, name=name, dtype=np.int64)


def _text_time(column: pd.Series, label: RowLabel) -> tuple[pd.Index, list[str]]:
    """Text cells: pick the reading that parses most cells, report the rest."""
    name = str(column.name)
    if not all(isinstance(v, str) for v in column):
        return _object_time(column), []
    text = column.astype(str).str.strip()
    kind, parsed, notes = _best_text_parse(text, name)
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad) == len(text):
        raise DataError(
            f"Time column '{name}' could not be read as dates or steps, e.g. "
            f"{show_cells(bad[:3], text.iloc[bad[:3]], label)}. Write times like "
            "'2020-01-31', '2020-01-31 13:30', '1949-01' or '1970Q1', or pass "
            "another column as time=NAME (--time NAME).")
    if len(bad):
        example = text.iloc[int(np.flatnonzero(parsed.notna().to_numpy())[0])]
        raise DataError(
            f"Time column '{name}' has cells that do not parse like the others "
            f"(e.g. {example!r}): {show_cells(bad, text.iloc[bad], label)}. "
            "Write every time stamp in one format, or delete those rows.")
    if kind == "int":
        return _numeric_time(parsed.rename(name), label), notes
    return pd.DatetimeIndex(parsed, name=name), notes


def _object_time(column: pd.Series) -> pd.Index:
    """Cells that are Python objects (dates, timestamps): let pandas decide."""
    name = str(column.name)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pd.DatetimeIndex(pd.to_datetime(column), name=name)
    except (ValueError, TypeError, OverflowError) as exc:
        raise DataError(
            f"Time column '{name}' holds values that are not times ({exc}). "
            "Convert it with pandas.to_datetime first, or pass another column "
            "as time=NAME (--time NAME).") from None


def _best_text_parse(text: pd.Series, name: str) -> tuple[str, pd.Series, list[str]]:
    """Try quarters, months, whole numbers and general dates; keep the best.

    Returns the kind, the parsed values (NaT/NaN where a cell failed) and
    notes. Ties go to the more specific reading, in the order tried.
    """
    text = text.where(text.str.len() <= MAX_TIME_CHARS, "")  # too long: no parse
    readings = (
        ("quarter", lambda: (_period_start(text, _QUARTER, 3), [])),
        ("month", lambda: (_period_start(text, _MONTH, 1), [])),
        ("int", lambda: (pd.to_numeric(text.where(text.str.match(_INT)),
                                       errors="coerce").astype(np.float64), [])),
        ("date", lambda: _parse_dates(text, name)),
        ("date", lambda: _parse_dates(text, name, "ISO8601")),  # mixed ISO detail
        ("date", lambda: _parse_dates(text, name, dayfirst=True)),  # 31.01.2020
    )
    best: tuple[str, pd.Series, list[str]] = ("none", pd.Series(pd.NaT, text.index), [])
    for kind, read in readings:
        parsed, notes = read()
        if parsed.notna().sum() > best[1].notna().sum():
            best = (kind, parsed, notes)
    return best


def _period_start(text: pd.Series, pattern: re.Pattern, months: int) -> pd.Series:
    """'1970Q2' or '1949-02' as the period's first day; NaT where no match."""
    parts = text.str.extract(pattern).apply(pd.to_numeric, errors="coerce")
    return pd.to_datetime(pd.DataFrame(
        {"year": parts[0], "month": (parts[1] - 1) * months + 1, "day": 1}),
        errors="coerce")


def _parse_dates(text: pd.Series, name: str, fmt: str | None = None,
                 dayfirst: bool = False) -> tuple[pd.Series, list[str]]:
    """Date strings in the format of the first one (strict; with ``dayfirst``
    an ambiguous first one is read day first), or ``fmt``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(text, format=fmt, errors="coerce",
                                  dayfirst=dayfirst), []
        except (ValueError, TypeError, OverflowError):
            stamps = pd.to_datetime(text, format=fmt, errors="coerce", utc=True,
                                    dayfirst=dayfirst)
    note = (f"{UTC_NOTE.format(name)} (e.g. daylight saving time); all "
            f"{count(len(stamps), 'stamp')} were converted to UTC.")
    return stamps, [note]


def zone_name(index: pd.Index) -> str | None:
    """The IANA name of the stamps' time zone, as :func:`localize` takes it;
    None for naive stamps, steps and fixed UTC offsets."""
    import zoneinfo
    tz = getattr(index, "tz", None)
    if tz is None:
        return None
    try:
        zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    return str(tz)


def localize(index: pd.Index, zone: str, label: RowLabel,
             notes: list[str]) -> pd.DatetimeIndex:
    """Stamps placed in (naive) or converted to (aware) the time zone ``zone``.

    A repeated hour at a daylight-saving fall-back is told apart by the order
    of the rows; an hour that does not exist (spring forward) is an error.
    """
    import zoneinfo
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(f"timezone='{zone}' needs dates in time column "
                        f"'{index.name}', which holds steps. Drop --timezone.")
    try:
        zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise DataError(f"Unknown time zone {zone!r}: give an IANA name such as "
                        "'Europe/Berlin', 'America/New_York' or 'UTC'.") from None
    if index.tz is not None:
        out = index.tz_convert(zone)
        notes.append(f"Time column '{index.name}' converted from {index.tz} to "
                     f"{zone} (timezone='{zone}').")
        return out
    try:
        out = index.tz_localize(zone, ambiguous="infer", nonexistent="raise")
    except Exception as exc:  # pytz/pandas time-zone errors share no base class
        raise DataError(_zone_problem(index, zone, label, exc)) from None
    offsets = (out.tz_localize(None) - out.tz_convert(None)).asi8
    shifts = int((np.diff(offsets) != 0).sum())
    notes.append(f"Time column '{index.name}' read as local time in {zone} and "
                 f"compared in UTC ({count(shifts, 'daylight-saving change')} "
                 f"inside the data); forecasts are given in {zone}.")
    return out


def _zone_problem(index: pd.DatetimeIndex, zone: str, label: RowLabel,
                  exc: Exception) -> str:
    """Which stamps are not valid local times in ``zone``, and the fix."""
    stamp = str(exc).split("'")[1] if "'" in str(exc) else str(exc)
    where = np.flatnonzero(index.astype(str).str.startswith(stamp[:16]))
    rows = show(label(int(p)) for p in where) if len(where) else "some rows"
    return (f"Time column '{index.name}' is not a valid local time in {zone} at "
            f"{stamp} ({rows}): {exc}. That hour is skipped by a daylight-saving "
            "change (spring forward), or repeated (fall back) without both "
            "copies in order. Write the stamps with their UTC offset (e.g. "
            "2021-03-28 03:00+02:00) or in UTC, and drop --timezone.")
