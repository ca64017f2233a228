"""Future covariates at the steps to forecast (``predict --future FILE``).

A model fitted with future covariates (inputs known in advance: promotions,
prices, holidays, weather forecasts) reads their values at the steps it
forecasts. :func:`read_future` takes them from a file or a DataFrame with a
time column, read like the training data (same parser, same time zone), and
places them on the stamps to forecast; a missing stamp, column or cell is a
``DataError`` that names it.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from lstmcast.core.errors import DataError
from lstmcast.data.columns import missing_column
from lstmcast.data.messages import count, show
from lstmcast.data.numbers import NumberFormat, to_float
from lstmcast.data.reading import read
from lstmcast.data.timegrid import check_duplicates, stamps
from lstmcast.data.timeparse import detect_time_column, localize, time_index

FutureSource = str | os.PathLike | pd.DataFrame


def read_future(source: FutureSource, columns: tuple[str, ...], wanted: pd.Index,
                *, time: str | None = None, timezone: str | None = None,
                sep: str | None = None, fmt: NumberFormat | None = None
                ) -> np.ndarray:
    """The values of ``columns`` at the ``wanted`` stamps, shape
    (len(wanted), len(columns)).

    ``time`` is the training data's time column (used when ``source`` has it,
    else detected); naive stamps are read in ``timezone``; a CSV is read with
    the fit's separator ``sep`` and number format ``fmt``. Rows at other
    stamps are ignored.
    """
    raw, label, where = read(source, None, sep, fmt)
    notes: list[str] = []
    for name in columns:
        if name not in raw.columns:
            raise missing_column("Future covariate", name, list(raw.columns), where)
    if time not in raw.columns:
        time = detect_time_column(raw, set(columns))
    index = time_index(raw, time, label, notes)
    if timezone is not None:
        index = localize(index, timezone, label, notes)
    check_duplicates(index, "error", label)
    values = pd.DataFrame({name: to_float(raw[name], "Future covariate", label,
                                          fmt)[0] for name in columns}, index=index)
    absent = wanted[~wanted.isin(index)]
    if len(absent):
        raise DataError(
            f"The future covariates in {where} lack {count(len(absent), 'stamp')} "
            f"of the {len(wanted)} the forecast reads: {show(stamps(absent))}. "
            f"Give a row for each stamp from {wanted[0]} to {wanted[-1]}, with "
            f"the values of {', '.join(columns)} known for it.")
    picked = values.reindex(wanted)
    for name in columns:
        empty = wanted[picked[name].isna().to_numpy()]
        if len(empty):
            raise DataError(
                f"Future covariate '{name}' in {where} is empty at "
                f"{show(stamps(empty))}: the forecast reads its value at "
                "those steps. Fill them in (a known future input has no missing "
                "values to impute).")
    return picked.to_numpy(dtype=np.float64)
