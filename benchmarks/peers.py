"""Peer models on the public benchmark series, measured here (run in .venv-bench).

Fits Darts RNNModel and BlockRNNModel (model="LSTM"), NeuralForecast LSTM and
statsforecast AutoARIMA / AutoETS on every series of ../shared/datasets/ under
the protocol of its CATALOG.md: test = last max(ceil(0.2 n), 24) points, models
as the libraries ship them with the look-back set to max(season, 12), fitted on
the training part only, then one-step forecasts of every test point from the true
history with fixed parameters, scored on the original scale with the very metric
functions lstmcast uses. Every job runs in a fresh process with one torch thread,
``--jobs`` at a time. Results (metrics, seconds and the forecasts themselves, so
accuracy.py can rescore them) go to benchmarks/peers.json (peers_quick.json with
--quick), written after each job; with --only, other entries are kept.

Inputs: the peers get the target only (no covariates). Missing values (co2_weekly)
are filled forward from the past before fitting; they are not scored.

usage: .venv-bench/bin/python benchmarks/peers.py [--quick] [--jobs 2]
       [--only SERIES ...] [--models MODEL ...] [--arima-timeout 900]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import multiprocessing as mp
import os
import platform
import re
import signal
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
OUT = ROOT / "benchmarks" / "peers.json"
MODELS = ["darts_rnn", "darts_block", "nf_lstm", "autoarima", "autoets"]
LABELS = {"darts_rnn": "Darts RNNModel LSTM", "darts_block": "Darts BlockRNNModel LSTM",
          "nf_lstm": "NeuralForecast LSTM", "autoarima": "statsforecast AutoARIMA",
          "autoets": "statsforecast AutoETS"}
LSTM_MODELS = ("darts_rnn", "darts_block", "nf_lstm")
QUICK_SERIES = ("airline", "syn_ar2")


class Timeout(Exception):
    pass


def catalog_seasons(folder: Path) -> dict[str, int]:
    """Season length of every series, read from the CATALOG.md table."""
    seasons = {}
    for line in (folder / "CATALOG.md").read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) > 3 and cells[0].endswith(".csv"):
            match = re.match(r"\d+", cells[3])
            if match:
                seasons[cells[0][:-4]] = int(match.group())
    return seasons


def n_test_of(n: int) -> int:
    return max(math.ceil(0.2 * n), 24)


def filled(y: np.ndarray) -> np.ndarray:
    """Missing values filled from the past only (leading ones from the first)."""
    return pd.Series(y).ffill().bfill().to_numpy(float)


def run_job(job: dict) -> dict:
    """Fit one model on one series; return its forecasts, metrics and seconds."""
    os.environ["OMP_NUM_THREADS"] = "1"
    import warnings
    warnings.filterwarnings("ignore")
    import logging
    for name in ("lightning", "pytorch_lightning", "lightning.pytorch",
                 "lightning_fabric", "darts", "neuralforecast"):
        logging.getLogger(name).setLevel(logging.ERROR)
    import torch
    torch.set_num_threads(1)
    frame = pd.read_csv(Path(job["folder"]) / f"{job['series']}.csv")
    y = frame["value"].to_numpy(float)
    n = len(y)
    n_test = n_test_of(n)
    n_train = n - n_test
    season, lookback = job["season"], max(job["season"], 12)
    out = {**{k: job[k] for k in ("series", "model", "season")}, "n": n,
           "n_test": n_test, "lookback": lookback}
    warm_up(job["model"])  # imports and JIT compilation are not fit time
    if job["timeout"]:
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(int(job["timeout"]))
    started = time.perf_counter()
    try:
        fit = globals()[f"fit_{job['model']}"]
        pred, settings = fit(filled(y), n_train, season, lookback, job["quick"])
        out["seconds"] = time.perf_counter() - started
        out["settings"] = settings
    except Timeout:
        out["error"] = f"no result within the {job['timeout']} s budget"
        out["seconds"] = time.perf_counter() - started
        return out
    except Exception as exc:  # a peer failing is a result, not a crash
        out["error"] = f"{type(exc).__name__}: {exc}"[:400]
        out["seconds"] = time.perf_counter() - started
        return out
    finally:
        signal.alarm(0)
    pred = np.asarray(pred, float).reshape(-1)
    if len(pred) != n_test:
        out["error"] = f"expected {n_test} forecasts, got {len(pred)}"
        return out
    out["pred"] = [float(v) for v in pred]
    out["metrics"] = score(y, n_train, pred, season)
    return out


def warm_up(model: str) -> None:
    """Import the peer and compile its JIT code outside the timed part."""
    if model.startswith("darts"):
        import darts.models  # noqa: F401
    elif model == "nf_lstm":
        import neuralforecast.models  # noqa: F401
    else:
        from statsforecast import models
        y = 10 + np.sin(np.arange(60)) + np.random.default_rng(0).normal(size=60)
        cls = models.AutoARIMA if model == "autoarima" else models.AutoETS
        _stats(cls(season_length=4), y, 48)


def _alarm(signum: int, frame: object) -> None:
    raise Timeout


def score(y: np.ndarray, n_train: int, pred: np.ndarray, season: int) -> dict:
    """lstmcast's own metrics of the one-step forecasts of rows n_train..n-1."""
    from lstmcast.baselines.simple import make_baselines
    from lstmcast.evaluation.metrics import evaluate
    rows = np.arange(n_train, len(y))
    naive = make_baselines(season)["naive"].fit(y[:n_train]).predict_one_step(y, rows)
    return evaluate(y[rows], pred, y_train=y[:n_train], y_naive=naive, season=season)


def _trainer_kwargs() -> dict:
    return {"accelerator": "cpu", "enable_progress_bar": False,
            "enable_model_summary": False, "logger": False}


def _darts(model_cls: type, kwargs: dict, y: np.ndarray, n_train: int,
           quick: bool) -> tuple[np.ndarray, dict]:
    from darts import TimeSeries
    from darts.dataprocessing.transformers import Scaler
    series = TimeSeries.from_values(y.astype(np.float32))
    scaler = Scaler()  # min-max, fitted on the training part only
    scaler.fit(series[:n_train])
    scaled = scaler.transform(series)
    if quick:
        kwargs["n_epochs"] = 5
    model = model_cls(model="LSTM", random_state=0,
                      pl_trainer_kwargs=_trainer_kwargs(), **kwargs)
    model.fit(scaled[:n_train], verbose=False)
    forecasts = model.historical_forecasts(
        scaled, start=n_train, start_format="position", forecast_horizon=1,
        stride=1, retrain=False, last_points_only=True, verbose=False)
    pred = scaler.inverse_transform(forecasts).values().reshape(-1)
    settings = {k: v for k, v in kwargs.items()}
    settings.update(hidden_dim=model.model_params.get("hidden_dim"),
                    n_rnn_layers=model.model_params.get("n_rnn_layers"),
                    n_epochs=model.n_epochs, batch_size=model.batch_size,
                    scaler="min-max fitted on the training part")
    return pred, settings


def fit_darts_rnn(y: np.ndarray, n_train: int, season: int, lookback: int,
                  quick: bool) -> tuple[np.ndarray, dict]:
    from darts.models import RNNModel
    return _darts(RNNModel, {"input_chunk_length": lookback,
                             "training_length": max(24, lookback + 1)},
                  y, n_train, quick)


def fit_darts_block(y: np.ndarray, n_train: int, season: int, lookback: int,
                    quick: bool) -> tuple[np.ndarray, dict]:
    from darts.models import BlockRNNModel
    return _darts(BlockRNNModel, {"input_chunk_length": lookback,
                                  "output_chunk_length": 1}, y, n_train, quick)


def fit_nf_lstm(y: np.ndarray, n_train: int, season: int, lookback: int,
                quick: bool) -> tuple[np.ndarray, dict]:
    from neuralforecast import NeuralForecast
    from neuralforecast.models import LSTM
    n = len(y)
    df = pd.DataFrame({"unique_id": "s", "ds": np.arange(n), "y": y})
    extra = {"max_steps": 50} if quick else {}
    model = LSTM(h=1, input_size=lookback, random_seed=0, **extra,
                 **_trainer_kwargs())
    nf = NeuralForecast(models=[model], freq=1)
    cv = nf.cross_validation(df, n_windows=None, test_size=n - n_train,
                             step_size=1, refit=False, verbose=False)
    cv = cv.sort_values("ds")
    settings = {"input_size": lookback, "max_steps": model.max_steps,
                "batch_size": model.batch_size,
                "encoder_hidden_size": model.hparams.get("encoder_hidden_size"),
                "encoder_n_layers": model.hparams.get("encoder_n_layers"),
                "scaler_type": model.hparams.get("scaler_type")}
    return cv["LSTM"].to_numpy(float), settings


def _stats(model: object, y: np.ndarray, n_train: int) -> np.ndarray:
    """Fit on the training part; in-sample one-step fits of the whole series
    with those parameters fixed are the one-step forecasts from true history."""
    model.fit(y[:n_train])
    res = model.forward(y=y, h=1, fitted=True)
    return np.asarray(res["fitted"], float)[n_train:]


def fit_autoarima(y: np.ndarray, n_train: int, season: int, lookback: int,
                  quick: bool) -> tuple[np.ndarray, dict]:
    from statsforecast.models import AutoARIMA
    return _stats(AutoARIMA(season_length=season), y, n_train), \
        {"season_length": season}


def fit_autoets(y: np.ndarray, n_train: int, season: int, lookback: int,
                quick: bool) -> tuple[np.ndarray, dict]:
    from statsforecast.models import AutoETS
    return _stats(AutoETS(season_length=season), y, n_train), \
        {"season_length": season}


def versions() -> dict:
    out = {"python": platform.python_version(), "machine": platform.node(),
           "cores": os.cpu_count()}
    for pkg in ("torch", "darts", "neuralforecast", "statsforecast",
                "lightning", "pytorch-lightning"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            out[pkg] = metadata.version(pkg)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--datasets", default=str(DATASETS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--models", nargs="*", default=MODELS, choices=MODELS)
    ap.add_argument("--arima-timeout", type=int, default=900,
                    help="seconds per AutoARIMA fit (CATALOG.md: 15 minutes)")
    ap.add_argument("--quick", action="store_true",
                    help="two series, 5 Darts epochs, 50 NeuralForecast steps")
    ap.add_argument("--out", default=None,
                    help="default benchmarks/peers.json (--quick: peers_quick.json)")
    a = ap.parse_args()
    folder = Path(a.datasets)
    seasons = catalog_seasons(folder)
    names = [s for s in seasons if (not a.only or s in a.only)
             and (not a.quick or s in QUICK_SERIES)]
    jobs = [{"series": s, "model": m, "season": seasons[s], "folder": str(folder),
             "quick": a.quick,
             "timeout": (min(a.arima_timeout, 120) if a.quick else a.arima_timeout)
             if m == "autoarima" else 0}
            for s in names for m in a.models]
    cost = {"nf_lstm": 3, "darts_rnn": 2, "darts_block": 2, "autoarima": 1,
            "autoets": 0}
    jobs.sort(key=lambda j: -cost[j["model"]] * len(
        (folder / f"{j['series']}.csv").read_text()))  # longest first
    path = Path(a.out or (OUT.with_name("peers_quick.json") if a.quick else OUT))
    old = json.loads(path.read_text()) if path.exists() and a.only else {}
    results = {(r["series"], r["model"]): r for r in old.get("results", [])}
    meta = {"versions": versions(), "jobs": a.jobs, "torch_threads": 1,
            "quick": a.quick, "command": "benchmarks/peers.py " + " ".join(
                sys.argv[1:]), "load_at_start": os.getloadavg()}
    os.environ["OMP_NUM_THREADS"] = "1"
    ctx = mp.get_context("spawn")
    started = time.perf_counter()
    with ProcessPoolExecutor(a.jobs, mp_context=ctx, max_tasks_per_child=1) as pool:
        futures = {pool.submit(run_job, j): j for j in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:  # the worker itself died
                res = {"series": job["series"], "model": job["model"],
                       "error": f"{type(exc).__name__}: {exc}"[:400]}
            results[(res["series"], res["model"])] = res
            r2 = res.get("metrics", {}).get("r2")
            said = f"R2 {r2:.4f}" if r2 is not None else res.get("error", "")
            print(f"{res['series']:18s} {res['model']:12s} {said} "
                  f"{res.get('seconds', 0):.0f}s", flush=True)
            meta["load_at_end"] = os.getloadavg()
            meta["wall_seconds"] = time.perf_counter() - started
            path.write_text(json.dumps({**meta, "results": list(results.values())},
                                       indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
