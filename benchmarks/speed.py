"""Training speed of lstmcast's trainer against a bare PyTorch loop, same run.

Matched configuration (issue 7): univariate, window 48, hidden 64 x 2 layers,
batch 256, Adam, MSE, float32, 20,000 points, 3 epochs. Both loops see the same
windows in the same order; the bare loop is the shortest correct PyTorch code
(strided windows, LSTM, linear head on the last step). Writes the table into
BENCHMARKS.md between markers; run it alone on the machine.

usage: python benchmarks/speed.py [--points 20000] [--epochs 3] [--repeats 3] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- speed:begin -->", "<!-- speed:end -->"


def series(n: int) -> torch.Tensor:
    rng = np.random.default_rng(0)
    y = np.sin(np.arange(n) * 2 * np.pi / 24) + 0.1 * rng.normal(size=n)
    return torch.tensor(y, dtype=torch.float32).reshape(n, 1)


def bare_loop(feats: torch.Tensor, window: int, hidden: int, layers: int,
              batch: int, epochs: int) -> float:
    """Samples per second of a minimal PyTorch training loop."""
    torch.manual_seed(0)
    lstm = nn.LSTM(1, hidden, layers, batch_first=True)
    head = nn.Linear(hidden, 1)
    opt = torch.optim.Adam([*lstm.parameters(), *head.parameters()], lr=1e-3)
    view = feats[:-1].unfold(0, window, 1).transpose(1, 2)  # (N-L, L, 1) view
    target = feats[window:]  # (N-L, 1)
    gen = torch.Generator().manual_seed(0)
    started, seen = time.perf_counter(), 0
    for _ in range(epochs):
        order = torch.randperm(len(view), generator=gen)
        for lo in range(0, len(order), batch):
            rows = order[lo: lo + batch]
            out, _ = lstm(view[rows])  # (B, L, H)
            loss = nn.functional.mse_loss(head(out[:, -1]), target[rows])
            opt.zero_grad()
            loss.backward()
            opt.step()
            seen += len(rows)
    return seen / (time.perf_counter() - started)


def lstmcast_loop(feats: torch.Tensor, window: int, hidden: int, layers: int,
                  batch: int, epochs: int) -> float:
    """Samples per second of lstmcast.train.train on the same windows."""
    from lstmcast.config import TrainConfig
    from lstmcast.model import LSTMNet
    from lstmcast.train import train
    from lstmcast.windows import WindowSet
    n = len(feats)
    targets = torch.full((n, 1), float("nan"))
    targets[:-1] = feats[1:]
    data = WindowSet(feats, targets, window, np.arange(window - 1, n - 1))
    net = LSTMNet(1, hidden, layers, skip_window=0)
    cfg = TrainConfig(epochs=epochs, batch_size=batch, lr=1e-3, patience=0,
                      scheduler="none", clip_grad=None)
    result = train(net, data, None, cfg)
    return len(data) * epochs / result.seconds


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--points", type=int, default=20_000)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--quick", action="store_true", help="skip hidden 256")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    feats = series(a.points)
    bare_loop(feats[:3000], 48, 64, 2, 256, 1)  # warm up threads and allocator
    lstmcast_loop(feats[:3000], 48, 64, 2, 256, 1)
    rows = []
    configs = [(64, 48), (16, 48), (128, 48), (256, 48), (64, 24), (64, 96)]
    for hidden, window in [c for c in configs if not (a.quick and c[0] == 256)]:
        bare, ours = [], []
        for i in range(a.repeats):  # alternate which loop goes first
            pair = [(bare, bare_loop), (ours, lstmcast_loop)]
            for store, loop in pair if i % 2 == 0 else pair[::-1]:
                store.append(loop(feats, window, hidden, 2, 256, a.epochs))
        rows.append((hidden, window, bare, ours))
        print(f"hidden {hidden} window {window}: bare {statistics.median(bare):.0f} "
              f"lstmcast {statistics.median(ours):.0f} samples/s", flush=True)
    write(rows, a)
    return 0


def write(rows: list, a: argparse.Namespace) -> None:
    lines = ["| hidden x 2 layers | window | bare PyTorch samples/s | lstmcast "
             "samples/s | lstmcast / bare |", "|---:|---:|---:|---:|---:|"]
    for hidden, window, bare, ours in rows:
        b, o = statistics.median(bare), statistics.median(ours)
        lines.append(f"| {hidden} | {window} | {b:,.0f} (range {min(bare):,.0f}-"
                     f"{max(bare):,.0f}) | {o:,.0f} (range {min(ours):,.0f}-"
                     f"{max(ours):,.0f}) | {o / b:.2f} |")
    text = (f"{BEGIN}\nMade by `python benchmarks/speed.py` on {platform.node()} "
            f"({os.cpu_count()} cores), torch {torch.__version__}, {a.threads} "
            f"threads; {a.points:,} points, {a.epochs} epochs, batch 256, Adam, MSE, "
            f"float32; median of {a.repeats} runs (range in brackets). lstmcast "
            "runs its full `train()` (shuffling, per-epoch bookkeeping, best-weight "
            "copies) with the linear skip path off to match the bare model.\n\n"
            + "\n".join(lines) + f"\n{END}")
    path = ROOT / "BENCHMARKS.md"
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if BEGIN in old:
        new = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip() + "\n\n## Training speed against a bare PyTorch loop\n\n" \
            + text + "\n"
    path.write_text(new)


if __name__ == "__main__":
    sys.exit(main())
