"""Tests of lstmcast.evaluation.metrics: exact values, the independent scorer's
formulas, undefined scores as None (never NaN), and the NaN policy."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import r2_score

from lstmcast.evaluation.metrics import (
    METRIC_COLUMNS,
    evaluate,
    mae,
    mape,
    mase,
    metrics_table,
    r2,
    r2_undefined_reason,
    rmse,
    skill,
    smape,
)

Y = np.array([1.0, 2.0, 3.0, 4.0])
P = np.array([1.0, 2.0, 3.0, 5.0])  # one error of -1
TRAIN = np.array([1.0, 3.0, 2.0, 4.0])
NAIVE = np.array([0.0, 1.0, 2.0, 3.0])  # four errors of 1


def _no_nan_anywhere(result: dict) -> None:
    json.dumps(result, allow_nan=False)  # raises on NaN or inf
    for value in result.values():
        assert value is None or type(value) in (float, int, str)


# ------------------------------------------------------------ exact values


def test_hand_computed_values():
    assert mae(Y, P) == 0.25
    assert rmse(Y, P) == 0.5
    assert r2(Y, P) == pytest.approx(1 - 1 / 5)  # SST = 2.25 + .25 + .25 + 2.25
    assert mape(Y, P) == pytest.approx(100 * 0.25 / 4)
    assert smape(Y, P) == pytest.approx(200 * (1 / 9) / 4)
    assert mase(Y, P, TRAIN) == pytest.approx(0.25 / (5 / 3))  # |2|, |1|, |2|
    assert mase(Y, P, TRAIN, season=2) == pytest.approx(0.25 / 1.0)  # |1|, |1|
    assert skill(Y, P, NAIVE) == pytest.approx(1 - 1 / 4)


def test_perfect_forecast():
    assert r2(Y, Y) == 1.0 and mae(Y, Y) == 0.0 and smape(Y, Y) == 0.0
    assert skill(Y, Y, NAIVE) == 1.0


def test_evaluate_keys_and_values():
    out = evaluate(Y, P, y_train=TRAIN, y_naive=NAIVE, season=2)
    assert list(out) == list(METRIC_COLUMNS)
    assert out["n"] == 4 and out["mase"] == pytest.approx(0.25)
    assert out["skill_vs_naive"] == pytest.approx(0.75)
    _no_nan_anywhere(out)


def test_r2_matches_sklearn():
    rng = np.random.default_rng(0)
    y, p = rng.normal(size=50), rng.normal(size=50)
    assert r2(y, p) == pytest.approx(r2_score(y, p), rel=1e-12)


# ------------------------------------------- agreement with the scorer tool


def test_agrees_with_score_predictions_formulas():
    """Recompute tools/score_predictions.py's formulas on a random example."""
    rng = np.random.default_rng(42)
    y = np.cumsum(rng.normal(size=300)) + 10 * np.sin(np.arange(300) / 2)
    y[[5, 6, 40]] = np.nan  # gaps in the training part: the tool forward-fills
    n, s = y.size, 7
    k = n - max(math.ceil(0.2 * n), 24)
    actual, pred = y[k:], y[k:] + rng.normal(scale=2.0, size=n - k)
    # --- the tool, line by line
    train = pd.Series(y[:k]).ffill().to_numpy()
    scale = np.mean(np.abs(train[s:] - train[:-s]))
    naive_err = actual - y[k - 1 : n - 1]
    err = actual - pred
    tool = {"r2": 1 - np.sum(err**2) / np.sum((actual - actual.mean()) ** 2),
            "skill_vs_naive": 1 - np.sum(err**2) / np.sum(naive_err**2),
            "mae": np.mean(np.abs(err)), "rmse": math.sqrt(np.mean(err**2)),
            "mase": np.mean(np.abs(err)) / scale}
    ours = evaluate(actual, pred, y_train=y[:k], y_naive=y[k - 1 : n - 1], season=s)
    for key, value in tool.items():
        assert ours[key] == pytest.approx(value, rel=1e-12), key


# ------------------------------------------------- undefined scores: None


@pytest.mark.parametrize("target", [np.full(30, 5.0), np.full(30, 5.0) + 1e-9 *
                                    np.arange(30)])
def test_constant_target_gives_r2_none_with_reason(target):
    pred = target + np.linspace(-1, 1, 30)
    assert r2(target, pred) is None
    out = evaluate(target, pred, y_train=np.arange(10.0), y_naive=target)
    assert out["r2"] is None
    assert "R² divides by its variance" in out["r2_undefined_reason"]
    _no_nan_anywhere(out)


def test_constant_reason_shows_the_value():
    assert r2_undefined_reason(np.full(5, 5.0)) == (
        "the test target is constant (all values = 5.0): R² divides by its variance")
    nearly = np.array([1e6, 1e6, 1e6, 1e6, 1e6 + 1e-4])
    assert "nearly constant" in r2_undefined_reason(nearly)
    assert "1 known value" in r2_undefined_reason([3.0, np.nan])
    assert r2_undefined_reason(Y) is None


def test_all_undefined_at_once_still_json_ready():
    zeros = np.zeros(24)
    out = evaluate(zeros, zeros, y_train=np.ones(10), y_naive=zeros)
    assert out["r2"] is None and out["mape"] is None and out["mase"] is None
    assert out["skill_vs_naive"] is None and out["smape"] == 0.0
    _no_nan_anywhere(out)


def test_r2_reason_only_when_r2_is_none():
    assert "r2_undefined_reason" not in evaluate(Y, P, y_train=TRAIN, y_naive=NAIVE)


def test_mape_with_zeros():
    truth, pred = np.array([0.0, 2.0, 4.0]), np.array([1.0, 1.0, 5.0])
    assert mape(truth, pred) == pytest.approx(100 * (1 / 2 + 1 / 4) / 2)
    assert mape([1e-12, 1.0], [0.0, 1.5]) == pytest.approx(50.0)  # 1e-12 < 1e-8
    assert mape(np.zeros(3), np.ones(3)) is None


def test_smape_counts_zero_over_zero_as_zero():
    assert smape([0.0, 1.0], [0.0, 1.0]) == 0.0
    assert smape([0.0, 1.0], [0.0, 3.0]) == pytest.approx(200 * (2 / 4) / 2)
    assert smape([0.0], [1.0]) == 200.0


def test_mase_undefined_scale():
    assert mase(Y, P, np.full(10, 3.0)) is None  # flat train
    assert mase(Y, P, [1.0, 2.0], season=2) is None  # train not longer than s
    assert mase(Y, P, [np.nan, np.nan, np.nan]) is None


def test_mase_ignores_leading_nan_of_train():
    assert mase(Y, P, [np.nan, 1.0, 3.0, 2.0, 4.0]) == pytest.approx(0.25 / (5 / 3))


def test_skill_none_when_reference_is_perfect():
    assert skill(Y, P, Y) is None


# ------------------------------------------------------------- NaN policy


def test_nan_truth_points_are_dropped_everywhere():
    truth = np.array([1.0, np.nan, 2.0, 3.0, np.nan, 4.0])
    pred = np.array([1.0, np.nan, 2.0, 3.0, 7.0, 5.0])  # NaN where truth is NaN: ok
    naive = np.array([0.0, 0.0, 1.0, 2.0, 0.0, 3.0])
    out = evaluate(truth, pred, y_train=TRAIN, y_naive=naive)
    ref = evaluate(Y, P, y_train=TRAIN, y_naive=NAIVE)
    assert out == ref and out["n"] == 4


def test_non_finite_forecast_where_truth_known_raises():
    pred = np.array([1.0, np.nan, np.inf, 4.0])
    with pytest.raises(ValueError, match="'y_pred' has 2 non-finite values where "
                                         "'y_true' is known"):
        evaluate(Y, pred, y_train=TRAIN, y_naive=NAIVE)
    with pytest.raises(ValueError, match="'y_naive' has 1 non-finite"):
        evaluate(Y, P, y_train=TRAIN, y_naive=[np.nan, 1.0, 2.0, 3.0])


@pytest.mark.parametrize(("truth", "pred", "message"), [
    ([1.0, np.inf], [1.0, 2.0], "'y_true' has 1 infinite values"),
    ([1.0, 2.0], [1.0], r"'y_pred' must have the length of 'y_true' \(2\)"),
    ([np.nan, np.nan], [1.0, 2.0], "Nothing to score: all 2 values"),
    ([[1.0, 2.0]], [[1.0, 2.0]], r"'y_true' must be 1-D. Got shape \(1, 2\)"),
])
def test_invalid_input(truth, pred, message):
    with pytest.raises(ValueError, match=message):
        mae(truth, pred)


@pytest.mark.parametrize("season", [0, 1.5, True])
def test_mase_rejects_bad_season(season):
    with pytest.raises(ValueError, match="'season' parameter must be an int >= 1"):
        mase(Y, P, TRAIN, season=season)


# ------------------------------------------------------------------ table


def test_metrics_table():
    results = {"lstm": evaluate(Y, P, y_train=TRAIN, y_naive=NAIVE),
               "naive": evaluate(Y, NAIVE, y_train=TRAIN, y_naive=NAIVE),
               "flat": evaluate(np.ones(4), np.ones(4), y_train=TRAIN,
                                y_naive=np.zeros(4))}
    table = metrics_table(results)
    assert list(table.columns) == list(METRIC_COLUMNS)
    assert list(table.index) == ["lstm", "naive", "flat"]
    assert table.index.name == "model"
    assert table.loc["lstm", "mae"] == 0.25
    assert table.loc["naive", "skill_vs_naive"] == 0
    assert np.isnan(table.loc["flat", "r2"])  # None shows as NaN
    assert table["n"].dtype == "Int64" and table["r2"].dtype == np.float64
    assert metrics_table({}).empty
