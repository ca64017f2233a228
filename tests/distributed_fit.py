"""`lstmcast fit` as tests/test_distributed.py runs it, alone or under
torchrun (a helper, not a test module): the classical methods take 40 Adam
steps (as the `quick_classical` fixture), and every process writes how many
training windows it gathered to ``$COUNTS/rank<RANK>.json`` on exit, so the
test can see each process train its own share of the batches."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from lstmcast.baselines import joint
from lstmcast.cli.app import app
from lstmcast.panel import windows

joint.STEPS = 40
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
