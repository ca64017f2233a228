"""The reports of backtest, tune and improve folders, and `lstmcast report`
telling the kind of a folder; each page opened in headless Chromium. Every
kind of run: ``save()`` writes the data and returns the folder, and
``write_report`` builds the page from those files, writing nothing else.

The tune and improve files are written here by hand, in the formats their
commands write, around the files of a real (tiny) fit."""

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import lstmcast
from conftest import ar_series
from lstmcast import diagnose, load
from lstmcast.cli.app import app
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.report import runs
from lstmcast.report.ladder import write_ladder_report
from lstmcast.report.runs import REPORT, run_kind, write_report
from lstmcast.report.tune import write_tune_report
from test_report import CHROMIUM, _images, check_in_chromium

FIT_FILES = ("metrics.json", "test_predictions.csv", "series.csv", "model.json")


@pytest.fixture(scope="module")
def fit_result():
    """A tiny real fit, in-process (its files feed the tune and improve folders)."""
    import torch

    from lstmcast import fit_evaluate
    torch.set_num_threads(1)
    cfg = ForecastConfig().replace(target="y", hidden_size=8, epochs=2, window=12)
    return fit_evaluate(load(ar_series(200), target="y"), cfg)


@pytest.fixture(scope="module")
def run_dir(fit_result, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fit") / "out"
    lstmcast.write_report(fit_result.save(folder))
    return folder


@pytest.fixture(scope="module")
def diagnose_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("diagnose") / "out"
    write_report(diagnose(load(ar_series(200), target="y")).save(folder))
    return folder


def _copy_fit(run_dir, folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name in FIT_FILES:
        shutil.copy(run_dir / name, folder / name)


@pytest.fixture(scope="module")
def backtest_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bt")
    ar_series(200).to_csv(folder / "data.csv", index=False)
    res = CliRunner().invoke(app, [
        "backtest", str(folder / "data.csv"), "--target", "y", "--folds", "2",
        "--horizon", "3", "--models", "naive,seasonal_naive,drift,ets", "--out",
        str(folder / "out"), "--hidden-size", "8", "--epochs", "2", "--window",
        "12", "--threads", "1", "--quiet"])
    assert res.exit_code == 0, res.output
    return folder / "out"


@pytest.fixture(scope="module")
def tune_dir(run_dir, tmp_path_factory):
    """The files of `lstmcast tune`, written by hand: trials of every state."""
    folder = tmp_path_factory.mktemp("tune") / "out"
    _copy_fit(run_dir, folder)
    states = ["COMPLETE", "COMPLETE", "PRUNED", "COMPLETE", "FAIL", "COMPLETE",
              "PRUNED", "COMPLETE"]
    values = [3.0, 2.5, None, 2.8, None, 1.9, None, 2.2]
    rows = ["number,state,value,r2,duration_s,param_hidden_size,param_lr"]
    for i, (state, value) in enumerate(zip(states, values, strict=True)):
        r2 = "" if value is None else f"{1 - value / 4:.3f}"
        rows.append(f"{i},{state},{'' if value is None else value},{r2},"
                    f"{1.5 + i},{8 * (i % 3 + 1)},{0.001 * (i + 1)}")
    (folder / "trials.csv").write_text("\n".join(rows) + "\n")
    (folder / "importances.json").write_text(json.dumps({"lr": 0.7,
                                                         "hidden_size": 0.3}))
    (folder / "best_config.json").write_text(ForecastConfig().to_json())
    (folder / "tune.json").write_text(json.dumps({
        "best_value": 1.9, "best_r2": 0.525, "n_trials": 8, "metric": "mse"}))
    write_tune_report(folder)
    return folder


@pytest.fixture(scope="module")
def ladder_dir(run_dir, tmp_path_factory):
    """The files of `lstmcast improve`, written by hand (one rung far below 0)."""
    folder = tmp_path_factory.mktemp("ladder") / "out"
    _copy_fit(run_dir, folder)
    config = json.dumps(ForecastConfig().to_dict())
    rungs = [("recipe", "the articles' recipe: raw levels, MSE", -3.2, 40.0),
             ("default", "lstmcast fit as it is", 0.61, 3.0),
             ("diagnosed", "the settings diagnose recommends", 0.68, 3.5),
             ("tuned", "20 trials of Optuna", 0.72, 60.0)]
    pd.DataFrame([{"rung": r, "description": d, "r2": r2, "skill": r2 - 0.5,
                   "mae": 1.0, "rmse": 1.2, "seconds": sec, "config_json": config}
                  for r, d, r2, sec in rungs]).to_csv(folder / "ladder.csv",
                                                      index=False)
    (folder / "ladder.json").write_text(json.dumps({
        "best_rung": "tuned", "baselines": {"naive": 0.55, "seasonal_naive": 0.6,
                                            "arima": 0.75, "ets": None}}))
    write_ladder_report(folder)
    return folder


RUN_DIRS = {"fit": "run_dir", "diagnose": "diagnose_dir", "backtest": "backtest_dir",
            "tune": "tune_dir", "improve": "ladder_dir"}


def _files(folder):
    """Every file under ``folder``: its bytes and when it was last written."""
    return {path.relative_to(folder).as_posix(): (path.read_bytes(),
                                                  path.stat().st_mtime_ns)
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _unstamped(page):
    return re.sub(rb"generated [^<]* by lstmcast", b"", page)


@pytest.mark.parametrize("kind", list(RUN_DIRS))
def test_write_report_rebuilds_the_page_and_writes_nothing_else(kind, request):
    """Nothing but the page, and its entry in a manifest that lists every
    file of the run (folders written by a command)."""
    folder = request.getfixturevalue(RUN_DIRS[kind])
    before = _files(folder)
    page, _ = before.pop(REPORT)
    assert run_kind(folder) == kind
    assert write_report(folder) == folder / REPORT
    after = _files(folder)
    assert _unstamped(after.pop(REPORT)[0]) == _unstamped(page)
    if "manifest.json" in before and b'"complete": true' in before[
            "manifest.json"][0]:
        old, new = (json.loads(files.pop("manifest.json")[0])
                    for files in (before, after))
        for manifest in (old, new):
            del manifest["files"][REPORT], manifest["bytes"][REPORT]
        assert new == old
    assert after == before


def test_only_the_page_writer_writes_files_in_report():
    folder = Path(runs.__file__).parent
    writers = {path.name for path in folder.glob("*.py") if re.search(
        r"atomic_write|\.to_csv\(|\.to_json\(|\.write_(text|bytes)\(|open\(|mkdir",
        path.read_text())}
    assert writers == {"html.py"}  # html.write_page: report.html only


def test_fit_and_diagnosis_save_return_the_folder_and_write_no_page(
        fit_result, run_dir, diagnose_dir, tmp_path):
    found = diagnose(load(ar_series(200), target="y"))
    for result, folder, done in ((fit_result, tmp_path / "fit", run_dir),
                                 (found, tmp_path / "diagnose", diagnose_dir)):
        assert result.save(folder) == folder
        assert not (folder / REPORT).exists()
        for name in ("metrics.json", "test_predictions.csv", "series.csv",
                     "diagnosis.json"):
            if (done / name).exists():
                assert (folder / name).read_bytes() == (done / name).read_bytes()
    found.series = None
    with pytest.raises(DataError, match="no series to save"):
        found.save(tmp_path / "none")


@pytest.mark.parametrize("command", ["fit", "diagnose"])
def test_the_command_writes_the_report_once(command, tmp_path, monkeypatch):
    calls = []
    real = runs.write_report
    monkeypatch.setattr(runs, "write_report",
                        lambda out: calls.append(out) or real(out))
    ar_series(200).to_csv(tmp_path / "data.csv", index=False)
    extra = (["--no-auto", "--hidden-size", "8", "--epochs", "2", "--window", "12",
              "--threads", "1", "--quiet"] if command == "fit" else [])
    res = CliRunner().invoke(app, [command, str(tmp_path / "data.csv"), "--target",
                                   "y", "--out", str(tmp_path / "out"), *extra])
    assert res.exit_code == 0, res.output
    # once, into the staging folder beside --out that then became --out
    assert [Path(out).parent for out in calls] == [tmp_path]
    assert Path(calls[0]).name.startswith(".out.staging-")
    assert (tmp_path / "out" / REPORT).is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_write_report_is_public():
    assert lstmcast.write_report is runs.write_report
    assert "write_report" in lstmcast.__all__


def test_backtest_out_writes_files_and_report(backtest_dir):
    for name in ("backtest.json", "per_fold.csv", "per_horizon.csv",
                 "forecasts.csv", "series.csv", "report.html"):
        assert (backtest_dir / name).is_file(), name
    per_fold = pd.read_csv(backtest_dir / "per_fold.csv")
    assert set(per_fold["model"]) == {"lstm", "naive", "seasonal_naive", "drift",
                                      "ets"}
    assert {"fold", "r2", "rmse", "mase"} <= set(per_fold.columns)
    text = (backtest_dir / "report.html").read_text()
    assert _images(text) == (4, 4)
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings == ["Ranking (mean across folds)", "Errors per fold",
                        "Errors per horizon step", "Forecasts", "Folds", "Settings"]
    assert text.index("verdict") < text.index("<h2>Ranking")
    assert "ranks" in text and "by MASE" in text


def test_report_command_tells_the_kind_of_folder(backtest_dir, tune_dir,
                                                 ladder_dir, run_dir):
    for folder, kind in ((backtest_dir, "backtest"), (tune_dir, "tune"),
                         (ladder_dir, "improve"), (run_dir, "fit")):
        before = (folder / "report.html").read_text()
        (folder / "report.html").unlink()
        res = CliRunner().invoke(app, ["report", str(folder)])
        assert res.exit_code == 0 and f"({kind} run)" in res.output, res.output
        after = (folder / "report.html").read_text()
        assert re.findall(r"<h2>.*?</h2>", after) == re.findall(r"<h2>.*?</h2>",
                                                                before)


def test_tune_report(tune_dir):
    text = (tune_dir / "report.html").read_text()
    assert _images(text) == (3, 3)
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings == ["Refit of the best settings: test part, original scale",
                        "Optimisation history", "Parameter importance",
                        "Forecasts of the refit", "Best trials", "Trials by state",
                        "Best settings (accepted by `lstmcast fit --config`)"]
    assert "Best of 8 trials (validation): mse 1.9 (R² 0.525)" in text
    assert "<td>pruned</td><td>2</td>" in text and "<td>fail</td><td>1</td>" in text


def test_tune_report_without_refit_or_importances(tune_dir, tmp_path):
    for name in ("tune.json", "trials.csv", "best_config.json"):
        shutil.copy(tune_dir / name, tmp_path / name)
    (tmp_path / "importances.json").write_text("{}")
    text = write_tune_report(tmp_path).read_text()
    assert _images(text) == (1, 1) and "No refit was saved" in text
    with pytest.raises(Exception, match="finished `lstmcast tune`"):
        write_tune_report(tmp_path / "none")


def test_ladder_report(ladder_dir):
    text = (ladder_dir / "report.html").read_text()
    assert _images(text) == (3, 3)
    headings = re.findall(r"<h2>(.*?)</h2>", text)
    assert headings == ["The R² ladder", "Rungs", "Time",
                        "Best rung: test part, original scale",
                        "Forecasts of the best rung", "Settings of the best rung"]
    assert "Best rung: tuned. Test R² 0.720" in text
    assert "arima still does better" in text


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by "
                    ".ci/run; install it to run this test locally")
@pytest.mark.parametrize("kind", ["backtest", "tune", "ladder"])
def test_report_renders_in_headless_chromium(kind, request, tmp_path):
    name = "improve" if kind == "ladder" else kind
    check_in_chromium(name, request.getfixturevalue(f"{kind}_dir"), tmp_path)


def test_fit_report_errors_per_horizon_figure():
    from lstmcast.report.fit import _horizon_figure
    scores = {f"h{h}": {m: {"rmse": 1.0 + h * k, "skill_vs_naive": 0.1 * k,
                            "r2_undefined_reason": None}
                        for k, m in enumerate(["naive", "lstm"])}
              for h in (1, 2, 3)}
    fig = _horizon_figure(scores)
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
