"""The protocol of the target transforms, and what every one of them shares.

Each transform is fitted on the training part only and has an exact inverse.

Every step works on the 1-D float64 array of one series. ``fit`` sees the
training part alone; ``transform`` never looks at a value later than the one it
computes (training gaps get the fills interpolated from both sides at fit
time), so transforming any prefix of a series gives exactly the prefix of its
transform. Positions are counted from the first training point: ``start`` is
the position of ``x[0]``.

Two inversions exist because a forecaster needs both:

- ``inverse_one_step``: a forecast of position ``t`` made with the true history
  before ``t`` (``x[t - lag]`` for a difference);
- ``inverse_path``: a forecast path beyond the origin, each step undone with the
  step's own reconstructed values where the truth is not known yet.

Each transform has its own module (:mod:`~lstmcast.preprocess.impute`,
:mod:`~lstmcast.preprocess.outliers`, :mod:`~lstmcast.preprocess.power`,
:mod:`~lstmcast.preprocess.difference`, :mod:`~lstmcast.preprocess.decompose`,
:mod:`~lstmcast.preprocess.scale`, :mod:`~lstmcast.preprocess.residual`); the
maths lives in private numpy functions there, and the classes hold the fitted
state, which is made of plain numbers and lists (``get_state``) so that a
fitted pipeline is saved as JSON, never pickled.
"""

from __future__ import annotations

import inspect
import math
from typing import Any, ClassVar

import numpy as np

from lstmcast.core.errors import DataError, NotFittedError


def as_float_array(x: Any) -> np.ndarray:
    """A float64 1-D copy of ``x``; other shapes are a programming error."""
    arr = np.array(x, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"Expected a 1-D series. Got shape {arr.shape} instead.")
    return arr


def finite_values(x: np.ndarray, what: str) -> np.ndarray:
    """The finite values of ``x``; none at all is a data error."""
    values = x[np.isfinite(x)]
    if values.size == 0:
        raise DataError(f"{what}: the training part ({x.size} points) has no finite "
                        "values. Check the target column and its missing values.")
    return values


def _to_json(value: Any) -> Any:
    """Arrays become lists with NaN as None; numpy scalars become Python ones."""
    if isinstance(value, np.ndarray):
        return [None if isinstance(v, float) and math.isnan(v) else v
                for v in value.tolist()]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _from_json(value: Any) -> Any:
    """Lists back to float64 arrays (None as NaN); other values as they are."""
    if isinstance(value, list):
        return np.array([np.nan if v is None else v for v in value], dtype=np.float64)
    return value


class Transform:
    """Base of every step: fitted-state handling, JSON state and repr.

    Subclasses name their fitted attributes (ending in ``_``) in ``_fitted``
    and implement ``fit``, ``transform``, ``inverse_one_step`` and
    ``inverse_path``. Their constructor only stores its arguments.
    """

    _kind: ClassVar[str] = ""
    _fitted: ClassVar[tuple[str, ...]] = ()

    def _params(self) -> dict[str, Any]:
        names = list(inspect.signature(type(self).__init__).parameters)[1:]
        return {name: getattr(self, name) for name in names}

    def _check_fitted(self) -> None:
        if not all(hasattr(self, name) for name in self._fitted):
            raise NotFittedError.of(self)

    def _restore(self) -> None:
        """Rebuild derived, non-serialised objects after fit or from_state."""

    def get_state(self) -> dict[str, Any]:
        """Kind, constructor parameters and fitted state, as JSON-able values."""
        self._check_fitted()
        fitted = {name: _to_json(getattr(self, name)) for name in self._fitted}
        params = {name: _to_json(v) for name, v in self._params().items()}
        return {"kind": self._kind, "params": params, "fitted": fitted}

    @classmethod
    def _from_state(cls, state: dict[str, Any]) -> Transform:
        """The step of a saved state: its constructor parameters and exactly
        its fitted attributes (any other key, such as one naming a method,
        is refused)."""
        known = list(inspect.signature(cls.__init__).parameters)[1:]
        params, fitted = state["params"], state["fitted"]
        unknown = sorted(set(params) - set(known)) + sorted(
            set(fitted) ^ set(cls._fitted))
        if unknown:
            raise DataError(
                f"the saved '{cls._kind}' step has parameters {sorted(params)} and "
                f"fitted values {sorted(fitted)}, where it takes parameters "
                f"{known} and holds exactly {list(cls._fitted)} (unexpected or "
                f"missing: {', '.join(unknown)})")
        step = cls(**params)
        for name in cls._fitted:
            setattr(step, name, _from_json(fitted[name]))
        step._restore()
        return step

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._params().items())
        return f"{type(self).__name__}({args})"


class Pointwise(Transform):
    """A step that maps each value on its own, so both inversions are the same."""

    def _inverse(self, z: np.ndarray) -> np.ndarray:
        return np.array(z, dtype=np.float64)

    def inverse_one_step(self, z_hat: np.ndarray, positions: np.ndarray,
                         x: np.ndarray, start: int = 0) -> np.ndarray:
        """Undo the step at each forecast; history is not needed."""
        self._check_fitted()
        return self._inverse(z_hat)

    def inverse_path(self, z_path: np.ndarray, history: np.ndarray,
                     start: int = 0) -> np.ndarray:
        """Undo the step along a forecast path; history is not needed."""
        self._check_fitted()
        return self._inverse(z_path)

    def inverse_transform(self, z: np.ndarray) -> np.ndarray:
        """Exact inverse of ``transform`` (for covariate matrices, say)."""
        self._check_fitted()
        return self._inverse(z)
