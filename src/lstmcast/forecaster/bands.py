"""The interval columns of a forecast: lo-/hi- bounds of the levels asked
for, or q- columns of quantiles, from the model's calibration (see
:mod:`lstmcast.forecaster.calibrate`).

Which columns: ``quantiles`` when any are given (instead of the bounds),
else ``levels``; both default to the model's settings (``levels`` 80, 95).
A model without a calibration (saved before intervals existed, or fitted
without a validation part) gives the point forecast only;
:func:`missing_note` says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from lstmcast.intervals.levels import check_levels, check_quantiles

if TYPE_CHECKING:
    from lstmcast.forecaster.state import FittedState


def wanted(state: FittedState, levels: Iterable[float] | None,
           quantiles: Iterable[float] | None
           ) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """(levels, quantiles) to give: the arguments, else the model's settings;
    quantiles replace levels when there are any."""
    model = state.config.model
    qs = check_quantiles(model.quantiles if quantiles is None else quantiles)
    if qs:
        return (), qs
    return check_levels(model.levels if levels is None else levels), ()


def band_columns(state: FittedState, point: np.ndarray,
                 levels: Iterable[float] | None = None,
                 quantiles: Iterable[float] | None = None,
                 scale: np.ndarray | float = 1.0) -> dict[str, np.ndarray]:
    """``{'lo-80': ..., 'hi-80': ...}`` (or ``{'q-0.1': ...}``) of ``point``
    ((H,): steps 1..H of one path, or (B, H)); ``scale``: the local scale at
    the origin of each row
    (:func:`~lstmcast.forecaster.calibrate.origin_scale`); empty without a
    calibration."""
    cal = state.calibration
    levels_, qs = wanted(state, levels, quantiles)
    if cal is None:
        return {}
    if qs:
        return cal.quantiles(point, scale, qs)
    return cal.bands(point, scale, levels_) if levels_ else {}


def missing_note(state: FittedState) -> str | None:
    """Why a forecast of this model has no intervals, or None when it has."""
    if state.calibration is not None:
        return None
    return ("This model has no interval calibration (saved before lstmcast "
            "gave prediction intervals, or fitted without a validation part): "
            "the forecast is points only. Fit it again for lo-/hi- columns.")
