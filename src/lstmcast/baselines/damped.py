"""Exponential smoothing with a damped trend, fitted to thousands of series at
once: ETS(A,Ad,N) on the log of the seasonally adjusted series.

Each series is adjusted as the M competitions do and taken to logs when
positive (:mod:`~lstmcast.baselines.joint`). The smoothing recursions (level
and damped trend, Gardner & McKenzie 1985) then run for all series side by
side in torch, one time step at a time over a matrix of series aligned at
their ends, and each series' smoothing weights, damping and initial state are
fitted by Adam to its one-step squared errors, independently of the series
beside it (M3 monthly sMAPE 13.69; L-BFGS, shared across series, 13.66). On
M3 monthly this takes about 20 s for 1,428 series, where fitting them one by
one with statsmodels takes tens of minutes.
"""

from __future__ import annotations

import numpy as np

from lstmcast.baselines.joint import adam_fit, prepared, restored, stacked

__all__ = ["damped_forecasts"]

PHI_RANGE = (0.8, 0.98)  # the damping factor, as in the ETS literature


def damped_forecasts(histories: list[np.ndarray], season: int, horizon: int,
                     *, steps: int | None = None) -> np.ndarray:
    """(n, horizon) forecasts of the steps after each history (oldest value
    first; NaN values are interpolated). Series of fewer than 3 values get
    their last value. ``steps``: Adam steps (default
    :data:`~lstmcast.baselines.joint.STEPS`)."""
    import torch

    series = [prepared(h, season, log=True) for h in histories]
    values, live = stacked(series, align="end")
    n, longest = values.shape
    first = torch.tensor([longest - p.z.size for p in series])
    ys, alive = torch.tensor(values), torch.tensor(live)
    rows = torch.arange(n)

    def run(params: torch.Tensor) -> tuple[torch.Tensor, ...]:
        alpha, beta = torch.sigmoid(params[:, 0]), torch.sigmoid(params[:, 1])
        low, high = PHI_RANGE
        phi = low + (high - low) * torch.sigmoid(params[:, 2])
        level, trend = ys[rows, first] + params[:, 3], params[:, 4]
        sse = torch.zeros(n, dtype=ys.dtype)
        for t in range(longest):
            guess = level + phi * trend
            error = ys[:, t] - guess
            on = alive[:, t]
            sse = sse + torch.where(on, error * error, torch.zeros_like(error))
            level, trend = (torch.where(on, guess + alpha * error, level),
                            torch.where(on, phi * trend + alpha * beta * error, trend))
        return sse, level, trend, phi

    params = torch.zeros(n, 5, dtype=ys.dtype)
    params[:, 0], params[:, 1], params[:, 2] = -1.0, -2.0, 1.0
    adam_fit(lambda p: run(p)[0].sum(), params, steps)
    with torch.no_grad():
        _, level, trend, phi = run(params)
        ahead = torch.arange(1, horizon + 1, dtype=ys.dtype)
        damping = torch.cumsum(phi[:, None] ** ahead[None, :], dim=1)
        paths = (level[:, None] + damping * trend[:, None]).numpy()
    return restored(series, paths)
