"""The report of a panel run: a small real panel evaluated, saved as a command
saves a run (staged, its page written, the manifest sealed), then its page
read back: the models with their scores, the best and worst series named and
drawn from history.csv, every series left out or not scored with its reason,
no network; `lstmcast report` rebuilds it."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lstmcast.baselines import joint
from lstmcast.cli.app import app
from lstmcast.cli.folders import refuse_foreign, save_run, writing_run
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.panel_loading import load_panel
from lstmcast.evaluation.panel import evaluate_panel
from lstmcast.report.runs import REPORT, run_kind
from test_report import CHROMIUM, check_in_chromium

SEASON, HORIZON = 12, 6


def panel_frame() -> pd.DataFrame:
    """12 seasonal series of 48-81 points, noisier one after the other, then
    a constant series, one too short to hold out H values and one of text."""
    rng = np.random.default_rng(0)
    rows = []
    for k in range(12):
        n = 48 + 3 * k
        t = np.arange(n)
        y = (50 + 10 * k + 0.3 * t) * (1 + 0.2 * np.sin(2 * np.pi * (t + k) / SEASON)) \
            * np.exp(rng.normal(0, 0.02 * (1 + k), n))
        rows.append(pd.DataFrame({"unique_id": f"s{k}", "ds": t + 1, "y": y}))
    rows += [pd.DataFrame({"unique_id": "flat", "ds": np.arange(1, 41), "y": 7.0}),
             pd.DataFrame({"unique_id": "tiny", "ds": np.arange(1, 6),
                           "y": [1.0, 2, 3, 4, 5]}),
             pd.DataFrame({"unique_id": "text", "ds": [1, 2, 3],
                           "y": ["1", "x", "3"]})]
    return pd.concat(rows, ignore_index=True)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    import torch
    torch.set_num_threads(1)
    panel = load_panel(panel_frame(), id="unique_id")
    config = ForecastConfig().replace(  # a weight given: validation for the bands
        horizon=HORIZON, season=SEASON, hidden_size=8, epochs=2, seed=0,
        network_weight=0.5)
    out = tmp_path_factory.mktemp("panel") / "out"
    with pytest.MonkeyPatch.context() as patch:  # the page, not the fits, is
        patch.setattr(joint, "STEPS", 40)  # tested: 40 Adam steps, not 400
        result = evaluate_panel(panel, config)
        with writing_run(out, "fit", force=False):
            save_run(out, result.save)
    return out


def _ranked(run_dir) -> pd.Series:
    """The lstm's sMAPE of every scored series, best first."""
    scores = pd.read_csv(run_dir / "per_series.csv", converters={"unique_id": str})
    lstm = scores[scores.model == "lstm"].set_index("unique_id")["smape"]
    return lstm.sort_values(kind="stable")


def _section(text: str, heading: str) -> str:
    return text.split(f"<h2>{heading}</h2>", 1)[1].split("<h2>", 1)[0]


def test_the_page_names_every_model_with_its_scores_and_the_verdict(run_dir):
    text = (run_dir / REPORT).read_text()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert re.findall(r"<h2>(.*?)</h2>", text) == [
        "Accuracy on the test part, over the series", "Errors across series",
        "Prediction intervals on the test part", "Best series", "Worst series",
        "Forecasts after the end of the series",
        "Series left out, not scored or noted", "Settings"]
    assert text.index("verdict") < text.index("<h2>")
    table = _section(text, "Accuracy on the test part, over the series")
    rows = re.findall(r"<tr( class=\"lstm\")?><td>(\w+)</td>(.*?)</tr>", table)
    assert [model for _, model, _ in rows] == list(metrics["models"])  # best first
    for marked, model, cells in rows:
        assert f"<td>{metrics['models'][model]['smape']:.4g}</td>" in cells
        assert f"<td>{metrics['models'][model]['mase']:.4g}</td>" in cells
        assert bool(marked) == (model == "lstm")
    scores = pd.read_csv(run_dir / "per_series.csv").pivot(
        index="unique_id", columns="model", values="smape")
    wins = int((scores["lstm"] < scores["theta"]).sum())
    verdict = text.split("<h2>", 1)[0]
    assert f"lstmcast beats Theta on {wins} of 13 series" in verdict
    assert f"{metrics['models']['lstm']['smape']:.3g}%" in verdict
    assert "MASE is undefined for 1 series" in table and "(flat)" in table
    assert "The saved model: refitted on every value" in table
    spread = _section(text, "Errors across series")
    assert "<td>theta</td>" in spread and "<td>naive</td>" in spread


def test_the_best_and_worst_series_are_named_and_history_holds_them(run_dir):
    ranked = _ranked(run_dir)
    best, worst = list(ranked.index[:3]), list(ranked.index[::-1][:3])
    history = pd.read_csv(run_dir / "history.csv")
    assert list(history.columns) == ["unique_id", "ds", "actual"]
    assert list(dict.fromkeys(history["unique_id"])) == best + worst[::-1]
    frame = panel_frame()
    for key, part in history.groupby("unique_id"):
        whole = frame[frame["unique_id"] == key]
        train = whole.iloc[:-HORIZON].tail(5 * HORIZON)  # the last 5 H before the test
        assert part["ds"].tolist() == train["ds"].tolist()
        assert np.allclose(part["actual"], train["y"].astype(float))
    text = (run_dir / REPORT).read_text()
    for heading, ids in (("Best series", best), ("Worst series", worst)):
        section = _section(text, heading)
        caption = re.findall(r"<figcaption>(.*?)</figcaption>", section)[0]
        assert re.findall(r"\b(s\d+|flat): rank", caption) == ids
        assert section.count("<img ") == 1
    assert text.count("<img ") == text.count("data:image/png;base64,") == 4


def test_series_left_out_or_not_scored_are_listed_with_why(run_dir):
    text = _section((run_dir / REPORT).read_text(), "Series left out, not scored "
                    "or noted")
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["split"]["not_scored"] == ["tiny"] and "text" in metrics["dropped"]
    rows = re.findall(r"<tr><td>(\w+)</td><td[^>]*>([^<]+)</td><td[^>]*>(.*?)</td>",
                      text)
    assert len(rows) == len(metrics["dropped"]) + sum(
        len(notes) for notes in metrics["notes"].values())  # every note, once
    said = {}
    for key, status, why in rows:
        said.setdefault((key, status), []).append(why)
    assert set(said) == {("text", "left out"), ("flat", "scored, with a note"),
                         ("tiny", "not scored")}
    assert "holds text, not numbers" in said["text", "left out"][0]
    assert any("constant" in why for why in said["flat", "scored, with a note"])
    assert any("too short to hold out 6 test values" in why
               for why in said["tiny", "not scored"])


def test_the_page_needs_no_network(run_dir):
    text = (run_dir / REPORT).read_text()
    assert "<script" not in text and not re.search(r"https?://", text)
    assert "<link" not in text and "@import" not in text


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by "
                    ".ci/run; install it to run this test locally")
def test_the_page_renders_in_headless_chromium(run_dir, tmp_path):
    check_in_chromium("panel", run_dir, tmp_path)


def test_the_folder_is_a_panel_run_and_the_report_command_rebuilds_it(run_dir,
                                                                      tmp_path):
    assert run_kind(run_dir) == "panel"
    with pytest.raises(DataError, match=r"per_series\.csv \(panel\)"):
        run_kind(tmp_path)
    before = (run_dir / REPORT).read_text()
    (run_dir / REPORT).unlink()
    res = CliRunner().invoke(app, ["report", str(run_dir)])
    assert res.exit_code == 0 and "(panel run)" in res.output, res.output
    after = (run_dir / REPORT).read_text()
    assert re.findall(r"<h2>.*?</h2>", after) == re.findall(r"<h2>.*?</h2>", before)
    listed = json.loads((run_dir / "manifest.json").read_text())["files"]
    assert {"history.csv", "per_series.csv", REPORT} <= set(listed)
    copy = tmp_path / "copy"  # without its manifest, every file is still ours
    shutil.copytree(run_dir, copy)
    (copy / "manifest.json").unlink()
    refuse_foreign(copy)
