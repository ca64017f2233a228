"""Exponential smoothing with a damped trend, fitted to thousands of series at
once: ETS(A,Ad,N) on the log of the seasonally adjusted series.

Each series is adjusted as the M competitions do (:mod:`~lstmcast.baselines.adjust`),
taken to logs when positive, and scaled by its mean absolute step. The
smoothing recursions (level and damped trend, Gardner & McKenzie 1985) then run
for all series side by side in torch, one time step at a time over a matrix of
series aligned at their ends, and each series' smoothing weights, damping and
initial state are fitted by Adam to its one-step squared errors. The sum of
the series' errors is minimised jointly only to share the work: Adam updates
every parameter on its own gradient and moments, so a series' fit (and its
forecast) is the same whichever other series are fitted beside it (L-BFGS,
whose steps and stopping are shared, changed one series' forecast by up to 106
when fitted with 1,427 others instead of alone; Adam: M3 monthly sMAPE 13.69
against L-BFGS's 13.66). On M3 monthly this takes about 20 s for 1,428
series, where fitting them one by one with statsmodels takes tens of minutes.
"""

from __future__ import annotations

import numpy as np

from lstmcast.baselines.adjust import season_indices

__all__ = ["damped_forecasts"]

PHI_RANGE = (0.8, 0.98)  # the damping factor, as in the ETS literature
STEPS = 400  # Adam steps, the learning rate decaying from LR to LR / 20
LR = 0.15


def _filled(y: np.ndarray) -> np.ndarray:
    """Missing values interpolated linearly (edges: the nearest value)."""
    finite = np.isfinite(y)
    if finite.all():
        return y.astype(np.float64)
    x = np.arange(y.size)
    return np.interp(x, x[finite], y[finite])


def _prepared(history: np.ndarray, season: int) -> tuple[np.ndarray, np.ndarray,
                                                          bool, float]:
    """Adjusted (and logged) values, the seasonal indices, whether logs were
    taken, and the scale the values were divided by."""
    y = _filled(np.asarray(history, dtype=np.float64))
    indices = season_indices(y, season)
    adjusted = y / indices[np.arange(y.size) % indices.size]
    logged = bool(np.all(adjusted > 0))
    z = np.log(adjusted) if logged else adjusted
    steps = np.abs(np.diff(z))
    scale = float(steps.mean()) if steps.size and steps.mean() > 1e-12 else 1.0
    return z / scale, indices, logged, scale


def damped_forecasts(histories: list[np.ndarray], season: int, horizon: int
                     ) -> np.ndarray:
    """(n, horizon) forecasts of the steps after each history (oldest value
    first; NaN values are interpolated). Series of fewer than 3 values get
    their last value."""
    import torch

    prepared = [_prepared(h, season) for h in histories]
    n, longest = len(prepared), max(z.size for z, *_ in prepared)
    y = np.zeros((n, longest))
    live = np.zeros((n, longest), dtype=bool)
    for i, (z, *_) in enumerate(prepared):
        y[i, longest - z.size:], live[i, longest - z.size:] = z, True
        y[i, : longest - z.size] = z[0]
    first = torch.tensor([longest - z.size for z, *_ in prepared])
    ys, alive = torch.tensor(y), torch.tensor(live)
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
    params.requires_grad_(True)
    optimizer = torch.optim.Adam([params], lr=LR)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, STEPS,
                                                          eta_min=LR / 20)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # (n,)-sized steps: threads cost more than they give
    try:
        for _ in range(STEPS):
            optimizer.zero_grad()
            run(params)[0].sum().backward()
            optimizer.step()
            schedule.step()
    finally:
        torch.set_num_threads(threads)
    with torch.no_grad():
        _, level, trend, phi = run(params)
        ahead = torch.arange(1, horizon + 1, dtype=ys.dtype)
        damping = torch.cumsum(phi[:, None] ** ahead[None, :], dim=1)
        paths = (level[:, None] + damping * trend[:, None]).numpy()
    out = np.empty((n, horizon))
    for i, (z, indices, logged, scale) in enumerate(prepared):
        path = paths[i] if z.size >= 3 else np.full(horizon, z[-1])
        path = path * scale
        path = np.exp(path) if logged else path
        phases = (z.size + np.arange(horizon)) % indices.size
        out[i] = path * indices[phases]
    return out
