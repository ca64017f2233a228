"""The interface every reference model shares: :class:`Baseline`.

- ``fit(y_train)`` learns its fixed parameters from the training part only;
- ``predict_one_step(y, positions)`` forecasts ``y[p]`` for each position ``p``
  from the true history ``y[:p]`` with those fixed parameters: no refit, never
  ``y[p]`` itself, vectorised over the positions;
- ``forecast(history, horizon)`` is the path of ``horizon`` steps after
  ``history``.

The arguments are checked here once for every model. Unlike the rest of
lstmcast, a wrong argument is Python's own ``TypeError`` or ``ValueError`` (a
programming error, not a problem of the data); a problem of the data is a
``DataError``.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from typing import Any, TypeVar

import numpy as np

from lstmcast.core.errors import DataError, NotFittedError

_B = TypeVar("_B", bound="Baseline")


def _as_series(x: Any, name: str) -> np.ndarray:
    """A float64 1-D array of ``x``; other shapes are a programming error."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"'{name}' must be 1-D. Got shape {arr.shape} instead.")
    return arr


def _as_positions(positions: Any, n: int, first: int) -> np.ndarray:
    """Integer positions in ``[first, n]`` (``n``: the step after the data)."""
    pos = np.asarray(positions)
    if pos.ndim != 1 or (pos.size and pos.dtype.kind not in "iu"):
        raise TypeError("'positions' must be a 1-D array of integers. Got "
                        f"shape {pos.shape}, dtype {pos.dtype} instead.")
    pos = pos.astype(np.intp)
    bad = pos[(pos < first) | (pos > n)]
    if bad.size:
        raise ValueError(f"'positions' must lie in [{first}, {n}] (at least {first} "
                         f"past values before each, at most one step past the "
                         f"series of {n}). Got {bad[:5].tolist()} instead.")
    return pos


def int_parameter(name: str, value: Any, minimum: int) -> int:
    """``value`` as an int >= ``minimum``: a TypeError when it is not an int (or
    is a bool), a ValueError when it is smaller."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"The '{name}' parameter must be an int. Got "
                        f"{value!r} instead.")
    if value < minimum:
        raise ValueError(f"The '{name}' parameter must be an int >= {minimum}. Got "
                         f"{value} instead.")
    return int(value)


class Baseline(ABC):
    """A reference forecaster: fit on train, then one-step or path forecasts.

    Subclasses store their constructor arguments as given, learn state in
    attributes ending in ``_`` inside ``_fit``, and implement the maths in
    ``_one_step`` and ``_path``. Validation and the fitted check live here.
    """

    def fit(self: _B, y_train: Any) -> _B:
        """Learn the fixed parameters from the training part ``y_train`` (1-D)."""
        y = _as_series(y_train, "y_train")
        if not np.isfinite(y).any():
            raise DataError(f"{type(self).__name__}: the training part ({y.size} "
                            "points) has no finite values. Check the target column.")
        self._fit(y)
        self.n_train_ = y.size
        return self

    def predict_one_step(self, y: Any, positions: Any) -> np.ndarray:
        """Forecast ``y[p]`` from ``y[:p]`` for every ``p`` in ``positions``.

        Parameters are the fitted ones (no refit); ``y[p]`` and later values are
        never read. ``p`` may equal ``len(y)``: the step after the data.
        """
        self._check_fitted()
        y = _as_series(y, "y")
        pos = _as_positions(positions, y.size, self._min_history())
        return self._one_step(y, pos)

    def forecast(self, history: Any, horizon: int) -> np.ndarray:
        """The ``horizon`` values after ``history``, from the fitted parameters."""
        self._check_fitted()
        history = _as_series(history, "history")
        horizon = int_parameter("horizon", horizon, 1)
        if history.size < self._min_history():
            raise ValueError(f"{self!r} needs a history of at least "
                             f"{self._min_history()} points. Got {history.size}.")
        return self._path(history, horizon)

    def get_params(self) -> dict[str, Any]:
        """The constructor arguments, read from the signature (as scikit-learn)."""
        names = inspect.signature(type(self)).parameters
        return {name: getattr(self, name) for name in names}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    def _check_fitted(self) -> None:
        if not hasattr(self, "n_train_"):
            raise NotFittedError.of(self)

    def _min_history(self) -> int:
        """Past values needed before a one-step position."""
        return 1

    @abstractmethod
    def _fit(self, y_train: np.ndarray) -> None: ...

    @abstractmethod
    def _one_step(self, y: np.ndarray, positions: np.ndarray) -> np.ndarray: ...

    @abstractmethod
    def _path(self, history: np.ndarray, horizon: int) -> np.ndarray: ...
