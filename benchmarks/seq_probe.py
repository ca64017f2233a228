"""Probe sequence batching (``--batching sequences``) against window training.

For one public series (>= 2,000 points) of ../shared/datasets/, fits the default
model (window batching) and sequence batching with the settings given, through
``lstmcast.evaluation.holdout.fit_evaluate`` (torch and lstmcast imported first, so the
seconds are the fit), and prints one line per setting: R² and skill vs naive of
the 'lstm' model, epochs, the seconds of the whole ``fit_evaluate`` and where
they went (``train()``, the network's fit, its test forecasts, the baselines,
the doctor). Writes nothing to BENCHMARKS.md. Run one series at a time (one
thread, like the peers). The default settings are window batching and the
sequence setting chosen from these probes (the ``seq`` variant of
benchmarks/accuracy.py).

usage: python benchmarks/seq_probe.py SERIES [--datasets DIR]
       [--setting 'batching=windows' 'batching=sequences,chunk=16,lr=0.01' ...]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import torch  # warm imports: the timing is the fit only
from accuracy import COVARIATES, load_series

import lstmcast.evaluation.doctor
import lstmcast.evaluation.holdout
import lstmcast.network.train
from lstmcast.core.config import ForecastConfig
from lstmcast.evaluation.holdout import fit_evaluate
from lstmcast.forecaster.estimator import LSTMForecaster

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SETTINGS = ["batching=windows", "batching=sequences,chunk=32,batch_size=16,"
                    "lr=0.01,weight_decay=0.01,epochs=100"]


def parse(setting: str) -> dict[str, object]:
    """'a=1,b=x' -> {'a': '1', 'b': 'x'} (the config coerces the strings)."""
    return dict(part.split("=", 1) for part in setting.split(",") if part)


@contextmanager
def timing(spots: dict[str, tuple[object, str]]) -> Iterator[dict[str, float]]:
    """Seconds spent in each patched callable ``getattr(owner, name)`` while
    the block runs (calls nested in another spot count in both)."""
    spent = dict.fromkeys(spots, 0.0)
    saved = {key: getattr(owner, name) for key, (owner, name) in spots.items()}

    def timed(key: str, real: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                spent[key] += time.perf_counter() - started
        return wrapper
    for key, (owner, name) in spots.items():
        setattr(owner, name, timed(key, saved[key]))
    try:
        yield spent
    finally:
        for key, (owner, name) in spots.items():
            setattr(owner, name, saved[key])


def probe(name: str, folder: str, levers: dict[str, object]) -> dict[str, object]:
    """Fit once; R², skill, epochs, and seconds: the whole ``fit_evaluate``, all
    ``train()`` runs, the network's fit, its test forecasts, the baselines and
    the doctor's findings."""
    series = load_series(name, folder)
    cfg = ForecastConfig().replace(target="value", covariates=COVARIATES.get(name, ()),
                                   threads=1, **levers)
    spots = {"train": (lstmcast.network.train, "train"),  # fitting imports it per call
             "net_fit": (LSTMForecaster, "fit"),
             "one_step": (LSTMForecaster, "predict_one_step"),
             "baselines": (lstmcast.evaluation.holdout, "_baseline_forecasts"),
             "doctor": (lstmcast.evaluation.doctor, "explain")}
    with timing(spots) as spent:
        started = time.perf_counter()
        result = fit_evaluate(series, cfg)
        seconds = time.perf_counter() - started
    lstm = result.metrics["lstm"]
    return {"r2": lstm.get("r2"), "skill": lstm.get("skill_vs_naive"),
            "seconds": seconds, **spent,
            "epochs": len(result.forecaster.history_.history),
            "window": result.forecaster.window_}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("series")
    ap.add_argument("--datasets", default=str(ROOT.parent / "shared" / "datasets"))
    ap.add_argument("--setting", nargs="*", default=DEFAULT_SETTINGS)
    a = ap.parse_args()
    os.environ["OMP_NUM_THREADS"] = "1"
    torch.set_num_threads(1)
    for setting in a.setting:
        row = probe(a.series, a.datasets, parse(setting))
        print(f"{a.series:16s} {setting:45s} R2 {row['r2']:.5f} skill "
              f"{row['skill']:+.3f} fit {row['seconds']:6.1f}s epochs "
              f"{row['epochs']:3d} window {row['window']:3d} | train() "
              f"{row['train']:.1f}s net fit {row['net_fit']:.1f}s test "
              f"forecasts {row['one_step']:.1f}s baselines {row['baselines']:.1f}s "
              f"doctor {row['doctor']:.1f}s", flush=True)

if __name__ == "__main__":
    main()
