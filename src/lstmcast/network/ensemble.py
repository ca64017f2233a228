"""Seed ensembles: several LSTMNets whose forecasts are averaged.

:func:`build_net` makes the network a :class:`~lstmcast.core.config.ModelConfig`
describes: one :class:`~lstmcast.network.model.LSTMNet`, or with ``ensemble = k > 1``
a :class:`MeanOf` k of them (each trained from its own seed by
:mod:`lstmcast.forecaster.fit`). ``MeanOf`` is an ``nn.Module`` like the net it
averages, so forecasting, saving (its state dict: ``members.0.*``,
``members.1.*``, ...) and loading need no special case.
"""

from __future__ import annotations

import torch
from torch import nn

from lstmcast.core.config import ModelConfig
from lstmcast.network.model import LSTMNet

__all__ = ["MeanOf", "build_net"]


class MeanOf(nn.Module):
    """The mean of the outputs (B, K) of several networks."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (B, L, F) to the members' mean forecast (B, K)."""
        return torch.stack([m(x) for m in self.members]).mean(dim=0)


def build_net(model: ModelConfig, input_size: int, window: int, output_size: int,
              *, members: int = 1) -> nn.Module:
    """A fresh LSTMNet from ``model``'s settings, or a :class:`MeanOf` of
    ``members`` of them (initialised from the current torch seed)."""
    from lstmcast.network.model import skip_width

    def one() -> LSTMNet:
        return LSTMNet(input_size, model.hidden_size, model.num_layers,
                       dropout=model.dropout, bidirectional=model.bidirectional,
                       cell_activation=model.cell_activation, head=model.head,
                       head_hidden=model.head_hidden,
                       head_activation=model.head_activation,
                       output_size=output_size,
                       skip_window=skip_width(model.skip, window),
                       skip_relative=model.target_mode == "delta")
    return one() if members == 1 else MeanOf([one() for _ in range(members)])
