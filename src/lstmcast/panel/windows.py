"""Training windows drawn from every series of a panel, gathered per batch.

An origin is a pair (series, t): its input is the ``L`` values of that series
up to and including ``t``, its targets the ``H`` values after ``t``, both
relative to the value at ``t`` (so that a series' level does not matter, only
its shape). Where a series has fewer than ``L`` values before ``t`` its first
value is repeated and a second input says which steps are such padding: short
series still train and forecast. Nothing is materialised per window: the
origins are three integers a series (:class:`SeriesOrigins`), and a batch is
gathered when it is used, from the one float32 array of scaled values. The
object has what :func:`lstmcast.network.train.train` asks of a window set
(``window``, ``len``, ``batch``).
"""

from __future__ import annotations

import numpy as np
import torch

from lstmcast.panel.prepare import Scaled

INPUTS = 2  # the value relative to the last one, and a padding flag


class SeriesOrigins:
    """Training origins (series, t) held as one range of ``t`` per series: the
    flat origin ``k`` is found by a binary search over the per-series counts,
    so a panel of 100,000 series x 300 values keeps 3 integers a series, not 2
    a window (25 million windows: 400 MB as an array). Indexing with an array
    of flat positions gives the (k, 2) pairs, as an array of origins would."""

    def __init__(self, series: np.ndarray, lowest: np.ndarray, counts: np.ndarray
                 ) -> None:
        self.series = np.asarray(series, dtype=np.int64)
        self.lowest = np.asarray(lowest, dtype=np.int64)
        self.offsets = np.r_[0, np.cumsum(counts)].astype(np.int64)

    def __len__(self) -> int:
        return int(self.offsets[-1])

    def __getitem__(self, rows: np.ndarray | slice | int) -> np.ndarray:
        """The (k, 2) origins (series, t) at the flat positions ``rows``."""
        flat = np.arange(len(self))[rows] if isinstance(rows, slice) else \
            np.asarray(rows, dtype=np.int64)
        if flat.size and (flat.min() < 0 or flat.max() >= len(self)):
            raise IndexError(f"origin index out of range 0..{len(self) - 1}")
        which = np.searchsorted(self.offsets, flat, side="right") - 1
        pairs = np.stack([self.series[which],
                          self.lowest[which] + flat - self.offsets[which]], axis=-1)
        return pairs

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        """Every origin as a (count, 2) array (small panels and tests only)."""
        pairs = self[np.arange(len(self))].reshape(len(self), 2)
        return pairs if dtype is None else pairs.astype(dtype)


def train_origins(scaled: Scaled, window: int, horizon: int, *, last: int = 0
                  ) -> SeriesOrigins:
    """The origins (series, t) whose ``horizon`` targets all lie before the
    last ``last`` values of their series; from ``t = L - 1`` on (earlier
    where a series is too short for that), never before ``t = 1``. Nothing
    per window is stored (:class:`SeriesOrigins`)."""
    highest = np.diff(scaled.starts) - 1 - horizon - last
    lowest = np.maximum(1, np.minimum(window - 1, highest))
    counts = np.maximum(highest - lowest + 1, 0)
    keep = np.flatnonzero(counts > 0)
    return SeriesOrigins(keep, lowest[keep], counts[keep])


def end_origins(scaled: Scaled, *, back: int = 0) -> np.ndarray:
    """(n, 2) the origin ``back`` steps before the last value of each series
    (``back = 0``: forecast the future; ``back = H``: the last H values are the
    targets)."""
    lengths = np.diff(scaled.starts)
    return np.column_stack([np.arange(lengths.size), lengths - 1 - back])


class PanelWindows:
    """Windows at ``origins`` (series, t) of the scaled panel: inputs (B, L, 2),
    targets (B, H) (NaN-free; only origins whose targets exist are given)."""

    def __init__(self, scaled: Scaled, origins: np.ndarray | SeriesOrigins,
                 window: int,
                 horizon: int) -> None:
        self.z = torch.from_numpy(np.ascontiguousarray(scaled.z, dtype=np.float32))
        self.starts = scaled.starts
        self.origins = origins if isinstance(origins, SeriesOrigins) else \
            np.asarray(origins, dtype=np.int64)
        self.window, self.horizon = window, horizon

    def __len__(self) -> int:
        return len(self.origins)

    def inputs(self, rows: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
        """Inputs (B, L, 2) of ``origins[rows]`` and the flat positions of
        their origin values."""
        pairs = self.origins[np.asarray(rows)]
        series, t = pairs[:, 0], pairs[:, 1]
        steps = t[:, None] + np.arange(1 - self.window, 1)[None, :]  # (B, L)
        padded = steps < 0
        base = self.starts[series]
        where = base[:, None] + np.maximum(steps, 0)
        values = self.z[torch.from_numpy(where)]  # (B, L)
        last = values[:, -1:]
        x = torch.stack([values - last, torch.from_numpy(padded.astype(np.float32))],
                        dim=2)
        return x, base + t

    def batch(self, rows: np.ndarray | torch.Tensor) -> tuple[torch.Tensor,
                                                                 torch.Tensor]:
        """Inputs (B, L, 2) and targets (B, H) for ``origins[rows]``."""
        x, at = self.inputs(np.asarray(rows))
        ahead = at[:, None] + np.arange(1, self.horizon + 1)[None, :]
        y = self.z[torch.from_numpy(ahead)] - self.z[torch.from_numpy(at)][:, None]
        return x, y
