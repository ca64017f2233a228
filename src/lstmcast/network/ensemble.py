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
from lstmcast.core.errors import DataError
from lstmcast.network.model import LSTMNet

__all__ = ["MeanOf", "build_net", "weight_bytes"]


class MeanOf(nn.Module):
    """The mean of the outputs (B, K) of several networks."""

    def __init__(self, members: list[nn.Module]) -> None:
        super().__init__()
        self.members = nn.ModuleList(members)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (B, L, F) to the members' mean forecast (B, K)."""
        return torch.stack([m(x) for m in self.members]).mean(dim=0)

    def forward_steps(self, x: torch.Tensor) -> torch.Tensor:
        """Map sequences (B, T, F) to the members' mean forecast at every step
        (B, T, K), as ``LSTMNet.forward_steps``."""
        return torch.stack([m.forward_steps(x) for m in self.members]).mean(dim=0)


def build_net(model: ModelConfig, input_size: int, window: int, output_size: int,
              *, members: int = 1) -> nn.Module:
    """A fresh LSTMNet from ``model``'s settings, or a :class:`MeanOf` of
    ``members`` of them (initialised from the current torch seed). A network
    whose training would not fit in this machine's memory is a DataError
    before anything is allocated."""
    size = weight_bytes(model, input_size, window, output_size, members=members)
    memory = _memory()
    if TRAINING_COPIES * size > memory:
        raise DataError(
            f"The network asked for (hidden_size={model.hidden_size}, num_layers="
            f"{model.num_layers}, head_hidden={model.head_hidden}, ensemble="
            f"{members}, window {window}, {output_size} output(s), {input_size} "
            f"input(s)) has {size / 2**30:,.1f} GiB of weights: training it needs "
            f"about {TRAINING_COPIES * size / 2**30:,.1f} GiB, more than this "
            f"machine's {memory / 2**30:,.1f} GiB of memory. Choose a smaller "
            "--hidden-size, --num-layers, --head-hidden, --ensemble or --window.")
    return _build(model, input_size, window, output_size, members)


TRAINING_COPIES = 4  # weights, gradients and Adam's two moments


def weight_bytes(model: ModelConfig, input_size: int, window: int, output_size: int,
                 *, members: int = 1) -> int:
    """Bytes of the weights of :func:`build_net`'s network, counted without
    allocating them (the network is built on torch's meta device)."""
    try:
        with torch.device("meta"):
            net = _build(model, input_size, window, output_size, members)
    except RuntimeError:  # a size beyond what torch can even count
        return 2**63
    return sum(t.numel() * t.element_size() for t in net.state_dict().values())


def _memory() -> int:
    """This machine's physical memory in bytes (unbounded where unknown)."""
    import os
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 2**63


def _build(model: ModelConfig, input_size: int, window: int, output_size: int,
           members: int) -> nn.Module:
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
