"""`lstmcast fit` as tests/test_distributed.py runs it, alone or under
torchrun (a helper, not a test module). The test compares the network's
training, so what does not touch it is made cheap: the classical components
forecast the last value (their fits and the report's figures took 13 of a
fit's 18 s, in every process), and the report is not drawn. Every process
writes how many training windows it gathered to ``$COUNTS/rank<RANK>.json``
on exit, so the test can see each process train its own share of the
batches."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

from lstmcast.cli.app import app
from lstmcast.panel import predict, windows
from lstmcast.report import runs


def last_values(histories: list[np.ndarray], season: int, horizon: int,
                names: tuple[str, ...] = ("theta", "damped", "dtheta")
                ) -> dict[str, np.ndarray]:
    last = np.array([h[np.isfinite(h)][-1] for h in histories])
    return {name: np.repeat(last[:, None], horizon, axis=1) for name in names}


predict.classical_paths = last_values  # type: ignore[assignment]
runs.write_report = lambda *args, **kwargs: None  # type: ignore[assignment]
gathered = [0]
_batch = windows.PanelWindows.batch


def counted(self: windows.PanelWindows, rows: object) -> object:
    gathered[0] += len(rows)
    return _batch(self, rows)


windows.PanelWindows.batch = counted  # type: ignore[method-assign]
try:
    app(sys.argv[1:])
finally:
    rank = os.environ.get("RANK", "0")
    Path(os.environ["COUNTS"], f"rank{rank}.json").write_text(json.dumps(gathered[0]))
