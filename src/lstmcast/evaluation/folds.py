"""Time-series cross-validation folds: each training part followed by its test
part, every test part ending ``stride`` rows before the next.

:func:`fold_bounds` gives the (half-open) row bounds of every fold; the fold
generators give index arrays, as scikit-learn's TimeSeriesSplit::

    for train, test in expanding_folds(200, n_folds=3, test_size=24, gap=2):
        ...  # train.max() + gap < test.min()

:func:`lstmcast.evaluation.backtest.backtest` runs its folds from
:func:`fold_bounds`, and the tuner (:mod:`lstmcast.search.tune`) its validation
folds inside the training part.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from lstmcast.core.checks import check_choice, check_int
from lstmcast.core.errors import DataError

__all__ = ["MODES", "expanding_folds", "fold_bounds", "sliding_folds"]

MODES = ("expanding", "sliding")


def fold_bounds(n: int, *, mode: str = "expanding", n_folds: int = 3,
                test_size: int, gap: int = 0, stride: int | None = None,
                train_size: int | None = None, min_train: int = 1
                ) -> list[tuple[int, int, int, int]]:
    """(train start, train end, test start, test end) of every fold, half-open.

    The last fold's test part ends with the series; each earlier one starts
    ``stride`` (default ``test_size``) rows before the next. A fold trains on
    the rows up to ``gap`` rows before its test part: all of them (expanding) or
    the last ``train_size`` (sliding; default: as many as the first fold has).

    Raises
    ------
    DataError
        For bad values, or a series too short for the settings (with counts).
    """
    check_choice("mode", mode, MODES)
    if mode == "expanding" and train_size is not None:
        raise DataError(f"train_size={train_size} applies to sliding folds only: "
                        "expanding folds train on every row before the gap. Use "
                        "mode='sliding' or leave train_size out.")
    n_folds = check_int("n_folds", n_folds, 1)
    test_size = check_int("test_size", test_size, 1)
    gap = check_int("gap", gap, 0)
    stride = check_int("stride", test_size if stride is None else stride, 1)
    first_test = n - test_size - (n_folds - 1) * stride
    room = first_test - gap  # rows before the first fold's gap
    size = room if train_size is None else check_int("train_size", train_size, 1)
    need = max(size, min_train)
    if room < need:
        raise DataError(
            f"The series has {n} rows, too few for {n_folds} {mode} fold(s) of "
            f"{test_size} test rows every {stride} rows with a gap of {gap}: the "
            f"test parts take the last {n - first_test} rows, leaving {room} for "
            f"the first fold's training part, which needs {need}. Use fewer "
            "folds, a smaller test size, stride or gap"
            + (", a smaller train size" if mode == "sliding" else "")
            + f", or a series of at least {n - room + need} rows.")
    bounds = []
    for k in range(n_folds):
        test_lo = first_test + k * stride
        train_hi = test_lo - gap
        train_lo = 0 if mode == "expanding" else train_hi - size
        bounds.append((train_lo, train_hi, test_lo, test_lo + test_size))
    return bounds


def expanding_folds(n: int, *, n_folds: int = 3, test_size: int, gap: int = 0,
                    stride: int | None = None, min_train: int = 1
                    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(train, test) index arrays; every training part starts at row 0.

    Settings are checked at once (not on the first iteration).
    """
    bounds = fold_bounds(n, mode="expanding", n_folds=n_folds, test_size=test_size,
                         gap=gap, stride=stride, min_train=min_train)
    return ((np.arange(a, b), np.arange(c, d)) for a, b, c, d in bounds)


def sliding_folds(n: int, *, n_folds: int = 3, test_size: int,
                  train_size: int | None = None, gap: int = 0,
                  stride: int | None = None) -> Iterator[tuple[np.ndarray,
                                                               np.ndarray]]:
    """(train, test) index arrays; every training part has ``train_size`` rows.

    Settings are checked at once (not on the first iteration).
    """
    bounds = fold_bounds(n, mode="sliding", n_folds=n_folds, test_size=test_size,
                         gap=gap, stride=stride, train_size=train_size)
    return ((np.arange(a, b), np.arange(c, d)) for a, b, c, d in bounds)
