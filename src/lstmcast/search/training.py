"""How ``fit --auto`` trains its candidates: on sequences where windows cost.

Candidate fits only rank representations, on the last rows of the training
part; trained on windows (every row read once per window holding it) they
took most of ``--auto``'s time (221 s on taylor_elec, 7x the plain fit).
Where an epoch of the search's windows reads more than
:data:`SEARCH_SEQUENCE_READS` steps, candidates train on sequences with the
settings of the ``seq`` row of benchmarks/accuracy.py (:data:`SEQUENCES`:
chunks of 32 scored steps, 16 chunks a step, lr 0.01, up to
:data:`SEQUENCE_EPOCHS` epochs of a few steps each), 3-10x faster. The final
fit trains as the plain fit of its settings would (``batching`` auto:
windows unless the series is long), so when the two differ the two best
candidates are scored again on windows before the final choice
(:func:`lstmcast.search.auto` runoff).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from lstmcast.core.config import ForecastConfig

__all__ = ["SEARCH_SEQUENCE_READS", "SEQUENCES", "reads_per_row", "search_levers",
           "trains_on_sequences"]

SEQUENCES = {"batching": "sequences", "chunk": 32, "batch_size": 16, "lr": 0.01}
SEARCH_SEQUENCE_READS = 20_000  # steps an epoch of the search's windows reads
SEQUENCE_EPOCHS, SEQUENCE_PATIENCE = 100, 15  # an epoch is a few optimizer steps


def search_levers(config: ForecastConfig, fixed: Collection[str], windows: int,
                  window: int) -> dict[str, Any]:
    """The settings the candidate fits add: :data:`SEQUENCES` (with their own
    epochs and patience) when an epoch of ``windows`` windows of ``window``
    steps reads more than :data:`SEARCH_SEQUENCE_READS` steps; none when the
    user chose the batching, the network cannot train on sequences, or the
    series is short (a few hundred rows: too few chunks for a step). A lever
    the user gave keeps the user's value."""
    if "batching" in fixed or config.model.bidirectional \
            or windows * window <= SEARCH_SEQUENCE_READS:
        return {}
    levers = {**SEQUENCES, "epochs": min(config.train.epochs, SEQUENCE_EPOCHS),
              "patience": SEQUENCE_PATIENCE}
    return {k: v for k, v in levers.items() if k not in fixed}


def trains_on_sequences(config: ForecastConfig, windows: int, window: int) -> bool:
    """Whether a fit of ``config`` on about ``windows`` windows trains on
    sequences (``batching`` resolved as the fit resolves it)."""
    from lstmcast.network.sequences import choose_batching
    model = config.model
    return choose_batching(config.train.batching, windows, window,
                           bidirectional=model.bidirectional,
                           trained=model.predictor != "naive") == "sequences"


def reads_per_row(config: ForecastConfig, window: int, sequences: bool) -> float:
    """Steps an epoch reads per training row: the window, or on sequences the
    chunk and its burn-in over the chunk (for scaling a candidate's seconds
    to the final fit's)."""
    if not sequences:
        return float(window)
    chunk = config.train.chunk or 32
    return (window - 1 + chunk) / chunk
