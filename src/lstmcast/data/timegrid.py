"""The time grid of a series: its frequency, order, duplicates, gaps and bins.

Helpers of :func:`lstmcast.data.loading.load` (checks 4, 5 and 10): the
stamps must be sorted and (unless a policy combines them) unique; the
frequency is inferred, and stamps missing from its regular grid are reported,
filled or refused; ``resample`` aggregates rows onto a grid first. Every
failure is a ``DataError`` that names the column, the rows and the values, and
says how to fix the input.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from lstmcast.core.errors import DataError, DataWarning
from lstmcast.data.messages import RowLabel, count, show

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN",
           "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
_PER_SECOND = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}


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
        units = step / pd.Timedelta(1, unit=unit)
        if units == int(units):
            return alias if units == 1 else f"{int(units)}{alias}"
    return f"{step.value}ns"


def seconds(index: pd.DatetimeIndex) -> np.ndarray:
    """Stamps as float seconds since 1970 (UTC for timezone-aware stamps)."""
    return index.asi8 / _PER_SECOND[index.unit]


# --- sorting and duplicates ------------------------------------------------

def stamps(index: pd.Index) -> list[str]:
    """The stamps (or steps) as text, as messages show them."""
    return [str(v) for v in index.astype(str)]


def check_sorted(index: pd.Index, label: RowLabel) -> None:
    """A DataError naming the rows that go back in time, if any."""
    back = np.flatnonzero(np.asarray(index[1:] < index[:-1]))
    if len(back) == 0:
        return
    _check_appended_twice(index, back, label)
    text = stamps(index)
    places = show((f"{label(i + 1)} ({text[i + 1]}) comes after {label(i)} "
                      f"({text[i]})" for i in back), limit=3)
    raise DataError(
        f"Time column '{index.name}' is not sorted: {places}. Sort the rows by "
        f"'{index.name}' (e.g. df.sort_values('{index.name}')) and load again.")


def _check_appended_twice(index: pd.Index, back: np.ndarray,
                          label: RowLabel) -> None:
    """A DataError when every step back in time lands on a stamp already read:
    rows appended a second time, not rows out of order."""
    starts = back + 1
    codes, uniques = pd.factorize(index)
    first_of = np.full(len(uniques), len(index))
    np.minimum.at(first_of, codes, np.arange(len(index)))
    first = first_of[codes[starts]]
    if not np.all(first < starts):
        return
    repeated = int(index.duplicated().sum())
    text = stamps(index)
    places = show((f"{label(int(s))} ({text[s]}) repeats {label(int(f))}"
                   for s, f in zip(starts, first, strict=True)), limit=3)
    raise DataError(
        f"Time column '{index.name}' goes back to stamps it already had: "
        f"{places}; {count(repeated, 'row')} in all repeat an earlier stamp, so "
        "rows were probably appended twice. "
        "Remove the repeated rows, or keep one row per stamp with "
        "--unsorted sort --duplicates last (the later copy; first keeps the "
        "earlier; Python: unsorted='sort', duplicates='last').")


def _numbers(index: pd.Index) -> np.ndarray:
    """The stamps as int64 nanoseconds (a DatetimeIndex) or the steps."""
    return index.asi8 if isinstance(index, pd.DatetimeIndex) else index.to_numpy()


def sorted_repeats(index: pd.Index, keep: str | bool = False) -> np.ndarray:
    """``index.duplicated(keep)`` of a sorted index, from neighbours: pandas'
    own builds a hash table it keeps on the index for the rest of the run
    (about 300 MB at 10^7 stamps)."""
    values = _numbers(index)
    same = values[1:] == values[:-1]  # row i + 1 repeats row i
    out = np.zeros(len(values), dtype=bool)
    if keep in ("first", False):
        out[1:] |= same
    if keep in ("last", False):
        out[:-1] |= same
    return out


def check_duplicates(index: pd.Index, policy: str, label: RowLabel) -> None:
    """With ``duplicates='error'``, a DataError naming the repeated stamps
    (``index`` is sorted)."""
    repeated = sorted_repeats(index)
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
    repeated = sorted_repeats(values.index)
    if not repeated.any():
        return values
    if policy in ("first", "last"):
        out = values[~sorted_repeats(values.index, keep=policy)]
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
    pos = _grid_positions(grid, index)
    on_grid = np.ones(len(grid), dtype=bool)
    on_grid[pos[pos >= 0]] = False
    missing = grid[on_grid]
    if len(missing) == 0:
        return values, freq
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


def _grid_positions(grid: pd.Index, index: pd.Index) -> np.ndarray:
    """``grid.get_indexer(index)`` of two sorted indexes by binary search
    (pandas' would build and keep a hash table on them)."""
    g, x = _numbers(grid), _numbers(index)
    if len(g) == 0:
        return np.full(len(x), -1)
    pos = np.minimum(np.searchsorted(g, x), len(g) - 1)
    return np.where(g[pos] == x, pos, -1)


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


def resample_rows(values: pd.DataFrame, rule: str, how: str,
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
