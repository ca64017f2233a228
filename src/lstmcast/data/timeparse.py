"""Time columns: find, parse and check them; infer the frequency; handle gaps.

Private helpers of :mod:`lstmcast.data.loading`, kept apart so that ``io`` reads as the
list of checks a series goes through. Every failure is a ``DataError`` that
names the column, the rows and the values, and says how to fix the input.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from lstmcast.core.errors import DataError, DataWarning

#: Column names (compared case-insensitively) taken as the time column.
TIME_NAMES = frozenset(
    {"time", "timestamp", "date", "datetime", "ds", "period", "month", "year", "step"}
)
#: Turns a 0-based row position into words, e.g. ``"line 7"`` for a CSV file.
RowLabel = Callable[[int], str]

_QUARTER = re.compile(r"^(\d{4})\s*-?\s*[Qq]([1-4])$")
_MONTH = re.compile(r"^(\d{4})[-/](\d{1,2})$")
_INT = re.compile(r"^[+-]?\d{1,15}$")
_MAX_EXACT_INT = 2**53
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN",
           "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}
#: How the note of a conversion of mixed UTC offsets to UTC begins.
UTC_NOTE = "Time column '{}' mixes UTC offsets"


# --- message helpers --------------------------------------------------------

def fmt_value(value: object) -> str:
    """A cell as the user would recognise it: strings quoted, numbers plain."""
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
    readings = (
        ("quarter", lambda: (_period_start(text, _QUARTER, 3), [])),
        ("month", lambda: (_period_start(text, _MONTH, 1), [])),
        ("int", lambda: (pd.to_numeric(text.where(text.str.match(_INT)),
                                       errors="coerce").astype(np.float64), [])),
        ("date", lambda: _parse_dates(text, name)),
        ("date", lambda: _parse_dates(text, name, "ISO8601")),  # mixed ISO detail
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


def _parse_dates(text: pd.Series, name: str,
                 fmt: str | None = None) -> tuple[pd.Series, list[str]]:
    """Date strings in the format of the first one (strict), or ``fmt``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return pd.to_datetime(text, format=fmt, errors="coerce"), []
        except (ValueError, TypeError, OverflowError):
            stamps = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    note = (f"{UTC_NOTE.format(name)} (e.g. daylight saving time); all "
            f"{count(len(stamps), 'stamp')} were converted to UTC.")
    return stamps, [note]


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


# --- frequency --------------------------------------------------------------

def infer_freq(index: pd.DatetimeIndex) -> str | None:
    """The pandas offset alias of a sorted, unique DatetimeIndex, or None.

    Tries ``pd.infer_freq`` on the whole index, then business days ("B") when
    every stamp is a weekday one day apart at most steps (trading days), then
    the most common step. A candidate counts only when every stamp lies on its
    grid, so the result also describes series with missing stamps.
    """
    if len(index) < 2:
        return None
    if len(index) >= 3:
        freq = _pandas_freq(index)
        if freq is not None:
            return _canonical(freq)
    modal = _modal_step(index)
    if (index[-1] - index[0]) / modal > max_grid(len(index)):
        return None  # a few far-apart stamps: no sensible grid
    candidates = _step_candidates(modal, index[0])
    if modal == pd.Timedelta(days=1) and bool((index.day_of_week < 5).all()):
        candidates.insert(0, "B")
    for freq in candidates:
        if bool(index.isin(regular_grid(index, freq)).all()):
            return freq
    return None


def max_grid(n: int) -> int:
    """The most grid points a series of ``n`` stamps may be spread over."""
    return max(10 * n, 1_000_000)


def regular_grid(index: pd.DatetimeIndex, freq: str) -> pd.DatetimeIndex:
    """Every stamp of ``freq`` from the first to the last stamp of ``index``."""
    return pd.date_range(index[0], index[-1], freq=freq, unit=index.unit,
                         name=index.name)


def _pandas_freq(index: pd.DatetimeIndex) -> str | None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            freq = pd.infer_freq(index)
        except (TypeError, ValueError):
            return None
    return None if freq is None else str(getattr(freq, "freqstr", freq))


def _canonical(freq: str) -> str:
    """One name per quarterly grid: 'QS-OCT' and 'QS-JAN' are the same dates."""
    match = re.fullmatch(r"(QS|QE|BQS|BQE)-([A-Z]{3})", freq)
    if not match:
        return freq
    month = _MONTHS.index(match.group(2))
    first = month % 3 + (9 if match.group(1).endswith("E") else 0)
    return f"{match.group(1)}-{_MONTHS[first]}"


def _modal_step(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The most common difference between consecutive stamps."""
    steps = pd.Series(np.diff(index.asi8))
    return pd.Timedelta(int(steps.mode().iloc[0]), unit=index.unit)


def _step_candidates(step: pd.Timedelta, first: pd.Timestamp) -> list[str]:
    """Offset aliases whose step is about ``step``, anchored like ``first``."""
    days = step / pd.Timedelta(days=1)
    if 28 <= days <= 31:
        return ["MS", "ME"]
    if 89 <= days <= 92:
        m = (first.month - 1) % 3
        return [f"QS-{_MONTHS[m]}", f"QE-{_MONTHS[m + 9]}"]
    if 365 <= days <= 366:
        return [f"YS-{_MONTHS[first.month - 1]}", f"YE-{_MONTHS[first.month - 1]}"]
    if days == 7:
        return [f"W-{_DAYS[first.day_of_week]}"]
    return [_fixed_alias(step)] if step > pd.Timedelta(0) else []


def _fixed_alias(step: pd.Timedelta) -> str:
    """'D', '2D', 'h', '30min', '15s', ... for a fixed step."""
    for unit, alias in (("D", "D"), ("h", "h"), ("min", "min"), ("s", "s"),
                        ("ms", "ms"), ("us", "us")):
        count = step / pd.Timedelta(1, unit=unit)
        if count == int(count):
            return alias if count == 1 else f"{int(count)}{alias}"
    return f"{step.value}ns"


def seconds(index: pd.DatetimeIndex) -> np.ndarray:
    """Stamps as float seconds since 1970 (UTC for timezone-aware stamps)."""
    return index.asi8 / _PER_SECOND[index.unit]


# --- sorting and duplicates ------------------------------------------------

def stamps(index: pd.Index) -> list[str]:
    return [str(v) for v in index.astype(str)]


def check_sorted(index: pd.Index, label: RowLabel) -> None:
    back = np.flatnonzero(np.asarray(index[1:] < index[:-1]))
    if len(back) == 0:
        return
    text = stamps(index)
    places = show((f"{label(i + 1)} ({text[i + 1]}) comes after {label(i)} "
                      f"({text[i]})" for i in back), limit=3)
    raise DataError(
        f"Time column '{index.name}' is not sorted: {places}. Sort the rows by "
        f"'{index.name}' (e.g. df.sort_values('{index.name}')) and load again.")


def check_duplicates(index: pd.Index, policy: str, label: RowLabel) -> None:
    repeated = index.duplicated(keep=False)
    if policy != "error" or not repeated.any():
        return
    rows: dict[str, list[int]] = {}
    for pos, stamp in zip(np.flatnonzero(repeated), stamps(index[repeated]),
                          strict=True):
        rows.setdefault(stamp, []).append(int(pos))
    items = (f"{stamp} ({len(ps)} rows: {', '.join(label(p) for p in ps[:3])})"
             for stamp, ps in rows.items())
    raise DataError(
        f"Time column '{index.name}' has duplicate time stamps: {show(items)}; "
        f"{count(len(rows), 'stamp')} repeated, {int(repeated.sum())} rows in "
        "all. Keep one row per stamp with duplicates='mean', 'sum', 'first' or 'last' "
        "(--duplicates mean|sum|first|last), or remove the extra rows. If these "
        "are local clock times, a repeated hour is the daylight-saving fall-back: "
        "give the zone with timezone='Europe/Berlin' (--timezone NAME) or write "
        "the stamps with their UTC offset.")


def aggregate(values: pd.DataFrame, policy: str, notes: list[str]) -> pd.DataFrame:
    """Combine rows sharing a time stamp by the policy (rows are sorted)."""
    repeated = values.index.duplicated(keep=False)
    if not repeated.any():
        return values
    if policy in ("first", "last"):
        out = values[~values.index.duplicated(keep=policy)]
    else:
        grouped = values.groupby(level=0, sort=False)
        out = grouped.mean() if policy == "mean" else grouped.sum(min_count=1)
    notes.append(f"{int(repeated.sum())} rows shared "
                 f"{count(values.index[repeated].nunique(), 'time stamp')} and were "
                 f"combined into one row per stamp (duplicates='{policy}').")
    return out


# --- 10. gaps -------------------------------------------------------------------

def regularise(values: pd.DataFrame, gaps: str, notes: list[str],
               rule: str | None = None) -> tuple[pd.DataFrame, str | None]:
    """Infer the frequency (``rule`` when resampled to it); report, fill or
    refuse missing stamps."""
    index = values.index
    if isinstance(index, pd.DatetimeIndex):
        freq = rule if rule and len(index) else infer_freq(index)
        grid = regular_grid(index, freq) if freq else None
    else:
        freq, grid = None, _integer_grid(index)
    if grid is None:
        _irregular(index, gaps, notes)
        return values, None
    missing = grid.difference(index)
    if len(missing) == 0:
        return values, freq
    pos = grid.get_indexer(index)
    jumps = np.diff(pos) - 1
    i = int(np.argmax(jumps))
    text = stamps(index[i:i + 2])
    what = (f"{count(len(missing), 'time stamp')} "
            f"{'is' if len(missing) == 1 else 'are'} missing from the regular "
            f"{repr(freq) if freq else 'step'} grid of '{index.name}' (largest gap: "
            f"{jumps[i]} missing between {text[0]} and {text[1]})")
    if gaps == "error":
        raise DataError(
            f"{what}; first missing: {show(stamps(missing[:5]))}. Load with "
            "gaps='fill' (--gaps fill) to insert them as missing values, or "
            "gaps='report' to use the rows as consecutive steps.")
    if gaps == "fill":
        notes.append(f"{what}; inserted {count(len(missing), 'row')} of missing "
                     "values (gaps='fill').")
        return values.reindex(grid), freq
    notes.append(f"{what}; the rows are used as consecutive steps (gaps='report'). "
                 "Use gaps='fill' to insert the missing stamps as missing values.")
    return values, freq


def _irregular(index: pd.Index, gaps: str, notes: list[str]) -> None:
    if len(index) < 2:
        return
    steps = np.diff(index.asi8 if isinstance(index, pd.DatetimeIndex) else index)
    if isinstance(index, pd.DatetimeIndex):
        low, high = (_fmt_step(pd.Timedelta(int(s), unit=index.unit))
                     for s in (steps.min(), steps.max()))
    else:
        low, high = steps.min(), steps.max()
    what = (f"The time stamps of '{index.name}' are irregular: no regular frequency "
            f"fits them (steps from {low} to {high})")
    if gaps == "report":
        notes.append(f"{what}; the rows are used as consecutive steps and future "
                     "time stamps cannot be made. Resample to a regular frequency "
                     "(resample='D', --resample D) for calendar-aware forecasts.")
        return
    raise DataError(f"{what}, so gaps='{gaps}' cannot be applied. Resample the data "
                    "to a regular frequency first with resample=RULE (--resample "
                    "D, h, W, MS or 30min; --resample-how mean|sum|last), or load "
                    "with gaps='report' to use the rows as steps.")


def _fmt_step(step: pd.Timedelta) -> str:
    """'1 day', '11 days', '6:00:00'."""
    if step % pd.Timedelta(days=1) == pd.Timedelta(0):
        return f"{step.days} day{'s' if step.days != 1 else ''}"
    return str(step).removeprefix("0 days ")


def integer_step(index: pd.Index) -> int:
    """The most common step of integer steps (1 when there is only one)."""
    if len(index) < 2:
        return 1
    return int(pd.Series(np.diff(index.to_numpy())).mode().iloc[0])


def _integer_grid(index: pd.Index) -> pd.Index | None:
    """All steps from first to last at the usual step, or None if off-grid."""
    step = integer_step(index)
    values = index.to_numpy()
    if len(values) and np.any((values - values[0]) % step):
        return None
    if len(values) and (values[-1] - values[0]) // step > max_grid(len(values)):
        return None
    stop = values[-1] + step if len(values) else 0
    return pd.Index(np.arange(values[0] if len(values) else 0, stop, step),
                    name=index.name, dtype=np.int64)


# --- resampling -------------------------------------------------------------

_RULE_HINT = re.compile(r"Did you mean \w+\?|Please use '\w+' instead")
RESAMPLE_EXAMPLES = "'D' (days), 'h' (hours), 'W' (weeks), 'MS' (months), '30min'"


def resample_rule(rule: str | None) -> str | None:
    """The canonical pandas alias of a resampling rule (None: no resampling)."""
    if rule is None:
        return None
    try:
        offset = pd.tseries.frequencies.to_offset(str(rule).strip())
    except (ValueError, TypeError) as exc:
        hint = _RULE_HINT.search(str(exc))
        more = f" ({hint.group(0)})" if hint else ""
        raise DataError(f"Unknown resampling rule {rule!r} (resample, --resample)"
                        f"{more}. Give a pandas frequency such as "
                        f"{RESAMPLE_EXAMPLES}.") from None
    if offset.n <= 0:
        raise DataError(f"The resampling rule {rule!r} must step forward. Give a "
                        f"positive frequency such as {RESAMPLE_EXAMPLES}.")
    return str(offset.freqstr)


def resample(values: pd.DataFrame, rule: str, how: str,
             notes: list[str]) -> tuple[pd.DataFrame, int]:
    """The rows aggregated into the bins of ``rule`` by ``how``; bins with no
    rows are left out (the gap check then reports, fills or refuses them).

    Returns the frame and how many rows were merged or moved onto the grid
    (0: the data was already on it, nothing changed); a note says what was done.
    """
    index = values.index
    if not isinstance(index, pd.DatetimeIndex):
        raise DataError(f"resample='{rule}' (--resample) needs dates in the time "
                        f"column, but '{index.name}' holds steps. Drop --resample, "
                        "or pass the column of dates as time=NAME (--time NAME).")
    bins = values.resample(rule)
    sizes = bins.size()
    if how == "sum":
        out = bins.sum(min_count=1)
    else:
        out = bins.mean() if how == "mean" else bins.last()
    full = sizes.to_numpy() > 0
    out, empty = out[full], int((~full).sum())
    alone = sizes.index[full & (sizes.to_numpy() == 1)]
    merged = int(sizes[sizes > 1].sum())
    moved = len(alone.difference(index))
    if merged + moved == 0:
        return values, 0
    out.index.name = index.name
    note = (f"Resampled '{index.name}' to '{rule}' (resample='{rule}', "
            f"resample_how='{how}'): {count(len(values), 'row')} became "
            f"{count(len(out), 'row')}; {count(merged, 'row')} merged "
            f"({how}) into {count(int((sizes > 1).sum()), 'bin')}, "
            f"{count(moved, 'row')} moved onto the grid; "
            f"{count(empty, 'empty bin')} (no rows) left to the gap policy.")
    notes.append(note)
    if merged:
        warnings.warn(f"{note} Resampling merged values: the model sees one "
                      f"value per '{rule}' step, not the original rows.",
                      DataWarning, stacklevel=3)
    return out, merged + moved
