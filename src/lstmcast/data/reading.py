"""Reading the raw table of a series: CSV or Parquet files, DataFrames, Series.

Check 1 of :func:`lstmcast.data.loading.load`: :func:`read` turns any source
into a frame with unique string column names (a date or named index becomes a
column), and says how to name its rows in messages (file lines for CSV,
0-based positions otherwise). CSV separators other than commas are detected
(or given: ``sep``); a header naming a column twice is refused, and so are
lines and headers beyond the bounds of :mod:`lstmcast.data.limits`. A CSV
whose numbers have a decimal comma or a thousands separator (a
:class:`~lstmcast.data.numbers.NumberFormat` other than the plain one) is read
as text, so that pandas reads no '1.234' as 1.234, and its columns of numbers
written that way become numbers.
"""

from __future__ import annotations

import difflib
import importlib.util
import os
from pathlib import Path

import numpy as np
import pandas as pd

from lstmcast.core.errors import DataError
from lstmcast.data.limits import check_csv_bounds, header_names, repeated_names
from lstmcast.data.messages import RowLabel, show
from lstmcast.data.numbers import NumberFormat, parse_numbers

CSV_SUFFIXES = (".csv", ".csv.gz", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
#: Words accepted for a CSV separator (a shell makes '\t' two characters).
SEP_WORDS = {"tab": "\t", "\\t": "\t", "space": " ", "semicolon": ";",
             "comma": ",", "pipe": "|"}


def separator(sep: str | None) -> str | None:
    """The CSV separator given (a character, or a word such as 'tab'); None:
    detect it."""
    if sep is None:
        return None
    sep = SEP_WORDS.get(sep.strip().lower(), sep)
    if len(sep) != 1 or sep.isalnum() or sep in "\"'.":
        raise DataError(f"The separator (sep, --sep) must be one character that "
                        f"is not a letter, digit, quote or '.', or one of the "
                        f"words {', '.join(SEP_WORDS)}. Got {sep!r}; e.g. --sep "
                        "';' or --sep tab.")
    return sep


def _line(pos: int) -> str:
    return f"line {pos + 2}"


def _row(pos: int) -> str:
    return f"row {pos}"


def read(source: object, target: str | None, sep: str | None = None,
         fmt: NumberFormat | None = None) -> tuple[pd.DataFrame, RowLabel, str]:
    """The raw table, how to name its rows, and how to name the source
    ('the DataFrame', 'file data.csv') in messages. ``sep`` (None: detected)
    and ``fmt`` apply to CSV files only; text cells of other sources are read
    with ``fmt`` later (:func:`~lstmcast.data.numbers.to_float`)."""
    if isinstance(source, pd.Series):
        name = target or (str(source.name) if source.name is not None else "value")
        return _from_frame(source.rename(name).to_frame()), _row, "the Series"
    if isinstance(source, pd.DataFrame):
        return _from_frame(source), _row, "the DataFrame"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        frame, is_csv = _read_path(path, sep, fmt or NumberFormat())
        return frame, (_line if is_csv else _row), f"file {path}"
    raise DataError(f"Cannot load a {type(source).__name__}: pass a file path, a "
                    "pandas DataFrame or a pandas Series.")


def _read_path(path: Path, sep: str | None, fmt: NumberFormat
               ) -> tuple[pd.DataFrame, bool]:
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
        return _read_csv(path, sep, fmt), True
    if name.endswith(PARQUET_SUFFIXES):
        return _from_frame(_read_parquet(path)), False
    raise DataError(
        f"Unknown file type of {path}: lstmcast reads {', '.join(CSV_SUFFIXES)}, "
        f"{', '.join(PARQUET_SUFFIXES)}. Rename the file if it is one of these, "
        "or read it with pandas and pass the DataFrame.")


def _read_csv(path: Path, sep: str | None, fmt: NumberFormat) -> pd.DataFrame:
    exact = {"skipinitialspace": True,  # numbers read back exactly as written
             "float_precision": "round_trip",  # (pandas < 3.1 may round the last bit)
             "dtype": None if fmt.plain else str}  # see the module's docstring
    try:
        check_csv_bounds(path)
        if sep is None:
            frame, sep = pd.read_csv(path, **exact), ","
            if frame.shape[1] == 1:  # perhaps separated by something else
                sep = _separator(str(frame.columns[0]),
                                 str(frame.iloc[0, 0]) if len(frame) else "") or ","
                frame = pd.read_csv(path, sep=sep, **exact) if sep != "," else frame
        else:
            frame = pd.read_csv(path, sep=sep, **exact)
        _check_header(path, sep)
    except pd.errors.EmptyDataError:
        raise DataError(f"File {path} is empty. Write a header line (e.g. "
                        "'date,value') and one row per time stamp.") from None
    except UnicodeDecodeError as exc:
        raise DataError(f"File {path} is not UTF-8 text ({exc}). Save it as a "
                        "UTF-8 CSV file.") from None
    except (pd.errors.ParserError, OSError, EOFError, ValueError) as exc:
        raise DataError(f"Cannot read {path} as CSV with the separator {sep!r}: "
                        f"{exc}. Check that it is text with one header line, "
                        "separated by one character (give it with --sep, e.g. "
                        "--sep ';').") from None
    if frame.empty:
        raise DataError(f"File {path} has a header ({', '.join(map(str, frame))}) "
                        "but no data rows. Add one row per time stamp.")
    return _from_frame(frame if fmt.plain else _numbers_as_numbers(frame, fmt))


def _numbers_as_numbers(frame: pd.DataFrame, fmt: NumberFormat) -> pd.DataFrame:
    """The columns of a CSV read as text whose every cell is a number written
    in ``fmt`` (no currency symbols: those are left to loading, which records
    their stripping) as numbers: whole ones as integers, as pandas would."""
    out = frame.copy()
    for name in frame.columns:
        column = frame[name]
        values, stripped = parse_numbers(column, fmt)
        present = column.notna().to_numpy()
        if stripped or not present.any() or not np.isfinite(values[present]).all():
            continue
        whole = present.all() and not column.str.contains(
            fmt.decimal, regex=False).any() and bool(np.all(
                (values == np.round(values)) & (np.abs(values) < 2**53)))
        out[name] = values.astype(np.int64) if whole else values
    return out


def _check_header(path: Path, sep: str) -> None:
    """Refuse a header naming a column twice (pandas would rename the second
    one 'name.1' without a word)."""
    positions = repeated_names(header_names(path, sep))
    if positions:
        where = "; ".join(f"'{n}' in columns {', '.join(map(str, at[:10]))}"
                          for n, at in list(positions.items())[:5])
        if len(positions) > 5:
            where += f"; ... ({len(positions)} names in all)"
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
    repeated = sorted(repeated_names(frame.columns))
    if repeated:
        raise DataError(f"Column names appear more than once: {show(repeated)}. "
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
        raise DataError(f"The data has no rows (columns: {show(frame.columns)}).")
    return frame
