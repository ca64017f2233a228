"""Prediction intervals on the public benchmark series: lstmcast's conformal
bands beside statsforecast AutoETS's own intervals, on the same test points.

Protocol (../shared/datasets/CATALOG.md): test = the last max(ceil(0.2 n), 24)
points, one-step forecasts from the true history with fixed parameters,
original scale. Per method: empirical coverage of the 80% and 95% intervals,
MSIS (M4: alpha 0.05, divided by the in-sample seasonal naive MAE of the
training part, with the catalog's season) and the pinball loss (mean over the
four bounds' quantiles and the point forecast as the median); all scored by
lstmcast.intervals.scores, the same code for every method.

- lstmcast fit: the default ``fit`` (``fit_auto``: the model chosen on
  validation, the catalog's covariates), and lstmcast --no-auto
  (``fit_evaluate``, default settings); bands from the errors of each one's
  forecasts of the validation part (the tail of the training part; for a
  network ``fit`` chose on several folds, the search's forward errors),
  never the test part, times a local scale at each origin (from the history
  before it: the forecaster's recent one-step errors, or the series' recent
  changes; benchmarks/calibration_scale.py).
- naive: conformal from its one-step errors on the training part.
- AutoETS (statsforecast, in .venv-bench): ``AutoETS(season_length=s)`` fitted
  on the training part; the test points' one-step forecasts are ``forward(y,
  h=1, fitted=True)``'s fitted values (fixed parameters, true history); the
  interval is statsforecast's fitted-interval formula, fitted +- z sigma, with
  sigma from the training residuals as ``fit`` estimates it. (``forward``'s own
  fitted intervals take sigma from the residuals of the whole series, test
  part included, so they are not used.) Gaps are forward-filled for ETS.

Writes benchmarks/intervals.json and the "Prediction intervals" section of
BENCHMARKS.md, with the machine load.

usage: python benchmarks/intervals.py [--datasets DIR] [--jobs 2] [--only NAME ...]
       python benchmarks/intervals.py --ablation     # the local-scale table (seconds)
       python benchmarks/intervals.py --from-json    # the table from intervals.json
       (the ETS part runs itself in .venv-bench: --ets-worker)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
BENCH_PYTHON = Path(os.environ.get("BENCH_PYTHON",
                                   ROOT / ".venv-bench" / "bin" / "python"))
SEASONS = {"airline": 12, "sunspots_monthly": 1, "co2_weekly": 52,
           "taylor_elec": 48, "msft_close": 1, "uschange_cons": 4, "syn_ar2": 1,
           "syn_seasonal24": 24, "syn_randomwalk": 1, "syn_exog": 1}
COVARIATES = {"syn_exog": ("driver",),
              "uschange_cons": ("Income", "Production", "Savings", "Unemployment")}
LEVELS = (80.0, 95.0)
BEGIN, END = "<!-- intervals:begin -->", "<!-- intervals:end -->"


def test_start(n: int) -> int:
    return n - max(-(-n // 5), 24)


def run_lstm(args: tuple[str, str, str]) -> dict:
    """Fit lstmcast on one series (``mode`` auto: the default ``fit``; plain:
    ``--no-auto``); its test bands."""
    name, folder, mode = args
    os.environ["OMP_NUM_THREADS"] = "1"
    from lstmcast.baselines.simple import Naive
    from lstmcast.core.config import ForecastConfig
    from lstmcast.data.loading import load
    from lstmcast.evaluation.holdout import fit_evaluate
    from lstmcast.evaluation.intervals import baseline_calibration, one_step_columns
    series = load(Path(folder) / f"{name}.csv", target="value", time="timestamp",
                  covariates=COVARIATES.get(name, ()))
    cfg = ForecastConfig().replace(target="value", threads=1,
                                   covariates=COVARIATES.get(name, ()))
    started = time.perf_counter()
    if mode == "auto":
        from lstmcast.search.auto import fit_auto
        result = fit_auto(series, cfg, refit=False)
    else:
        result = fit_evaluate(series, cfg, doctor=False, refit=False)
    pred = result.predictions
    y, n_train = series.y, len(series) - len(pred)
    naive = pred["naive"].to_numpy(float)
    cal = baseline_calibration(Naive().fit(y[:n_train]), y, n_train, 1)
    naive_bands = one_step_columns(cal, naive, LEVELS, ())
    lstm_cal = result.forecaster.state_.calibration
    return {"series": name, "mode": mode, "n": len(series), "n_train": n_train,
            "chosen": (result.auto or {}).get("chosen", "plain"),
            "seconds": time.perf_counter() - started,
            "validation_errors": int(lstm_cal.counts()[0]),
            "load": os.getloadavg()[0],
            "lstmcast": {"point": pred["lstm"].tolist(), **{
                k: pred[f"lstm-{k}"].tolist() for k in
                ("lo-80", "hi-80", "lo-95", "hi-95")}},
            "naive": {"point": naive.tolist(),
                      **{k: v.tolist() for k, v in naive_bands.items()}}}


def ets_worker() -> None:
    """(in .venv-bench) Read {name: [path, n_train, season]} on stdin, write
    AutoETS's one-step test forecasts and bands as JSON on stdout."""
    from scipy.stats import norm
    from statsforecast.models import AutoETS
    jobs = json.load(sys.stdin)
    out = {}
    for name, (path, n_train, season) in jobs.items():
        y = pd.read_csv(path)["value"].ffill().bfill().to_numpy(float)
        started = time.perf_counter()
        model = AutoETS(season_length=season).fit(y[:n_train])
        resid = y[:n_train] - model.model_["fitted"]
        sigma = float(np.sqrt(np.nansum(resid ** 2)
                              / (n_train - model.model_["n_params"])))
        fitted = model.forward(y=y, h=1, fitted=True)["fitted"][n_train:]
        entry = {"point": fitted.tolist(), "model": str(model.model_["method"]),
                 "seconds": time.perf_counter() - started}
        for level in (80, 95):
            z = float(norm.ppf(0.5 + level / 200))
            entry[f"lo-{level}"] = (fitted - z * sigma).tolist()
            entry[f"hi-{level}"] = (fitted + z * sigma).tolist()
        out[name] = entry
    json.dump(out, sys.stdout)


ABLATION_BEGIN, ABLATION_END = "<!-- intervals-scale:begin -->", \
    "<!-- intervals-scale:end -->"


def scaling_ablation(folder: str, windows: tuple[int, ...] = (0, 12, 24, 48)
                     ) -> str:
    """Why lstmcast scales its calibration errors locally: the naive
    forecast's one-step errors of the validation part (the last 20% of the
    training part) calibrate bands for its test forecasts, unscaled (window
    0) or divided by the local scale over ``window`` steps
    (lstmcast.forecaster.calibrate.local_scale); coverage on the test part."""
    from lstmcast.forecaster.calibrate import local_scale
    from lstmcast.intervals.conformal import Calibration
    from lstmcast.intervals.scores import coverage
    lines = ["| series | " + " | ".join(
        "unscaled" if w == 0 else f"local, {w} steps" for w in windows) + " |",
        "|---|" + "---:|" * len(windows)]
    for name in SEASONS:
        y = pd.read_csv(Path(folder) / f"{name}.csv")["value"].to_numpy(float)
        n = len(y)
        k = test_start(n)
        n_fit = k - -(-k // 5)
        val, test = np.arange(n_fit, k), np.arange(k, n)
        filled = pd.Series(y).ffill().to_numpy()
        cells = []
        for w in windows:
            sv = local_scale(y, val - 1, w) if w else np.ones(len(val))
            st = local_scale(y, test - 1, w) if w else np.ones(len(test))
            cal = Calibration(errors=((y[val] - filled[val - 1]) / sv)[:, None])
            bands = cal.bands(filled[test - 1][:, None], st, LEVELS)
            covered = [coverage(y[test], bands[f"lo-{lv:g}"][:, 0],
                                bands[f"hi-{lv:g}"][:, 0]) for lv in LEVELS]
            cells.append(" / ".join(f"{c:.1f}" for c in covered))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def score(y: np.ndarray, n_train: int, season: int, bands: dict) -> dict:
    from lstmcast.evaluation.intervals import scale_of
    from lstmcast.intervals.scores import band_scores
    actual = y[n_train:]
    cols = {k: np.asarray(v, dtype=float) for k, v in bands.items() if k != "point"
            and k.startswith(("lo-", "hi-"))}
    return band_scores(actual, cols, LEVELS, scale=scale_of(y[:n_train], season),
                       point=np.asarray(bands["point"], dtype=float))


def oracle_bands(folder: str, name: str, n_train: int) -> dict | None:
    """The bands the truth gives, for a synthetic series with an oracle file
    (its true conditional mean): that mean +- z sigma, sigma the standard
    deviation of the values around it over the training part; None for a
    series without one. What no method can beat but by luck."""
    from scipy.stats import norm
    path = Path(folder) / "oracle" / f"{name}.csv"
    if not path.exists():
        return None
    frame = pd.read_csv(path)
    y, mean = frame["value"].to_numpy(float), frame["oracle_pred"].to_numpy(float)
    noise = (y - mean)[:n_train]
    sigma = float(np.nanstd(noise[np.isfinite(noise)]))
    out = {"point": mean[n_train:].tolist()}
    for level in LEVELS:
        z = float(norm.ppf(0.5 + level / 200))
        out[f"lo-{level:g}"] = (mean[n_train:] - z * sigma).tolist()
        out[f"hi-{level:g}"] = (mean[n_train:] + z * sigma).tolist()
    return out


def oracle_table(rows: list[dict], folder: str) -> str:
    """The synthetic series' oracle bands beside the default fit's and
    AutoETS's: how far the test part's own draw puts the truth from nominal."""
    lines = ["| series | oracle cov 80 / 95 | oracle MSIS | lstmcast fit cov 80 / 95 "
             "| lstmcast fit MSIS | AutoETS MSIS |", "|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        n_train = r["n"] - r["n_test"]
        bands = oracle_bands(folder, r["series"], n_train)
        if bands is None:
            continue
        y = pd.read_csv(Path(folder) / f"{r['series']}.csv")["value"].to_numpy(float)
        o = score(y, n_train, SEASONS[r["series"]], bands)
        fit, ets = r["scores"]["lstmcast fit"], r["scores"].get("AutoETS", {})
        lines.append(
            f"| {r['series']} | {o['coverage_80']:.1f} / {o['coverage_95']:.1f} | "
            f"{o['msis']:.2f} | {fit['coverage_80']:.1f} / {fit['coverage_95']:.1f}"
            f" | {fit['msis']:.2f} | "
            + (f"{ets['msis']:.2f}" if ets.get("msis") is not None else "") + " |")
    return "\n".join(lines)


def table(rows: list[dict]) -> str:
    methods = ("lstmcast fit", "lstmcast --no-auto", "AutoETS", "naive")
    head = ("| series | test n | " + " | ".join(
        f"{m} cov 80 / 95 | {m} MSIS | {m} pinball" for m in methods) + " |")
    lines = [head, "|---|---:|" + "---:|" * (3 * len(methods))]
    for r in rows:
        cells = [r["series"], str(r["n_test"])]
        for m in methods:
            s = r["scores"].get(m)
            if s is None:
                cells += ["", "", ""]
                continue
            cells += [f"{s['coverage_80']:.1f} / {s['coverage_95']:.1f}",
                      f"{s['msis']:.2f}" if s["msis"] is not None else "",
                      f"{s['pinball']:.4g}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def catalog_parser() -> argparse.ArgumentParser:
    """The options of a benchmark over the catalog's series: --datasets (its
    folder), --jobs (fits at a time), --only (some series)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default=os.environ.get(
        "DATASETS", str(ROOT.parent / "shared" / "datasets")))
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*")
    return parser


def main() -> int:
    parser = catalog_parser()
    parser.add_argument("--ets-worker", action="store_true")
    parser.add_argument("--from-json", action="store_true",
                        help="rewrite the table from benchmarks/intervals.json")
    parser.add_argument("--ablation", action="store_true",
                        help="only the local-scale ablation (seconds)")
    args = parser.parse_args()
    if args.ets_worker:
        ets_worker()
        return 0
    if args.ablation:
        from sections import write_section
        text = scaling_ablation(args.datasets)
        write_section(
            f"{ABLATION_BEGIN}\nMade by `python benchmarks/intervals.py "
            "--ablation` (seconds; no training). Why lstmcast divides its "
            "calibration errors by the local scale at their origin: the naive "
            "forecast's one-step errors of the validation part (the last 20% of "
            "the training part) calibrate 80% / 95% conformal bands for its "
            "test forecasts, unscaled or divided by the mean absolute one-step "
            "change of the last w values before each origin (lstmcast's "
            "`local_scale`); empirical coverage on the test part (nominal 80 / "
            "95). lstmcast uses w = 24.\n\n" + text + f"\n{ABLATION_END}",
            ABLATION_BEGIN, ABLATION_END, "Prediction intervals: the local scale")
        print(text)
        return 0
    if args.from_json:  # rewrite the section from the last run's numbers
        saved = json.loads((ROOT / "benchmarks" / "intervals.json").read_text())
        write_table(saved["rows"], saved["load_start"], saved["load_end"],
                    saved.get("jobs", args.jobs), args.datasets)
        return 0
    names = args.only or list(SEASONS)
    load_start = os.getloadavg()
    with ProcessPoolExecutor(args.jobs) as pool:
        runs = list(pool.map(run_lstm, [(n, args.datasets, mode) for n in names
                                        for mode in ("auto", "plain")]))
    lstm = [r for r in runs if r["mode"] == "plain"]
    auto = {r["series"]: r for r in runs if r["mode"] == "auto"}
    jobs = {r["series"]: [str(Path(args.datasets) / f"{r['series']}.csv"),
                          r["n_train"], SEASONS[r["series"]]] for r in lstm}
    done = subprocess.run([str(BENCH_PYTHON), __file__, "--ets-worker"],
                          input=json.dumps(jobs), capture_output=True, text=True,
                          check=True)
    ets = json.loads(done.stdout)
    rows = []
    for r in lstm:
        name = r["series"]
        y = pd.read_csv(Path(args.datasets) / f"{name}.csv")["value"].to_numpy(float)
        scores = {"lstmcast fit": score(y, r["n_train"], SEASONS[name],
                                        auto[name]["lstmcast"]),
                  "lstmcast --no-auto": score(y, r["n_train"], SEASONS[name],
                                              r["lstmcast"]),
                  "naive": score(y, r["n_train"], SEASONS[name], r["naive"])}
        if name in ets:
            scores["AutoETS"] = score(y, r["n_train"], SEASONS[name], ets[name])
        rows.append({"series": name, "n": r["n"], "n_test": r["n"] - r["n_train"],
                     "validation_errors": r["validation_errors"],
                     "lstm_seconds": r["seconds"], "chosen": auto[name]["chosen"],
                     "auto_seconds": auto[name]["seconds"],
                     "ets_model": ets.get(name, {}).get(
                         "model"), "scores": scores})
    load_end = os.getloadavg()
    (ROOT / "benchmarks" / "intervals.json").write_text(json.dumps(
        {"rows": rows, "load_start": load_start, "load_end": load_end,
         "jobs": args.jobs}, indent=1))
    write_table(rows, load_start, load_end, args.jobs, args.datasets)
    return 0


def write_table(rows: list[dict], load_start: list[float], load_end: list[float],
                jobs: int, folder: str) -> None:
    """The "Prediction intervals" section of BENCHMARKS.md from the rows."""
    def met(method: str) -> int:
        return sum(abs(r["scores"][method]["coverage_80"] - 80) <= 3
                   and abs(r["scores"][method]["coverage_95"] - 95) <= 3
                   and r["scores"][method]["msis"] is not None
                   and r["scores"].get("AutoETS", {}).get("msis") is not None
                   and r["scores"][method]["msis"] < r["scores"]["AutoETS"]["msis"]
                   for r in rows if method in r["scores"])
    chosen = ", ".join(f"{r['series']} {r['chosen']}" for r in rows if "chosen" in r)
    text = (f"{BEGIN}\n"
            "Made by `python benchmarks/intervals.py` (lstmcast fit: the default "
            "`fit`, the model chosen on validation; lstmcast --no-auto: the plain "
            "fit of the default settings; one torch thread, "
            f"{jobs} fits at a time; load average {load_start[0]:.1f} at the "
            f"start, {load_end[0]:.1f} at the end, on 2 cores shared with other "
            "engineers' jobs). One-step forecasts of the catalog's test part; "
            "coverage in percent (nominal 80 / 95), MSIS (M4, alpha 0.05, scaled "
            "by the in-sample seasonal naive MAE with the catalog's season) and "
            "pinball loss (original units), lower is better for both. lstmcast: "
            "conformal from its validation errors (for a network the default "
            "fit chose on several folds: step 1 from the "
            "search's forward errors), divided by a local scale at each "
            "origin (the forecaster's mean absolute one-step error over the "
            "24 rows before it, or where the validation part has fewer than "
            "72 origins the series' mean absolute change over them; see the "
            "tables below); naive: conformal from its unscaled "
            "training errors; AutoETS: statsforecast's fitted one-step "
            "intervals (fitted +- z sigma, sigma from the training residuals). "
            "See the docstring of benchmarks/intervals.py.\n\n"
            + table(rows) +
            f"\n\nThe bar (coverage within 3 points of nominal at 80 and 95, and "
            f"MSIS below AutoETS's) is met on {met('lstmcast fit')} of {len(rows)} "
            f"series by the default fit and on {met('lstmcast --no-auto')} by the "
            f"plain fit. The default fit chose: {chosen}. A "
            "coverage measured on m test points has a standard error of "
            "sqrt(p(1-p)/m): 7.4 points at 80% on airline's 29, 1.5 on 600.\n\n"
            "The synthetic series know their truth (../shared/datasets/oracle/: "
            "the true conditional mean); its bands, that mean +- z sigma with "
            "sigma from the training part, are what no method beats but by "
            "luck. Where the oracle itself misses the bar, the bar asks for "
            "luck: on syn_randomwalk AutoETS recovers the true model (the "
            "naive forecast, Gaussian bands), so an MSIS below its own is an "
            "MSIS below the truth's.\n\n"
            + oracle_table(rows, folder) + f"\n{END}")
    from sections import write_section
    write_section(text, BEGIN, END, "Prediction intervals")
    print(table(rows))


if __name__ == "__main__":
    sys.exit(main())
