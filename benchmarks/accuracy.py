"""Accuracy of the default `lstmcast fit` on the public benchmark series.

Runs every series of ../shared/datasets/ (or --datasets DIR) under the protocol
of its CATALOG.md (test = last max(ceil(0.2 n), 24) points, one-step forecasts
from the true history, original scale), beside the naive baselines and the
oracle where known, and writes the table into BENCHMARKS.md between markers.

usage: python benchmarks/accuracy.py [--datasets DIR] [--jobs 2] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
COVARIATES = {"syn_exog": ("driver",),
              "uschange_cons": ("Income", "Production", "Savings", "Unemployment")}
ORDER = ["airline", "sunspots_monthly", "co2_weekly", "taylor_elec", "msft_close",
         "uschange_cons", "syn_ar2", "syn_seasonal24", "syn_randomwalk", "syn_exog"]
BEGIN, END = "<!-- accuracy:begin -->", "<!-- accuracy:end -->"


def run_one(args: tuple[str, str, int]) -> dict:
    """Fit the default config on one series; return its metrics row."""
    name, folder, threads = args
    os.environ["OMP_NUM_THREADS"] = str(threads)
    from lstmcast.config import ForecastConfig
    from lstmcast.evaluate import fit_evaluate
    from lstmcast.io import load
    from lstmcast.metrics import r2, skill
    path = Path(folder) / f"{name}.csv"
    covariates = COVARIATES.get(name, ())
    series = load(path, target="value", time="timestamp", covariates=covariates)
    cfg = ForecastConfig().replace(target="value", covariates=covariates,
                                   threads=threads)
    started = time.perf_counter()
    result = fit_evaluate(series, cfg)
    seconds = time.perf_counter() - started
    row = {"series": name, "n": len(series), "season": result.forecaster.season_,
           "window": result.forecaster.window_, "seconds": seconds,
           "epochs": len(result.forecaster.history_.history),
           "models": result.metrics}
    oracle = Path(folder) / "oracle" / f"{name}.csv"
    if oracle.exists():
        pred = pd.read_csv(oracle)["oracle_pred"].to_numpy(float)
        rows = np.arange(len(series) - result.split["n_test"], len(series))
        y = series.y
        row["oracle"] = {"r2": r2(y[rows], pred[rows]),
                         "skill_vs_naive": skill(y[rows], pred[rows], y[rows - 1])}
    return row


def peer_lstm_r2(folder: str) -> dict[str, float]:
    """Best R² of the Darts and NeuralForecast LSTMs, as CATALOG.md reports them."""
    path = Path(folder) / "CATALOG.md"
    if not path.exists():
        return {}
    best: dict[str, float] = {}
    header: list[str] = []
    for line in path.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if "Darts RNNModel LSTM" in cells:
            header = cells
            continue
        if header and len(cells) == len(header) and cells[0] in ORDER:
            values = [float(cells[i].split("/")[0]) for i, name in enumerate(header)
                      if ("Darts" in name or "NeuralForecast" in name) and cells[i]]
            best[cells[0]] = max(values)
        elif header and not line.startswith("|"):
            header = []
    return best


def table(rows: list[dict], peers: dict[str, float]) -> str:
    head = ("| series | n | season / window | lstmcast R² | skill vs naive | MASE | "
            "naive R² | seasonal naive R² | drift R² | best peer LSTM R² "
            "(CATALOG.md) | oracle R² | % of oracle | fit s | epochs |")
    lines = [head, "|---|" + "---:|" * (head.count("|") - 2)]
    for row in rows:
        m = row["models"]
        oracle = row.get("oracle", {}).get("r2")
        pct = (f"{100 * m['lstm']['r2'] / oracle:.1f}%" if oracle and
               m["lstm"]["r2"] is not None else "")
        lines.append(
            f"| {row['series']} | {row['n']} | {row['season']} / {row['window']} | "
            f"{fmt(m['lstm']['r2'])} | {fmt(m['lstm']['skill_vs_naive'], '+.3f')} | "
            f"{fmt(m['lstm']['mase'])} | {fmt(m['naive']['r2'])} | "
            f"{fmt(m['seasonal_naive']['r2'])} | {fmt(m['drift']['r2'])} | "
            f"{fmt(peers.get(row['series']), '.3f', '')} | {fmt(oracle, '.4f', '')} "
            f"| {pct} | {row['seconds']:.1f} | {row['epochs']} |")
    return "\n".join(lines)


def fmt(value: float | None, spec: str = ".4f", empty: str = "undefined") -> str:
    return empty if value is None or not math.isfinite(value) else \
        format(value, spec)


def write(rows: list[dict], jobs: int, threads: int, folder: str) -> None:
    import torch

    import lstmcast
    text = (f"{BEGIN}\nMade by `python benchmarks/accuracy.py` on {platform.node()} "
            f"({os.cpu_count()} cores, {platform.processor() or platform.machine()}),"
            f" Python {platform.python_version()}, torch {torch.__version__}, "
            f"lstmcast {lstmcast.__version__}; {jobs} series at a time, {threads} "
            f"torch thread(s) each; default settings, seed 0. Peer LSTM numbers are "
            f"quoted from ../shared/datasets/CATALOG.md (measured elsewhere), not "
            f"rerun here.\n\n{table(rows, peer_lstm_r2(folder))}\n{END}")
    path = ROOT / "BENCHMARKS.md"
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if BEGIN in old:
        new = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END):]
    else:
        new = old.rstrip() + "\n\n## Accuracy of the default fit\n\n" + text + "\n"
    path.write_text(new)
    (ROOT / "benchmarks" / "accuracy.json").write_text(json.dumps(rows, indent=1))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="*")
    a = ap.parse_args()
    if not Path(a.datasets).is_dir():
        print(f"no datasets folder at {a.datasets}; pass --datasets", file=sys.stderr)
        return 2
    names = [n for n in ORDER if not a.only or n in a.only]
    threads = max(1, (os.cpu_count() or 2) // a.jobs)
    with ProcessPoolExecutor(a.jobs) as pool:
        rows = list(pool.map(run_one, [(n, a.datasets, threads) for n in names]))
    for row in rows:
        lstm = row["models"]["lstm"]
        print(f"{row['series']:18s} R2 {fmt(lstm['r2'])}  skill "
              f"{fmt(lstm['skill_vs_naive'], '+.3f')}  {row['seconds']:.0f}s",
              flush=True)
    if not a.only:
        write(rows, a.jobs, threads, a.datasets)
    return 0


if __name__ == "__main__":
    sys.exit(main())
