"""Cells as numbers (checks 6 and 7 of loading): float64, NaN where empty.

:func:`to_float` turns a value column into float64 for
:func:`lstmcast.data.loading.load`: numbers written as text are read, empty
cells ('', 'NaN', 'null', ...) become NaN, and text, dates or infinities are a
``DataError`` listing the cells (with a hint for thousands separators and
decimal commas, which are never guessed).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from lstmcast.core.errors import DataError
from lstmcast.data.messages import RowLabel, show_cells

_MISSING_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "none", "<na>"})
_LOCALE_NUMBER = re.compile(r"^[+-]?\d{1,3}([.,' ]\d{3})+([.,]\d+)?$|^[+-]?\d+,\d+$")


def to_float(column: pd.Series, role: str, label: RowLabel) -> np.ndarray:
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
            f"{show_cells(inf, values[inf], label)}. Replace them with real "
            "numbers, or leave those cells empty to have them imputed.")
    return values


def _text_to_float(column: pd.Series, role: str, label: RowLabel) -> np.ndarray:
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
        f"{role} column '{name}' {what}: {show_cells(bad, cells, label)}."
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
