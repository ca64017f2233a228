"""Read many series in long format (one row per series and step) and check
each one, so that a broken series costs that series a note, not the run.

The file is read once and its columns parsed once (time, numbers); then every
series gets the single-series checks, in numpy over its slice: time order,
duplicate stamps, non-numeric or infinite cells, no values at all, missing
values, leading/trailing empty rows, a step that does not fit the panel's
frequency, gaps. A series that fails one is listed in ``PanelData.dropped``
with the reason (its id named); legal but notable things (missing values
inside a series, trimmed edges, a constant series, aggregated duplicates) are
``PanelData.notes``. Only a problem of the whole file (a missing column, a time
column that is not time) is a DataError.
"""

from __future__ import annotations

import os
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from lstmcast.core.checks import check_choice
from lstmcast.core.errors import DataError
from lstmcast.data.messages import count, show
from lstmcast.data.numbers import number_format, to_float
from lstmcast.data.panel import PanelData
from lstmcast.data.reading import read, separator
from lstmcast.data.timegrid import infer_freq, integer_step
from lstmcast.data.timeparse import detect_time_column, parse_time

if TYPE_CHECKING:
    from lstmcast.core.config import DataConfig

__all__ = ["load_panel", "load_panel_data"]

DUPLICATE_POLICIES = ("error", "mean", "sum", "first", "last")
GAP_POLICIES = ("report", "error")
EMPTY = ("", "nan", "na", "n/a", "null", "none", "<na>")  # cells read as missing


def load_panel(source: str | os.PathLike | pd.DataFrame, *, id: str,
               target: str | None = None, time: str | None = None,
               duplicates: str = "error", gaps: str = "report",
               sep: str | None = None, decimal: str = ".",
               thousands: str | None = None) -> PanelData:
    """Read and check a panel of series in long format.

    Parameters
    ----------
    source : path (CSV, Parquet) or DataFrame
        One row per series and time stamp.
    id : str
        The column naming the series (any type: text, numbers).
    target : str, optional
        The column to forecast (detected when one numeric column is left).
    time : str, optional
        The time column (detected as for one series; without one, each
        series' rows are its steps 0, 1, 2, ...).
    duplicates : {"error", "mean", "sum", "first", "last"}
        Rows of one series sharing a stamp: leave the series out ("error"),
        or combine them.
    gaps : {"report", "error"}
        Missing stamps inside a series: keep the series as a sequence with a
        note, or leave it out.
    sep, decimal, thousands : str, optional
        How a CSV file is written, as for one series
        (:func:`lstmcast.data.loading.load`).
    """
    check_choice("duplicates", duplicates, DUPLICATE_POLICIES)
    check_choice("gaps", gaps, GAP_POLICIES)
    raw, label, where = read(source, target, separator(sep),
                             number_format(decimal, thousands))
    target, time = _columns(raw, id, target, time, where)
    ids, codes, empty_ids = _ids(raw[id])
    notes: dict[Any, list[str]] = {}
    dropped: dict[Any, str] = {}
    keep = ~empty_ids
    values = _numbers(raw[target], codes, ids, keep, label, dropped)
    if time is None:  # each series' rows are its steps 0, 1, 2, ...
        steps = pd.Series(codes).groupby(codes).cumcount().to_numpy(np.int64)
        stamps = pd.Index(steps, name="step")
    else:
        stamps, _ = parse_time(raw[time], label)
    series = _split(ids, codes, keep, values, stamps, duplicates, notes, dropped)
    freq, step = _frequency(series)
    kept = _check_steps(series, freq, step, gaps, notes, dropped)
    if not kept:
        reasons = show(f"{k!r}: {v}" for k, v in list(dropped.items())[:3])
        raise DataError(f"No series of {where} can be used: all "
                        f"{count(len(dropped), 'series')} were left out ({reasons}).")
    panel_ids = tuple(k for k, _, _ in kept)
    starts = np.r_[0, np.cumsum([len(v) for _, v, _ in kept])].astype(np.int64)
    all_values = np.concatenate([v for _, v, _ in kept])
    all_stamps = kept[0][2].append([s for _, _, s in kept[1:]]) if len(kept) > 1 \
        else kept[0][2]
    if empty_ids.any():
        notes.setdefault("(no id)", []).append(
            f"{count(int(empty_ids.sum()), 'row')} with an empty '{id}' were left "
            "out: they belong to no series.")
    return PanelData(panel_ids, all_values, all_stamps.rename(time or "step"),
                     starts, id, time or "step", target, freq, step,
                     {k: tuple(v) for k, v in notes.items() if v}, dropped)


# Data options of one series that a panel does not take (yet): each must be
# left at its default, or the reading is refused rather than the option ignored.
_SINGLE_ONLY = ("covariates", "future_covariates", "resample", "timezone", "strict")


def load_panel_data(source: str | os.PathLike | pd.DataFrame,
                    data: DataConfig) -> PanelData:
    """:func:`load_panel` with the columns and policies of a ``DataConfig``
    whose ``id`` names the series."""
    from dataclasses import fields

    from lstmcast.core.config import DataConfig as Defaults
    if data.id is None:
        raise DataError("A panel needs the column that names its series: give "
                        "--id COLUMN (id= in Python).")
    default = Defaults()
    given = [f.name for f in fields(data)
             if f.name in _SINGLE_ONLY and getattr(data, f.name) != getattr(
                 default, f.name)]
    if given:
        raise DataError(
            f"{show('--' + g.replace('_', '-') for g in given)} "
            f"{'is' if len(given) == 1 else 'are'} not supported with --id yet: "
            "a global model reads the target of each series alone, on the "
            "stamps as given. Drop them, or fit one series at a time.")
    return load_panel(source, id=data.id, target=data.target, time=data.time,
                      duplicates=data.duplicates, gaps=data.gaps, sep=data.sep,
                      decimal=data.decimal, thousands=data.thousands)


def _columns(raw: pd.DataFrame, id: str, target: str | None, time: str | None,
             where: str) -> tuple[str, str | None]:
    """The id, target and time columns, checked or detected."""
    columns = list(raw.columns)
    for role, name in (("Id", id), ("Target", target), ("Time", time)):
        if name is not None and name not in columns:
            raise DataError(f"{role} column '{name}' is not in {where}. Available "
                            f"columns: {show(columns, 20)}.")
    if len({id, target, time} - {None}) < len([c for c in (id, target, time) if c]):
        raise DataError(f"The id, target and time columns must differ (got id "
                        f"'{id}', target '{target}', time '{time}').")
    if time is None:
        time = detect_time_column(raw, {c for c in (id, target) if c})
    if target is None:
        rest = [c for c in columns if c not in (id, time)]
        numeric = rest if len(rest) == 1 else [
            c for c in rest if ptypes.is_numeric_dtype(raw[c])
            and not ptypes.is_bool_dtype(raw[c])]
        if len(numeric) != 1:
            raise DataError(f"Cannot tell which column of {where} to forecast "
                            f"(numeric columns besides the id and time: "
                            f"{show(numeric) or 'none'}). Pass target=NAME "
                            "(--target NAME).")
        target = numeric[0]
    return target, time


def _ids(column: pd.Series) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Ids in order of first appearance, each row's code, and empty ids
    (missing, or blank text: checked once an id, not once a row, which at
    30 million rows would make 30 million strings)."""
    codes, uniques = pd.factorize(column, sort=False)  # missing: code -1
    blank = np.array([str(v).strip() == "" for v in uniques] + [True])
    empty = blank[codes]  # code -1 takes the last entry
    ids = [v.item() if hasattr(v, "item") else v for v in uniques]
    return ids, codes, empty


def _numbers(column: pd.Series, codes: np.ndarray, ids: list[Any], keep: np.ndarray,
             label: Any, dropped: dict[Any, str]) -> np.ndarray:
    """The target as float64; a series with text or infinite cells is dropped."""
    if ptypes.is_numeric_dtype(column) and not ptypes.is_bool_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isinf(values) & keep
    else:
        values = pd.to_numeric(column, errors="coerce").to_numpy(dtype=np.float64)
        given = ~column.astype(str).str.strip().str.lower().isin(EMPTY).to_numpy()
        bad = column.notna().to_numpy() & given & ~np.isfinite(values) & keep
    for code in np.unique(codes[bad]):
        rows = np.flatnonzero(bad & (codes == code))
        try:
            to_float(column.iloc[rows], "Target", lambda p, r=rows: label(int(r[p])))
        except DataError as exc:
            dropped[ids[code]] = str(exc)
    return values


def _split(ids: list[Any], codes: np.ndarray, keep: np.ndarray, values: np.ndarray,
           stamps: pd.Index, duplicates: str, notes: dict[Any, list[str]],
           dropped: dict[Any, str]) -> list[tuple[Any, np.ndarray, pd.Index]]:
    """Each usable series: its id, values and stamps, in time order."""
    rows = np.flatnonzero(keep)
    order = rows[np.argsort(codes[rows], kind="stable")]
    bounds = np.r_[0, np.flatnonzero(np.diff(codes[order])) + 1, len(order)]
    out = []
    for lo, hi in pairwise(bounds):
        idx = order[lo:hi]
        key = ids[codes[idx[0]]]
        if key in dropped:
            continue
        y, t = values[idx], stamps[idx]
        own = notes.setdefault(key, [])
        if not t.is_monotonic_increasing:
            sort = np.argsort(np.asarray(t), kind="stable")
            y, t = y[sort], t[sort]
            own.append("its rows were not in time order and were sorted.")
        if t.has_duplicates:
            if duplicates == "error":
                dup = t[t.duplicated()].unique()
                dropped[key] = (f"time stamps appear more than once "
                                f"({show(map(str, dup[:3]))}); pass duplicates="
                                "mean|sum|first|last (--duplicates) to combine them.")
                continue
            frame = pd.Series(y, index=t).groupby(level=0, sort=True)
            y = getattr(frame, duplicates)().to_numpy(dtype=np.float64)
            t = frame.size().index
            own.append(f"rows sharing a stamp were combined ({duplicates}).")
        present = np.flatnonzero(np.isfinite(y))
        if not len(present):
            dropped[key] = "it has no values (every target cell is empty)."
            continue
        if present[0] > 0 or present[-1] < len(y) - 1:
            own.append(f"{count(int(present[0]), 'leading')} and "
                       f"{count(len(y) - 1 - int(present[-1]), 'trailing')} "
                       "empty row(s) were dropped.")
            y, t = y[present[0]: present[-1] + 1], t[present[0]: present[-1] + 1]
        missing = int(np.isnan(y).sum())
        if missing:
            own.append(f"{count(missing, 'missing value')} inside the series "
                       "(filled by linear interpolation when fitting).")
        if np.nanmax(y) == np.nanmin(y):
            own.append("it is constant: only the last value can be forecast.")
        out.append((key, y, t))
    return out


def _frequency(series: list[tuple[Any, np.ndarray, pd.Index]]
               ) -> tuple[str | None, int | None]:
    """The panel's frequency, read off its longest series."""
    if not series:
        return None, None
    longest = max(series, key=lambda s: len(s[2]))[2]
    if isinstance(longest, pd.DatetimeIndex):
        freq = infer_freq(longest)
        if freq is None:
            raise DataError(f"The time stamps of the longest series (e.g. "
                            f"{show(map(str, longest[:3]))}) have no regular step; "
                            "resample the data to one frequency first.")
        return freq, None
    return None, integer_step(longest)


def _check_steps(series: list[tuple[Any, np.ndarray, pd.Index]], freq: str | None,
                 step: int | None, gaps: str, notes: dict[Any, list[str]],
                 dropped: dict[Any, str]) -> list[tuple[Any, np.ndarray, pd.Index]]:
    """Series on the panel's grid; gaps noted (or the series left out)."""
    kept = []
    grids: dict[Any, pd.DatetimeIndex] = {}  # by first stamp: to the panel's end
    end = max((s[2][-1] for s in series if len(s[2])), default=None)
    for key, y, t in series:
        if len(t) > 1:
            if freq is not None:
                if t[0] not in grids:  # a date_range a series costs ms at M4 scale
                    grids[t[0]] = pd.date_range(t[0], end, freq=freq)
                grid = grids[t[0]]
                on_grid = bool((grid.get_indexer(t) >= 0).all())
                expected = int(grid.searchsorted(t[-1], side="right"))
            else:
                offsets = np.asarray(t) - t[0]
                on_grid = not np.any(offsets % step)
                expected = int(offsets[-1] // step) + 1
            if not on_grid:
                dropped[key] = (f"its time stamps are not on the panel's grid (a "
                                f"step of {freq or step}).")
                continue
            if expected > len(t):
                if gaps == "error":
                    dropped[key] = (f"{count(expected - len(t), 'time stamp')} "
                                    "missing inside the series (gaps='error').")
                    continue
                notes.setdefault(key, []).append(
                    f"{count(expected - len(t), 'time stamp')} missing inside the "
                    "series: its rows are taken as consecutive steps.")
        kept.append((key, y, t))
    return kept
