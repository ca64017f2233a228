"""LSTMNet: the network alone (an ``nn.Module``), no data handling, no training.

Shapes: B batch, L window length, F input features, H hidden units,
D directions (1 or 2), K outputs (forecast steps produced at once).
"""

from __future__ import annotations

import math

import torch
from torch import nn

CELL_ACTIVATIONS = {
    "tanh": torch.tanh,
    "relu": torch.relu,
    "softsign": nn.functional.softsign,
    "sigmoid": torch.sigmoid,
    "elu": nn.functional.elu,
    "gelu": nn.functional.gelu,
    "linear": lambda t: t,
}
HEAD_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}


class ActivatedLSTM(nn.Module):
    """A multi-layer (bi)directional LSTM whose cell activation can be changed.

    Keras' ``LSTM(activation=...)`` replaces tanh on the candidate and on the
    cell output; ``nn.LSTM`` cannot. Parameters carry ``nn.LSTM``'s names and
    shapes, so a state dict moves between the two. It is a Python loop over
    time steps: slower than the fused kernel, which is used whenever the
    activation is tanh.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int,
                 dropout: float, bidirectional: bool, activation: str) -> None:
        super().__init__()
        self.hidden_size, self.num_layers = hidden_size, num_layers
        self.dropout, self.directions = dropout, 2 if bidirectional else 1
        self.act = CELL_ACTIVATIONS[activation]
        bound = 1.0 / math.sqrt(hidden_size)
        for layer in range(num_layers):
            in_size = input_size if layer == 0 else hidden_size * self.directions
            for suffix in ("", "_reverse")[: self.directions]:
                for name, shape in (("weight_ih", (4 * hidden_size, in_size)),
                                    ("weight_hh", (4 * hidden_size, hidden_size)),
                                    ("bias_ih", (4 * hidden_size,)),
                                    ("bias_hh", (4 * hidden_size,))):
                    p = nn.Parameter(torch.empty(shape).uniform_(-bound, bound))
                    self.register_parameter(f"{name}_l{layer}{suffix}", p)

    def _run(self, x: torch.Tensor, layer: int, suffix: str) -> tuple[torch.Tensor,
                                                                     torch.Tensor]:
        w_ih = getattr(self, f"weight_ih_l{layer}{suffix}")
        w_hh = getattr(self, f"weight_hh_l{layer}{suffix}")
        b = getattr(self, f"bias_ih_l{layer}{suffix}") + getattr(
            self, f"bias_hh_l{layer}{suffix}")
        steps = range(x.shape[1] - 1, -1, -1) if suffix else range(x.shape[1])
        gates_x = x @ w_ih.T + b  # (B, L, 4H): input part of every step at once
        h = x.new_zeros(x.shape[0], self.hidden_size)  # (B, H)
        c = torch.zeros_like(h)  # (B, H)
        outputs: list[torch.Tensor] = [h] * x.shape[1]
        for t in steps:
            gates = gates_x[:, t] + h @ w_hh.T  # (B, 4H)
            i, f, g, o = gates.chunk(4, dim=1)  # (B, H) each
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * self.act(g)
            h = torch.sigmoid(o) * self.act(c)
            outputs[t] = h
        return torch.stack(outputs, dim=1), h  # (B, L, H), (B, H)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor,
                                                                     None]]:
        """Return (outputs (B, L, D*H), (h_n (layers*D, B, H), None))."""
        finals = []
        for layer in range(self.num_layers):
            runs = [self._run(x, layer, s) for s in ("", "_reverse")[: self.directions]]
            x = torch.cat([out for out, _ in runs], dim=2)  # (B, L, D*H)
            finals.extend(h for _, h in runs)
            if self.dropout and layer < self.num_layers - 1:
                x = nn.functional.dropout(x, self.dropout, self.training)
        return x, (torch.stack(finals), None)


class LSTMNet(nn.Module):
    """LSTM encoder over a window plus a head that outputs K forecast steps.

    Parameters
    ----------
    input_size : features per time step (F).
    hidden_size, num_layers, dropout, bidirectional : as in ``nn.LSTM``;
        dropout also applies before the head.
    cell_activation : "tanh" uses the fused ``nn.LSTM``; others use
        :class:`ActivatedLSTM`.
    head : "linear" or "mlp" (one hidden layer of ``head_hidden`` units).
    output_size : K, the steps predicted at once (MIMO when K > 1).
    skip_window : S > 0 adds a linear map of the last S values of feature 0
        (the target) to the output; ``skip_relative`` takes them relative to
        the last one (for targets that are changes from the last value).

    Notes
    -----
    For a bidirectional LSTM the last output step is *not* the backward
    direction's summary (it has read one step); the final hidden state of each
    direction (``h_n``) is used instead.
    """

    def __init__(self, input_size: int, hidden_size: int = 64, num_layers: int = 1,
                 *, dropout: float = 0.0, bidirectional: bool = False,
                 cell_activation: str = "tanh", head: str = "linear",
                 head_hidden: int = 64, head_activation: str = "relu",
                 output_size: int = 1, skip_window: int = 0,
                 skip_relative: bool = True) -> None:
        super().__init__()
        _check_args(input_size, hidden_size, num_layers, dropout, output_size,
                    cell_activation, head, head_activation)
        inner_dropout = dropout if num_layers > 1 else 0.0
        if cell_activation == "tanh":
            self.lstm: nn.Module = nn.LSTM(input_size, hidden_size, num_layers,
                                           batch_first=True, dropout=inner_dropout,
                                           bidirectional=bidirectional)
        else:
            self.lstm = ActivatedLSTM(input_size, hidden_size, num_layers,
                                      inner_dropout, bidirectional, cell_activation)
        _init_forget_bias(self.lstm, hidden_size)
        self.directions = 2 if bidirectional else 1
        width = hidden_size * self.directions
        self.drop = nn.Dropout(dropout)
        if head == "linear":
            self.head: nn.Module = nn.Linear(width, output_size)
        else:
            self.head = nn.Sequential(nn.Linear(width, head_hidden),
                                      HEAD_ACTIVATIONS[head_activation](),
                                      nn.Dropout(dropout),
                                      nn.Linear(head_hidden, output_size))

        # linear autoregressive path from the last L target values (LSTNet's
        # "highway"): the part of the signal a linear model explains needs no
        # LSTM, and it extrapolates where a saturating network cannot
        self.skip = nn.Linear(skip_window, output_size) if skip_window else None
        self.skip_relative = skip_relative
        if self.skip is not None:
            nn.init.zeros_(self.skip.weight)
            nn.init.zeros_(self.skip.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map windows (B, L, F) to forecasts (B, K)."""
        _, (h_n, _) = self.lstm(x)  # h_n: (layers*D, B, H)
        last = h_n[-self.directions:]  # (D, B, H): final state of each direction
        summary = torch.cat(list(last), dim=1)  # (B, D*H)
        out = self.head(self.drop(summary))  # (B, K)
        if self.skip is not None:
            target = x[:, -self.skip.in_features:, 0]  # (B, S): target channel
            if self.skip_relative:  # changes from the last value: shift-invariant
                target = target - target[:, -1:]
            out = out + self.skip(target)  # (B, K)
        return out

    def forward_steps(self, x: torch.Tensor) -> torch.Tensor:
        """Map a sequence (B, T, F) to a forecast at every step (B, T, K).

        Step t's output is what :meth:`forward` gives for a window ending at t
        when the LSTM state there is the same: the head reads the last layer's
        output at t, and the linear skip path reads the S target values ending
        at t (steps before the start count as 0; they fall in the burn-in that
        sequence training does not score). On exactly one window (T = L) the
        last step equals ``forward(x)``. Only unidirectional networks: the
        backward direction at t would have read the steps after t.
        """
        from lstmcast.network.sequences import check_sequences
        check_sequences(bidirectional=self.directions == 2)
        hidden, _ = self.lstm(x)  # (B, T, H): the last layer at every step
        out = self.head(self.drop(hidden))  # (B, T, K)
        if self.skip is not None:  # the linear path as a convolution: no (B, T, S)
            width = self.skip.in_features  # S
            target = nn.functional.pad(x[:, None, :, 0], (width - 1, 0))  # (B,1,T+S-1)
            weight = self.skip.weight  # (K, S): output k reads the S values up to t
            path = nn.functional.conv1d(target, weight[:, None, :])  # (B, K, T)
            path = path.transpose(1, 2)  # (B, T, K)
            if self.skip_relative:  # W (v - v_t) = W v - (sum of W) v_t
                path = path - x[:, :, :1] * weight.sum(dim=1)
            out = out + path + self.skip.bias  # (B, T, K)
        return out


def _check_args(input_size: int, hidden_size: int, num_layers: int, dropout: float,
                output_size: int, cell_activation: str, head: str,
                head_activation: str) -> None:
    for name, value in (("input_size", input_size), ("hidden_size", hidden_size),
                        ("num_layers", num_layers), ("output_size", output_size)):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"The '{name}' parameter must be an int. Got "
                            f"{type(value).__name__} instead.")
        if value < 1:
            raise ValueError(f"The '{name}' parameter must be an int >= 1. "
                             f"Got {value} instead.")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"The 'dropout' parameter must be in [0, 1). Got {dropout}.")
    for name, value, known in (("cell_activation", cell_activation, CELL_ACTIVATIONS),
                               ("head", head, ("linear", "mlp")),
                               ("head_activation", head_activation,
                                HEAD_ACTIVATIONS)):
        if value not in known:
            raise ValueError(f"The '{name}' parameter must be one of "
                             f"{', '.join(known)}. Got {value!r} instead.")


def _init_forget_bias(lstm: nn.Module, hidden_size: int) -> None:
    """Start with forget gates open (bias 1): the usual remedy for slow memory."""
    with torch.no_grad():
        for name, param in lstm.named_parameters():
            if name.startswith("bias_ih"):
                param[hidden_size: 2 * hidden_size].fill_(1.0)
            elif name.startswith("bias_hh"):
                param[hidden_size: 2 * hidden_size].fill_(0.0)


ACTIVATION_BUDGET = 2**28  # bytes of LSTM activations one inference batch may use
SEQUENCE_BUDGET = 2**26  # the same for chunks of thousands of steps: the fused
# LSTM also holds the input gates of every step (4H per step), and a test part
# of 2,000,000 points (10^7 rows) peaked at 1.58 GB with batches of 256 MB
BYTES_PER_UNIT_STEP = 16  # measured ~9 per window step per hidden unit; margin


def inference_batch(net: nn.Module, window: int, *, most: int = 8192,
                    budget: int = ACTIVATION_BUDGET, least: int = 64) -> int:
    """Windows per no-grad batch so that the LSTM's activations stay near
    ``budget`` (default :data:`ACTIVATION_BUDGET`, 256 MB): a fixed batch of
    8,192 windows took 2.4 GB at window 512 x hidden 64 (benchmarks/memory.py).
    Long sequences ask for less (:data:`SEQUENCE_BUDGET`, at least one)."""
    width = 1
    for module in net.modules():
        hidden, layers = getattr(module, "hidden_size", None), getattr(
            module, "num_layers", None)
        if isinstance(hidden, int) and isinstance(layers, int):
            both = getattr(module, "bidirectional", False) or getattr(
                module, "directions", 1) == 2
            width = max(width, hidden * layers * (2 if both else 1))
    per_window = max(window, 1) * width * BYTES_PER_UNIT_STEP
    return int(min(most, max(least, budget // per_window)))


def skip_width(skip: int | None, window: int) -> int:
    """Steps of the linear path: the whole window unless set (0 = off)."""
    return window if skip is None else min(skip, window)
