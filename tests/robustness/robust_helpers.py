"""Helpers shared by the robustness tests: tiny CSV files and one tiny model.

Imported as ``from robust_helpers import ...`` (pytest puts this folder on the
path); not a conftest, so that ``from conftest import ar_series`` keeps
meaning ``tests/conftest.py``.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
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


# `lstmcast fit` in a real process (to kill it, or to race another one);
# SLOW_EPOCHS=seconds makes each epoch that much slower.
FIT_SCRIPT = """
import os, sys, time
if os.environ.get("SLOW_EPOCHS"):
    import lstmcast.network.train as T
    real = T._run_epoch
    def slow(*args, **kwargs):
        time.sleep(float(os.environ["SLOW_EPOCHS"]))
        return real(*args, **kwargs)
    T._run_epoch = slow
from lstmcast.cli.app import main
sys.argv = ["lstmcast", *sys.argv[1:]]
main()
"""
FIT_FLAGS = ["--no-auto", "--target", "y", "--hidden-size", "8", "--window", "12",
             "--epochs", "8", "--patience", "0", "--batch-size", "32", "--threads",
             "1", "--quiet"]


def cli_process(script: Path, csv: Path, out: Path, *extra: str, slow: str = ""
                ) -> subprocess.Popen:
    """``lstmcast fit CSV --out OUT`` (tiny settings) started by ``script``
    (holding FIT_SCRIPT); stdout and stderr together."""
    env = {**os.environ, "SLOW_EPOCHS": slow, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, str(script), "fit", str(csv), "--out",
                             str(out), *FIT_FLAGS, *extra], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
