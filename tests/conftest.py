"""Shared fixtures: small seeded series and tiny, fast model settings."""

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmcast import ForecastConfig, load

FAST = {"hidden_size": 8, "epochs": 3, "window": 12, "batch_size": 32, "seed": 0}


def ar_series(n: int = 240, seed: int = 0, start: str | None = "2000-01-01",
              freq: str = "D") -> pd.DataFrame:
    """A seasonal AR(1) series with a date column ``ds`` and target ``y``."""
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 0.7 * y[t - 1] + rng.normal()
    y += 10 + 3 * np.sin(2 * np.pi * np.arange(n) / 7)
    frame = pd.DataFrame({"y": y})
    if start is not None:
        frame.insert(0, "ds", pd.date_range(start, periods=n, freq=freq))
    frame["x"] = rng.normal(size=n)
    return frame


@pytest.fixture
def series_frame() -> pd.DataFrame:
    return ar_series()


@pytest.fixture
def fast() -> dict:
    return dict(FAST)


class Killed(Exception):
    """Stands for a process killed mid-training (resume tests)."""


def killed_after(epochs: int, monkeypatch) -> None:
    """Make the next training run die at the start of epoch ``epochs + 1``."""
    from lstmcast.network import train as train_module
    real, calls = train_module._run_epoch, []

    def run_epoch(*args, **kwargs):
        calls.append(1)
        if len(calls) > epochs:
            raise Killed
        return real(*args, **kwargs)
    monkeypatch.setattr(train_module, "_run_epoch", run_epoch)


def killed_then_resumed(run, folder, epochs: int, monkeypatch):
    """Run ``run()`` killed after ``epochs`` epochs with a checkpoint every
    epoch into ``folder``, then resume it: (net, result, the epoch the last
    checkpoint held)."""
    import json

    import pytest

    from lstmcast.network.checkpoint import checkpointing
    killed_after(epochs, monkeypatch)
    with pytest.raises(Killed), checkpointing(folder, every=1):
        run()
    monkeypatch.undo()
    saved = json.loads((folder / "run0.json").read_text())["epoch"]
    with checkpointing(folder, every=1, resume=True):
        net, result = run()
    return net, result, saved



@pytest.fixture
def quick_classical(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fewer Adam steps for the classical methods fitted beside a global model
    (Theta, damped ETS, dynamic Theta): their accuracy is measured by
    benchmarks/competitions.py, the tests check behaviour."""
    from lstmcast.baselines import joint
    monkeypatch.setattr(joint, "STEPS", 40)


def forge(folder: Path, name: str, values: dict) -> None:
    """Write ``values`` as ``folder/name`` and its hash and size into the
    manifest, as a forger (or an older lstmcast) would."""
    data = json.dumps(values).encode()
    (folder / name).write_bytes(data)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][name] = hashlib.sha256(data).hexdigest()
    manifest["bytes"][name] = len(data)
    (folder / "manifest.json").write_text(json.dumps(manifest))


FAST_AUTO = {**FAST, "epochs": 2, "threads": 1}
"""fit --auto's tests: the candidates as small and short as FAST, one thread."""


def auto_config(**extra) -> ForecastConfig:
    """The default config with FAST_AUTO's settings, target ``y``."""
    return ForecastConfig().replace(target="y", **{**FAST_AUTO, **extra})


@pytest.fixture
def seasonal():
    """A seasonal AR(1) series of 240 daily values (``ar_series``), loaded."""
    return load(ar_series(240), target="y")
