"""The dynamic optimised Theta model (Fiorucci, Pellegrini, Louzada,
Petropoulos & Koehler 2016), fitted to thousands of series at once.

The Theta method forecasts the SES level of a "theta line" plus
``(1 - 1/theta)`` of a linear trend; the optimised model fits ``theta`` (the
classical method fixes it at 2) with the smoothing weight and the initial
level, and the dynamic one updates the trend's intercept ``A_t`` and slope
``B_t`` at every step from the values seen so far (a least-squares line,
updated recursively), so each one-step forecast uses only the past:

    mu_t = l_{t-1} + (1 - 1/theta) [q^(t-1) A_{t-1} + (1 - q^t) / alpha B_{t-1}]
    l_t  = alpha y_t + q l_{t-1},   q = 1 - alpha
    yhat_{n+h} = l_n + (1 - 1/theta) [q^n A_n + ((h - 1) + (1 - q^(n+1)) / alpha) B_n]

(the forecast is the SES of the theta line recombined with the line, written
in the terms of y). Each series is seasonally adjusted as the M competitions
do and scaled by its mean absolute step (:mod:`~lstmcast.baselines.joint`);
alpha in [0.1, 0.99], theta >= 1 and the initial level are fitted by Adam to
the one-step squared errors from the second value on, every series on its
own, side by side in torch over a matrix of series aligned at their starts.
"""

from __future__ import annotations

import math

import numpy as np

from lstmcast.baselines.joint import adam_fit, prepared, restored, stacked

__all__ = ["dynamic_theta_forecasts"]

ALPHA_RANGE = (0.1, 0.99)


def dynamic_theta_forecasts(histories: list[np.ndarray], season: int, horizon: int,
                            *, steps: int | None = None) -> np.ndarray:
    """(n, horizon) forecasts of the steps after each history (oldest value
    first; NaN values are interpolated). Series of fewer than 3 values get
    their last value. ``steps``: Adam steps (default
    :data:`~lstmcast.baselines.joint.STEPS`)."""
    import torch

    series = [prepared(h, season, log=False) for h in histories]
    values, live = stacked(series, align="start")
    n, longest = values.shape
    ys, alive = torch.tensor(values), torch.tensor(live)
    lengths = torch.tensor([p.z.size for p in series], dtype=ys.dtype)

    def run(params: torch.Tensor) -> tuple[torch.Tensor, ...]:
        low, high = ALPHA_RANGE
        alpha = low + (high - low) * torch.sigmoid(params[:, 0])
        theta = 1 + torch.nn.functional.softplus(params[:, 1])
        weight, q = 1 - 1 / theta, 1 - alpha
        level = ys[:, 0] / theta + params[:, 2]
        mean, slope = ys[:, 0], torch.zeros_like(level)
        intercept = torch.zeros_like(level)
        sse = torch.zeros(n, dtype=ys.dtype)
        for j in range(longest):
            t = j + 1
            y, on = ys[:, j], alive[:, j]
            if t > 1:
                guess = level + weight * (q ** (t - 1) * intercept
                                          + (1 - q ** t) / alpha * slope)
                error = y - guess
                sse = sse + torch.where(on, error * error, torch.zeros_like(error))
            new_slope = ((t - 2) * slope + 6 * (y - mean) / t) / (t + 1)
            new_mean = ((t - 1) * mean + y) / t
            level = torch.where(on, alpha * y + q * level, level)
            slope = torch.where(on, new_slope, slope)
            mean = torch.where(on, new_mean, mean)
            intercept = torch.where(on, mean - (t + 1) / 2 * slope, intercept) \
                if t > 1 else torch.where(on, y, intercept)
        return sse, level, slope, intercept, alpha, weight

    params = torch.zeros(n, 3, dtype=ys.dtype)
    low, high = ALPHA_RANGE
    params[:, 0] = math.log((0.5 - low) / (high - 0.5))  # alpha 0.5
    params[:, 1] = math.log(math.e - 1)  # theta 2, the classical method
    adam_fit(lambda p: run(p)[0].sum(), params, steps)
    with torch.no_grad():
        _, level, slope, intercept, alpha, weight = run(params)
        q = 1 - alpha
        ahead = torch.arange(horizon, dtype=ys.dtype)[None, :]
        trend = (q ** lengths * intercept)[:, None] + (
            ahead + ((1 - q ** (lengths + 1)) / alpha)[:, None]) * slope[:, None]
        paths = (level[:, None] + weight[:, None] * trend).numpy()
    return restored(series, paths)
