"""Conformal intervals: bands from the errors of out-of-sample forecasts.

A forecaster makes forecasts it was not fitted on (rolling origins in the
validation part of one series, or the last H values of every series of a
panel), and the errors ``actual - forecast`` of each horizon step, divided by
a per-series scale where series differ in size, are the calibration set. The
band of level L at step h is the point forecast plus the error quantiles of
step h, times the series' scale: split conformal prediction (Vovk et al.
2005; Stankeviciute et al. 2021 for multi-step recurrent forecasts), which
covers at least L% of new points whose errors are exchangeable with the
calibration errors, whatever the model.

Quantile ranks get the finite-sample correction ``ceil((n + 1) p) / n`` so
that a small calibration set errs on the wide side; where ``n`` is too small
for a level (fewer than ``2 / (1 - L/100) - 1`` errors per tail), the band
is the widest error seen and :meth:`Calibration.notes` says so. ``symmetric``
bands use the quantile of the absolute error on both sides (half the errors
needed, robust to a few); signed bands follow a bias of the forecaster.
Widths never shrink from one step to the next (``monotone``): an error
quantile that dips at step h+1 is noise from a finite sample, not knowledge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lstmcast.intervals.levels import (
    bound_columns,
    check_levels,
    check_quantiles,
    level_quantiles,
    quantile_column,
)


def _rank_quantile(values: np.ndarray, p: float, *, upper: bool) -> float:
    """The conformal quantile of ``values`` (finite, 1-D): the
    ``ceil((n + 1) p)``-th smallest for an upper bound, the
    ``floor((n + 1) p)``-th for a lower one, clipped to the sample."""
    n = values.size
    if n == 0:
        return math.nan
    ordered = np.sort(values)
    if upper:
        k = math.ceil((n + 1) * p)
        return float(ordered[min(max(k, 1), n) - 1])
    k = math.floor((n + 1) * p)
    return float(ordered[min(max(k, 1), n) - 1])


def _filled_forward(values: np.ndarray) -> np.ndarray:
    """NaN entries take the last finite value before them (the first finite
    one where none is before)."""
    finite = np.flatnonzero(np.isfinite(values))
    index = np.searchsorted(finite, np.arange(values.size), side="right") - 1
    return values[finite[np.maximum(index, 0)]]


def errors_needed(level: float, symmetric: bool = True) -> int:
    """The fewest errors for a band of ``level`` that is not simply the
    widest error seen: ``1 / tail - 1``, the tail being ``1 - L/100`` for
    symmetric bands and half that per side for signed ones."""
    tail = (1 - level / 100) / (1 if symmetric else 2)
    return math.ceil(1 / tail - 1)


#: Where a calibration's errors come from (:attr:`Calibration.source`).
SOURCES = ("validation", "search", "history")
#: What a single series' errors were divided by (:attr:`Calibration.scale`).
SCALES = ("changes", "errors")


@dataclass(frozen=True)
class Calibration:
    """Scaled out-of-sample errors per horizon step and how bands are made.

    ``errors`` is (n, H): row = one forecast origin, column = step, value =
    (actual - forecast) / scale of that origin's series; NaN where the actual
    is unknown. Save it (:meth:`to_dict`) and any level can be asked later.
    """

    errors: np.ndarray
    symmetric: bool = True
    monotone: bool = True
    #: where the errors come from: ``"validation"`` (the forecasts of a
    #: validation part), ``"history"`` (of the training rows and the
    #: validation part: a forecast without a trained network) or, at step 1,
    #: ``"search"`` (``fit --auto``'s forward errors, :meth:`with_first_step`)
    source: str = "validation"
    #: what each error was divided by at its origin, for one series:
    #: ``"changes"`` (the series' recent absolute changes) or ``"errors"``
    #: (the forecaster's own recent absolute errors); see
    #: :mod:`lstmcast.forecaster.calibrate`. A panel's errors are divided by
    #: each series' scale (:mod:`lstmcast.panel.bands`) and keep the default.
    scale: str = "changes"

    def __post_init__(self) -> None:
        errors = np.asarray(self.errors, dtype=np.float64)
        if errors.ndim == 1:
            errors = errors[:, None]
        if errors.ndim != 2:
            raise ValueError(f"errors must be (origins, steps); got {errors.shape}")
        errors = np.where(np.isfinite(errors), errors, np.nan)
        object.__setattr__(self, "errors", errors)
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}; got {self.source!r}")
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}; got {self.scale!r}")

    @property
    def horizon(self) -> int:
        return int(self.errors.shape[1])

    def counts(self) -> np.ndarray:
        """Errors known per step."""
        return np.isfinite(self.errors).sum(axis=0)

    def _step(self, h: int) -> np.ndarray:
        column = self.errors[:, min(h, self.horizon - 1)]
        return column[np.isfinite(column)]

    def offsets(self, p: float) -> np.ndarray:
        """(H,) the scaled error at quantile ``p`` of each step: the amount
        added to the point forecast (times the scale) for the bound ``p``.
        A step without errors takes the step before it."""
        out = np.empty(self.horizon)
        for h in range(self.horizon):
            e = self._step(h)
            if p == 0.5 and self.symmetric:
                out[h] = 0.0
            elif self.symmetric:
                q = _rank_quantile(np.abs(e), abs(2 * p - 1), upper=True)
                out[h] = q if p > 0.5 else -q
            else:
                out[h] = _rank_quantile(e, p, upper=p > 0.5)
        if not np.isfinite(out).any():
            raise ValueError("no out-of-sample errors to calibrate intervals on")
        out = _filled_forward(out)
        if self.monotone and p != 0.5:
            out = (np.fmax.accumulate(out) if p > 0.5
                   else np.fmin.accumulate(out))
        return out

    def bands(self, point: np.ndarray, scale: np.ndarray | float = 1.0,
              levels: tuple[float, ...] = (80.0, 95.0)) -> dict[str, np.ndarray]:
        """``{'lo-80': ..., 'hi-80': ...}``, arrays shaped like ``point``
        ((m, H) or (H,)); ``scale`` per row of ``point`` (or one number)."""
        point = np.asarray(point, dtype=np.float64)
        out: dict[str, np.ndarray] = {}
        for level in check_levels(levels):
            low_p, high_p = level_quantiles(level)
            lo_name, hi_name = bound_columns(level)
            out[lo_name] = self._shifted(point, scale, low_p)
            out[hi_name] = self._shifted(point, scale, high_p)
        return out

    def quantiles(self, point: np.ndarray, scale: np.ndarray | float = 1.0,
                  quantiles: tuple[float, ...] = (0.1, 0.5, 0.9)
                  ) -> dict[str, np.ndarray]:
        """``{'q-0.1': ..., 'q-0.5': ..., 'q-0.9': ...}`` shaped like ``point``."""
        point = np.asarray(point, dtype=np.float64)
        return {quantile_column(q): self._shifted(point, scale, q)
                for q in check_quantiles(quantiles)}

    def _shifted(self, point: np.ndarray, scale: np.ndarray | float, p: float
                 ) -> np.ndarray:
        steps = point.shape[-1]
        offsets = self.offsets(p)
        if steps > self.horizon:  # beyond the calibrated steps: the last one's
            offsets = np.concatenate([offsets, np.full(steps - self.horizon,
                                                       offsets[-1])])
        scale = np.asarray(scale, dtype=np.float64)
        if point.ndim == 2 and scale.ndim == 1:
            scale = scale[:, None]
        return point + scale * offsets[:steps]

    def with_first_step(self, errors: np.ndarray, source: str) -> Calibration:
        """This calibration with step 1's errors replaced by ``errors`` (1-D,
        scaled like the others, by the series' recent changes); the later
        steps keep theirs (and, being monotone, are at least as wide)."""
        if self.scale != "changes":
            raise ValueError("step 1's errors are scaled by the series' changes; "
                             f"this calibration's by its {self.scale}")
        first = np.asarray(errors, dtype=np.float64).ravel()
        rows = max(len(first), len(self.errors))
        out = np.full((rows, self.horizon), np.nan)
        out[:len(first), 0] = first
        out[:len(self.errors), 1:] = self.errors[:, 1:]
        return Calibration(errors=out, symmetric=self.symmetric,
                           monotone=self.monotone, source=source, scale=self.scale)

    def notes(self, levels: tuple[float, ...]) -> list[str]:
        """Plain sentences where the calibration set is too small for a level."""
        notes = []
        fewest = int(self.counts().min()) if self.horizon else 0
        for level in check_levels(levels):
            needed = errors_needed(level, self.symmetric)
            if fewest < needed:
                notes.append(
                    f"The {level:g}% intervals rest on {fewest} out-of-sample "
                    f"errors per step, fewer than the {needed} a {level:g}% "
                    "bound needs: they are the widest error seen, and may "
                    "cover less than promised. A longer validation part "
                    "(--val-size) gives them more.")
        return notes

    def to_dict(self) -> dict[str, object]:
        """JSON-ready: the errors (NaN as null) and the options."""
        rows = [[None if not np.isfinite(v) else float(v) for v in row]
                for row in self.errors]
        return {"errors": rows, "symmetric": self.symmetric,
                "monotone": self.monotone, "source": self.source,
                "scale": self.scale}

    @classmethod
    def from_dict(cls, values: dict[str, object]) -> Calibration:
        rows = values["errors"]
        errors = np.array([[np.nan if v is None else float(v) for v in row]
                           for row in rows], dtype=np.float64)  # type: ignore[union-attr]
        return cls(errors=errors.reshape(len(rows), -1),  # type: ignore[arg-type]
                   symmetric=bool(values.get("symmetric", True)),
                   monotone=bool(values.get("monotone", True)),
                   source=str(values.get("source", "validation")),
                   scale=str(values.get("scale", "changes")))
