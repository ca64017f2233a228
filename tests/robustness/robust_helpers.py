"""Helpers shared by the robustness tests: tiny CSV files and one tiny model.

Imported as ``from robust_helpers import ...`` (pytest puts this folder on the
path); not a conftest, so that ``from conftest import ar_series`` keeps
meaning ``tests/conftest.py``.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from conftest import ar_series
from lstmcast.core.persist import sha256
from lstmcast.forecaster.estimator import LSTMForecaster

TINY = {"hidden_size": 8, "epochs": 2, "window": 8, "batch_size": 32, "seed": 0,
        "patience": 0}


def write_csv(tmp_path: Path, text: str, name: str = "data.csv") -> Path:
    """``text`` written to ``tmp_path/name`` as UTF-8."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def daily_csv(values: list[object], start: str = "2020-01-01") -> str:
    """A CSV of daily stamps (column ``date``) and ``value``."""
    import pandas as pd
    days = pd.date_range(start, periods=len(values), freq="D").strftime("%Y-%m-%d")
    return "date,value\n" + "".join(f"{d},{v}\n" for d, v in zip(days, values,
                                                                 strict=True))


@functools.lru_cache(maxsize=1)
def tiny_model() -> LSTMForecaster:
    """One fitted model with a covariate (fitted once per session; read only)."""
    est = LSTMForecaster(**TINY, strategy="mimo")
    return est.fit(ar_series(120), target="y", covariates=["x"])


def rehash(folder: Path, name: str) -> None:
    """Record the current hash and size of ``folder/name`` in the manifest (as
    a forger would, to get past the hash check)."""
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"][name] = sha256(folder / name)
    manifest.setdefault("bytes", {})[name] = (folder / name).stat().st_size
    (folder / "manifest.json").write_text(json.dumps(manifest))
