"""Sequence batching: train on contiguous chunks, scored at every step.

Window training (:class:`lstmcast.network.windows.WindowSet`) reads every time step
once per window that holds it (L times per epoch for a window of L). Here a
training example is a chunk of T = L - 1 + C consecutive rows: the LSTM reads
it once and the head forecasts at every step (``LSTMNet.forward_steps``). The
first L - 1 steps are a burn-in, never scored, so that every scored origin has
seen at least L steps, as much as at inference; the last C steps are scored,
on exactly the targets and origins of window training (``origins``: the
valid training origins; an origin outside them, e.g. with a NaN target, is
masked out). Consecutive chunks overlap by the burn-in, so every training
origin is scored exactly once per epoch.

Why the model trained so still forecasts from windows of L steps: a scored
step has seen L..L-1+C steps, inference windows give it exactly L. A trained
LSTM's state forgets its start (fading memory: the forget gates shrink the
influence of old inputs geometrically), and the burn-in of L steps is the
context the network is asked to use at inference anyway, so outputs after
L steps barely depend on what came earlier. The validation loss (early
stopping) is taken the same way, on chunks of up to :data:`VALIDATION_CHUNK`
scored steps read once: on windows it cost more than the training pass itself
(5.1 of 9.3 s on taylor_elec, window 96). The reported forecasts always come
from windows of L steps, as at inference.

Chunks never cross a gap in the union of the training windows (non-finite
features), and never read a row past the last training origin: the last
chunk of a stretch is padded with zero rows at its end (the LSTM is causal,
so padding after a step cannot change its output), and the padding is masked.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lstmcast.core.errors import DataError

CHUNK = 32  # scored steps per chunk when not set (benchmarks/seq_probe.py)
VALIDATION_CHUNK = 2048  # scored steps per validation chunk (memory: B x T x H)


def auto_chunk(window: int) -> int:
    """Scored steps per chunk when not set: 32, whatever the window.

    Measured on the eight public series of >= 2,000 points (windows 24 to
    104, benchmarks/seq_probe.py): chunks of one window fell short of the
    peer LSTMs' R² on four of them (fewer, larger optimizer steps); 16 and 32
    fitted about equally well, and 32 reads each row about half as often (a
    chunk of T = L + 31 rows scores 32 of them).
    """
    del window  # kept in the signature: the choice may depend on it later
    return CHUNK


def check_sequences(bidirectional: bool) -> None:
    """Refuse settings sequence batching cannot train (a DataError naming the
    fix)."""
    if bidirectional:
        raise DataError("batching='sequences' cannot train a bidirectional LSTM: "
                        "its backward direction would read the future of every "
                        "scored step. Use --batching windows, or --bidirectional "
                        "false.")


def stretches(origins: np.ndarray, window: int) -> list[tuple[int, int]]:
    """Row ranges [start, end) covered without a gap by the windows of
    ``origins`` (sorted): a new stretch starts where two origins are more than
    L apart (the rows between belong to no window, so may be non-finite)."""
    if len(origins) == 0:
        return []
    breaks = np.flatnonzero(np.diff(origins) > window) + 1
    firsts = origins[np.r_[0, breaks]]
    lasts = origins[np.r_[breaks - 1, len(origins) - 1]]
    return [(int(a) - window + 1, int(b) + 1) for a, b in zip(firsts, lasts,
                                                               strict=True)]


@dataclass
class SequenceSet:
    """Chunks of the training rows for sequence batching.

    Attributes
    ----------
    features : (N, F) float32 tensor, the same as the WindowSet's.
    targets : (N, K) float32 tensor of targets by origin.
    window : L, the burn-in plus one (the first scored step has L steps).
    origins : int64 array of the training origins (what is scored).
    chunk : C, scored steps per chunk; a chunk holds T = L - 1 + C rows.
    """

    features: torch.Tensor
    targets: torch.Tensor
    window: int
    origins: np.ndarray
    chunk: int

    def __post_init__(self) -> None:
        n, length = len(self.features), self.window - 1 + self.chunk
        starts, ends = [], []
        for lo, hi in stretches(np.sort(np.asarray(self.origins)), self.window):
            first = np.arange(lo, hi - self.window + 1, self.chunk)  # chunk starts
            starts.append(first)
            ends.append(np.full(len(first), hi))
        start = np.concatenate(starts) if starts else np.empty(0, np.int64)  # (M,)
        end = np.concatenate(ends) if ends else np.empty(0, np.int64)  # (M,)
        rows = start[:, None] + np.arange(length)  # (M, T) feature rows
        inside = rows < end[:, None]  # (M, T): False on the end padding
        scored = np.zeros_like(inside)
        scored[:, self.window - 1:] = True  # after the burn-in
        known = np.zeros(n + 1, dtype=bool)
        known[self.origins] = True
        rows = np.where(inside, rows, n)  # row n: the zero padding row
        mask = inside & scored & known[rows]  # (M, T)
        useful = mask.any(axis=1)  # a chunk with nothing to score is dropped
        self._rows = torch.from_numpy(rows[useful])  # (M', T)
        self._mask = torch.from_numpy(mask[useful])  # (M', T)
        zero_f = torch.zeros(1, self.features.shape[1], dtype=self.features.dtype)
        zero_k = torch.zeros(1, self.targets.shape[1], dtype=self.targets.dtype)
        self._x = torch.cat([self.features, zero_f])  # (N + 1, F): pad row last
        self._y = torch.nan_to_num(torch.cat([self.targets, zero_k]))  # (N + 1, K)

    def __len__(self) -> int:
        return len(self._rows)

    @property
    def length(self) -> int:
        """T: rows per chunk (burn-in plus scored steps)."""
        return self.window - 1 + self.chunk

    def batch(self, rows: np.ndarray | torch.Tensor) -> tuple[torch.Tensor,
                                                                 torch.Tensor,
                                                                 torch.Tensor]:
        """Inputs (B, T, F), targets (B, T, K) and the scored mask (B, T) of
        chunks ``rows``; padding and unscored steps hold finite dummies."""
        pick = torch.as_tensor(np.asarray(rows))  # (B,)
        idx = self._rows[pick]  # (B, T) feature rows; N for padding
        return self._x[idx], self._y[idx], self._mask[pick]  # gathered copies

    def scored_origins(self) -> np.ndarray:
        """Every origin scored in one epoch, with repeats (for the tests)."""
        return self._rows[self._mask].numpy()
