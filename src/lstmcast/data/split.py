"""How a series is split in time: test rows, validation rows, the window, and
whether the series is long enough for them.

The test part is the last ``max(ceil(0.2 n), 24)`` rows (``test_size``), as in
the benchmark catalog; the validation part is the tail of the training part
(``val_size``); the window defaults to two seasons. Every room that splits a
series (fit, backtest, diagnose, the searches) counts rows here.
"""

from __future__ import annotations

import math

from lstmcast.core.checks import check_int
from lstmcast.core.errors import DataError

MIN_TEST = 24


def count_of(size: float, n: int, minimum: int = 1) -> int:
    """A fraction (< 1) of ``n`` rounded up, at least ``minimum``; or a count."""
    if size < 1:
        return max(math.ceil(size * n), minimum)
    return int(size)


def count_test_rows(n: int, test_size: float) -> int:
    """Rows in the test part: a fraction (at least 24 rows) or a count."""
    n_test = count_of(test_size, n, minimum=MIN_TEST)
    if n_test >= n:
        raise DataError(f"The test part ({n_test} rows) leaves nothing to train on: "
                        f"the series has {n} rows. Use a smaller --test-size.")
    return n_test


def auto_window(season: int, n_train: int) -> int:
    """Two seasons (at least 24 steps), but at most a third of the training rows."""
    wanted = max(2 * season, 24)
    return int(max(4, min(wanted, n_train // 3)))


def check_length(n: int, *, window: int, horizon: int, n_test: int, n_val: int,
                 min_train_windows: int = 10) -> None:
    """Refuse a series too short for the window, horizon and split sizes.

    A training window is ``window`` inputs followed by ``horizon`` targets,
    all inside the training part of ``n - n_test - n_val`` points, so that
    part needs ``window + horizon + min_train_windows - 1`` points to give
    ``min_train_windows`` windows. A validation part (``n_val > 0``) must hold
    the ``horizon`` targets of at least one window.

    Raises
    ------
    DataError
        With the formula, the numbers plugged in, and what would fit.
    """
    for name, value, low in (("n", n, 0), ("window", window, 1),
                             ("horizon", horizon, 1), ("n_test", n_test, 0),
                             ("n_val", n_val, 0),
                             ("min_train_windows", min_train_windows, 1)):
        check_int(name, value, low)
    if 0 < n_val < horizon:
        raise DataError(
            f"The validation part of {n_val} points cannot hold the {horizon} "
            f"targets of one window (horizon={horizon}). Use a validation part of "
            f"at least {horizon} points or a shorter horizon.")
    need = window + horizon + min_train_windows - 1
    n_train = n - n_test - n_val
    if n_train >= need:
        return
    fits = []
    if n_train - horizon - min_train_windows + 1 >= 2:
        fits.append(f"window={n_train - horizon - min_train_windows + 1} (the "
                    "largest that fits)")
    if n_test > 0 and n - n_val - need >= 1:
        fits.append(f"a test part of at most {n - n_val - need} points")
    if n_val > 0 and n - n_test - need >= horizon:
        fits.append(f"a validation part of at most {n - n_test - need} points")
    fits.append(f"a series of at least {need + n_test + n_val} points")
    raise DataError(
        f"The series is too short: {n} points leave n - n_test - n_val = {n} - "
        f"{n_test} - {n_val} = {n_train} for training, but {min_train_windows} "
        f"training windows need window + horizon + min_train_windows - 1 = "
        f"{window} + {horizon} + {min_train_windows} - 1 = {need}. It would fit "
        f"with {'; or '.join(fits)}.")
