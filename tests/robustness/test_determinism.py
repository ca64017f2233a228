"""Checklist 35: the same seed, data and machine give identical weights and
forecasts; the manifest records the seed, the versions and the data's hash."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from robust_helpers import TINY

from conftest import ar_series
from lstmcast.data.loading import load
from lstmcast.forecaster.estimator import LSTMForecaster


def fit_and_save(folder, seed: int = 0) -> LSTMForecaster:
    est = LSTMForecaster(**{**TINY, "seed": seed, "threads": 1, "dropout": 0.1,
                            "num_layers": 2})
    est.fit(load(ar_series(100), target="y", covariates=["x"]))
    est.save(str(folder))
    return est


def test_35_same_seed_same_weights_and_forecasts_and_a_full_manifest(tmp_path):
    a = fit_and_save(tmp_path / "a")
    b = fit_and_save(tmp_path / "b")
    fit_and_save(tmp_path / "c", seed=1)
    weights = [(tmp_path / f / "model.safetensors").read_bytes() for f in "abc"]
    assert weights[0] == weights[1] and weights[0] != weights[2]
    pd.testing.assert_frame_equal(a.predict(1), b.predict(1))
    frame = ar_series(100)
    np.testing.assert_array_equal(a.predict_one_step(frame),
                                  b.predict_one_step(frame))
    run = json.loads((tmp_path / "a" / "manifest.json").read_text())["run"]
    assert run["seed"] == 0 and run["threads"] == 1
    assert {"python", "lstmcast", "torch", "numpy", "pandas"} <= set(run["versions"])
    assert run["data_sha256"] == load(ar_series(100), target="y",
                                      covariates=["x"]).fingerprint()
    again = json.loads((tmp_path / "b" / "manifest.json").read_text())
    first = json.loads((tmp_path / "a" / "manifest.json").read_text())
    del again["files"]["model.json"], first["files"]["model.json"]  # timings
    assert again["run"] == run and again["files"] == first["files"]


def test_data_fingerprint_follows_values_stamps_and_columns():
    base = load(ar_series(50), target="y")
    assert base.fingerprint() == load(ar_series(50), target="y").fingerprint()
    changed = ar_series(50)
    changed.loc[10, "y"] += 1e-9
    assert load(changed, target="y").fingerprint() != base.fingerprint()
    later = ar_series(50, start="2001-01-01")
    assert load(later, target="y").fingerprint() != base.fingerprint()
    assert load(ar_series(50), target="x").fingerprint() != base.fingerprint()
