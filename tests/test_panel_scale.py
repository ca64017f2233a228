"""Panels at scale: the training origins held as a range per series, the
scaled panel held once in float32, and the classical methods fitted in chunks
of series, each series' forecast the same whatever chunk it falls in."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from lstmcast.baselines import chunked
from lstmcast.baselines.chunked import chunk_bounds, chunk_paths, classical_paths
from lstmcast.panel.prepare import scale_series
from lstmcast.panel.windows import PanelWindows, SeriesOrigins, train_origins


def _listed(scaled, window: int, horizon: int, last: int = 0) -> np.ndarray:
    """Every origin written out, series by series (what SeriesOrigins stands for)."""
    pairs = []
    for i, length in enumerate(np.diff(scaled.starts)):
        highest = length - 1 - horizon - last
        lowest = max(1, min(window - 1, highest))
        pairs += [(i, t) for t in range(lowest, highest + 1)]
    return np.array(pairs, dtype=np.int64).reshape(-1, 2)


def _histories(lengths, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [50 + np.cumsum(rng.normal(0.2, 1, n)) for n in lengths]


@pytest.mark.parametrize(("window", "horizon", "last"), [(8, 2, 0), (4, 3, 2)])
def test_series_origins_are_every_origin_without_listing_them(window, horizon, last):
    scaled = scale_series(_histories([20, 5, 3, 1, 12]), 1)
    origins = train_origins(scaled, window, horizon, last=last)
    listed = _listed(scaled, window, horizon, last)
    assert isinstance(origins, SeriesOrigins) and len(origins) == len(listed)
    np.testing.assert_array_equal(np.asarray(origins), listed)
    rows = np.random.default_rng(1).permutation(len(listed))[:7]
    np.testing.assert_array_equal(origins[rows], listed[rows])
    assert origins.series.nbytes + origins.lowest.nbytes < 3 * 8 * 5 + 1
    with pytest.raises(IndexError):
        origins[np.array([len(listed)])]


def test_windows_read_the_one_float32_copy_of_the_scaled_panel():
    scaled = scale_series(_histories([30, 25]), 1)
    assert scaled.z.dtype == np.float32
    windows = PanelWindows(scaled, train_origins(scaled, 8, 2), 8, 2)
    assert windows.z.data_ptr() == scaled.z.ctypes.data  # shared, not copied
    x, y = windows.batch(np.arange(len(windows)))
    assert x.dtype == y.dtype == windows.z.dtype and len(y) == len(windows)


def test_chunks_cover_every_series_once_in_order_and_stay_small():
    lengths = [50] * 7 + [400, 10, 10]
    bounds = chunk_bounds(lengths, parts=2, most=120)
    assert bounds[0][0] == 0 and bounds[-1][1] == len(lengths)
    assert all(a < b == c for (a, b), (c, _) in pairwise(bounds))
    for a, b in bounds:
        assert sum(lengths[a:b]) <= 120 or b - a == 1  # one long series alone
    assert len(chunk_bounds([5] * 3, parts=8)) == 3  # never more chunks than series
    assert len(chunk_bounds([5] * 10, parts=2)) == 2
    assert chunk_bounds([], parts=2) == []


def test_a_series_forecast_is_the_same_in_any_chunk(monkeypatch, quick_classical):
    histories = _histories([36, 48, 40, 2, 60, 30])
    whole = chunk_paths(histories, season=12, horizon=5,
                        names=("theta", "damped", "dtheta"))
    monkeypatch.setattr(chunked, "CHUNK_VALUES", 50)  # one or two series a chunk
    assert len(chunk_bounds([h.size for h in histories], 2)) >= 4
    parts = classical_paths(histories, 12, 5)
    for name in ("theta", "damped", "dtheta"):
        np.testing.assert_allclose(parts[name], whole[name], rtol=1e-9)
    assert np.all(parts["damped"][3] == histories[3][-1])  # 2 values: the last
