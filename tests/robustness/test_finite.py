"""The finite-output guarantee: no NaN or infinite forecast or metric leaves
lstmcast; the one documented exception is an undefined R² (None, with the
reason)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from robust_helpers import TINY, tiny_model

from conftest import ar_series
from lstmcast.core.errors import DataError
from lstmcast.core.persist import json_bytes
from lstmcast.evaluation.metrics import evaluate
from lstmcast.forecaster.estimator import LSTMForecaster
from lstmcast.forecaster.predict import finite


def test_non_finite_forecasts_never_leave(tmp_path):
    tiny_model().save(str(tmp_path / "m"))
    est = LSTMForecaster.load(str(tmp_path / "m"))
    with torch.no_grad():
        next(est.net_.parameters()).fill_(float("nan"))
    with pytest.raises(DataError, match=r"forecasts are NaN or infinite.*Check the "
                                        r"data for extreme values"):
        est.predict(1)
    with pytest.raises(DataError, match=r"NaN or infinite"):
        est.predict_one_step(ar_series(60))
    with pytest.raises(DataError, match=r"2 of 3 forecasts are NaN or infinite "
                                        r"\(first at position 1\)"):
        finite(np.array([1.0, np.inf, np.nan]))


def test_10_huge_magnitudes_give_finite_forecasts():
    frame = ar_series(100)
    frame["y"] *= 1e30
    est = LSTMForecaster(**TINY, threads=1).fit(frame, target="y")
    forecast = est.predict(1)["forecast"].to_numpy()
    assert np.isfinite(forecast).all() and np.isfinite(
        est.predict_one_step(frame)).all()


@pytest.mark.parametrize("truth", [np.full(30, 7.0), np.r_[np.full(29, 7.0), np.nan]])
def test_24_constant_test_target_r2_is_none_with_a_reason(truth):
    rng = np.random.default_rng(0)
    scores = evaluate(truth, truth + rng.normal(size=30), y_train=rng.normal(size=50),
                      y_naive=truth + 0.5)
    assert scores["r2"] is None and "constant" in scores["r2_undefined_reason"]
    others = [v for k, v in scores.items() if k not in ("r2", "r2_undefined_reason")]
    assert all(v is not None and np.isfinite(v) for v in others)


def test_json_outputs_carry_no_nan():
    text = json_bytes({"a": float("nan"), "b": [float("inf"), np.float64(1.0)]})
    assert json.loads(text) == {"a": None, "b": [None, 1.0]}
