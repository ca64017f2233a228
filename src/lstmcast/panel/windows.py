"""Training windows drawn from every series of a panel, gathered per batch.

An origin is a pair (series, t): its input is the ``L`` values of that series
up to and including ``t``, its targets the ``H`` values after ``t``, both
relative to the value at ``t`` (so that a series' level does not matter, only
its shape). Where a series has fewer than ``L`` values before ``t`` its first
value is repeated and a second input says which steps are such padding: short
series still train and forecast. Nothing is materialised but the origins
(two integers each); a batch is gathered when it is used, from the one array
of scaled values. The object has what :func:`lstmcast.network.train.train`
asks of a window set (``window``, ``len``, ``batch``).
"""

from __future__ import annotations

import numpy as np
import torch

from lstmcast.panel.prepare import Scaled

INPUTS = 2  # the value relative to the last one, and a padding flag


def train_origins(scaled: Scaled, window: int, horizon: int, *, last: int = 0
                  ) -> np.ndarray:
    """(count, 2) origins (series, t) whose ``horizon`` targets all lie before
    the last ``last`` values of their series; from ``t = L - 1`` on (earlier
    where a series is too short for that), never before ``t = 1``."""
    pairs = []
    for i, length in enumerate(np.diff(scaled.starts)):
        highest = length - 1 - horizon - last
        lowest = max(1, min(window - 1, highest))
        if highest >= lowest:
            t = np.arange(lowest, highest + 1)
            pairs.append(np.column_stack([np.full(t.size, i), t]))
    return np.concatenate(pairs) if pairs else np.empty((0, 2), dtype=np.int64)


def end_origins(scaled: Scaled, *, back: int = 0) -> np.ndarray:
    """(n, 2) the origin ``back`` steps before the last value of each series
    (``back = 0``: forecast the future; ``back = H``: the last H values are the
    targets)."""
    lengths = np.diff(scaled.starts)
    return np.column_stack([np.arange(lengths.size), lengths - 1 - back])


class PanelWindows:
    """Windows at ``origins`` (series, t) of the scaled panel: inputs (B, L, 2),
    targets (B, H) (NaN-free; only origins whose targets exist are given)."""

    def __init__(self, scaled: Scaled, origins: np.ndarray, window: int,
                 horizon: int) -> None:
        self.z = torch.from_numpy(scaled.z.astype(np.float32))
        self.starts = scaled.starts
        self.origins = np.asarray(origins, dtype=np.int64)
        self.window, self.horizon = window, horizon

    def __len__(self) -> int:
        return len(self.origins)

    def inputs(self, rows: np.ndarray) -> tuple[torch.Tensor, np.ndarray]:
        """Inputs (B, L, 2) of ``origins[rows]`` and the flat positions of
        their origin values."""
        series, t = self.origins[rows, 0], self.origins[rows, 1]
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
