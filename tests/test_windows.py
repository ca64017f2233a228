import tracemalloc

import numpy as np
import torch

from lstmcast.network.windows import WindowSet, sliding_view, valid_origins


def test_sliding_view_shares_memory_and_matches_slices():
    feats = torch.arange(40, dtype=torch.float32).reshape(20, 2)
    view = sliding_view(feats, 5)
    assert view.shape == (16, 5, 2)
    assert view.untyped_storage().data_ptr() == feats.untyped_storage().data_ptr()
    torch.testing.assert_close(view[7], feats[7:12])


def test_batch_gathers_window_ending_at_origin_and_its_target():
    feats = torch.arange(30, dtype=torch.float32).reshape(30, 1)
    targets = torch.arange(30, dtype=torch.float32).reshape(30, 1) + 100
    ws = WindowSet(feats, targets, 4, np.array([3, 10, 29]))
    x, y = ws.batch(np.array([1, 2]))
    assert x[:, :, 0].tolist() == [[7, 8, 9, 10], [26, 27, 28, 29]]
    assert y[:, 0].tolist() == [110, 129]


def test_valid_origins_skip_non_finite_windows_and_targets():
    feats = np.ones((12, 1))
    feats[5] = np.nan
    targets = np.ones((12, 1))
    targets[10] = np.nan
    got = valid_origins(feats, targets, 3, 0, 12)
    assert got.tolist() == [2, 3, 4, 8, 9, 11]


def test_ten_million_points_window_256_costs_memory_of_the_series_only():
    n, window = 10_000_000, 256
    feats = torch.zeros((n, 1), dtype=torch.float32)  # 40 MB
    targets = torch.zeros((n, 1), dtype=torch.float32)
    tracemalloc.start()
    origins = np.arange(window - 1, n - 1)
    ws = WindowSet(feats, targets, window, origins)
    x, _ = ws.batch(np.arange(64))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert x.shape == (64, window, 1)
    # the origins index (8 bytes per point) is the only O(N) allocation here; a
    # materialised N x window copy would be ~10 GB
    assert peak < 2 * origins.nbytes + 50_000_000
