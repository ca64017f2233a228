"""explain: each check on made-up forecasts and histories, then on a real fit."""

import dataclasses

import numpy as np
import pandas as pd
import pytest

from conftest import FAST, ar_series
from lstmcast.core.config import ForecastConfig
from lstmcast.core.findings import Finding
from lstmcast.data.loading import load
from lstmcast.evaluation.doctor import (
    check_beaten,
    check_extrapolation,
    check_flat,
    check_gradients,
    check_lag_copying,
    check_model_size,
    check_overfitting,
    check_r2,
    check_underfitting,
    explain,
    explain_summary,
)
from lstmcast.evaluation.holdout import fit_evaluate

CONFIG = ForecastConfig().replace(target="y", **FAST)


@pytest.fixture(scope="module")
def fitted():
    series = load(ar_series(), target="y", covariates=["x"])
    return fit_evaluate(series, CONFIG), series


def predictions(actual: np.ndarray, lstm: np.ndarray) -> pd.DataFrame:
    naive = np.concatenate([[actual[0]], actual[:-1]])
    return pd.DataFrame({"timestamp": np.arange(actual.size), "actual": actual,
                         "lstm": lstm, "naive": naive})


def random_walk(n: int = 200, seed: int = 0) -> np.ndarray:
    return 50 + np.cumsum(np.random.default_rng(seed).normal(size=n))


def metrics(skill: float, rmse: float = 1.0, naive_rmse: float = 1.0,
            snaive_rmse: float = 2.0) -> dict:
    return {"lstm": {"r2": 0.9, "rmse": rmse, "skill_vs_naive": skill, "n": 50},
            "naive": {"r2": 0.95, "rmse": naive_rmse, "skill_vs_naive": 0.0},
            "seasonal_naive": {"r2": 0.5, "rmse": snaive_rmse}}


def history(train: list[float], val: list[float], grad: float = 0.5) -> list[dict]:
    return [{"epoch": i + 1, "train_loss": t, "val_loss": v, "lr": 3e-3,
             "grad_norm": grad} for i, (t, v) in enumerate(zip(train, val,
                                                                strict=True))]


# ------------------------------------------------------------------ the checks


def test_forecast_equal_to_the_previous_actual_is_lag_copying():
    actual = random_walk()
    found = check_lag_copying(predictions(actual, np.r_[actual[0], actual[:-1]]))
    assert found.code == "lag-copying"
    assert found.evidence["peak_lag"] == 1
    assert found.evidence["corr_with_naive"] == pytest.approx(1.0)


def test_a_forecast_that_anticipates_is_not_lag_copying():
    actual = random_walk()
    noise = np.random.default_rng(1).normal(scale=0.3, size=actual.size)
    assert check_lag_copying(predictions(actual, actual + noise)) is None


def test_the_best_forecast_of_an_ar1_is_not_called_lag_copying():
    rng = np.random.default_rng(2)
    actual = np.zeros(400)
    for t in range(1, actual.size):
        actual[t] = 0.2 * actual[t - 1] + rng.normal()
    best = np.r_[0.0, 0.2 * actual[:-1]]  # the conditional mean: beats naive by ~40%
    pred = predictions(actual, best)
    da, df = np.diff(actual), np.diff(best)
    assert np.corrcoef(df[1:], da[:-1])[0, 1] > np.corrcoef(df, da)[0, 1]  # peak 1
    assert check_lag_copying(pred) is None


def test_lag_copying_reports_how_little_the_forecast_adds():
    actual = random_walk()
    found = check_lag_copying(predictions(actual, np.r_[actual[0], actual[:-1]]))
    assert found.evidence["skill_vs_naive"] == pytest.approx(0.0, abs=1e-9)
    assert "adds little to the last value (skill vs naive +0.000)" in found.title


def test_constant_forecast_is_flat():
    actual = random_walk()
    found = check_flat(predictions(actual, np.full(actual.size, 50.0)), CONFIG)
    assert found.code == "flat-forecast" and found.severity == "problem"
    assert found.evidence["std_ratio"] == 0
    level = CONFIG.replace(target_mode="level")
    flat = check_flat(predictions(actual, np.full(actual.size, 50.0)), level)
    assert flat.settings == {"target_mode": "delta"}
    assert check_flat(predictions(actual, actual), CONFIG) is None


def test_negative_skill_is_beaten_by_naive():
    found = check_beaten(metrics(-0.2, rmse=1.1), 1, CONFIG)
    assert found.code == "beaten-by-naive" and found.severity == "problem"
    assert found.evidence["skill_vs_naive"] == -0.2
    assert check_beaten(metrics(0.3, rmse=0.8), 1, CONFIG) is None


def test_beaten_by_seasonal_naive_only():
    found = check_beaten(metrics(0.3, rmse=0.8, snaive_rmse=0.7), 12, CONFIG)
    assert found.code == "beaten-by-seasonal-naive"
    assert found.evidence["skill_vs_seasonal_naive"] < 0
    assert found.settings == {"window": 24}  # FAST has window 12 < 2 seasons


def test_validation_loss_rising_is_overfitting():
    train = list(np.linspace(1.0, 0.3, 20))
    val = [1.0, 0.9, 0.85, 0.8, *np.linspace(0.82, 1.2, 16)]
    found = check_overfitting(history(train, val), 4, CONFIG)
    assert found.code == "overfitting"
    assert found.evidence["best_epoch"] == 4
    assert found.settings["dropout"] == 0.2
    assert check_overfitting(history(train, train), 20, CONFIG) is None


def test_loss_at_the_naive_level_is_underfitting():
    flat = history([1.02, 1.0, 0.99, 0.99, 0.98], [1.0] * 5)
    found = check_underfitting(flat, CONFIG.replace(epochs=5), True)
    assert found.code == "underfitting"
    assert found.evidence["ratio_to_reference"] == pytest.approx(0.98)
    assert found.settings == {"epochs": 10}  # it ran every epoch: train longer
    stopped = check_underfitting(flat, CONFIG.replace(epochs=100), True)
    assert stopped.settings == {}  # early stopping ended it: longer would not help
    assert check_underfitting(history([1.0, 0.6, 0.4], [1.0] * 3), CONFIG,
                              True) is None
    stuck = check_underfitting(history([5.0] * 6, [5.0] * 6), CONFIG, False)
    assert stuck.evidence["reference_loss"] is None and stuck.evidence["fell"] == 0


def test_exploding_and_vanishing_gradients():
    cfg = CONFIG.replace(lr=0.01)
    big = check_gradients(history([1.0] * 3, [1.0] * 3, grad=50.0), 1.0, False, cfg)
    assert big.code == "exploding-gradients" and big.severity == "warning"
    assert big.settings == {"lr": 0.001, "clip_grad": 1.0}
    diverged = check_gradients(history([1.0], [1.0]), 1.0, True, cfg)
    assert diverged.severity == "problem"
    tiny = check_gradients(history([1.0] * 3, [1.0] * 3, grad=1e-9), 1.0, False, cfg)
    assert tiny.code == "vanishing-gradients"
    assert check_gradients(history([1.0] * 3, [1.0] * 3), 1.0, False, cfg) is None


def test_r2_undefined_and_unstable():
    undefined = check_r2(predictions(np.full(30, 2.0), np.full(30, 2.0)),
                         {"r2": None, "r2_undefined_reason": "the test target is "
                          "constant (all values = 2.0)", "n": 30})
    assert undefined.code == "r2-undefined"
    actual = random_walk(12)
    short = check_r2(predictions(actual, actual + 0.1), {"r2": 0.9, "n": 12})
    assert short.code == "r2-unstable"
    assert short.evidence["n"] == 12
    long = random_walk(400)
    assert check_r2(predictions(long, long + 0.01), {"r2": 0.99, "n": 400}) is None


def test_extrapolation_beyond_the_training_range():
    actual = np.linspace(10, 20, 50)
    found = check_extrapolation(np.linspace(0, 15, 100), predictions(actual, actual),
                                CONFIG)
    assert found.code == "extrapolation"
    assert found.evidence["share_outside"] == pytest.approx(0.5, abs=0.03)
    assert found.settings == {"difference": 1, "target_mode": "level"}
    assert check_extrapolation(np.linspace(0, 25, 100),
                               predictions(actual, actual), CONFIG) is None


# ------------------------------------------------------------------ a real fit


def test_explain_a_real_fit(fitted):
    result, series = fitted
    findings = explain(result, series)
    assert all(isinstance(f, Finding) for f in findings)
    skill = next(f for f in findings if f.code == "skill")
    assert skill.evidence["skill_vs_naive"] == pytest.approx(
        result.metrics["lstm"]["skill_vs_naive"], abs=1e-6)
    # 8 hidden units still mean hundreds of parameters for ~130 windows
    size = check_model_size(result.forecaster, result.config)
    assert (size is None) == (
        sum(p.numel() for p in result.forecaster.net_.parameters())
        <= 10 * result.forecaster.state_.networks.n_train_windows)
    rank = {"problem": 0, "warning": 1, "info": 2}
    assert [rank[f.severity] for f in findings] == sorted(
        rank[f.severity] for f in findings)
    assert explain_summary(findings).startswith("The LSTM")


def test_explain_sees_a_copying_forecast_beaten_by_naive(fitted):
    result, _ = fitted
    pred = result.predictions.copy()
    pred["lstm"] = pred["naive"] - 0.5  # the last value, a little off
    fake = dataclasses.replace(result, predictions=pred,
                               metrics={**result.metrics, "lstm": {
                                   **result.metrics["lstm"], "skill_vs_naive": -0.1}})
    codes = {f.code for f in explain(fake)}
    assert {"lag-copying", "beaten-by-naive"} <= codes
    summary = explain_summary(explain(fake))
    assert summary.startswith("The LSTM is no better than repeating the last value")
    assert "lag-copying" in summary


def test_summary_sentences():
    good = [Finding("skill", "info", "t", {"skill_vs_naive": 0.37, "r2": 0.9,
                                           "naive_r2": 0.8}, "r")]
    assert explain_summary(good) == ("The LSTM beats the naive forecast by 37% in "
                                     "squared error; no problems found.")
    worried = [*good, Finding("overfitting", "warning", "t", {}, "r")]
    assert explain_summary(worried).endswith("see overfitting.")
    seasonal = [*good, Finding("beaten-by-seasonal-naive", "problem", "t", {}, "r")]
    assert "but not the seasonal naive" in explain_summary(seasonal)
    assert "undefined" in explain_summary([])


def test_one_batch_check_tells_weak_signal_from_broken_setup(monkeypatch):
    import lstmcast.evaluation.onebatch as ex
    from lstmcast.core.config import ForecastConfig
    from lstmcast.data.loading import load
    from lstmcast.evaluation.holdout import fit_evaluate
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"y": np.cumsum(rng.normal(size=260)) + 50})
    series = load(frame, target="y")
    cfg = ForecastConfig().replace(target="y", hidden_size=8, epochs=3, window=12)
    result = fit_evaluate(series, cfg)
    facts = ex.overfit_one_batch(result.forecaster, series, 208)
    assert facts["one_batch_ratio"] < ex.ONE_BATCH_RATIO  # a sound set-up memorises
    under = ex.Finding("underfitting", "warning", "t", {}, "r", {})
    ok = ex.check_one_batch(under, result.forecaster, series, 208)
    assert ok.code == "underfitting" and "can memorise one batch" in ok.recommendation
    monkeypatch.setattr(ex, "overfit_one_batch", lambda *a, **k: {
        "one_batch_first_loss": 1.0, "one_batch_best_loss": 0.8,
        "one_batch_ratio": 0.8})
    broken = ex.check_one_batch(under, result.forecaster, series, 208)
    assert broken.code == "cannot-overfit-one-batch" and broken.severity == "problem"


def test_extrapolation_advice_knows_seasonal_differences_and_the_errors():
    """Seasonal differences already feed the network changes (no advice to
    difference), and test values outside the training range are only a
    warning when the forecasts there are worse than inside."""
    actual = np.linspace(10, 20, 50)
    seasonal = CONFIG.replace(seasonal_difference=12, target_mode="level")
    found = check_extrapolation(np.linspace(0, 15, 100),
                                predictions(actual, actual), seasonal)
    assert found.settings == {} and found.severity == "info"
    fine = check_extrapolation(np.linspace(0, 15, 100),
                               predictions(actual, actual), CONFIG)
    assert fine.severity == "info"  # no worse outside than inside
    worse = actual + np.where(actual > 15, 3.0, 0.1)
    assert check_extrapolation(np.linspace(0, 15, 100), predictions(actual, worse),
                               CONFIG).severity == "warning"
