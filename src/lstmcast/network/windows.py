"""Sliding windows over one feature array, as strided views (no N x L copy).

A window set is one ``(N, F)`` float32 tensor of per-step features, one
``(N, K)`` tensor of targets and the list of valid *origins*: the window for
origin ``t`` is ``features[t - L + 1 : t + 1]`` and its target row is
``targets[t]``. Memory is O(N * F) whatever the window length; a batch is
gathered (copied) only when it is used.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch


def sliding_view(features: torch.Tensor, window: int) -> torch.Tensor:
    """All windows of ``features`` (N, F) as a view of shape (N - L + 1, L, F)."""
    n, f = features.shape
    if not features.is_contiguous():
        raise ValueError("features must be contiguous to take a strided view")
    return features.as_strided((n - window + 1, window, f), (f, f, 1))


def valid_origins(features: np.ndarray, targets: np.ndarray, window: int,
                  lo: int, hi: int) -> np.ndarray:
    """Origins t in [lo, hi) whose window and target row are all finite.

    Parameters
    ----------
    features : (N, F) per-step inputs; non-finite rows make windows invalid.
    targets : (N, K) targets by origin; a non-finite entry makes t invalid.
    window : L; origins start at L - 1.
    lo, hi : half-open range of origins to consider.
    """
    bad = ~np.isfinite(features).all(axis=1)  # (N,)
    bad_count = np.concatenate([[0], np.cumsum(bad)])  # (N + 1,)
    t = np.arange(max(lo, window - 1), max(hi, window - 1))
    clean_window = bad_count[t + 1] - bad_count[t + 1 - window] == 0
    clean_target = np.isfinite(targets[t]).all(axis=1)
    return t[clean_window & clean_target]


@dataclass
class WindowSet:
    """Windows of one series for training or inference.

    Attributes
    ----------
    features : (N, F) float32 contiguous tensor.
    targets : (N, K) float32 tensor (targets by origin; rows may be NaN where
        unused).
    window : L.
    origins : int64 array of valid origins.
    """

    features: torch.Tensor
    targets: torch.Tensor
    window: int
    origins: np.ndarray

    def __post_init__(self) -> None:
        self._view = sliding_view(self.features, self.window)  # (N-L+1, L, F)

    def __len__(self) -> int:
        return len(self.origins)

    def batch(self, rows: np.ndarray | torch.Tensor) -> tuple[torch.Tensor,
                                                                 torch.Tensor]:
        """Inputs (B, L, F) and targets (B, K) for ``origins[rows]``."""
        t = torch.as_tensor(self.origins[np.asarray(rows)])  # (B,)
        x = self._view[t - self.window + 1]  # (B, L, F): gathered copy
        return x, self.targets[t]  # (B, L, F), (B, K)

    def inputs_at(self, origins: np.ndarray) -> torch.Tensor:
        """Inputs (B, L, F) for arbitrary origins (each >= L - 1)."""
        t = torch.as_tensor(np.asarray(origins, dtype=np.int64))
        return self._view[t - self.window + 1]
