"""The classical methods fitted beside a global model (Theta, damped-trend ETS,
the dynamic optimised Theta), over chunks of series run side by side.

A chunk holds at most :data:`CHUNK_VALUES` values: the joint Adam fits of
:mod:`~lstmcast.baselines.joint` keep about a dozen (series,)-sized tensors a
time step for the backward pass, so an unchunked fit of 100,000 series x 300
values would hold gigabytes; a chunk's about 200 MB. Every series is fitted on
its own gradients (see :mod:`~lstmcast.baselines.joint`), so a series'
forecast does not depend on the chunk it falls in. The chunks are mapped by
:func:`lstmcast.core.parallel.map_chunks`: threads of this process, or the
workers of a Dask cluster.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

from lstmcast.baselines import joint
from lstmcast.baselines.damped import damped_forecasts
from lstmcast.baselines.dtheta import dynamic_theta_forecasts
from lstmcast.baselines.joint import MIN_HISTORY, filled
from lstmcast.baselines.theta import Theta
from lstmcast.core.parallel import map_chunks, workers

__all__ = ["CHUNK_VALUES", "METHODS", "chunk_bounds", "classical_paths"]

METHODS = ("theta", "damped", "dtheta")
CHUNK_VALUES = 2_000_000
"""Values of one chunk at most (a chunk's Adam fit holds about 100 bytes a
value: 200 MB)."""


def chunk_bounds(lengths: Sequence[int] | np.ndarray, parts: int,
                 most: int | None = None) -> list[tuple[int, int]]:
    """Consecutive (first, end) ranges of series of at most ``total / parts``
    and at most ``most`` values each (default :data:`CHUNK_VALUES`; a series
    longer than that is a chunk alone): about ``parts`` chunks or more."""
    most = most or CHUNK_VALUES
    lengths = np.asarray(lengths, dtype=np.int64)
    total = int(lengths.sum())
    size = max(1, min(most, -(-total // max(parts, 1))))
    bounds, first, held = [], 0, 0
    for i, length in enumerate(lengths.tolist()):
        if held and held + length > size:
            bounds.append((first, i))
            first, held = i, 0
        held += length
    if lengths.size:
        bounds.append((first, int(lengths.size)))
    return bounds


def classical_paths(histories: list[np.ndarray], season: int, horizon: int,
                    names: tuple[str, ...] = METHODS) -> dict[str, np.ndarray]:
    """(n, H) forecasts of each classical method in ``names`` fitted on each
    history, the series in chunks run side by side."""
    names = tuple(n for n in METHODS if n in names)
    if not names or not histories:
        return {name: np.empty((len(histories), horizon)) for name in names}
    bounds = chunk_bounds([len(h) for h in histories], workers())
    with _one_thread():
        parts = map_chunks(chunk_paths, [histories[a:b] for a, b in bounds],
                           season=season, horizon=horizon, names=names,
                           steps=joint.STEPS)  # read here: workers follow it
    return {name: np.concatenate([part[name] for part in parts]) for name in names}


def chunk_paths(histories: list[np.ndarray], *, season: int, horizon: int,
                names: tuple[str, ...], steps: int | None = None
                ) -> dict[str, np.ndarray]:
    """(k, H) forecasts of each method in ``names`` for one chunk of series
    (what a thread or a Dask worker runs); ``steps`` Adam steps of the joint
    fits (default :data:`~lstmcast.baselines.joint.STEPS`)."""
    ready = [filled(np.asarray(h, dtype=np.float64)) for h in histories]
    out = {}
    if "theta" in names:
        out["theta"] = np.stack([
            Theta(season=season).fit(y).forecast(y, horizon)
            if y.size >= MIN_HISTORY else np.full(horizon, y[-1])
            for y in ready])
    if "damped" in names:
        out["damped"] = damped_forecasts(ready, season, horizon, steps=steps)
    if "dtheta" in names:
        out["dtheta"] = dynamic_theta_forecasts(ready, season, horizon, steps=steps)
    return out


@contextmanager
def _one_thread() -> Iterator[None]:
    """Torch on one thread while chunks run side by side (each chunk is a
    thread of its own; the steps of a joint fit are too small to split)."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
