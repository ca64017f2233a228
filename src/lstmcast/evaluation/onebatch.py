"""The doctor's probe of a fit that learned little: can its network memorise
one batch of training windows?

A sound pipeline and model memorise a single batch quickly; if it cannot,
something upstream is broken, whatever the data (the advice of
pytorch-forecasting's maintainers, automated). :func:`check_one_batch` turns
the doctor's ``underfitting`` finding into one of the two.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from lstmcast.core.findings import Finding

ONE_BATCH_RATIO = 0.1  # a sound set-up memorises one batch to < 10% of its loss


def overfit_one_batch(est: Any, series: Any, n_train: int, *, batch: int = 32,
                      steps: int = 150) -> dict[str, float]:
    """Train a copy of the network on one batch of training windows only.

    A sound pipeline and model memorise a single batch quickly (the loss falls
    by far more than 90%); if it cannot, something upstream is broken, whatever
    the data (the advice of pytorch-forecasting's maintainers, automated).
    """
    import copy

    import torch

    from lstmcast.forecaster.inputs import features_of, targets
    from lstmcast.network.windows import WindowSet, valid_origins
    state = est.state_
    shape, train = state.shape, series.head(n_train)
    z, feats = features_of(state.transforms, state.features, train, 0)
    goals = targets(z, train.y, [1], shape.target_mode, shape.delta_scale)
    origins = valid_origins(feats, goals, shape.window, 0, n_train - 1)
    origins = origins[np.linspace(0, len(origins) - 1, min(batch, len(origins)))
                      .astype(int)]
    x, y = WindowSet(torch.from_numpy(feats), torch.from_numpy(goals),
                     shape.window, origins).batch(np.arange(len(origins)))
    net = copy.deepcopy(state.net).eval()  # eval: no dropout; gradients still flow
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    torch.manual_seed(0)
    losses = []
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(net(x)[:, :1], y)  # (B, 1) vs (B, 1)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    first, last = losses[0], min(losses)
    return {"one_batch_first_loss": first, "one_batch_best_loss": last,
            "one_batch_ratio": last / first if first > 0 else 0.0}


def check_one_batch(finding: Finding, est: Any, series: Any,
                    n_train: int) -> Finding:
    """Tell a weak signal (the net can memorise a batch) from a broken set-up."""
    facts = overfit_one_batch(est, series, n_train)
    evidence = {**finding.evidence, **facts}
    if facts["one_batch_ratio"] <= ONE_BATCH_RATIO:
        return replace(finding, evidence=evidence, recommendation=(
            finding.recommendation + f" The network can memorise one batch (loss "
            f"down to {facts['one_batch_ratio']:.1%} of its start), so the set-up "
            "works: the signal beyond the last value is weak or training too short."))
    return Finding(
        "cannot-overfit-one-batch", "problem", "The network cannot even memorise "
        f"one batch of {32} training windows (loss only down to "
        f"{facts['one_batch_ratio']:.0%} of its start after 150 steps).", evidence,
        "Something upstream is broken: look for constant or non-finite inputs, a "
        "scaler that flattens the target (scaler), a window too short to hold the "
        "pattern (window), or a learning rate far off (lr).", finding.settings)
