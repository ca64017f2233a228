"""A panel through the command line: every kind of broken series costs that
series a note, the run goes on, and predict writes id, time, forecast."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lstmcast.cli.app import app
from test_panel_data import every_bad_case

pytestmark = pytest.mark.usefixtures("quick_classical")
runner = CliRunner()
FAST = ["--hidden-size", "8", "--epochs", "2", "--quiet"]


def panel_csv(tmp_path) -> str:
    """Seasonal series long enough to score, plus one of each kind of trouble."""
    rng = np.random.default_rng(0)
    good = [pd.DataFrame({"unique_id": f"g{k}", "ds": np.arange(1, 41 + k),
                          "y": 50 + 10 * np.sin(np.arange(40 + k) / 2)
                          + rng.normal(0, 1, 40 + k)}) for k in range(5)]
    path = tmp_path / "panel.csv"
    pd.concat([*good, every_bad_case()], ignore_index=True).to_csv(path, index=False)
    return str(path)


def test_a_panel_with_every_bad_case_fits_and_predicts(tmp_path):
    data, out = panel_csv(tmp_path), tmp_path / "run"
    res = runner.invoke(app, ["fit", data, "--id", "unique_id", "--time", "ds",
                              "--target", "y", "--horizon", "3", "--season", "4",
                              "--out", str(out), *FAST])
    assert res.exit_code == 0, res.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["kind"] == "panel"
    assert set(metrics["dropped"]) == {"text", "empty", "dup", "inf"}
    assert "x" in metrics["dropped"]["text"] and "no values" in metrics["dropped"][
        "empty"]
    assert any("constant" in n for n in metrics["notes"]["flat"])
    assert any("gap" in n or "missing" in n for n in metrics["notes"]["gap"])
    assert {"lstm", "theta", "naive"} <= set(metrics["models"])
    assert (out / "report.html").is_file()
    res = runner.invoke(app, ["predict", str(out), "--horizon", "2", "--out",
                              str(tmp_path / "f.csv")])
    assert res.exit_code == 0, res.output
    forecast = pd.read_csv(tmp_path / "f.csv")
    assert list(forecast.columns) == ["unique_id", "ds", "forecast", "lo-80", "hi-80",
                                     "lo-95", "hi-95"]
    kept = {f"g{k}" for k in range(5)} | {f"s{k}" for k in range(4)} | {
        "gap", "holes", "flat", "42"}
    assert set(forecast["unique_id"].astype(str)) == kept
    assert (forecast.groupby("unique_id").size() == 2).all()
    flat = forecast[forecast.unique_id == "flat"]
    assert np.allclose(flat["forecast"], 7.0) and list(flat["ds"]) == [5, 6]


def test_predict_after_new_data_of_a_global_model(tmp_path):
    data, out = panel_csv(tmp_path), tmp_path / "run"
    assert runner.invoke(app, ["fit", data, "--id", "unique_id", "--horizon", "3",
                               "--season", "4", "--out", str(out), *FAST]
                         ).exit_code == 0
    new = tmp_path / "new.csv"
    pd.DataFrame({"unique_id": "fresh", "ds": np.arange(1, 21),
                  "y": np.linspace(10, 30, 20)}).to_csv(new, index=False)
    res = runner.invoke(app, ["predict", str(out), str(new), "--out",
                              str(tmp_path / "f.csv"), "--json", "-"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.output)["forecast"]
    assert [r["ds"] for r in rows] == [21, 22, 23]
    assert {r["unique_id"] for r in rows} == {"fresh"}
    assert rows[0]["forecast"] > 25  # it follows the trend


@pytest.mark.parametrize(("args", "message"), [
    (["fit", "{data}", "--id", "unique_id"], "give --horizon H"),
    (["fit", "{data}", "--id", "store", "--horizon", "3"], "store"),
    (["diagnose", "{data}", "--id", "unique_id"], "names the series of a panel"),
    (["fit", "{data}", "--id", "unique_id", "--horizon", "3", "--covariates", "ds"],
     "not supported with --id"),
])
def test_a_panel_mistake_is_named_with_exit_code_2(tmp_path, args, message):
    data = panel_csv(tmp_path)
    res = runner.invoke(app, [a.replace("{data}", data) for a in args]
                        + ["--out", str(tmp_path / "run")])
    assert res.exit_code == 2, res.output
    assert message in res.output


def test_references_add_per_series_arima_and_ets(tmp_path):
    rng = np.random.default_rng(1)
    path = tmp_path / "two.csv"
    pd.concat([pd.DataFrame({"unique_id": k, "ds": np.arange(1, 31),
                             "y": 20 + np.cumsum(rng.normal(0.3, 1, 30))})
               for k in ("a", "b")]).to_csv(path, index=False)
    out = tmp_path / "run"
    res = runner.invoke(app, ["fit", str(path), "--id", "unique_id", "--horizon", "3",
                              "--references", "arima,ets", "--out", str(out), *FAST])
    assert res.exit_code == 0, res.output
    models = json.loads((out / "metrics.json").read_text())["models"]
    assert {"arima", "ets"} <= set(models)
    assert all(np.isfinite(models[m]["smape"]) for m in ("arima", "ets"))
    res = runner.invoke(app, ["fit", str(path), "--target", "y", "--references",
                              "arima", "--out", str(tmp_path / "one")])
    assert res.exit_code == 2 and "give --id" in res.output
