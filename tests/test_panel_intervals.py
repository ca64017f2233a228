"""Prediction intervals of a global model: calibrated on the validation
origin, they cover what they promise on panels with known noise, widen with
the horizon on random walks, never see the test part, survive save and load,
and reach the forecast files (which ../shared/tools/score_panel.py rescores
to the same numbers)."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import forge
from lstmcast import LSTMForecaster
from lstmcast.cli.app import app
from lstmcast.core.config import ForecastConfig
from lstmcast.data.panel_loading import load_panel
from lstmcast.evaluation.interval_doctor import panel_test_coverage
from lstmcast.evaluation.panel import evaluate_panel
from lstmcast.panel.bands import RECENT, calibrate, panel_bands, series_scales
from lstmcast.panel.serialize import load_panel_state, save_panel_state

pytestmark = pytest.mark.usefixtures("quick_classical")
runner = CliRunner()
SMALL = {"horizon": 4, "season": 1, "hidden_size": 8, "epochs": 2, "seed": 0}
SCORE_PANEL = [p for p in (Path(__file__).resolve().parents[2] / "shared",
                           Path("/work/shared"))
               if (p / "tools" / "score_panel.py").is_file()]


def noisy_histories(rng, n: int, length: int, noise) -> tuple[list, np.ndarray]:
    """n series: a level plus i.i.d. noise of a per-series size (spread 1 to
    20); the best forecast is the level."""
    sizes = rng.uniform(1, 20, n)
    levels = rng.uniform(100, 1000, n)
    return [levels[i] + sizes[i] * noise(rng, length) for i in range(n)], \
        np.column_stack([levels, sizes])


@pytest.mark.parametrize("noise", [
    lambda rng, k: rng.normal(0, 1, k),
    lambda rng, k: rng.standard_t(3, k),  # heavy tails
], ids=["gaussian", "student-t3"])
def test_bands_cover_their_level_on_known_noise(noise):
    """Calibrated on one panel's out-of-sample errors, scored on another
    drawn alike: coverage within sampling error (2,000 series x 4 steps per
    side: about 1 point at 80%, 0.5 at 95%; 3 standard errors allowed)."""
    rng = np.random.default_rng(1)
    horizon, n, length = 4, 2000, 30

    def draw():
        histories, truth = noisy_histories(rng, n, length + horizon, noise)
        past = [y[:length] for y in histories]
        actual = np.stack([y[length:] for y in histories])
        return past, np.repeat(truth[:, :1], horizon, axis=1), actual

    cal = calibrate(*draw(), season=1)
    past, point, actual = draw()
    bands = panel_bands(cal, past, point, 1, levels=(80.0, 95.0))
    for level, slack in ((80, 3 * 1.3), (95, 3 * 0.7)):
        inside = (actual >= bands[f"lo-{level}"]) & (actual <= bands[f"hi-{level}"])
        assert abs(inside.mean() * 100 - level) < slack, (level, inside.mean())
    # series of larger noise get wider bands, in proportion to their scale
    width = bands["hi-95"][:, 0] - bands["lo-95"][:, 0]
    np.testing.assert_allclose(width / series_scales(past, 1), width[0]
                               / series_scales(past, 1)[0])


def walks(n_series: int = 30, length: int = 60, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.concat([pd.DataFrame({
        "unique_id": f"w{k}", "ds": np.arange(1, length + 1),
        "y": 500 + np.cumsum(rng.normal(0, 5 + k, length))})
        for k in range(n_series)], ignore_index=True)


def noisy_panel(n_series: int = 40, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    histories, _ = noisy_histories(rng, n_series, 50,
                                   lambda r, k: r.normal(0, 1, k))
    return pd.concat([pd.DataFrame({"unique_id": f"n{k}", "ds": np.arange(1, 51),
                                    "y": y}) for k, y in enumerate(histories)],
                     ignore_index=True)


def test_a_fitted_panel_covers_gaussian_noise_and_scores_it():
    """End to end, with 40 series x 4 steps: coverage near nominal (the
    calibration has 40 errors a step, so the slack is wide: 12 points), and
    metrics.json-ready scores for lstmcast and the naive references."""
    panel = load_panel(noisy_panel(), id="unique_id")
    result = evaluate_panel(panel, ForecastConfig().replace(**SMALL), refit=False)
    summary = result.summary().set_index("model")
    assert abs(summary.loc["lstm", "coverage_80"] - 80) < 12
    assert abs(summary.loc["lstm", "coverage_95"] - 95) < 8
    for model in ("lstm", "naive"):
        assert np.isfinite(summary.loc[model, ["msis", "pinball"]].astype(float)).all()
    assert summary.loc["theta", ["coverage_80", "msis"]].isna().all()  # no bands
    assert set(result.intervals["method"]) == {"lstm", "naive", "seasonal_naive"}
    json.dumps(result.to_dict(), allow_nan=False)  # None, never NaN


def test_bands_widen_with_the_horizon_on_random_walks():
    est = LSTMForecaster(**{**SMALL, "horizon": 8}).fit(walks(), target="y",
                                                        id="unique_id", time="ds")
    f = est.predict()
    width = (f["hi-95"] - f["lo-95"]).to_numpy().reshape(-1, 8)
    assert (np.diff(width, axis=1) >= -1e-9 * width[:, 1:]).all()
    assert np.median(width[:, -1] / width[:, 0]) > 1.5  # sqrt(8) in theory
    assert (f["lo-95"] <= f["lo-80"]).all() and (f["lo-80"] <= f["forecast"]).all()
    assert (f["forecast"] <= f["hi-80"]).all() and (f["hi-80"] <= f["hi-95"]).all()


def test_the_test_part_never_enters_the_calibration_or_the_bands():
    """Doubling the last H values of every series changes the actuals only:
    every calibration error and every band of the evaluated model stays."""
    frame = noisy_panel(12)
    last = frame.groupby("unique_id", sort=False).cumcount(ascending=False) < 4
    changed = frame.assign(y=np.where(last, frame.y * 2, frame.y))
    config = ForecastConfig().replace(**SMALL)
    a = evaluate_panel(load_panel(frame, id="unique_id"), config, refit=False)
    b = evaluate_panel(load_panel(changed, id="unique_id"), config, refit=False)
    np.testing.assert_array_equal(a.forecaster.state_.calibration.errors,
                                  b.forecaster.state_.calibration.errors)
    bands = [c for c in a.predictions.columns if "-lo-" in c or "-hi-" in c]
    assert "lstm-lo-80" in bands and "naive-hi-95" in bands
    pd.testing.assert_frame_equal(a.predictions[bands], b.predictions[bands])
    assert not np.allclose(a.predictions["actual"], b.predictions["actual"])
    # the doubled test part is far outside the bands, and the notes say so
    missed = [n for n in b.intervals["notes"] if "bands covered" in n]
    assert len(missed) == 2 and "covered less" in missed[0]
    assert not [n for n in a.intervals["notes"] if "covered less" in n]


def test_panel_test_coverage_is_judged_over_series():
    rng = np.random.default_rng(0)
    # 200 series of 4 steps: each series' coverage in quarters
    near = rng.choice([50.0, 75.0, 100.0, 100.0], size=200)  # mean 81
    notes = panel_test_coverage({80.0: near})
    assert notes == []
    low = rng.choice([0.0, 50.0, 75.0, 100.0], size=200)  # mean 56
    (note,) = panel_test_coverage({80.0: low})
    assert "covered less" in note and "200 series" in note
    (note,) = panel_test_coverage({95.0: np.full(50, 100.0)})
    assert "covered more" in note and "100.0%" in note
    assert panel_test_coverage({80.0: low[:9]}) == []  # too few series to judge


def test_save_and_load_keep_every_band_and_an_old_folder_gives_points(tmp_path):
    est = LSTMForecaster(**SMALL).fit(noisy_panel(8), target="y", id="unique_id",
                                      time="ds")
    before = est.predict(quantiles=(0.1, 0.5, 0.9))
    est.save(tmp_path / "m")
    after = LSTMForecaster.load(tmp_path / "m").predict(quantiles=(0.1, 0.5, 0.9))
    pd.testing.assert_frame_equal(before, after)
    assert list(before.columns[-3:]) == ["q-0.1", "q-0.5", "q-0.9"]
    params, state = load_panel_state(tmp_path / "m")
    save_panel_state(dataclasses.replace(state, calibration=None), params,
                     tmp_path / "old")
    assert not (tmp_path / "old" / "calibration.json").exists()
    old = LSTMForecaster.load(tmp_path / "old").predict()
    assert list(old.columns) == ["unique_id", "ds", "forecast"]
    np.testing.assert_allclose(old["forecast"], before["forecast"])


def test_a_forged_calibration_is_refused(tmp_path):
    est = LSTMForecaster(**SMALL).fit(noisy_panel(6), target="y", id="unique_id",
                                      time="ds")
    est.save(tmp_path / "m")
    params, state = load_panel_state(tmp_path / "m")
    short = dataclasses.replace(state, calibration=dataclasses.replace(
        state.calibration, errors=state.calibration.errors[:, :2]))
    save_panel_state(short, params, tmp_path / "bad")
    res = runner.invoke(app, ["predict", str(tmp_path / "bad"), "--out",
                              str(tmp_path / "f.csv")])
    assert res.exit_code == 2 and "calibration.json" in res.output


def _fit(tmp_path, *extra: str):
    data = tmp_path / "panel.csv"
    noisy_panel(10).to_csv(data, index=False)
    out = tmp_path / "run"
    res = runner.invoke(app, ["fit", str(data), "--id", "unique_id", "--time", "ds",
                              "--target", "y", "--horizon", "4", "--season", "1",
                              "--hidden-size", "8", "--epochs", "2", "--quiet",
                              "--out", str(out), *extra])
    return res, data, out


def test_cli_levels_reach_the_test_and_future_forecast_files(tmp_path):
    res, _, out = _fit(tmp_path, "--levels", "50,90")
    assert res.exit_code == 0, res.output
    tests = pd.read_csv(out / "test_forecasts.csv")
    assert {"lstm-lo-50", "lstm-hi-90", "naive-lo-50"} <= set(tests.columns)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["intervals"]["levels"] == [50.0, 90.0]
    assert "coverage_90" in metrics["models"]["lstm"]
    assert "msis" not in metrics["models"]["lstm"]  # MSIS is the 95% band's
    res = runner.invoke(app, ["predict", str(out), "--out", str(tmp_path / "f.csv")])
    assert res.exit_code == 0, res.output
    future = pd.read_csv(tmp_path / "f.csv")
    assert list(future.columns) == ["unique_id", "ds", "forecast", "lo-50", "hi-50",
                                    "lo-90", "hi-90"]
    assert "Prediction intervals" in (out / "report.html").read_text()


@pytest.mark.parametrize("flag,value,said", [
    ("--levels", "80,120", "'levels' setting must be < 100"),
    ("--quantiles", "0.5,1.5", "'quantiles' setting must be < 1"),
])
def test_bad_levels_exit_2_with_a_message(tmp_path, flag, value, said):
    res, _, _ = _fit(tmp_path, flag, value)
    assert res.exit_code == 2 and said in res.output, res.output


@pytest.mark.skipif(not SCORE_PANEL, reason="../shared/tools/score_panel.py absent")
def test_score_panel_reads_the_test_forecasts_and_agrees(tmp_path):
    res, data, out = _fit(tmp_path, "--no-refit")
    assert res.exit_code == 0, res.output
    frame = pd.read_csv(data)
    last = frame.groupby("unique_id", sort=False).cumcount(ascending=False) < 4
    frame[~last].to_csv(tmp_path / "train.csv", index=False)
    frame[last].to_csv(tmp_path / "test.csv", index=False)
    said = subprocess.run(
        [sys.executable, str(SCORE_PANEL[0] / "tools" / "score_panel.py"),
         str(tmp_path / "train.csv"), str(tmp_path / "test.csv"),
         str(out / "test_forecasts.csv"), "--season", "1"],
        capture_output=True, text=True, check=True).stdout
    models = json.loads((out / "metrics.json").read_text())["models"]
    for model in ("lstm", "naive"):
        smape, mase = re.search(rf"^{model}: sMAPE (\S+)\s+MASE (\S+)", said,
                                re.M).groups()
        assert float(smape) == pytest.approx(models[model]["smape"], abs=1e-3)
        assert float(mase) == pytest.approx(models[model]["mase"], abs=1e-4)
        for level in (80, 95):
            found = re.search(rf"^{model}-lo-{level}/{model}-hi-{level}: coverage "
                              r"(\S+)%.*?(?:MSIS (\S+))?$", said, re.M)
            assert float(found[1]) == pytest.approx(
                models[model][f"coverage_{level}"], abs=0.05)
            if level == 95:
                assert float(found[2]) == pytest.approx(models[model]["msis"],
                                                        abs=5e-4)


def test_a_series_that_moved_more_lately_gets_the_wider_scale():
    """The scale is the geometric mean of the root mean square of all seasonal
    differences and of the last RECENT: of two series with the same whole
    history of moves, the one whose large moves are recent gets more."""
    calm, wild = np.full(40, 1.0), np.full(RECENT, 3.0)
    early = np.cumsum(np.concatenate([[0.0], wild, calm]))  # 57 values, 56 moves
    late = np.cumsum(np.concatenate([[0.0], calm, wild]))
    whole = np.sqrt((40 * 1 + RECENT * 9) / 56)
    early_scale, late_scale = series_scales([early, late], 1)
    np.testing.assert_allclose(early_scale, np.sqrt(whole * 1.0))
    np.testing.assert_allclose(late_scale, np.sqrt(whole * 3.0))
    np.testing.assert_allclose(series_scales([early, late], 1, recent=0), whole)


def test_a_series_flat_lately_keeps_the_whole_history_scale():
    """Recent moves all 0 would make a zero band for a series that has moved:
    its scale is then the whole history's."""
    y = np.concatenate([np.cumsum(np.r_[0.0, np.full(30, 2.0)]), np.full(RECENT, 60.0)])
    assert y[-1] == y[-RECENT - 1]
    np.testing.assert_allclose(series_scales([y], 1), series_scales([y], 1, recent=0))
    assert series_scales([y], 1)[0] > 0


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=60),
       st.floats(0.01, 100), st.floats(-1e4, 1e4), st.integers(1, 12))
def test_the_scale_moves_with_the_units_and_ignores_the_level(values, c, b, season):
    y = np.array(values)
    np.testing.assert_allclose(series_scales([c * y + b], season),
                               c * series_scales([y], season), rtol=1e-6, atol=1e-6)


def test_a_folder_saved_before_the_recent_scale_keeps_its_own_bands(tmp_path):
    """A calibration.json without scale_recent was scaled by the whole history
    alone: its bands are made so (not by the rule of the day), and a
    scale_recent that is not a whole number of 0 or more is refused, as is a
    source lstmcast does not know."""
    est = LSTMForecaster(**SMALL).fit(walks(12), target="y", id="unique_id",
                                      time="ds")
    est.save(tmp_path / "m")
    now = est.predict()
    path = tmp_path / "m" / "calibration.json"
    values = json.loads(path.read_text())
    assert values["scale_recent"] == RECENT
    params, state = load_panel_state(tmp_path / "m")
    save_panel_state(dataclasses.replace(state, scale_recent=0), params,
                     tmp_path / "old")
    old = tmp_path / "old" / "calibration.json"
    old_values = json.loads(old.read_text())
    del old_values["scale_recent"]
    forge(tmp_path / "old", "calibration.json", old_values)
    loaded = LSTMForecaster.load(tmp_path / "old")
    assert loaded.state_.scale_recent == 0
    then = loaded.predict()
    histories = [g.y.to_numpy() for _, g in walks(12).groupby("unique_id", sort=False)]
    point = then["forecast"].to_numpy().reshape(len(histories), -1)
    expected = panel_bands(state.calibration, histories, point, 1,
                           levels=(95.0,), recent=0)
    np.testing.assert_allclose(then["hi-95"].to_numpy().reshape(point.shape),
                               expected["hi-95"])
    assert not np.allclose(then["hi-95"], now["hi-95"])
    forge(tmp_path / "old", "calibration.json", {**old_values, "scale_recent": -1})
    res = runner.invoke(app, ["predict", str(tmp_path / "old"), "--out",
                              str(tmp_path / "f.csv")])
    assert res.exit_code == 2 and "scale_recent" in res.output
    forge(tmp_path / "old", "calibration.json", {**old_values, "source": "test"})
    res = runner.invoke(app, ["predict", str(tmp_path / "old"), "--out",
                              str(tmp_path / "f.csv")])
    assert res.exit_code == 2 and "key source" in res.output
