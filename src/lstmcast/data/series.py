"""The checked series :func:`~lstmcast.data.loading.load` returns, and its repairs.

:class:`SeriesData` holds the target and its covariates on one sorted, unique
time index, with the frequency and the notes of loading; :class:`Repair`
counts one change loading made to the data. Every room above ``data`` takes
its series in this form.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd

from lstmcast.core.checks import check_int
from lstmcast.core.errors import DataError
from lstmcast.data.timegrid import integer_step, seconds

#: The most steps one forecast may have (see :meth:`SeriesData.future_index`).
MAX_HORIZON = 10_000


@dataclass(frozen=True)
class Repair:
    """One change :func:`~lstmcast.data.loading.load` made to the data: what, how
    many, and why.

    ``kind`` is one of ``timezone``, ``sort``, ``duplicates``, ``resample``,
    ``units`` (currency symbols or percent signs stripped from cells),
    ``trim``, ``constant_covariate`` (a covariate with one value, dropped),
    ``fill_gaps`` or ``missing`` (values left for the imputer). Every repair is
    also a note, and is recorded in the manifest of a saved model;
    ``strict=True`` (``--strict``) turns any repair into a ``DataError``.
    """

    kind: str
    count: int
    detail: str

    def to_dict(self) -> dict[str, object]:
        """The repair as a plain dict (for the manifest)."""
        return asdict(self)


@dataclass(frozen=True, eq=False)
class SeriesData:
    """A checked series: the target and its covariates on one time index.

    Attributes
    ----------
    frame : pd.DataFrame
        Index: a sorted, unique DatetimeIndex named after the time column (or
        ``"time"``), or an integer index (named after the time column, or
        ``"step"``). Columns exactly ``[target, *covariates, *future]``,
        float64, NaN where a value is missing.
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
    future : tuple of str
        Future covariates: inputs known in advance for the steps forecast.
    """

    frame: pd.DataFrame
    target: str
    covariates: tuple[str, ...]
    freq: str | None
    notes: tuple[str, ...] = ()
    repairs: tuple[Repair, ...] = ()
    future: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        expected = [self.target, *self.covariates, *self.future]
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
    def F(self) -> np.ndarray:
        """Future covariate values, shape (n, len(future)), float64."""
        values = self.frame[list(self.future)].to_numpy(dtype=np.float64)
        return values.reshape(len(self.frame), len(self.future))

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
        if horizon > MAX_HORIZON:
            raise DataError(f"A forecast of {horizon:,} steps is more than the "
                            f"{MAX_HORIZON:,} lstmcast makes at once: fed its own "
                            "forecasts step by step, a network's errors compound "
                            "long before, and that many steps take minutes to "
                            "hours. Forecast fewer steps, or resample the data to "
                            "a coarser frequency (--resample).")
        index = self.frame.index
        if len(index) == 0:
            raise DataError("The series is empty: there is no last time stamp.")
        if not isinstance(index, pd.DatetimeIndex):
            step = integer_step(index)
            if abs(int(index[-1]) + int(step) * horizon) >= 2**63:
                raise DataError(f"The {horizon:,} steps after {index[-1]} (by "
                                f"{step}) go beyond the largest whole number. "
                                "Forecast fewer steps.")
            return pd.Index(index[-1] + step * np.arange(1, horizon + 1),
                            name=index.name, dtype=np.int64)
        if self.freq is None:
            raise DataError(
                f"The time stamps of '{index.name}' have no regular frequency, so "
                "no future stamps can be made. Resample the data to a regular "
                "frequency first (e.g. df.resample('D').mean()); gaps='fill' "
                "(--gaps fill) only fills stamps missing from a regular grid.")
        try:
            dates = pd.date_range(index[-1], periods=horizon + 1, freq=self.freq,
                                  unit=index.unit, name=index.name)
        except (OverflowError, pd.errors.OutOfBoundsDatetime):
            raise DataError(f"The {horizon:,} stamps after {index[-1]} at frequency "
                            f"{self.freq} go beyond {pd.Timestamp.max}, the "
                            "latest time pandas can hold. Forecast fewer steps."
                            ) from None
        return dates[dates > index[-1]][:horizon]

    def fingerprint(self) -> str:
        """SHA-256 of the stamps, the values, the column names and the frequency:
        equal for the same data however it was read."""
        index = self.frame.index
        stamps = index.asi8 if isinstance(index, pd.DatetimeIndex) else \
            index.to_numpy(dtype=np.int64)
        names = (self.target, self.covariates, self.freq, str(index.dtype),
                 index.name, *((self.future,) if self.future else ()))
        digest = hashlib.sha256(repr(names).encode())
        digest.update(np.ascontiguousarray(stamps).tobytes())
        digest.update(np.ascontiguousarray(
            self.frame.to_numpy(dtype=np.float64)).tobytes())
        return digest.hexdigest()

    def times_float(self) -> np.ndarray:
        """The index as float seconds since 1970 (dates) or as the steps."""
        index = self.frame.index
        if isinstance(index, pd.DatetimeIndex):
            return seconds(index)
        return index.to_numpy(dtype=np.float64)
