"""One method of the M3 benchmark in its own process (see competitions.py).

``run_method`` runs in a fresh spawned process so that ru_maxrss is the
method's own: it builds the method (imports, warm-ups), then times only the fit
and forecast call on the long train frame and returns the forecasts as
unique_id, ds, forecast with the seconds and the peak memory.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

STATS = {
    "naive": "Naive",
    "snaive": "SeasonalNaive",
    "theta": "Theta",
    "dotm": "DynamicOptimizedTheta",
    "autoets": "AutoETS",
    "autoarima": "AutoARIMA",
}
NEURAL = {"nf_lstm": "LSTM", "nf_nhits": "NHITS"}
QUICK_NF_STEPS, NF_STEPS = 100, 1000
LEVELS = (80, 95)
"""Prediction interval levels asked of every method that gives them
(statsforecast's own intervals, lstmcast's calibrated bands)."""

Runner = Callable[[pd.DataFrame], pd.DataFrame]


def run_method(job: dict) -> dict:
    """Fit one method on one subset and forecast; runs in a fresh process so
    ru_maxrss is this method's. Imports and warm-ups are outside the clock."""
    _quiet()
    out: dict[str, Any] = {}
    try:
        run, out["settings"] = make_runner(
            job["method"], job["h"], job["m"], job["threads"], job["quick"]
        )
        started = time.perf_counter()
        raw = run(job["train"])
        out["seconds"] = time.perf_counter() - started
        out["forecast"] = _standard(raw)
    except Exception as exc:  # a method failing is a result, not a crash
        out["error"] = f"{type(exc).__name__}: {exc}"[:400]
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["workers_peak_mb"] = (
        resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    )
    return out


def _quiet() -> None:
    """Silence the libraries' progress output and warnings in a job."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    for name in (
        "lightning",
        "pytorch_lightning",
        "lightning.pytorch",
        "lightning_fabric",
        "neuralforecast",
    ):
        logging.getLogger(name).setLevel(logging.ERROR)


def make_runner(
    method: str, h: int, m: int, threads: int, quick: bool
) -> tuple[Runner, dict]:
    """The timed call of ``method`` (train frame -> forecast frame) and its
    settings; imports and warm-ups happen here, before the clock starts."""
    if method in STATS:
        return _stats_runner(STATS[method], h, m, threads)
    _torch_warm_up(threads)
    if method in NEURAL:
        return _neural_runner(NEURAL[method], h, quick)
    return _lstmcast_runner(h, m)


def _stats_runner(name: str, h: int, m: int, threads: int) -> tuple[Runner, dict]:
    """statsforecast ``name``, warmed up on three short series (numba compiles
    on the first fit; forked workers inherit the compiled code)."""
    from statsforecast import StatsForecast, models

    kwargs = {} if name == "Naive" else {"season_length": m}
    t = np.arange(4 * m + 2 * h)
    tiny = pd.DataFrame(
        {
            "unique_id": np.repeat(["a", "b", "c"], len(t)),
            "ds": np.tile(t + 1, 3),
            "y": np.tile(10 + np.sin(t) + 0.1 * t, 3),
        }
    )
    StatsForecast(models=[getattr(models, name)(**kwargs)], freq=1, n_jobs=1).forecast(
        df=tiny, h=h
    )

    def run(train: pd.DataFrame) -> pd.DataFrame:
        sf = StatsForecast(
            models=[getattr(models, name)(**kwargs)], freq=1, n_jobs=threads
        )
        out = sf.forecast(df=train, h=h, level=list(LEVELS))
        return out.rename(columns=lambda c: c.replace(name, "forecast", 1))

    args = ", ".join(f"{k}={v}" for k, v in kwargs.items())
    return run, {"model": f"{name}({args})", "n_jobs": threads}


def _neural_runner(name: str, h: int, quick: bool) -> tuple[Runner, dict]:
    """NeuralForecast ``name`` with the settings of competitions.md."""
    from neuralforecast import NeuralForecast, models

    params = {
        "h": h,
        "input_size": 2 * h,
        "max_steps": QUICK_NF_STEPS if quick else NF_STEPS,
        "scaler_type": "standard",
        "start_padding_enabled": True,
        "random_seed": 1,
    }
    trainer = {
        "accelerator": "cpu",
        "enable_progress_bar": False,
        "enable_model_summary": False,
        "logger": False,
    }

    def run(train: pd.DataFrame) -> pd.DataFrame:
        model = getattr(models, name)(**params, **trainer)
        nf = NeuralForecast(models=[model], freq=1)
        nf.fit(train)  # returns None: predict on the object
        return nf.predict().reset_index().rename(columns={name: "forecast"})

    return run, params


def _lstmcast_runner(h: int, m: int) -> tuple[Runner, dict]:
    """lstmcast's global panel model at its defaults but horizon and season."""
    from lstmcast import LSTMForecaster

    def run(train: pd.DataFrame) -> pd.DataFrame:
        est = LSTMForecaster(horizon=h, season=m)
        est.fit(train, target="y", id="unique_id", time="ds")
        return est.predict(h)

    return run, {"estimator": f"LSTMForecaster(horizon={h}, season={m})"}


def _torch_warm_up(threads: int) -> None:
    """Set torch's threads and take one Adam step, which loads torch._dynamo
    lazily: import costs are not fit time (peers.py and accuracy.py alike)."""
    import torch

    torch.set_num_threads(threads)
    weight = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.Adam([weight])
    weight.sum().backward()
    optimizer.step()


def _standard(frame: pd.DataFrame) -> pd.DataFrame:
    """unique_id (text), ds (integer step), forecast (float) of any method,
    and its interval bounds where it gives them (lo-80, hi-80, lo-95, hi-95,
    Nixtla's names)."""
    frame = frame.reset_index() if "unique_id" not in frame.columns else frame
    bounds = [
        f"{side}-{level}" for level in LEVELS for side in ("lo", "hi")
        if f"forecast-{side}-{level}" in frame.columns
        or f"{side}-{level}" in frame.columns
    ]
    frame = frame.rename(columns={f"forecast-{b}": b for b in bounds})
    out = frame[["unique_id", "ds", "forecast", *bounds]].copy()
    out["unique_id"] = out["unique_id"].astype(str)
    out["ds"] = pd.to_numeric(out["ds"]).round().astype(int)
    for column in ("forecast", *bounds):
        out[column] = out[column].astype(float)
    return out.reset_index(drop=True)
