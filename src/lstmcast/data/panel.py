"""Many series in one object: :class:`PanelData`, what
:func:`~lstmcast.data.panel_loading.load_panel` returns.

The target values of every series are held once, concatenated in one float64
array (``values``) with the stamps beside them (``stamps``); series ``i`` is
the slice ``starts[i]:starts[i + 1]``, in time order. Series keep the ids the
user gave (text, numbers, any type) and their notes; series that could not be
used are listed in ``dropped`` with the reason, never silently lost.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.core.errors import DataError


@dataclass(frozen=True, eq=False)
class PanelData:
    """Checked series of one target, in long format.

    Attributes
    ----------
    ids : the series ids, in order of first appearance in the data.
    values : (total,) float64: every series' target, one after the other
        (NaN where a value inside a series is missing).
    stamps : (total,) the time stamps beside ``values`` (a DatetimeIndex, or
        integer steps).
    starts : (n + 1,) int64 offsets: series ``i`` is ``starts[i]:starts[i+1]``.
    id_name, time_name, target : the column names, as in the data.
    freq : pandas offset alias of the time stamps (None for integer steps).
    step : the step of integer stamps (None for dates).
    notes : per series id, what loading noticed or repaired.
    dropped : per series id, why it was left out.
    """

    ids: tuple[Any, ...]
    values: np.ndarray
    stamps: pd.Index
    starts: np.ndarray
    id_name: str
    time_name: str
    target: str
    freq: str | None = None
    step: int | None = None
    notes: dict[Any, tuple[str, ...]] = field(default_factory=dict)
    dropped: dict[Any, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    def lengths(self) -> np.ndarray:
        """(n,) the number of rows of each series."""
        return np.diff(self.starts)

    def y(self, i: int) -> np.ndarray:
        """The target of series ``i`` (a view: do not modify)."""
        return self.values[self.starts[i]: self.starts[i + 1]]

    def stamps_of(self, i: int) -> pd.Index:
        """The time stamps of series ``i``."""
        return self.stamps[self.starts[i]: self.starts[i + 1]]

    def future_stamps(self, i: int, horizon: int) -> pd.Index:
        """The ``horizon`` stamps after the last row of series ``i``."""
        last = self.stamps[self.starts[i + 1] - 1]
        if self.freq is not None:
            return pd.date_range(last, periods=horizon + 1, freq=self.freq)[1:]
        step = self.step or 1
        return pd.Index(last + step * np.arange(1, horizon + 1), dtype=np.int64)

    def subset(self, keys: list[Any]) -> PanelData:
        """The series named by ``keys`` (in the panel's order)."""
        wanted = set(keys)
        keep = [i for i, key in enumerate(self.ids) if key in wanted]
        rows = np.concatenate([np.arange(self.starts[i], self.starts[i + 1])
                               for i in keep])
        starts = np.r_[0, np.cumsum(self.lengths()[keep])].astype(np.int64)
        return PanelData(tuple(self.ids[i] for i in keep), self.values[rows],
                         self.stamps[rows], starts, self.id_name, self.time_name,
                         self.target, self.freq, self.step, self.notes, self.dropped)

    def drop_last(self, rows: int) -> PanelData:
        """Every series without its last ``rows`` rows (the training part of a
        hold-out whose test part is the last ``rows`` of each series)."""
        lengths = self.lengths()
        short = [self.ids[i] for i in np.flatnonzero(lengths <= rows)]
        if short:
            raise DataError(f"{len(short)} series have {rows} rows or fewer and "
                            f"leave nothing to train on after taking the last "
                            f"{rows} as the test part (e.g. {short[:3]}).")
        keep = np.concatenate([np.arange(a, b - rows) for a, b
                               in zip(self.starts[:-1], self.starts[1:], strict=True)])
        starts = np.r_[0, np.cumsum(lengths - rows)].astype(np.int64)
        return PanelData(self.ids, self.values[keep], self.stamps[keep], starts,
                         self.id_name, self.time_name, self.target, self.freq,
                         self.step, self.notes, self.dropped)

    def last(self, rows: int) -> np.ndarray:
        """(n, rows) the last ``rows`` values of every series."""
        idx = self.starts[1:, None] - rows + np.arange(rows)[None, :]
        return self.values[idx]

    def to_frame(self) -> pd.DataFrame:
        """The panel as a long DataFrame (id, time, target), in series order."""
        repeated = np.repeat(np.arange(len(self.ids)), self.lengths())
        ids = pd.Series(self.ids, dtype=object).iloc[repeated].to_numpy()
        return pd.DataFrame({self.id_name: ids, self.time_name: self.stamps,
                             self.target: self.values})

    def fingerprint(self) -> str:
        """SHA-256 of the ids, stamps and values (a model's training data)."""
        digest = hashlib.sha256()
        digest.update(repr(self.ids).encode())
        digest.update(np.asarray(self.stamps.astype("int64")).tobytes())
        digest.update(np.ascontiguousarray(self.values).tobytes())
        return digest.hexdigest()

    def __repr__(self) -> str:
        lengths = self.lengths()
        span = f"{lengths.min()}-{lengths.max()}" if len(lengths) else "0"
        return (f"PanelData(target={self.target!r}, series={len(self)}, "
                f"rows per series {span}, dropped={len(self.dropped)})")
