import json
import subprocess
import sys

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import ar_series
from lstmcast.cli.app import app

runner = CliRunner()
FAST_FLAGS = ["--hidden-size", "8", "--epochs", "2", "--window", "12", "--quiet"]
PLAIN = ["--no-auto", *FAST_FLAGS]  # the plain fit of exactly these settings


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "data.csv"
    ar_series(200).to_csv(path, index=False)
    return path


def test_fit_then_predict(csv, tmp_path):
    out = tmp_path / "run"
    res = runner.invoke(app, ["fit", str(csv), "--target", "y", "--out", str(out),
                              "--covariates", "x", "--lags", "1,7", *PLAIN])
    assert res.exit_code == 0, res.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(metrics["models"]) == {"lstm", "naive", "seasonal_naive", "mean",
                                      "drift"}
    assert metrics["config"]["preprocess"]["lags"] == [1, 7]
    assert len(pd.read_csv(out / "test_predictions.csv")) == 40
    forecast = tmp_path / "f.csv"
    res = runner.invoke(app, ["predict", str(out), "--horizon", "1", "--out",
                              str(forecast)])
    assert res.exit_code == 0, res.output
    assert list(pd.read_csv(forecast).columns) == ["timestamp", "forecast", "lo-80",
                                                   "hi-80", "lo-95", "hi-95"]


def test_config_file_reruns_and_flags_override(csv, tmp_path):
    out = tmp_path / "run"
    runner.invoke(app, ["fit", str(csv), "--target", "y", "--out", str(out),
                        *PLAIN])
    again = tmp_path / "again"
    res = runner.invoke(app, ["fit", str(csv), "--config", str(out / "config.json"),
                              "--out", str(again), "--quiet", "--epochs", "1"])
    assert res.exit_code == 0, res.output
    cfg = json.loads((again / "config.json").read_text())
    assert cfg["model"]["hidden_size"] == 8 and cfg["train"]["epochs"] == 1


@pytest.mark.parametrize(("args", "message"), [
    (["--target", "sales"], "sales"),
    (["--target", "y", "--scaler", "zscore"], "'scaler' setting must be one of"),
    (["--target", "y", "--window", "500"], "window"),
])
def test_bad_input_exits_2_without_traceback(csv, tmp_path, args, message):
    res = runner.invoke(app, ["fit", str(csv), "--out", str(tmp_path / "r"),
                              *PLAIN, *args])
    assert res.exit_code == 2
    assert message in res.output and "Traceback" not in res.output


def test_missing_file_and_missing_model(tmp_path):
    res = runner.invoke(app, ["fit", str(tmp_path / "nope.csv"), "--target", "y"])
    assert res.exit_code == 2 and "nope.csv" in res.output
    res = runner.invoke(app, ["predict", str(tmp_path / "nomodel")])
    assert res.exit_code == 2 and "does not exist" in res.output


def test_datasets_lists_the_bundle():
    res = runner.invoke(app, ["datasets"])
    assert res.exit_code == 0 and "airline" in res.output


def test_demo_runs_the_whole_path(tmp_path):
    res = runner.invoke(app, ["demo", "--out", str(tmp_path / "demo"), "--epochs", "2"])
    assert res.exit_code == 0, res.output
    assert "Chose " in res.output  # the demo runs --auto and says what it chose
    assert "lstm" in res.output and "naive" in res.output
    assert (tmp_path / "demo" / "model.safetensors").exists()


def test_help_does_not_import_torch():
    code = ("import sys; from lstmcast.cli.app import app; "
            "print('torch' in sys.modules, 'pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_json_dash_prints_only_the_metrics_on_stdout(csv, tmp_path):
    res = runner.invoke(app, ["fit", str(csv), "--target", "y", "--out",
                              str(tmp_path / "r"), "--json", "-", *PLAIN])
    assert res.exit_code == 0, res.output
    assert set(json.loads(res.stdout)["models"]) >= {"lstm", "naive"}


def test_diagnose_writes_json_and_a_config_fit_accepts(csv, tmp_path):
    diag, rec = tmp_path / "d.json", tmp_path / "rec.json"
    res = runner.invoke(app, ["diagnose", str(csv), "--target", "y", "--json",
                              str(diag), "--write-config", str(rec)])
    assert res.exit_code == 0, res.output
    found = json.loads(diag.read_text())
    assert {"season_length", "stationarity", "random_walk", "findings"} <= set(found)
    assert all({"code", "severity", "evidence", "recommendation"} <= set(f)
               for f in found["findings"])
    res = runner.invoke(app, ["fit", str(csv), "--config", str(rec), "--out",
                              str(tmp_path / "r"), "--epochs", "1", "--quiet"])
    assert res.exit_code == 0, res.output


def test_fit_prints_the_doctor(csv, tmp_path):
    res = runner.invoke(app, ["fit", str(csv), "--target", "y", "--out",
                              str(tmp_path / "r"), "--no-auto", "--hidden-size", "8",
                              "--epochs", "2", "--window", "12"])
    assert res.exit_code == 0 and "Doctor:" in res.output
    metrics = json.loads((tmp_path / "r" / "metrics.json").read_text())
    assert metrics["verdict"] and any(f["code"] == "skill" for f in metrics["doctor"])


def test_backtest_command(csv, tmp_path):
    out = tmp_path / "bt.json"
    res = runner.invoke(app, ["backtest", str(csv), "--target", "y", "--folds", "2",
                              "--horizon", "2", "--models", "naive,drift",
                              "--json", str(out), *FAST_FLAGS])
    assert res.exit_code == 0, res.output
    found = json.loads(out.read_text())
    assert {row["model"] for row in found["summary"]} == {"lstm", "naive", "drift"}
    res = runner.invoke(app, ["backtest", str(csv), "--target", "y", "--folds", "2",
                              "--covariates", "x", "--horizon", "3", "--strategy",
                              "recursive", *FAST_FLAGS])
    assert res.exit_code == 2 and "covariate" in res.output
