"""Read a series from a file or a pandas object, check it, and say what was done.

:func:`load` is the one way data comes in. It reads CSV, Parquet, a DataFrame or
a Series, finds the time column, and runs the checks below in order; each
problem is a :class:`~lstmcast.core.errors.DataError` naming the column, the rows
(file lines for CSV, 0-based positions otherwise), the values and the fix.
Legal but notable things (missing values, gaps, combined duplicates) become
``notes`` on the result. The checks: 1. the file; 2. the columns exist (or are
detected); 3. the time column parses; 4. it is sorted; 5. duplicate stamps;
6. values are numbers; 7. no infinities; 8. the target has values; 9. it is not
constant (a constant covariate is dropped, as a repair); 10. gaps and
frequency; 11. a target spanning over 1e7 of its typical step is noted
(float32 precision). A CSV header naming a column twice is refused. Each
change made to the data (time zone, sort, aggregated duplicates, resampled
rows, trimmed edges, dropped constant covariates, filled gaps, missing values
left for the imputer) is made only by a policy, and counted as a :class:`Repair`;
``strict=True`` refuses data that needs any.
"""


from __future__ import annotations

import os
import warnings
from collections.abc import Sequence

import numpy as np
import pandas as pd

from lstmcast.core.checks import check_choice
from lstmcast.core.config import DataConfig
from lstmcast.core.errors import DataError, DataWarning
from lstmcast.data.columns import resolve_columns
from lstmcast.data.messages import RowLabel, count
from lstmcast.data.numbers import UNITS, NumberFormat, number_format, to_float
from lstmcast.data.reading import read, separator
from lstmcast.data.series import Repair, SeriesData
from lstmcast.data.timegrid import (
    aggregate,
    check_duplicates,
    check_sorted,
    regularise,
    resample_rows,
    resample_rule,
)
from lstmcast.data.timeparse import UTC_NOTE, localize, time_index

DUPLICATE_POLICIES = ("error", "mean", "sum", "first", "last")
GAP_POLICIES = ("report", "fill", "error")
UNSORTED_POLICIES = ("error", "sort")
TRIM_POLICIES = ("edges", "none")
RESAMPLE_HOWS = ("mean", "sum", "last")


def load(source: str | os.PathLike | pd.DataFrame | pd.Series, *,
         target: str | None = None, time: str | None = None,
         covariates: Sequence[str] = (), duplicates: str = "error",
         gaps: str = "report", unsorted: str = "error", trim: str = "edges",
         timezone: str | None = None, strict: bool = False,
         constant_covariates: str = "drop", resample: str | None = None,
         resample_how: str = "mean", sep: str | None = None, decimal: str = ".",
         thousands: str | None = None,
         future_covariates: Sequence[str] = ()) -> SeriesData:
    """Read and check a time series.

    Parameters
    ----------
    source : path, DataFrame or Series
        ``.csv``, ``.csv.gz``, ``.txt`` or ``.parquet``/``.pq`` file; a
        DataFrame (a DatetimeIndex or a named index is taken as a column); a
        Series (its name is the target, its index the time).
    target : str, optional
        Column to forecast; detected when only one numeric column is left.
    time : str, optional
        Time column; detected by name (time, date, ds, ...), else the first
        column of dates, else a first column of increasing whole numbers,
        else the row positions are the steps.
    covariates : sequence of str
        Related columns used as inputs.
    duplicates : {"error", "mean", "sum", "first", "last"}
        What to do with rows sharing a time stamp.
    gaps : {"report", "fill", "error"}
        Missing stamps: keep the rows and say so, insert NaN rows onto the
        regular grid, or refuse.
    unsorted : {"error", "sort"}
        Rows out of time order: refuse, or sort them (stable) and count the
        rows moved.
    trim : {"edges", "none"}
        Leading and trailing rows where the target is empty (a sensor not yet
        installed): drop them and say how many, or keep them for the imputer.
    timezone : str, optional
        IANA zone of the stamps (e.g. ``"Europe/Berlin"``): naive local stamps
        are placed in it (the repeated hour of a daylight-saving fall-back is
        told apart by its order), aware ones converted to it. Times are then
        compared in UTC, and shown and forecast in this zone.
    strict : bool
        Refuse data that needs any repair (each one named) instead of making it.
    constant_covariates : {"drop", "keep"}
        A covariate with one value in every row: drop it (a repair, with a
        note and a DataWarning), or keep it (forecasting from a fitted model,
        whose recent history may well hold one value of a flag).
    resample : str, optional
        A pandas rule (``"D"``, ``"h"``, ``"W"``, ``"MS"``, ``"30min"``):
        aggregate the rows (target and covariates) onto that regular grid
        before the gap check (rows sharing a stamp fall in one bin); rows
        merged or moved onto the grid are a ``resample`` repair, and a merge is
        also a DataWarning. Bins with no rows are left to ``gaps``.
    resample_how : {"mean", "sum", "last"}
        How the rows of one bin are combined (missing cells are skipped).
    sep : str, optional
        The column separator of a CSV file (a character, or ``"tab"``,
        ``"space"``, ...); None: a comma, else ';', tab or '|' when the header
        holds one.
    decimal, thousands : str
        How numbers are written: ``decimal=","`` reads 3,5;
        ``thousands=","`` reads 10,000.12 (``"."``, ``"'"`` or ``"space"``
        also); never guessed. Currency symbols and percent signs are stripped
        from text cells (a ``units`` repair: '12.5%' is 12.5).
    future_covariates : sequence of str
        Columns known in advance for the steps forecast (promotions, prices,
        holidays): read and checked like the covariates, kept apart as
        ``SeriesData.future``.

    Returns
    -------
    SeriesData

    Raises
    ------
    DataError
        For every input problem, with the column, rows, values and the fix.
    """
    check_choice("duplicates", duplicates, DUPLICATE_POLICIES)
    check_choice("gaps", gaps, GAP_POLICIES)
    check_choice("unsorted", unsorted, UNSORTED_POLICIES)
    check_choice("trim", trim, TRIM_POLICIES)
    check_choice("constant_covariates", constant_covariates, ("drop", "keep"))
    check_choice("resample_how", resample_how, RESAMPLE_HOWS)
    rule = resample_rule(resample)
    covs, futs = _names(covariates), _names(future_covariates)
    fmt, sep = number_format(decimal, thousands), separator(sep)
    if sep is not None and sep in (fmt.decimal, fmt.thousands):
        raise DataError(f"The separator {sep!r} (--sep) is also the decimal mark or "
                        "thousands separator (--decimal, --thousands), so a "
                        "number would split into two columns. A file with "
                        "decimal commas is usually separated by ';' (--sep ';').")
    raw, label, where = read(source, target, sep, fmt)
    notes: list[str] = []
    repairs: list[Repair] = []
    target, time = resolve_columns(raw, target, time, covs, where, notes, futs)
    index = time_index(raw, time, label, notes)
    utc = [n for n in notes if n.startswith(UTC_NOTE.format(time))]
    if utc:
        repairs.append(Repair("timezone", len(index), utc[0]))
    if timezone is not None:
        index = localize(index, timezone, label, notes)
        repairs.append(Repair("timezone", len(index), notes[-1]))
    if unsorted == "sort" and not index.is_monotonic_increasing:
        raw, index, label = _sorted(raw, index, label, notes, repairs)
    check_sorted(index, label)
    if rule is None:
        check_duplicates(index, duplicates, label)
    values = pd.DataFrame(
        {name: _numbers(raw[name], role, label, fmt, notes, repairs)
         for role, name in [("Target", target)] + [("Covariate", c) for c in covs]
         + [("Future covariate", c) for c in futs]},
        index=index)
    _check_has_values(values, target)
    before = len(values)
    if rule is not None:
        values, changed = resample_rows(values, rule, resample_how, notes)
        if changed:
            repairs.append(Repair("resample", changed, notes[-1]))
    else:
        values = aggregate(values, duplicates, notes)
        _record(repairs, notes, "duplicates", before, values)
    _check_not_constant(values[target])
    if trim == "edges":
        values = _trim(values, target, notes, repairs)
    if constant_covariates == "drop":
        covs = _drop_constant_covariates(values, covs, notes, repairs)
        futs = _drop_constant_covariates(values, futs, notes, repairs)
        values = values[[target, *covs, *futs]]
    rows = len(values)
    values, freq = regularise(values, gaps, notes, rule)
    if len(values) > rows:
        repairs.append(Repair("fill_gaps", len(values) - rows, notes[-1]))
    notes.extend(_precision_notes(values[target]))
    missing = _missing_notes(values)
    notes.extend(missing)
    if missing:
        repairs.append(Repair("missing", int(values.isna().to_numpy().sum()),
                              " ".join(missing)))
    if strict and repairs:
        raise DataError(
            "strict=True (--strict): the data needs "
            f"{count(len(repairs), 'repair')}, which lstmcast does not make "
            "in strict mode: " + " | ".join(f"[{r.kind}] {r.detail}" for r in repairs)
            + " Fix the data, or drop --strict to have these repairs made and "
            "recorded in the run's manifest.")
    return SeriesData(values, target, covs, freq, tuple(notes), tuple(repairs),
                      future=futs)


def _names(columns: Sequence[str]) -> tuple[str, ...]:
    """Column names as a tuple (one name given as a string is one column)."""
    return (columns,) if isinstance(columns, str) else tuple(map(str, columns))


def _numbers(column: pd.Series, role: str, label: RowLabel, fmt: NumberFormat,
             notes: list[str], repairs: list[Repair]) -> np.ndarray:
    """The column as floats; stripping currency symbols or percent signs is a
    ``units`` repair, with a note."""
    values, stripped = to_float(column, role, label, fmt)
    if stripped:
        marked = np.flatnonzero(column.map(
            lambda v: isinstance(v, str) and UNITS.search(v) is not None))
        first = int(marked[0])
        what = ", ".join(f"'{s}' from {count(n, 'cell')}"
                         for s, n in stripped.most_common())
        percent = (" Percentages stay in percent (12.5% is 12.5, not 0.125)."
                   if "%" in stripped else "")
        notes.append(f"{role} column '{column.name}': stripped {what}, keeping "
                     f"the numbers as written ({label(first)}: "
                     f"{column.iloc[first].strip()!r} is {values[first]:g})."
                     f"{percent}")
        repairs.append(Repair("units", len(marked), notes[-1]))
    return values


def _record(repairs: list[Repair], notes: list[str], kind: str, before: int,
            after: pd.DataFrame) -> None:
    """A repair of ``kind`` when a step changed the number of rows."""
    if len(after) != before:
        repairs.append(Repair(kind, before - len(after), notes[-1]))


def _sorted(raw: pd.DataFrame, index: pd.Index, label: RowLabel,
            notes: list[str], repairs: list[Repair]
            ) -> tuple[pd.DataFrame, pd.Index, RowLabel]:
    """Rows in time order (stable); row labels still name the original rows."""
    order = np.argsort(np.asarray(index), kind="stable")
    moved = int((order != np.arange(len(order))).sum())
    notes.append(f"{count(moved, 'row')} of '{index.name}' were out of time "
                 "order and were sorted (unsorted='sort').")
    repairs.append(Repair("sort", moved, notes[-1]))
    return (raw.iloc[order].reset_index(drop=True), index[order],
            lambda pos: label(int(order[pos])))


def _trim(values: pd.DataFrame, target: str, notes: list[str],
          repairs: list[Repair]) -> pd.DataFrame:
    """Drop the leading and trailing rows where the target is empty."""
    present = np.flatnonzero(values[target].notna().to_numpy())
    lead, trail = int(present[0]), len(values) - 1 - int(present[-1])
    if lead == 0 and trail == 0:
        return values
    notes.append(f"Dropped {count(lead, 'leading row')} and "
                 f"{count(trail, 'trailing row')} where target '{target}' is "
                 "empty (trim='edges'; --trim none keeps them to be imputed).")
    repairs.append(Repair("trim", lead + trail, notes[-1]))
    return values.iloc[lead: len(values) - trail]


def load_data(source: str | os.PathLike | pd.DataFrame | pd.Series,
              data: DataConfig, constant_covariates: str = "drop") -> SeriesData:
    """:func:`load` with the columns and repair policies of a ``DataConfig``.

    A config naming an ``id`` column describes a panel, which only ``fit``
    reads (:func:`lstmcast.data.panel_loading.load_panel_data`): a DataError
    says so."""
    if data.id is not None:
        raise DataError(
            f"--id {data.id} names the series of a panel, which `lstmcast fit` "
            "(LSTMForecaster.fit(..., id=...)) fits as one global model; this "
            "command reads one series. Select one series first (e.g. the rows "
            f"of one {data.id} value) and drop --id.")
    return load(source, target=data.target, time=data.time,
                covariates=data.covariates, duplicates=data.duplicates,
                gaps=data.gaps, unsorted=data.unsorted, trim=data.trim,
                timezone=data.timezone, strict=data.strict,
                resample=data.resample, resample_how=data.resample_how,
                constant_covariates=constant_covariates, sep=data.sep,
                decimal=data.decimal, thousands=data.thousands,
                future_covariates=data.future_covariates)


SeriesSource = str | os.PathLike | pd.DataFrame | pd.Series | SeriesData
"""What the entry points (fit_evaluate, backtest, diagnose, ...) take as data."""


def as_series(data: SeriesSource, config: DataConfig | None = None) -> SeriesData:
    """What every entry point takes as ``data``: a SeriesData passes through
    unchanged; a path, DataFrame or Series is read by :func:`load_data` with
    ``config``'s columns and repair policies (None: the defaults)."""
    if isinstance(data, SeriesData):
        return data
    return load_data(data, config if config is not None else DataConfig())


# --- 8, 9 and 11: what the values hold -------------------------------------

def _check_has_values(values: pd.DataFrame, target: str) -> None:
    for name in values.columns:
        if values[name].notna().any():
            continue
        role = "Target" if name == target else "Covariate"
        fix = ("choose a column with data as target=NAME (--target NAME)"
               if name == target else "drop it from the covariates")
        raise DataError(f"{role} column '{name}' has no values: all {len(values)} "
                        f"cells are missing. {fix[0].upper()}{fix[1:]}.")


def _check_not_constant(y: pd.Series) -> None:
    finite = y.to_numpy()[np.isfinite(y.to_numpy())]
    if len(finite) == 1:
        empty = len(y) - 1
        raise DataError(
            f"Target column '{y.name}' has a single value ({finite[0]:g})"
            + (f"; its other {count(empty, 'cell')} are empty" if empty else "")
            + ": there is no history to learn from. A fit needs many rows: the "
            "test part alone is 24, and training needs a window of steps "
            "followed by at least 10 more. Add rows (one per time stamp).")
    if len(finite) and np.all(finite == finite[0]):
        raise DataError(
            f"Target column '{y.name}' is constant: every value is {finite[0]:g}. "
            f"Nothing can be learned from it (its forecast is {finite[0]:g}); "
            "choose another column or check the file.")


def _drop_constant_covariates(values: pd.DataFrame, covs: tuple[str, ...],
                              notes: list[str], repairs: list[Repair]
                              ) -> tuple[str, ...]:
    """The covariates without those holding one value in every row: they carry
    no information (and a scale of 0). Each drop is a note, a repair (so
    strict=True refuses it) and a DataWarning."""
    kept = []
    for name in covs:
        column = values[name].to_numpy()
        finite = column[np.isfinite(column)]
        if len(finite) and np.all(finite == finite[0]):
            notes.append(f"Covariate '{name}' is constant (every value is "
                         f"{finite[0]:g}), so it carries no information: it was "
                         "dropped from the covariates. Leave it out of "
                         "--covariates, or check the column.")
            repairs.append(Repair("constant_covariate", 1, notes[-1]))
            warnings.warn(notes[-1], DataWarning, stacklevel=3)
        else:
            kept.append(name)
    return tuple(kept)


PRECISION_RATIO = 1e7  # float32 keeps about 7 significant digits


def _precision_notes(y: pd.Series) -> list[str]:
    """A note when the target's range is over ~1e7 of its typical step: its
    steps are then near float32's resolution (lstmcast scales in float64, but
    the network computes in float32)."""
    values = y.to_numpy(dtype=np.float64)
    values = values[np.isfinite(values)]
    with np.errstate(over="ignore", invalid="ignore"):  # 1e308 - -1e308 is inf
        steps = np.abs(np.diff(values))
        steps = steps[steps > 0]
        if len(steps) == 0:
            return []
        spread, step = float(values.max() - values.min()), float(np.median(steps))
    if not spread > PRECISION_RATIO * step:
        return []
    note = (f"Target '{y.name}' spans {spread:.4g} but typically moves by "
            f"{step:.4g} per step (ratio {spread / step:.2g} > 1e7): the network "
            "trains in float32 (about 7 significant digits), so these steps may "
            "be lost in rounding, although lstmcast scales the data in float64 "
            "and centres it first. Train on the changes (--difference 1: the "
            "default --target-mode delta predicts changes, but its inputs are "
            "still levels).")
    warnings.warn(note, DataWarning, stacklevel=3)
    return [note]


def _missing_notes(values: pd.DataFrame) -> list[str]:
    notes = []
    for name in values.columns:
        mask = values[name].isna().to_numpy()
        if mask.any():
            notes.append(f"Column '{name}' has "
                         f"{count(int(mask.sum()), 'missing value')} (longest "
                         f"run {count(_longest_run(mask), 'row')}); they are "
                         "imputed before training.")
    return notes


def _longest_run(mask: np.ndarray) -> int:
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())
