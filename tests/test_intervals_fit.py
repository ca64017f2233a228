"""Prediction intervals of single-series fits: calibrated on the validation
part (never the test part), per step, saved with the model, scored beside the
baselines' own, written by ``predict``."""

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import FAST
from lstmcast.cli.app import app
from lstmcast.core.config import ForecastConfig
from lstmcast.data.loading import load
from lstmcast.evaluation.holdout import fit_evaluate
from lstmcast.evaluation.interval_doctor import (
    check_calibration,
    check_test_coverage,
    slack,
)
from lstmcast.forecaster.calibrate import local_scale
from lstmcast.forecaster.estimator import LSTMForecaster
from lstmcast.intervals.conformal import Calibration

runner = CliRunner()


def ar_noise(n: int, noise: str, seed: int = 0) -> pd.DataFrame:
    """AR(1) plus noise with a known law: Gaussian or Student t (3 d.o.f.)."""
    rng = np.random.default_rng(seed)
    shocks = rng.normal(size=n) if noise == "gaussian" else rng.standard_t(3, n)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = 0.6 * y[t - 1] + shocks[t]
    return pd.DataFrame({"y": y + 20})


def config(**extra) -> ForecastConfig:
    return ForecastConfig().replace(target="y", season=1,
                                    **{**FAST, "epochs": 2, **extra})


@pytest.mark.parametrize("noise", ["gaussian", "heavy"])
def test_test_coverage_is_nominal_within_sampling_error(noise):
    # 2000 points: 400 tested, 320 validation errors calibrate the bands.
    result = fit_evaluate(load(ar_noise(2000, noise), target="y"), config(),
                          doctor=False, refit=False)
    lstm, n = result.metrics["lstm"], result.metrics["lstm"]["n"]
    for level in (80, 95):
        # 3 standard errors of a coverage on n points, plus the rank rounding
        allowed = 1.5 * slack(level, n) + 100 / 320
        assert abs(lstm[f"coverage_{level}"] - level) <= allowed, (level, lstm)
    assert lstm["msis"] > 0 and lstm["pinball"] > 0
    for name in ("naive", "seasonal_naive", "drift"):
        assert result.metrics[name]["coverage_95"] is not None


def test_intervals_widen_with_the_horizon_on_a_random_walk():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"y": np.cumsum(rng.normal(size=600))})
    est = LSTMForecaster(**{**FAST, "epochs": 2}, horizon=6, season=1).fit(
        frame, target="y")
    forecast = est.predict(6)
    width = (forecast["hi-95"] - forecast["lo-95"]).to_numpy()
    assert np.all(np.diff(width) >= 0) and width[-1] > 1.5 * width[0]
    assert est.state_.calibration.horizon == 6


def test_a_one_step_model_is_calibrated_recursively_beyond_its_step():
    rng = np.random.default_rng(2)
    frame = pd.DataFrame({"y": np.cumsum(rng.normal(size=400))})
    est = LSTMForecaster(**FAST, season=1).fit(frame, target="y")
    assert est.state_.calibration.horizon > 1
    width = est.predict(12).eval("`hi-80` - `lo-80`").to_numpy()
    assert width[-1] > width[0]


@pytest.mark.parametrize("predictor", ["lstm", "naive"])
def test_no_test_value_enters_the_calibration(predictor):
    """A network's bands from its validation part, the naive forecast's from
    its training rows too: the test part enters neither."""
    frame = ar_noise(400, "gaussian")
    changed = frame.copy()
    changed.loc[320:, "y"] = changed.loc[320:, "y"] * 5 + 100  # the test part
    runs = [fit_evaluate(load(f, target="y"), config(predictor=predictor),
                         doctor=False, refit=False) for f in (frame, changed)]
    a, b = (r.forecaster.state_.calibration for r in runs)
    np.testing.assert_array_equal(a.errors, b.errors)
    for p in (0.025, 0.1, 0.9, 0.975):
        np.testing.assert_array_equal(a.offsets(p), b.offsets(p))
    # each test band is the same scaled offset times the scale at its
    # origin, read from the history before the point only
    from lstmcast.forecaster.calibrate import origin_scale
    widths = []
    for r, f in zip(runs, (frame, changed), strict=True):
        rows = np.arange(320, 400)
        local = origin_scale(r.forecaster.state_, load(f, target="y"), rows - 1)
        widths.append((r.predictions["lstm-hi-95"] - r.predictions["lstm"]) / local)
        assert (r.predictions["lstm-hi-95"] - r.predictions["lstm"]).iloc[0] == \
            pytest.approx(a.offsets(0.975)[0] * local[0])
    np.testing.assert_allclose(widths[0], widths[1])


def test_quantiles_replace_the_levels_and_give_crps():
    result = fit_evaluate(load(ar_noise(300, "gaussian"), target="y"),
                          config(quantiles=(0.1, 0.5, 0.9)), doctor=False,
                          refit=False)
    assert {"lstm-q-0.1", "lstm-q-0.5", "lstm-q-0.9"} <= set(result.predictions)
    assert result.metrics["lstm"]["crps"] > 0
    forecast = result.forecaster.predict(3)
    assert list(forecast.columns) == ["forecast", "q-0.1", "q-0.5", "q-0.9"]
    np.testing.assert_allclose(forecast["q-0.5"], forecast["forecast"])


def test_save_and_load_keep_the_bands(tmp_path):
    est = LSTMForecaster(**FAST, season=1).fit(ar_noise(300, "gaussian"),
                                               target="y")
    est.save(tmp_path / "m")
    back = LSTMForecaster.load(tmp_path / "m")
    pd.testing.assert_frame_equal(est.predict(5), back.predict(5))
    assert list(back.predict(2, levels=(50,)).columns) == ["forecast", "lo-50",
                                                           "hi-50"]
    assert list(back.predict(2, levels=()).columns) == ["forecast"]


def test_doctor_flags_intervals_that_miss_on_the_second_half():
    rng = np.random.default_rng(3)
    drifting = np.concatenate([rng.normal(size=100), 5 * rng.normal(size=100)])
    found = check_calibration(Calibration(errors=drifting[:, None]), (80.0, 95.0))
    assert "interval-coverage" in {f.code for f in found}
    steady = rng.normal(size=200)
    assert not [f for f in check_calibration(Calibration(errors=steady[:, None]),
                                             (80.0, 95.0))
                if f.code == "interval-coverage"]
    # forward errors grow with the distance from their fit, not with time
    forward = Calibration(errors=drifting[:, None], source="search")
    assert "interval-coverage" not in {
        f.code for f in check_calibration(forward, (80.0, 95.0))}


def _test_scores(actual: np.ndarray, half_width: float, level: float = 95.0
                 ) -> dict:
    """The LSTM's test scores (as metrics.json) of bands +- ``half_width``
    around 0 over the ``actual`` values."""
    inside = np.abs(actual) <= half_width
    return {"n": len(actual), f"coverage_{level:g}": 100 * inside.mean()}


def test_doctor_says_when_the_test_coverage_misses_beyond_chance():
    """Beyond three standard errors of a coverage on that many points: a
    warning naming the count (a note when the bands covered more), with the
    cause to look at; within them, nothing (29 points: 24 inside is a miss
    at 95%, 26 is not)."""
    few, many = Calibration(errors=np.ones((23, 1))), Calibration(
        errors=np.ones((400, 1)))
    actual = np.r_[np.zeros(24), np.full(5, 9.0)]  # 24 of 29 inside
    (found,) = check_test_coverage(_test_scores(actual, 1.0), (95.0,), few)
    assert found.code == "interval-test-coverage" and found.severity == "warning"
    assert "24 of the 29 test points" in found.title
    assert found.evidence["slack"] == pytest.approx(1.5 * slack(95, 29))
    assert "rest on 23 validation errors" in found.recommendation
    (found,) = check_test_coverage(_test_scores(actual, 1.0), (95.0,), many)
    assert "larger than the validation part's" in found.recommendation
    near = np.r_[np.zeros(26), np.full(3, 9.0)]  # 89.7%: chance
    assert check_test_coverage(_test_scores(near, 1.0), (95.0,), many) == []
    rng = np.random.default_rng(0)
    wide = _test_scores(rng.normal(size=600), 5.0, 80.0)  # covers ~100%
    (found,) = check_test_coverage(wide, (80.0, 95.0), many)  # no 95% scores
    assert found.evidence["level"] == 80.0 and found.evidence["coverage"] > 99
    assert found.severity == "info" and "on the safe side" in found.recommendation


def test_the_fit_doctor_reads_the_test_coverage():
    """explain() runs the test-coverage check on the fit's own test bands:
    no warning on a calm series, one once the 95% bands miss the actuals."""
    from lstmcast.evaluation.doctor import explain
    result = fit_evaluate(load(ar_noise(600, "gaussian"), target="y"), config(),
                          refit=False)
    assert not [f for f in result.doctor if f.code == "interval-test-coverage"
                and f.severity == "warning"]
    result.metrics["lstm"]["coverage_95"] = 0.0  # bands that missed every point
    found = {f.code: f for f in explain(result)}
    assert found["interval-test-coverage"].evidence["coverage"] == 0.0


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("run")
    data = folder / "data.csv"
    ar_noise(300, "gaussian").to_csv(data, index=False)
    out = folder / "fit"
    result = runner.invoke(app, ["fit", str(data), "--target", "y", "--no-auto",
                                 "--epochs", "2", "--hidden-size", "8",
                                 "--season", "1", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_cli_fit_writes_bands_and_scores(run):
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["models"]["lstm"]["coverage_80"] is not None
    assert metrics["intervals"]["levels"] == [80.0, 95.0]
    columns = pd.read_csv(run / "test_predictions.csv").columns
    assert {"lstm-lo-80", "lstm-hi-95"} <= set(columns)


def test_cli_predict_levels_and_quantiles(run, tmp_path):
    out = tmp_path / "f.csv"
    result = runner.invoke(app, ["predict", str(run), "--horizon", "4",
                                 "--levels", "50,90", "--out", str(out)])
    assert result.exit_code == 0, result.output
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["timestamp", "forecast", "lo-50", "hi-50",
                                   "lo-90", "hi-90"]
    assert (frame["lo-90"] <= frame["lo-50"]).all()
    assert (frame["hi-50"] <= frame["hi-90"]).all()
    result = runner.invoke(app, ["predict", str(run), "--horizon", "2",
                                 "--quantiles", "0.1,0.9", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert list(pd.read_csv(out).columns) == ["timestamp", "forecast", "q-0.1",
                                              "q-0.9"]


@pytest.mark.parametrize("bad", ["150", "0", "a,b"])
def test_cli_predict_refuses_bad_levels(run, tmp_path, bad):
    result = runner.invoke(app, ["predict", str(run), "--levels", bad,
                                 "--out", str(tmp_path / "f.csv")])
    assert result.exit_code == 2 and "levels" in result.output


def test_an_old_model_without_calibration_still_predicts(tmp_path):
    from pathlib import Path
    old = Path(__file__).parent / "robustness" / "data" / "model_v1"
    shutil.copytree(old, tmp_path / "old")
    out = tmp_path / "f.csv"
    result = runner.invoke(app, ["predict", str(tmp_path / "old"), "--horizon",
                                 "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "no interval calibration" in result.output
    assert list(pd.read_csv(out).columns) == ["timestamp", "forecast"]


def test_the_independent_scorer_agrees_on_coverage_and_msis(run, tmp_path):
    import subprocess
    import sys
    from pathlib import Path
    scorer = Path(__file__).resolve().parents[1] / "tools" / "score_predictions.py"
    ar_noise(300, "gaussian").rename(columns={"y": "value"}).to_csv(
        tmp_path / "s.csv", index=False)
    out = subprocess.run([sys.executable, str(scorer), str(tmp_path / "s.csv"),
                          str(run / "test_predictions.csv"), "--season", "1"],
                         capture_output=True, text=True, check=True).stdout
    lstm = json.loads((run / "metrics.json").read_text())["models"]["lstm"]
    line = next(x for x in out.splitlines() if "coverage 95%" in x).split()
    assert float(line[3]) == pytest.approx(lstm["coverage_95"], abs=0.01)
    assert float(line[5]) == pytest.approx(lstm["msis"], rel=1e-4)
    assert not [x for x in out.splitlines() if x.startswith("lstm-")]


def test_backtest_scores_every_folds_bands():
    from lstmcast.evaluation.backtest import backtest
    result = backtest(load(ar_noise(400, "gaussian"), target="y"),
                      config(horizon=2), folds=2, models=["naive"])
    scores = result.scores
    bands = scores[(scores["model"] == "lstm") & (scores["metric"] == "coverage_95")]
    assert bands["fold"].nunique() == 2 and set(bands["h"]) == {1, 2}
    assert ((bands["value"] >= 0) & (bands["value"] <= 100)).all()
    summary = result.summary()
    lstm = summary[summary["model"] == "lstm"].iloc[0]
    assert lstm["msis_mean"] > 0
    assert summary[summary["model"] == "naive"]["coverage_80_mean"].isna().all()


def test_multi_step_test_forecasts_are_scored_per_step():
    result = fit_evaluate(load(ar_noise(300, "gaussian"), target="y"),
                          config(horizon=2), doctor=False, refit=False)
    for h in ("h1", "h2"):
        lstm = result.horizon_metrics[h]["lstm"]
        assert 0 <= lstm["coverage_80"] <= 100 and lstm["msis"] > 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.floats(-1e3, 1e3).map(lambda v: round(v, 3))),
                min_size=2, max_size=80), st.integers(1, 30), st.data())
def test_local_scale_is_the_rolling_mean_absolute_change_up_to_each_origin(
        values, window, data):
    """The scale at an origin reads only the changes up to it: the mean of
    the last ``window`` known |changes| (else of all known ones, else 1),
    the same as pandas' rolling mean over the whole series (values to three
    decimals: a change 1e100 times smaller than the running sum of the
    earlier ones is lost to rounding by either sum)."""
    y = np.array([np.nan if v is None else v for v in values])
    origins = np.array(data.draw(st.lists(st.integers(0, len(y) - 1),
                                          min_size=1, max_size=20)))
    steps = pd.Series(np.abs(np.diff(y, prepend=np.nan)))
    expected = steps.rolling(window, min_periods=1).mean().to_numpy()[origins]
    overall = steps.expanding(min_periods=1).mean().to_numpy()[origins]
    bad = ~(np.isfinite(expected) & (expected > 0))
    expected[bad] = overall[bad]
    expected[~(np.isfinite(expected) & (expected > 0))] = 1.0
    np.testing.assert_allclose(local_scale(y, origins, window), expected,
                               rtol=1e-9, atol=1e-9)
    changed = y.copy()
    changed[origins.max() + 1:] = 7e5  # the future does not move the scale
    np.testing.assert_array_equal(local_scale(changed, origins, window),
                                  local_scale(y, origins, window))
