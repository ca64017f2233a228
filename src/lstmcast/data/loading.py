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

import difflib
import hashlib
import importlib.util
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from lstmcast.core.checks import check_choice, check_int
from lstmcast.core.config import DataConfig
from lstmcast.core.errors import DataError, DataWarning
from lstmcast.data import timeparse as tp

DUPLICATE_POLICIES = ("error", "mean", "sum", "first", "last")
GAP_POLICIES = ("report", "fill", "error")
UNSORTED_POLICIES = ("error", "sort")
TRIM_POLICIES = ("edges", "none")
RESAMPLE_HOWS = ("mean", "sum", "last")
CSV_SUFFIXES = (".csv", ".csv.gz", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
_MISSING_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "none", "<na>"})
_LOCALE_NUMBER = re.compile(r"^[+-]?\d{1,3}([.,' ]\d{3})+([.,]\d+)?$|^[+-]?\d+,\d+$")


@dataclass(frozen=True)
class Repair:
    """One change :func:`load` made to the data: what, how many, and why.

    ``kind`` is one of ``timezone``, ``sort``, ``duplicates``, ``resample``,
    ``trim``, ``constant_covariate`` (a covariate with one value, dropped),
    ``fill_gaps`` or ``missing`` (values left for the imputer). Every repair is
    also a note, and is recorded in the manifest of a saved model;
    ``strict=True`` (``--strict``) turns any repair into a ``DataError``.
    """

    kind: str
    count: int
    detail: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, eq=False)
class SeriesData:
    """A checked series: the target and its covariates on one time index.

    Attributes
    ----------
    frame : pd.DataFrame
        Index: a sorted, unique DatetimeIndex named after the time column (or
        ``"time"``), or an integer index (named after the time column, or
        ``"step"``). Columns exactly ``[target, *covariates]``, float64, NaN
        where a value is missing.
    target : str
        The column to forecast.
    covariates : tuple of str
        Related series used as inputs.
    freq : str or None
        Pandas offset alias (``"MS"``, ``"W-SAT"``, ``"30min"``, ``"B"``, ...);
        None for integer steps and irregular time stamps.
    notes : tuple of str
        Repairs made and warnings, for the user to read.
    repairs : tuple of Repair
        The changes made to the data, counted (also among the notes).
    """

    frame: pd.DataFrame
    target: str
    covariates: tuple[str, ...]
    freq: str | None
    notes: tuple[str, ...] = ()
    repairs: tuple[Repair, ...] = ()

    def __post_init__(self) -> None:
        expected = [self.target, *self.covariates]
        if list(self.frame.columns) != expected:
            raise DataError(f"SeriesData columns must be {expected}. "
                            f"Got {list(self.frame.columns)} instead.")

    @property
    def y(self) -> np.ndarray:
        """Target values, shape (n,), float64 (a view where pandas allows)."""
        return self.frame[self.target].to_numpy(dtype=np.float64)

    @property
    def X(self) -> np.ndarray:
        """Covariate values, shape (n, len(covariates)), float64."""
        values = self.frame[list(self.covariates)].to_numpy(dtype=np.float64)
        return values.reshape(len(self.frame), len(self.covariates))

    @property
    def index(self) -> pd.Index:
        """The time stamps (DatetimeIndex) or integer steps."""
        return self.frame.index

    def __len__(self) -> int:
        return len(self.frame)

    def head(self, n: int) -> SeriesData:
        """The first ``n`` rows, with the same target, covariates, freq and notes."""
        return replace(self, frame=self.frame.iloc[:n])

    def future_index(self, horizon: int) -> pd.Index:
        """The ``horizon`` time stamps (or steps) after the last one.

        Dates continue on ``freq``; integer steps continue by their usual step
        (1 for 0, 1, 2, ...). Irregular dates (``freq`` None) cannot be
        continued, which is a ``DataError`` naming the fix.
        """
        check_int("horizon", horizon, 1)
        index = self.frame.index
        if len(index) == 0:
            raise DataError("The series is empty: there is no last time stamp.")
        if not isinstance(index, pd.DatetimeIndex):
            step = tp.integer_step(index)
            return pd.Index(index[-1] + step * np.arange(1, horizon + 1),
                            name=index.name, dtype=np.int64)
        if self.freq is None:
            raise DataError(
                f"The time stamps of '{index.name}' have no regular frequency, so "
                "no future stamps can be made. Resample the data to a regular "
                "frequency first (e.g. df.resample('D').mean()); gaps='fill' "
                "(--gaps fill) only fills stamps missing from a regular grid.")
        dates = pd.date_range(index[-1], periods=horizon + 1, freq=self.freq,
                              unit=index.unit, name=index.name)
        return dates[dates > index[-1]][:horizon]

    def fingerprint(self) -> str:
        """SHA-256 of the stamps, the values, the column names and the frequency:
        equal for the same data however it was read."""
        index = self.frame.index
        stamps = index.asi8 if isinstance(index, pd.DatetimeIndex) else \
            index.to_numpy(dtype=np.int64)
        digest = hashlib.sha256(repr((self.target, self.covariates, self.freq,
                                      str(index.dtype), index.name)).encode())
        digest.update(np.ascontiguousarray(stamps).tobytes())
        digest.update(np.ascontiguousarray(
            self.frame.to_numpy(dtype=np.float64)).tobytes())
        return digest.hexdigest()

    def times_float(self) -> np.ndarray:
        """The index as float seconds since 1970 (dates) or as the steps."""
        index = self.frame.index
        if isinstance(index, pd.DatetimeIndex):
            return tp.seconds(index)
        return index.to_numpy(dtype=np.float64)


def load(source: str | os.PathLike | pd.DataFrame | pd.Series, *,
         target: str | None = None, time: str | None = None,
         covariates: Sequence[str] = (), duplicates: str = "error",
         gaps: str = "report", unsorted: str = "error", trim: str = "edges",
         timezone: str | None = None, strict: bool = False,
         constant_covariates: str = "drop", resample: str | None = None,
         resample_how: str = "mean") -> SeriesData:
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
    rule = tp.resample_rule(resample)
    covs = (covariates,) if isinstance(covariates, str) else tuple(map(str, covariates))
    raw, label, where = _read(source, target)
    notes: list[str] = []
    repairs: list[Repair] = []
    target, time = _resolve_columns(raw, target, time, covs, where, notes)
    index = tp.time_index(raw, time, label, notes)
    utc = [n for n in notes if n.startswith(tp.UTC_NOTE.format(time))]
    if utc:
        repairs.append(Repair("timezone", len(index), utc[0]))
    if timezone is not None:
        index = tp.localize(index, timezone, label, notes)
        repairs.append(Repair("timezone", len(index), notes[-1]))
    if unsorted == "sort" and not index.is_monotonic_increasing:
        raw, index, label = _sorted(raw, index, label, notes, repairs)
    tp.check_sorted(index, label)
    if rule is None:
        tp.check_duplicates(index, duplicates, label)
    values = pd.DataFrame(
        {name: _to_float(raw[name], role, label)
         for role, name in [("Target", target)] + [("Covariate", c) for c in covs]},
        index=index)
    _check_has_values(values, target)
    before = len(values)
    if rule is not None:
        values, changed = tp.resample(values, rule, resample_how, notes)
        if changed:
            repairs.append(Repair("resample", changed, notes[-1]))
    else:
        values = tp.aggregate(values, duplicates, notes)
        _record(repairs, notes, "duplicates", before, values)
    _check_not_constant(values[target])
    if trim == "edges":
        values = _trim(values, target, notes, repairs)
    if constant_covariates == "drop":
        covs = _drop_constant_covariates(values, covs, notes, repairs)
        values = values[[target, *covs]]
    rows = len(values)
    values, freq = tp.regularise(values, gaps, notes, rule)
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
            f"{tp.count(len(repairs), 'repair')}, which lstmcast does not make "
            "in strict mode: " + " | ".join(f"[{r.kind}] {r.detail}" for r in repairs)
            + " Fix the data, or drop --strict to have these repairs made and "
            "recorded in the run's manifest.")
    return SeriesData(values, target, covs, freq, tuple(notes), tuple(repairs))


def _record(repairs: list[Repair], notes: list[str], kind: str, before: int,
            after: pd.DataFrame) -> None:
    """A repair of ``kind`` when a step changed the number of rows."""
    if len(after) != before:
        repairs.append(Repair(kind, before - len(after), notes[-1]))


def _sorted(raw: pd.DataFrame, index: pd.Index, label: tp.RowLabel,
            notes: list[str], repairs: list[Repair]
            ) -> tuple[pd.DataFrame, pd.Index, tp.RowLabel]:
    """Rows in time order (stable); row labels still name the original rows."""
    order = np.argsort(np.asarray(index), kind="stable")
    moved = int((order != np.arange(len(order))).sum())
    notes.append(f"{tp.count(moved, 'row')} of '{index.name}' were out of time "
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
    notes.append(f"Dropped {tp.count(lead, 'leading row')} and "
                 f"{tp.count(trail, 'trailing row')} where target '{target}' is "
                 "empty (trim='edges'; --trim none keeps them to be imputed).")
    repairs.append(Repair("trim", lead + trail, notes[-1]))
    return values.iloc[lead: len(values) - trail]


def load_data(source: str | os.PathLike | pd.DataFrame | pd.Series,
              data: DataConfig) -> SeriesData:
    """:func:`load` with the columns and repair policies of a ``DataConfig``."""
    return load(source, target=data.target, time=data.time,
                covariates=data.covariates, duplicates=data.duplicates,
                gaps=data.gaps, unsorted=data.unsorted, trim=data.trim,
                timezone=data.timezone, strict=data.strict,
                resample=data.resample, resample_how=data.resample_how)


SeriesSource = str | os.PathLike | pd.DataFrame | pd.Series | SeriesData
"""What the entry points (fit_evaluate, backtest, diagnose, ...) take as data."""


def as_series(data: SeriesSource, config: DataConfig | None = None) -> SeriesData:
    """What every entry point takes as ``data``: a SeriesData passes through
    unchanged; a path, DataFrame or Series is read by :func:`load_data` with
    ``config``'s columns and repair policies (None: the defaults)."""
    if isinstance(data, SeriesData):
        return data
    return load_data(data, config if config is not None else DataConfig())


# --- 1. reading -------------------------------------------------------------

def _line(pos: int) -> str:
    return f"line {pos + 2}"


def _row(pos: int) -> str:
    return f"row {pos}"


def _read(source: object, target: str | None) -> tuple[pd.DataFrame, tp.RowLabel, str]:
    """The raw table, how to name its rows, and how to name the source."""
    if isinstance(source, pd.Series):
        name = target or (str(source.name) if source.name is not None else "value")
        return _from_frame(source.rename(name).to_frame()), _row, "the Series"
    if isinstance(source, pd.DataFrame):
        return _from_frame(source), _row, "the DataFrame"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        frame, is_csv = _read_path(path)
        return frame, (_line if is_csv else _row), f"file {path}"
    raise DataError(f"Cannot load a {type(source).__name__}: pass a file path, a "
                    "pandas DataFrame or a pandas Series.")


def _read_path(path: Path) -> tuple[pd.DataFrame, bool]:
    """Read a CSV or Parquet file; the flag says whether it was CSV."""
    if not path.exists():
        siblings = os.listdir(path.parent) if path.parent.is_dir() else []
        close = difflib.get_close_matches(path.name, siblings, n=1)
        hint = f" Did you mean {path.parent / close[0]}?" if close else ""
        raise DataError(f"File {path} does not exist.{hint}")
    if path.is_dir():
        raise DataError(f"{path} is a folder; pass the data file inside it.")
    name = path.name.lower()
    if name.endswith(CSV_SUFFIXES):
        return _read_csv(path), True
    if name.endswith(PARQUET_SUFFIXES):
        return _from_frame(_read_parquet(path)), False
    raise DataError(
        f"Unknown file type of {path}: lstmcast reads {', '.join(CSV_SUFFIXES)}, "
        f"{', '.join(PARQUET_SUFFIXES)}. Rename the file if it is one of these, "
        "or read it with pandas and pass the DataFrame.")


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        frame, sep = pd.read_csv(path, skipinitialspace=True), ","
        if frame.shape[1] == 1:  # perhaps separated by something else
            sep = _separator(str(frame.columns[0]),
                             str(frame.iloc[0, 0]) if len(frame) else "") or ","
            frame = pd.read_csv(path, sep=sep, skipinitialspace=True) if sep != "," \
                else frame
        _check_header(path, sep)
    except pd.errors.EmptyDataError:
        raise DataError(f"File {path} is empty. Write a header line (e.g. "
                        "'date,value') and one row per time stamp.") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"File {path} is not UTF-8 text ({exc}). Save it as a "
                        "UTF-8 CSV file.") from None
    except (pd.errors.ParserError, OSError, EOFError, ValueError) as exc:
        raise DataError(f"Cannot read {path} as CSV: {exc}. Check that it is "
                        "comma-separated text with one header line.") from None
    if frame.empty:
        raise DataError(f"File {path} has a header ({', '.join(map(str, frame))}) "
                        "but no data rows. Add one row per time stamp.")
    return _from_frame(frame)


def _check_header(path: Path, sep: str) -> None:
    """Refuse a header naming a column twice (pandas would rename the second
    one 'name.1' without a word)."""
    header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str,
                         skipinitialspace=True, keep_default_na=False).iloc[0]
    names = [str(v).strip() for v in header]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        where = "; ".join(
            f"'{n}' in columns " + ", ".join(str(i + 1) for i, m in enumerate(names)
                                             if m == n) for n in repeated)
        raise DataError(f"The header of {path} names a column more than once: "
                        f"{where} (counting from 1). Rename one of each in the "
                        "header line so that every column has its own name.")


def _separator(header: str, first_row: str) -> str | None:
    """';', tab or '|' when the header holds one; whitespace when it splits
    the header and the first row alike."""
    sep = next((s for s in (";", "\t", "|") if s in header), None)
    fields = len(header.split())
    if sep is None and fields > 1 and fields == len(first_row.split()):
        sep = r"\s+"
    return sep


def _read_parquet(path: Path) -> pd.DataFrame:
    hint = "Reading Parquet needs pyarrow: pip install 'lstmcast[parquet]'."
    if importlib.util.find_spec("pyarrow") is None:
        raise DataError(f"Cannot read {path}. {hint}")
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise DataError(f"Cannot read {path}. {hint}") from None
    except Exception as exc:  # pyarrow's own errors have no common pandas base
        raise DataError(f"Cannot read {path} as Parquet: {exc}. Check that the "
                        "file is complete, or save it again.") from None


def _from_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Columns as unique strings; a date or named index becomes a column."""
    if isinstance(frame.columns, pd.MultiIndex) or isinstance(frame.index,
                                                              pd.MultiIndex):
        raise DataError("Multi-level columns or index are not supported: flatten "
                        "them first (e.g. df.reset_index()).")
    frame = frame.copy()
    frame.columns = [str(c) for c in frame.columns]
    repeated = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if repeated:
        raise DataError(f"Column names appear more than once: {tp.show(repeated)}. "
                        "Give every column its own name.")
    index = frame.index
    if isinstance(index, pd.DatetimeIndex | pd.PeriodIndex) or index.name is not None:
        name = str(index.name) if index.name is not None else "time"
        if name in frame.columns:
            raise DataError(f"The index '{name}' has the name of a column. Rename "
                            "one of them.")
        frame.insert(0, name, index.to_timestamp() if isinstance(
            index, pd.PeriodIndex) else index)
    frame = frame.reset_index(drop=True)
    if frame.empty:
        raise DataError(f"The data has no rows (columns: {tp.show(frame.columns)}).")
    return frame


# --- 2. columns -------------------------------------------------------------

def _resolve_columns(frame: pd.DataFrame, target: str | None, time: str | None,
                     covs: tuple[str, ...], where: str,
                     notes: list[str]) -> tuple[str, str | None]:
    """Check the named columns exist, then detect the time and the target."""
    columns = list(frame.columns)
    named = [("Target", target), ("Time", time)] + [("Covariate", c) for c in covs]
    for role, name in named:
        if name is not None and name not in columns:
            raise _missing_column(role, name, columns, where)
    _check_distinct(target, time, covs)
    if time is None:
        time = tp.detect_time_column(frame, {c for c in (target, *covs) if c})
    if target is None:
        target = _guess_target(frame, {time, *covs}, where)
    first = columns[0]
    if time is None and first not in (target, *covs) and tp.is_integer_steps(
            frame[first]):
        time = first
        notes.append(f"Column '{first}' holds increasing whole numbers and is "
                     "used as the time steps.")
    return target, time


def _missing_column(role: str, name: str, columns: list[str], where: str) -> DataError:
    lower = {c.lower(): c for c in columns}
    close = difflib.get_close_matches(name.lower(), list(lower), n=1, cutoff=0.6)
    hint = f" Did you mean '{lower[close[0]]}'?" if close else ""
    return DataError(f"{role} column '{name}' is not in {where}. Available "
                     f"columns: {tp.show(columns, 20)}.{hint}")


def _check_distinct(target: str | None, time: str | None,
                    covs: tuple[str, ...]) -> None:
    if target is not None and target in covs:
        raise DataError(f"Column '{target}' is both the target and a covariate. "
                        "Drop it from the covariates.")
    if time is not None and time in (target, *covs):
        raise DataError(f"Column '{time}' cannot be the time column and also the "
                        "target or a covariate. Choose another time=NAME.")
    repeated = sorted({c for c in covs if covs.count(c) > 1})
    if repeated:
        raise DataError(f"Covariates named more than once: {tp.show(repeated)}.")


def _guess_target(frame: pd.DataFrame, exclude: set[str | None], where: str) -> str:
    """The only column left, else the only numeric one; else say which could be."""
    columns = list(frame.columns)
    candidates = [c for c in columns if c not in exclude]
    if len(candidates) > 1 and candidates[0] == columns[0] and tp.is_integer_steps(
            frame[columns[0]]):
        candidates = candidates[1:]  # a leading 0, 1, 2, ... column is the steps
    if len(candidates) == 1:
        return candidates[0]
    numeric = [c for c in candidates if ptypes.is_numeric_dtype(frame[c])
               and not ptypes.is_bool_dtype(frame[c])]
    if len(numeric) == 1:
        return numeric[0]
    if not numeric:
        raise DataError(f"No numeric column to forecast in {where} (columns: "
                        f"{tp.show(columns, 20)}). Pass target=NAME (--target NAME).")
    raise DataError(
        f"Several numeric columns in {where} could be the target: "
        f"{tp.show(numeric, 20)}. Choose one with target=NAME (--target NAME); "
        "others can be inputs with covariates=[...] (--covariates a,b).")


# --- 6-9. values ----------------------------------------------------------------

def _to_float(column: pd.Series, role: str, label: tp.RowLabel) -> np.ndarray:
    """The column as float64; text, dates and infinities are errors."""
    name = str(column.name)
    if ptypes.is_datetime64_any_dtype(column) or ptypes.is_timedelta64_dtype(column):
        raise DataError(f"{role} column '{name}' holds dates or durations, not "
                        "numbers. Choose a numeric column.")
    if ptypes.is_numeric_dtype(column) and not ptypes.is_complex_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values = _text_to_float(column, role, label)
    inf = np.flatnonzero(np.isinf(values))
    if len(inf):
        raise DataError(
            f"{role} column '{name}' has infinite values at "
            f"{tp.show_cells(inf, values[inf], label)}. Replace them with real "
            "numbers, or leave those cells empty to have them imputed.")
    return values


def _text_to_float(column: pd.Series, role: str, label: tp.RowLabel) -> np.ndarray:
    """Numbers written as text; cells that are not numbers are listed."""
    name, raw = str(column.name), column.astype(object)
    numbers = np.array([_number(v) for v in raw], dtype=np.float64)
    missing = raw.map(_is_missing)
    bad = np.flatnonzero(np.isnan(numbers) & ~missing.to_numpy(dtype=bool))
    if len(bad) == 0:
        return numbers
    cells = raw.iloc[bad]
    what = ("holds text, not numbers" if len(bad) == int((~missing).sum())
            else "has cells that are not numbers")
    hint = ""
    if any(isinstance(v, str) and _LOCALE_NUMBER.match(v.strip()) for v in cells):
        hint = (" Thousands separators and decimal commas (like '1,234' or '3,5') "
                "are not guessed: write numbers like 1234.5, or read the file with "
                "pandas.read_csv(..., thousands=',', decimal='.') (or decimal=',') "
                "and pass the DataFrame.")
    raise DataError(
        f"{role} column '{name}' {what}: {tp.show_cells(bad, cells, label)}."
        f"{hint} Fix those cells, or leave them empty "
        "(empty cells are missing values and get imputed).")


def _is_missing(value: object) -> bool:
    """An empty cell: None, NaN, NA, or text such as '' or 'NaN'."""
    if isinstance(value, str):
        return value.strip().lower() in _MISSING_TOKENS
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # list-like cells
        return False


def _number(value: object) -> float:
    """A cell as a float, NaN when it is not a number."""
    if isinstance(value, str):
        value = value.strip()
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return np.nan


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
                         f"{tp.count(int(mask.sum()), 'missing value')} (longest "
                         f"run {tp.count(_longest_run(mask), 'row')}); they are "
                         "imputed before training.")
    return notes


def _longest_run(mask: np.ndarray) -> int:
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())


# --- checks of arguments --------------------------------------------------------
