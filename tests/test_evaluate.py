import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import FAST, ar_series
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.loading import load
from lstmcast.data.split import count_test_rows
from lstmcast.evaluation.holdout import fit_evaluate


def config(**extra):
    return ForecastConfig().replace(target="y", **{**FAST, **extra})


@pytest.fixture(scope="module")
def result():
    series = load(ar_series(300), target="y")
    return fit_evaluate(series, config(epochs=5))


@pytest.mark.parametrize(("n", "size", "expected"),
                         [(144, 0.2, 29), (100, 0.2, 24), (300, 10, 10),
                          (3000, 0.2, 600)])
def test_test_count_follows_the_catalog(n, size, expected):
    assert count_test_rows(n, size) == expected


def test_every_model_scores_the_same_test_points(result):
    pred = result.predictions
    assert len(pred) == 60 and list(pred.columns) == [
        "timestamp", "actual", "lstm", "naive", "seasonal_naive", "mean", "drift",
        "lstm-lo-80", "lstm-hi-80", "lstm-lo-95", "lstm-hi-95"]
    np.testing.assert_array_equal(pred["naive"].to_numpy()[1:],
                                  pred["actual"].to_numpy()[:-1])
    assert set(result.metrics) == {"lstm", "naive", "seasonal_naive", "mean", "drift"}
    assert result.metrics["naive"]["skill_vs_naive"] == 0.0
    assert result.split["n_test"] == 60 and result.split["n_train"] + \
        result.split["n_val"] == 240


def test_saved_files_recompute_with_the_independent_scorer(result, tmp_path):
    result.save(tmp_path / "run")
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert set(metrics["models"]["lstm"]) >= {"r2", "mae", "rmse", "mape", "smape",
                                              "mase", "skill_vs_naive"}
    assert metrics["config"]["model"]["window"] == 12
    scorer = Path(__file__).resolve().parents[1] / "tools" / "score_predictions.py"
    frame = ar_series(300)
    frame[["y"]].rename(columns={"y": "value"}).to_csv(tmp_path / "s.csv", index=False)
    out = subprocess.run([sys.executable, str(scorer), str(tmp_path / "s.csv"),
                          str(tmp_path / "run" / "test_predictions.csv"),
                          "--season", str(metrics["season"])],
                         capture_output=True, text=True, check=True).stdout
    row = next(line.split() for line in out.splitlines() if line.startswith("lstm"))
    assert float(row[1]) == pytest.approx(metrics["models"]["lstm"]["r2"], abs=1e-4)
    assert float(row[5]) == pytest.approx(
        metrics["models"]["lstm"]["skill_vs_naive"], abs=1e-3)


def test_changing_the_test_part_changes_no_fitted_state():
    frame = ar_series(300)
    a = fit_evaluate(load(frame, target="y"), config())
    changed = frame.copy()
    changed.loc[240:, "y"] = changed.loc[240:, "y"] * 1000 + 5
    b = fit_evaluate(load(changed, target="y"), config())
    assert a.forecaster.pipeline_.get_state() == b.forecaster.pipeline_.get_state()
    assert a.forecaster.history_.history == b.forecaster.history_.history
    assert a.predictions["lstm"].iloc[0] == pytest.approx(b.predictions["lstm"].iloc[0])


def test_constant_test_target_reports_undefined_r2():
    frame = ar_series(300)
    frame.loc[240:, "y"] = 7.0
    result = fit_evaluate(load(frame, target="y"), config(epochs=1))
    lstm = result.metrics["lstm"]
    assert lstm["r2"] is None and "constant" in lstm["r2_undefined_reason"]
    assert all(v is None or np.isfinite(v) for v in lstm.values()
               if not isinstance(v, str))


def test_too_short_series_gives_the_formula():
    with pytest.raises(DataError, match="window"):
        fit_evaluate(load(ar_series(60), target="y"), config(window=40))


def test_horizon_metrics_per_step():
    result = fit_evaluate(load(ar_series(300), target="y"), config(horizon=3))
    assert set(result.horizon_metrics) == {"h1", "h2", "h3"}
    assert set(result.horizon_metrics["h2"]) == set(result.metrics)


def test_dataframe_with_missing_values_is_imputed_and_scored():
    frame = ar_series(300)
    frame.loc[[50, 51, 260], "y"] = np.nan
    result = fit_evaluate(load(frame, target="y"), config(epochs=1))
    assert result.metrics["lstm"]["n"] == 59
    assert np.isfinite(result.predictions["lstm"]).all()
    assert isinstance(result.table(), pd.DataFrame)
