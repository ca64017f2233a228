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
EVAL_CHUNK = VALIDATION_CHUNK  # origins per chunk when a sequence model forecasts
SEQUENCE_READS = 10**7  # batching auto: sequences above these steps per epoch


def choose_batching(batching: str, windows: int, window: int, *,
                    bidirectional: bool = False, trained: bool = True) -> str:
    """``batching`` resolved: "auto" is sequences when an epoch of windows
    (``windows`` x ``window`` steps read) would exceed :data:`SEQUENCE_READS`.

    Measured (BENCHMARKS.md, Memory): 10^6 points at window 512 read 3.3 x
    10^8 steps per epoch of windows, and scoring 360,000 validation and test
    windows took most of a 9-minute fit; sequences read each row about
    (L - 1 + C) / C times. The benchmark series (<= 4,032 points, windows <=
    104: <= 4 x 10^5 steps) stay on windows. A bidirectional LSTM, or a
    network that is not trained (the naive predictor), always uses windows.
    """
    if batching != "auto":
        return batching
    if bidirectional or not trained:
        return "windows"
    return "sequences" if windows * window > SEQUENCE_READS else "windows"


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

    Only the chunks' first rows and stretch ends are kept (O(N / C) memory);
    a batch's rows, mask and inputs are built when it is used, so 10^7 rows
    cost no (M, T) index array.

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
        n = len(self.features)
        starts, ends = [], []
        for lo, hi in stretches(np.sort(np.asarray(self.origins)), self.window):
            first = np.arange(lo, hi - self.window + 1, self.chunk)  # chunk starts
            starts.append(first)
            ends.append(np.full(len(first), hi))
        start = np.concatenate(starts) if starts else np.empty(0, np.int64)  # (M,)
        end = np.concatenate(ends) if ends else np.empty(0, np.int64)  # (M,)
        self._known = np.zeros(n + 1, dtype=bool)  # row n: the padding row
        self._known[self.origins] = True
        # a chunk with nothing to score is dropped: no training origin among
        # its scored rows [start + L - 1, min(start + T, end))
        counts = np.concatenate([[0], np.cumsum(self._known)])  # (N + 2,)
        lo = np.minimum(start + self.window - 1, end)
        hi = np.minimum(start + self.length, end)
        useful = counts[hi] - counts[lo] > 0
        self._start, self._end = start[useful].astype(np.int64), end[useful]

    def _layout(self, pick: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Feature rows (B, T), N for padding, and the scored mask (B, T) of
        chunks ``pick``: scored after the burn-in, inside the stretch, at a
        training origin."""
        n = len(self._known) - 1
        rows = self._start[pick, None] + np.arange(self.length)  # (B, T)
        inside = rows < self._end[pick, None]  # False on the end padding
        rows = np.where(inside, rows, n)
        mask = inside & self._known[rows]
        mask[:, : self.window - 1] = False  # the burn-in is never scored
        return rows, mask

    def __len__(self) -> int:
        return len(self._start)

    @property
    def length(self) -> int:
        """T: rows per chunk (burn-in plus scored steps)."""
        return self.window - 1 + self.chunk

    @property
    def _rows(self) -> torch.Tensor:
        """Feature rows (M, T) of every chunk (N for padding; for the tests)."""
        return torch.from_numpy(self._layout(np.arange(len(self)))[0])

    @property
    def _mask(self) -> torch.Tensor:
        """The scored mask (M, T) of every chunk (for the tests)."""
        return torch.from_numpy(self._layout(np.arange(len(self)))[1])

    def batch(self, rows: np.ndarray | torch.Tensor) -> tuple[torch.Tensor,
                                                                 torch.Tensor,
                                                                 torch.Tensor]:
        """Inputs (B, T, F), targets (B, T, K) and the scored mask (B, T) of
        chunks ``rows``; padding and unscored steps hold finite dummies."""
        idx, mask = self._layout(np.asarray(rows, dtype=np.int64))
        return (_gather(self.features, idx), torch.nan_to_num(
            _gather(self.targets, idx)), torch.from_numpy(mask))

    def scored_origins(self) -> np.ndarray:
        """Every origin scored in one epoch, with repeats (for the tests)."""
        rows, mask = self._layout(np.arange(len(self)))
        return rows[mask]


def _gather(values: torch.Tensor, rows: np.ndarray) -> torch.Tensor:
    """``values[rows]`` (B, T, C) with zeros where a row is N (the padding),
    without a padded copy of ``values``."""
    n = len(values)
    idx = torch.from_numpy(np.minimum(rows, n - 1))  # (B, T)
    out = values[idx]  # (B, T, C): gathered copy
    out[torch.from_numpy(rows >= n)] = 0
    return out


def read_starts(features: np.ndarray, origins: np.ndarray, window: int, chunk: int,
                anchor: int = 0) -> np.ndarray:
    """The first row each origin's forecast reads, for a sequence model.

    Origins fall into chunks of ``chunk`` on a fixed grid of row numbers
    (``anchor`` is the number of features' row 0, counted from the first
    training row), and each reads from the burn-in of its chunk: the L - 1
    rows before the chunk's first origin, or from the first row after the last
    non-finite one, so every read holds complete rows only. An origin's read
    therefore depends on the data and the origin alone, never on which other
    origins are asked for; it holds between L and L - 1 + C rows, as a scored
    step in training, and with C = 1 exactly its window (the window forward).

    Parameters
    ----------
    features : (N, F) inputs; each origin's window of L rows must be finite.
    origins : (B,) int origins, each >= L - 1.
    """
    origins = np.asarray(origins, dtype=np.int64)
    bad = ~np.isfinite(features).all(axis=1)  # (N,)
    last_bad = np.maximum.accumulate(np.where(bad, np.arange(len(bad)), -1))
    first = (origins + anchor) // chunk * chunk - anchor  # the chunk's first origin
    return np.maximum(np.maximum(first - window + 1, 0), last_bad[origins] + 1)


def forward_origins(net: torch.nn.Module, features: torch.Tensor,
                    origins: np.ndarray, window: int, chunk: int, *,
                    anchor: int = 0, budget: int | None = None) -> torch.Tensor:
    """Outputs (B, K) of a sequence-trained ``net`` at ``origins``, read in
    chunks (:func:`read_starts`): about one pass over the rows instead of one
    window of L rows per origin, in no-grad batches of bounded size.

    Origins sharing a read start are one sequence, read once and taken at
    each of their steps (``net.forward_steps``); sequences are padded at their
    end, which a causal LSTM cannot see from an earlier step. ``budget`` caps
    the sequences of a batch (default: :func:`~lstmcast.network.model.inference_batch`
    for the longest sequence, within
    :data:`~lstmcast.network.model.SEQUENCE_BUDGET`).
    """
    from lstmcast.network.model import SEQUENCE_BUDGET, inference_batch
    origins = np.asarray(origins, dtype=np.int64)
    device = next(net.parameters()).device
    starts = read_starts(features.numpy(), origins, window, chunk, anchor)
    groups, which = np.unique(starts, return_inverse=True)  # (G,), (B,)
    ends = np.full(len(groups), -1, dtype=np.int64)
    np.maximum.at(ends, which, origins)  # the last origin of each sequence
    lengths = ends - groups + 1  # (G,)
    size = budget or inference_batch(net, int(lengths.max()) if len(groups) else 1,
                                     budget=SEQUENCE_BUDGET, least=1)
    out = torch.empty(len(origins), _outputs_of(net), dtype=torch.float32)
    was_training = net.training
    net.eval()
    with torch.no_grad():
        for lo in range(0, len(groups), size):
            part = np.arange(lo, min(lo + size, len(groups)))  # (G',)
            steps = int(lengths[part].max())
            rows = groups[part, None] + np.arange(steps)  # (G', T)
            rows = np.where(rows <= ends[part, None], rows, len(features))
            x = _gather(features, rows).to(device)  # (G', T, F)
            y = net.forward_steps(x).float().cpu()  # (G', T, K)
            mine = np.flatnonzero((which >= lo) & (which < lo + len(part)))
            at = torch.from_numpy(which[mine] - lo), torch.from_numpy(
                origins[mine] - starts[mine])
            out[torch.from_numpy(mine)] = y[at]  # (B', K)
    net.train(was_training)
    return out


def _outputs_of(net: torch.nn.Module) -> int:
    """K: the outputs of ``net`` (an LSTMNet or a mean of them)."""
    for module in net.modules():
        head = getattr(module, "head", None)
        if head is not None:
            last = head if isinstance(head, torch.nn.Linear) else head[-1]
            return int(last.out_features)
    raise TypeError(f"{type(net).__name__} has no forecasting head")
