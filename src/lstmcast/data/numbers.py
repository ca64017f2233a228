"""Cells as numbers (checks 6 and 7 of loading): float64, NaN where empty.

:func:`to_float` turns a value column into float64 for
:func:`lstmcast.data.loading.load`: numbers written as text are read, empty
cells ('', 'NaN', 'null', ...) become NaN, and text, dates or infinities are a
``DataError`` listing the cells, and so are values beyond ±1e150 (their
squares overflow float64). A :class:`NumberFormat` says how the numbers
are written: the decimal mark and the thousands separator (``decimal``,
``thousands``; never guessed, but the error for cells like '1.234,5' names
the settings that read them). Currency symbols ($, €, £, ...) and percent
signs are stripped from text cells, the number kept as written ('12.5%' is
12.5), and counted so that loading records the repair.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api import types as ptypes

from lstmcast.core.errors import DataError
from lstmcast.data.messages import RowLabel, show_cells

_MISSING_TOKENS = frozenset({"", "nan", "na", "n/a", "null", "none", "<na>"})
#: Currency symbols stripped from cells: the common ones and the Unicode block.
CURRENCY = "$¢£¤¥฿" + "".join(chr(c) for c in range(0x20A0, 0x20C1))
#: A currency symbol or a percent sign.
UNITS = re.compile(f"[{re.escape(CURRENCY)}%]")
_SPACES = " \u00a0\u202f"  # a space, a no-break space, a narrow no-break space
#: Values beyond this are refused: their squares (about 1e300) overflow float64
#: once summed over many rows.
MAX_MAGNITUDE = 1e150
#: Words accepted for a thousands separator that is a space.
SPACE_WORDS = ("space", "' '")


@dataclass(frozen=True)
class NumberFormat:
    """How numbers are written in text cells: ``decimal`` mark ('.' or ','),
    ``thousands`` separator (None: no grouping; ' ' also matches no-break
    spaces)."""

    decimal: str = "."
    thousands: str | None = None

    def __post_init__(self) -> None:
        for name, mark in (("decimal", self.decimal), ("thousands", self.thousands)):
            if mark is not None and (len(mark) != 1 or mark.isalnum()
                                     or mark in "+-"):
                raise DataError(
                    f"The {name} setting (--{name}) must be one character that "
                    f"is not a digit, letter or sign, e.g. {_EXAMPLES[name]}. "
                    f"Got {mark!r} instead.")
        if self.thousands == self.decimal:
            raise DataError(
                f"decimal and thousands (--decimal, --thousands) are both "
                f"{self.decimal!r}: a number like 1{self.decimal}234 would mean "
                "two things. Give each its own mark, e.g. --decimal , "
                "--thousands . (or --thousands space).")

    @property
    def plain(self) -> bool:
        """The default: a decimal point and no thousands separator."""
        return self.decimal == "." and self.thousands is None

    def pattern(self) -> str:
        """A regular expression matching one number written this way."""
        dec = re.escape(self.decimal)
        whole = r"\d+"
        if self.thousands is not None:
            whole = rf"(?:\d{{1,3}}(?:{self._grouping()}\d{{3}})+|\d+)"
        return rf"[+-]?(?:{whole}(?:{dec}\d*)?|{dec}\d+)(?:[eE][+-]?\d+)?"

    def to_plain(self, words: pd.Series) -> pd.Series:
        """Numbers written this way (matching :meth:`pattern`) as plain text
        Python reads: without the thousands separator, with a decimal point."""
        if self.thousands is not None:
            words = words.str.replace(self._grouping(), "", regex=True)
        return words.str.replace(self.decimal, ".", regex=False)

    def _grouping(self) -> str:
        """The thousands separator as a regular expression."""
        if self.thousands == " ":
            return f"[{_SPACES}]"
        return re.escape(self.thousands or "")


_EXAMPLES = {"decimal": "'.' or ','", "thousands": "',', '.', \"'\" or space"}


def number_format(decimal: str = ".", thousands: str | None = None) -> NumberFormat:
    """The format of ``decimal`` and ``thousands`` as given (``thousands``
    may be the word 'space'), checked."""
    if thousands is not None and thousands.strip().lower() in SPACE_WORDS:
        thousands = " "
    return NumberFormat(decimal, thousands)


def to_float(column: pd.Series, role: str, label: RowLabel,
             fmt: NumberFormat | None = None) -> tuple[np.ndarray, Counter[str]]:
    """The column as float64 and the currency symbols and percent signs
    stripped from it ({symbol: cells}); text, dates and infinities are errors."""
    name = str(column.name)
    stripped: Counter[str] = Counter()
    if ptypes.is_datetime64_any_dtype(column) or ptypes.is_timedelta64_dtype(column):
        raise DataError(f"{role} column '{name}' holds dates or durations, not "
                        "numbers. Choose a numeric column.")
    if ptypes.is_numeric_dtype(column) and not ptypes.is_complex_dtype(column):
        values = column.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        values, stripped = _text_to_float(column, role, label, fmt or NumberFormat())
    inf = np.flatnonzero(np.isinf(values))
    if len(inf):
        raise DataError(
            f"{role} column '{name}' has infinite values at "
            f"{show_cells(inf, values[inf], label)}. Replace them with real "
            "numbers, or leave those cells empty to have them imputed.")
    _check_magnitude(values, role, name, label)
    return values, stripped


def _check_magnitude(values: np.ndarray, role: str, name: str,
                     label: RowLabel) -> None:
    """Refuse values whose squares overflow float64: variances, squared errors
    and statistical tests would turn them into inf or NaN."""
    with np.errstate(invalid="ignore"):
        huge = np.flatnonzero(np.abs(values) > MAX_MAGNITUDE)
    if len(huge) == 0:
        return
    exponent = int(np.floor(np.log10(np.nanmax(np.abs(values))))) - 3
    raise DataError(
        f"{role} column '{name}' has values too large to compute with (beyond "
        f"±1e{int(np.log10(MAX_MAGNITUDE))}): "
        f"{show_cells(huge, values[huge], label)}. "
        "Variances, squared errors and the statistical tests square them, and "
        "squares that large overflow 64-bit floats (largest 1.8e308). Rescale "
        f"the column, e.g. divide it by 1e{exponent} (write it in units of "
        f"1e{exponent}), and load again.")


def parse_numbers(cells: pd.Series, fmt: NumberFormat
                  ) -> tuple[np.ndarray, Counter[str]]:
    """Text cells as float64 (NaN where a cell is not a number written in
    ``fmt``), and the currency symbols and percent signs stripped ({symbol:
    cells}); other cells (numbers pandas already read) as they are."""
    raw = list(cells.astype(object))
    is_text = np.array([isinstance(v, str) for v in raw], dtype=bool)
    text = [v.strip() for v in raw if isinstance(v, str)]
    stripped = Counter(s for v in text for s in set(UNITS.findall(v)))
    words = pd.Series([re.sub(r"^([+-])\s+", r"\1", UNITS.sub("", v).strip())
                       for v in text], dtype=object)
    values = np.array([np.nan if isinstance(v, str) else _number(v) for v in raw],
                      dtype=np.float64)
    if fmt.plain:
        values[is_text] = [_number(v) for v in words]
    elif len(words):
        ok = words.str.fullmatch(fmt.pattern()).to_numpy(dtype=bool)
        read = np.full(len(words), np.nan)
        read[ok] = fmt.to_plain(words[ok]).astype(np.float64).to_numpy()
        values[is_text] = read
    return values, stripped


def _text_to_float(column: pd.Series, role: str, label: RowLabel,
                   fmt: NumberFormat) -> tuple[np.ndarray, Counter[str]]:
    """Numbers written as text; cells that are not numbers are listed."""
    name, raw = str(column.name), column.astype(object)
    numbers, stripped = parse_numbers(raw, fmt)
    missing = raw.map(_is_missing).to_numpy(dtype=bool)
    bad = np.flatnonzero(np.isnan(numbers) & ~missing)
    if len(bad) == 0:
        return numbers, stripped
    cells = raw.iloc[bad]
    every = len(bad) == int((~missing).sum())
    what = "holds text, not numbers" if every else "has cells that are not numbers"
    hint = _format_hint(cells, fmt)
    if hint:
        fix = ""
    elif every:
        fix = " Is it the right column (--target, --covariates)?"
    else:
        fix = (" Fix those cells, or leave them empty (empty cells are missing "
               "values and get imputed).")
    raise DataError(f"{role} column '{name}' {what}: "
                    f"{show_cells(bad, cells, label)}.{hint}{fix}")


#: Formats tried for a hint, the likelier first ('1,234' reads as 1234 first).
_HINT_FORMATS = ((".", ","), (",", None), (",", "."), (",", " "), (".", " "),
                 (".", "'"), (".", None))


def _format_hint(cells: pd.Series, fmt: NumberFormat) -> str:
    """The decimal and thousands settings that would read ``cells`` as
    numbers, when some would (they are never guessed)."""
    text = [UNITS.sub("", v).strip() for v in cells if isinstance(v, str)]
    units = any(UNITS.search(v) for v in cells if isinstance(v, str))
    for decimal, thousands in _HINT_FORMATS:
        candidate = NumberFormat(decimal, thousands)
        if candidate == fmt or not text or not all(
                re.fullmatch(candidate.pattern(), t) for t in text):
            continue
        given = [(name, mark) for name, mark in (("decimal", decimal),
                                                 ("thousands", thousands))
                 if mark != getattr(NumberFormat(), name)]
        flags = " ".join(f"--{name} '{mark}'" for name, mark in given)
        python = ", ".join(f"{name}='{mark}'" for name, mark in given)
        written = f"the decimal mark '{decimal}'" + (
            f" and the thousands separator '{thousands}'" if thousands else "")
        either = all(re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+", t) for t in text)
        return (f" They look like numbers written with {written}, which lstmcast "
                f"does not guess: read them with {flags} (Python: load(..., "
                f"{python}); a --config file: the data section)"
                + (" or, if ',' is the decimal mark there, with --decimal ','"
                   if either else "") + "."
                + (" Currency symbols and percent signs are stripped by "
                   "themselves, as a recorded repair." if units else ""))
    return ""


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
