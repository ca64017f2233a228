"""How a global model's fit grows with the number of series: 1,000, 10,000
and 100,000 synthetic monthly series of 300 values each.

Each size runs in a fresh child process: the panel is built as a long
DataFrame (id, date, value), read by ``load_panel``, fitted by ``fit_panel``
and forecast by ``forecast_panel``, every step once: the combination's
weights are given (``network_weight`` 0.5), so the fit trains one network and
the forecast fits the classical methods of every series. (``--validation``
lets the fit choose the combination as it does by default: a second network
and the classical fits once more, on the series without their last 18
values: about twice the time.) The child's peak resident set size
(getrusage) covers all of it. Timers around the steps give the seconds of
reading, of scaling (fit and forecast), of the classical fits (Theta, damped
ETS, dynamic Theta), of the network's training and of its forecasts.

Two knobs keep the biggest size within an hour on 2 shared cores; the table
says where they were used: the network trains at most ``--max-steps``
optimizer steps a fit (an epoch of 100,000 series is 24,000 steps of 1,024
windows), so its seconds per epoch are the measured seconds per step times
the steps of an epoch where it was cut; the classical methods take
``--classical-steps`` Adam steps (400 by default in lstmcast, where their
time grows in proportion).

usage: python benchmarks/panel_scale.py [--sizes 1000 10000 100000]
       [--points 300] [--max-steps 300] [--classical-steps 10] [--quick]
(sizes run earlier are kept from benchmarks/panel_scale.json: run them apart)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sections import write_section

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- panel-scale:begin -->", "<!-- panel-scale:end -->"
HORIZON, SEASON = 18, 12
LIMIT_GB = 4.0
SAVED = ROOT / "benchmarks" / "panel_scale.json"


def synthetic(n: int, points: int, seed: int = 0):
    """``n`` monthly series of ``points`` values: level, trend, a season of 12
    and noise, in long format (id, ds, y)."""
    import pandas as pd
    rng = np.random.default_rng(seed)
    t = np.arange(points)
    y = np.empty((n, points))
    for lo in range(0, n, 10_000):  # in blocks: no (n, points) temporaries
        k = min(n, lo + 10_000) - lo
        level = rng.uniform(50, 500, (k, 1))
        trend = 1 + 0.002 * t[None, :] * rng.normal(1, 0.5, (k, 1))
        phase = rng.integers(0, SEASON, (k, 1))
        season = 1 + 0.1 * np.sin(2 * np.pi * (t[None, :] + phase) / SEASON)
        y[lo:lo + k] = level * trend * season * np.exp(rng.normal(0, 0.03, (k, points)))
    dates = pd.date_range("2000-01-01", periods=points, freq="MS").to_numpy()
    return pd.DataFrame({"unique_id": np.repeat(np.arange(n), points),
                         "ds": np.tile(dates, n), "y": y.reshape(-1)})


class Timers:
    """Seconds spent inside wrapped functions, by label (nested calls of the
    same label count once)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.depth: dict[str, int] = {}

    def wrap(self, owner: object, name: str, label: str) -> None:
        real = getattr(owner, name)

        def timed(*args, **kwargs):
            self.depth[label] = self.depth.get(label, 0) + 1
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.depth[label] -= 1
                if not self.depth[label]:
                    self.seconds[label] = (self.seconds.get(label, 0.0)
                                           + time.perf_counter() - started)
        setattr(owner, name, timed)


def child(n: int, points: int, max_steps: int, classical_steps: int,
          validation: bool) -> dict:
    """Build, read, fit and forecast one panel; the measurements."""
    from lstmcast.baselines import joint
    from lstmcast.core.config import ForecastConfig
    from lstmcast.data.panel_loading import load_panel
    from lstmcast.network import train as train_module
    from lstmcast.panel import fit as fit_module
    from lstmcast.panel import predict as predict_module
    joint.STEPS = classical_steps
    timers = Timers()
    timers.wrap(fit_module, "scale_series", "scale")
    timers.wrap(predict_module, "scale_series", "scale")
    timers.wrap(predict_module, "classical_paths", "classical")
    timers.wrap(predict_module, "network_paths", "network_forecast")
    runs: list = []
    real_train = train_module.train

    def train(*args, **kwargs):
        result = real_train(*args, **kwargs)
        runs.append((result.steps, result.seconds))
        return result
    train_module.train = train
    frame = synthetic(n, points)
    started = time.perf_counter()
    panel = load_panel(frame, id="unique_id", target="y", time="ds")
    load_s = time.perf_counter() - started
    del frame
    fixed = {} if validation else {"network_weight": 0.5}
    config = fit_module.panel_config(ForecastConfig().replace(
        horizon=HORIZON, season=SEASON, epochs=1, max_steps=max_steps, seed=0,
        **fixed))
    _progress(n, "read", load_s)
    started = time.perf_counter()
    state = fit_module.fit_panel(panel, config, given=frozenset(fixed))
    fit_s = time.perf_counter() - started
    _progress(n, "fit", fit_s, timers.seconds)
    started = time.perf_counter()
    forecast = predict_module.forecast_panel(state, panel)
    predict_s = time.perf_counter() - started
    assert np.isfinite(forecast.forecast).all()
    windows = state.n_train_windows
    batch = state.config.train.batch_size
    steps, seconds = runs[-1]  # the final fit's network
    per_epoch = -(-windows // batch)
    return {"series": n, "points": points, "values": int(panel.values.size),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "load_s": load_s, "fit_s": fit_s, "predict_s": predict_s,
            "timers": timers.seconds, "windows": windows, "batch": batch,
            "steps_per_epoch": per_epoch, "steps": steps, "train_s": seconds,
            "epoch_s": seconds / steps * per_epoch, "cut": steps < per_epoch,
            "trainings": len(runs), "classical_steps": classical_steps,
            "validation": validation,
            "weights": state.weights}


def _saved() -> list[dict]:
    """The rows of earlier runs (panel_scale.json), so sizes can be run apart
    and the table still shows them all."""
    try:
        return json.loads(SAVED.read_text())
    except (OSError, ValueError):
        return []


def _progress(n: int, step: str, seconds: float, timers: dict | None = None) -> None:
    """A line on stderr as each step ends (a long run shows where it is)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"series": n, "step": step, "seconds": seconds,
                      "peak_mb": peak, "timers": timers or {}}),
          file=sys.stderr, flush=True)


def run_child(n: int, args: argparse.Namespace) -> dict:
    """One size in a fresh process (its own peak RSS); load beside it."""
    before = os.getloadavg()[0]
    cmd = [sys.executable, __file__, "--child", str(n), "--points", str(args.points),
           "--max-steps", str(args.max_steps), "--classical-steps",
           str(args.classical_steps)] + (["--validation"] if args.validation else [])
    started = time.perf_counter()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, text=True,
                          cwd=ROOT / "benchmarks")  # stderr: the child's progress
    if done.returncode:
        raise SystemExit(f"{n} series failed (exit {done.returncode})")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["wall_s"] = time.perf_counter() - started
    out["load_before"], out["load_after"] = before, os.getloadavg()[0]
    print(json.dumps(out), flush=True)
    return out


def table(rows: list[dict]) -> str:
    """The BENCHMARKS.md section."""
    lines = [BEGIN, "",
             "`python benchmarks/panel_scale.py --max-steps N --classical-steps S` "
             f"(N and S as in the table) on {platform.machine()}, "
             f"{os.cpu_count()} cores shared with three other engineers' work "
             "(the load average, runnable processes on 2 cores, is given for each "
             "size: above 2 means this run had less than the whole machine). "
             f"Synthetic monthly panels, horizon {HORIZON}, season {SEASON}, "
             "window 36, `fit_panel` (weights given: no validation fit) then "
             "`forecast_panel`, each step once; "
             "one epoch a network, hidden 64, batch from the number of windows. "
             f"Peak memory must stay under {LIMIT_GB:g} GB.", "",
             "| series | values | peak RSS | read ms/series | scale ms/series "
             "| classical ms/series (S) | network s/step | network s/epoch | windows "
             "| steps run (N) | forecast ms/series | total s | load avg |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        n, t = r["series"], r["timers"]
        ms = lambda s, n=n: f"{1000 * s / n:.2f}"  # noqa: E731
        epoch = f"{r['epoch_s']:,.0f}" + ("*" if r["cut"] else "")
        lines.append(
            f"| {n:,} | {r['values']:,} | {r['peak_mb'] / 1024:.2f} GB "
            f"| {ms(r['load_s'])} | {ms(t.get('scale', 0))} "
            f"| {ms(t.get('classical', 0))} ({r['classical_steps']}) "
            f"| {r['train_s'] / r['steps']:.2f} | {epoch} "
            f"| {r['windows']:,} | {r['steps']:,} of {r['steps_per_epoch']:,} "
            f"({r['max_steps']:,}) "
            f"| {ms(t.get('network_forecast', 0))} | {r['wall_s']:,.0f} "
            f"| {r['load_before']:.1f}-{r['load_after']:.1f} |")
    lines += ["",
              "Scale: the two scalings of every series (fit, forecast). "
              "Classical: Theta, damped ETS and the dynamic Theta "
              "with S Adam steps (lstmcast's default is 400: the joint fits' "
              "share grows about in proportion), in chunks of series on 2 "
              "threads. "
              "Network s/epoch: one epoch of the fit; * where "
              "`--max-steps N` cut it, the measured seconds per "
              "step times the steps of a whole epoch. Forecast: the network's "
              "forecasts of every series. Peak RSS: the whole child, building "
              "the DataFrame included. A step's seconds do not grow with the "
              "series, so an epoch grows with the windows (all seconds are wall "
              "time under the load shown). Per-series costs (read, scale, "
              "classical, forecast) do not grow with the series either (they "
              "fall where fixed start-up costs spread over more series); the "
              "peak grows with the values "
              "(the DataFrame and what reading it takes, then the panel, its "
              "float32 scaled copy, one chunk of the classical fits a thread), "
              "not with the windows. The default fit (`--validation`) runs the "
              "training and the classical fits twice: about twice the time.",
              "", END]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", type=int, default=[1000, 10_000, 100_000])
    ap.add_argument("--points", type=int, default=300)
    ap.add_argument("--max-steps", type=int, default=300)
    ap.add_argument("--classical-steps", type=int, default=10)
    ap.add_argument("--quick", action="store_true", help="1,000 and 10,000 only")
    ap.add_argument("--table", action="store_true",
                    help="only write the section from benchmarks/panel_scale.json")
    ap.add_argument("--validation", action="store_true",
                    help="choose the combination on validation (fit_panel's "
                         "default): a second training and classical fits")
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.points, args.max_steps,
                               args.classical_steps, args.validation)))
        return 0
    sizes = [s for s in args.sizes if s <= 10_000] if args.quick else args.sizes
    for n in [] if args.table else sizes:
        row = run_child(n, args)
        row["max_steps"] = args.max_steps
        rows = {r["series"]: r for r in _saved()}  # sizes run before, or apart
        rows[n] = row
        SAVED.write_text(json.dumps([rows[k] for k in sorted(rows)], indent=1))
    rows = _saved()
    write_section(table(rows), BEGIN, END, "Panels at scale")
    over = [r["series"] for r in rows if r["peak_mb"] / 1024 >= LIMIT_GB]
    if over:
        print(f"peak memory over {LIMIT_GB} GB at {over} series", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
