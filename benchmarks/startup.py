"""Start-up and inference time.

1. `lstmcast --help` wall time (the command from the same environment as this
   Python), a fresh process each time: median and range over repeats, plus
   `python -c "import lstmcast"` for comparison.
2. One-step forecasts of 10^5 test points from their true history through the
   Python API (`LSTMForecaster.predict_one_step`, batched inside), with the
   default network (hidden 64, 1 layer, window 48) fitted for a few steps on the
   first 10,000 points; median and range over repeats.

usage: python benchmarks/startup.py [--repeats 7] [--points 100000] [--quick]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sections import write_section

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- startup:begin -->", "<!-- startup:end -->"
HELP_TARGET, TRAIN_POINTS = 0.5, 10_000


def wall(cmd: list[str], repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - started)
    return times


def inference(points: int, repeats: int, threads: int) -> tuple[list[float], int]:
    import torch

    from lstmcast import LSTMForecaster
    torch.set_num_threads(threads)
    n = TRAIN_POINTS + points
    rng = np.random.default_rng(0)
    t = np.arange(n)
    frame = pd.DataFrame({"timestamp": t, "value": np.sin(2 * np.pi * t / 24)
                          + 0.3 * rng.normal(size=n)})
    est = LSTMForecaster(window=48, season=24, max_steps=20, epochs=1,
                         threads=threads)
    est.fit(frame.iloc[:TRAIN_POINTS], target="value", time="timestamp")
    rows = np.arange(TRAIN_POINTS, n)
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        pred = est.predict_one_step(frame, rows)
        times.append(time.perf_counter() - started)
    assert len(pred) == points and np.isfinite(pred).all()
    return times, est.window_


def spread(values: list[float], unit: str = "s", digits: int = 3) -> str:
    med = statistics.median(values)
    return (f"{med:.{digits}f} {unit} (range {min(values):.{digits}f}-"
            f"{max(values):.{digits}f}, {len(values)} runs)")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--quick", action="store_true", help="3 repeats")
    a = ap.parse_args()
    if a.quick:
        a.repeats = 3
    exe = str(Path(sys.executable).with_name("lstmcast"))
    load = [os.getloadavg()[0]]
    wall([exe, "--help"], 1)  # warm the file cache
    helps = wall([exe, "--help"], a.repeats)
    imports = wall([sys.executable, "-c", "import lstmcast"], a.repeats)
    load.append(os.getloadavg()[0])
    infer, window = inference(a.points, a.repeats, a.threads)
    load.append(os.getloadavg()[0])
    help_med = statistics.median(helps)
    print(f"--help {help_med:.3f}s, import {statistics.median(imports):.3f}s, "
          f"inference {statistics.median(infer):.3f}s", flush=True)
    import torch

    import lstmcast
    rate = a.points / statistics.median(infer)
    lines = ["| what | wall time | target | met |", "|---|---:|---:|---|",
             f"| `lstmcast --help` | {spread(helps)} | < {HELP_TARGET} s | "
             f"{'yes' if help_med < HELP_TARGET else 'NO'} |",
             f"| `python -c \"import lstmcast\"` | {spread(imports)} | | |",
             f"| one-step forecasts of {a.points:,} test points "
             f"(`predict_one_step`, window {window}, hidden 64) | {spread(infer)}; "
             f"{rate:,.0f} points/s | seconds | "
             f"{'yes' if statistics.median(infer) < 60 else 'NO'} |"]
    text = (f"{BEGIN}\nMade by `python benchmarks/startup.py"
            f"{' --quick' if a.quick else ''}` on {platform.node()} "
            f"({os.cpu_count()} cores), Python {platform.python_version()}, torch "
            f"{torch.__version__}, lstmcast {lstmcast.__version__}; inference with "
            f"{a.threads} torch thread(s); load average (1 min) "
            f"{' / '.join(f'{v:.1f}' for v in load)} at the start / after the "
            "start-up runs / after inference.\n\n" + "\n".join(lines) + f"\n{END}")
    write_section(text, BEGIN, END, "Start-up and inference")
    return 0


if __name__ == "__main__":
    sys.exit(main())
