"""The R² ladder: rungs, same test rows, choice on validation, files, CLI."""

import json
import sys
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from typer.testing import CliRunner

from conftest import ar_series
from lstmcast.cli.app import app
from lstmcast.cli.show import print_ladder
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.loading import load
from lstmcast.evaluation.holdout import fit_evaluate
from lstmcast.report.runs import write_report
from lstmcast.search.ladder import ARTICLE, _Climb, _tuned, improve, validation_r2

torch.set_num_threads(1)
TINY = {"target": "y", "hidden_size": 8, "epochs": 2, "window": 12,
        "threads": 1}
RUNGS = ["article", "stationarity", "delta", "features", "regularise", "schedule",
         "default"]


def tiny_base() -> ForecastConfig:
    return ForecastConfig().replace(**TINY)


@pytest.fixture(scope="module")
def series():
    return load(ar_series(200), target="y", covariates=["x"])


@pytest.fixture(scope="module")
def ladder(series, tmp_path_factory):
    out = tmp_path_factory.mktemp("ladder")
    seen = []
    saved = sys.modules.get("lstmcast.search.tune")
    sys.modules["lstmcast.search.tune"] = None  # tuning asked for but not importable
    try:
        result = improve(series, tiny_base(), trials=3, progress=False, out_dir=out,
                         classical=("ets",),
                         on_rung=lambda r, i, n: seen.append((r.name, i, n)))
    finally:
        if saved is None:
            del sys.modules["lstmcast.search.tune"]
        else:
            sys.modules["lstmcast.search.tune"] = saved
    return result, out, seen


def test_rungs_in_order_on_the_same_test_rows(ladder):
    result, _, seen = ladder
    assert [r.name for r in result.rungs] == RUNGS
    assert seen == [(name, i + 1, 7) for i, name in enumerate(RUNGS)]
    first = result.rungs[0].result.predictions
    for rung in result.rungs:
        pd.testing.assert_series_equal(rung.result.predictions["timestamp"],
                                       first["timestamp"])
        np.testing.assert_array_equal(rung.result.predictions["actual"],
                                      first["actual"])
        assert rung.result.split == result.rungs[0].result.split


def test_article_rung_is_the_recipe_with_the_pinned_settings(ladder):
    result, _, _ = ladder
    flat = result.rungs[0].config.flat()
    assert flat["scaler"] == "minmax" and flat["target_mode"] == "level"
    assert flat["skip"] == 0 and flat["patience"] == 0 and flat["lr"] == 1e-3
    assert flat["scheduler"] == "none" and flat["num_layers"] == 1
    assert flat["covariates"] == []  # covariates enter at the features rung
    # settings of the base that differ from the defaults hold in every rung
    for rung in result.rungs:
        assert rung.config.model.hidden_size == 8 and rung.config.train.epochs == 2
        assert rung.config.model.window == 12
    assert ARTICLE["hidden_size"] == 50 and ARTICLE["epochs"] == 100
    description = result.rungs[0].description
    assert "fits the scaler on the training part only" in description
    assert "Overridden by the base: window=12, hidden_size=8, epochs=2" in description
    assert result.notes[1].startswith("Kept in every rung")


def test_each_rung_adds_its_step(ladder):
    result, _, _ = ladder
    cfg = {r.name: r.config.flat() for r in result.rungs}
    assert cfg["delta"]["target_mode"] == "delta" and cfg["delta"]["skip"] is None
    assert cfg["features"]["covariates"] == ["x"]
    # a fit uses the covariates its series carries: before the features rung, none
    for rung in result.rungs:
        used = rung.result.forecaster.covariates_
        assert list(used) == rung.config.flat()["covariates"]
    assert result.rungs[0].result.forecaster.feature_names_ == ["target"]
    assert cfg["features"]["covariate_lags"] == [1]
    assert cfg["features"]["calendar"] is True and cfg["features"]["rolling"] == [7]
    assert cfg["regularise"]["patience"] == 15 and cfg["regularise"]["dropout"] == 0.2
    assert cfg["schedule"]["scheduler"] == "plateau"
    assert cfg["default"] == tiny_base().replace(covariates=["x"]).flat()
    stationarity = result.rungs[1]
    if stationarity.config == result.rungs[0].config:  # nothing to transform
        assert stationarity.same_as == "article"
        assert stationarity.result is result.rungs[0].result
        assert stationarity.seconds == 0.0


def test_best_is_chosen_on_validation_not_test(ladder, series):
    result, _, _ = ladder
    vals = [-np.inf if r.val_r2 is None else r.val_r2 for r in result.rungs]
    assert result.best_index == int(np.argmax(vals))
    assert result.best is result.rungs[result.best_index].result
    rung = result.rungs[2]
    assert rung.val_r2 == pytest.approx(validation_r2(rung.result, series))
    frame = result.to_frame()
    assert list(frame.index) == RUNGS and frame["best"].sum() == 1
    assert {"r2", "skill", "mae", "rmse", "val_r2", "seconds"} <= set(frame.columns)
    assert "best (on validation)" in repr(result)


def test_changing_the_test_part_changes_no_choice(series):
    """Rerun on a series whose test values are scrambled: same validation
    scores, same best rung (only two rungs' worth of settings differ)."""
    frame = series.frame.copy()
    n_test = 40  # max(ceil(0.2 * 200), 24)
    rng = np.random.default_rng(1)
    frame.iloc[-n_test:, 0] = rng.permutation(frame.iloc[-n_test:, 0].to_numpy())
    other = load(frame.reset_index(), target="y", covariates=["x"])
    base = tiny_base().replace(epochs=1)
    a = improve(series, base, progress=False, classical=())
    b = improve(other, base, progress=False, classical=())
    assert [r.val_r2 for r in a.rungs] == pytest.approx([r.val_r2 for r in b.rungs])
    assert a.best_index == b.best_index
    assert a.rungs[0].metric("r2") != b.rungs[0].metric("r2")


def test_saved_files(ladder):
    result, out, _ = ladder
    table = pd.read_csv(out / "ladder.csv")
    assert list(table.columns) == ["rung", "description", "r2", "skill", "mae",
                                   "rmse", "seconds", "config_json"]
    assert list(table["rung"]) == RUNGS
    config = ForecastConfig.from_dict(json.loads(table["config_json"][3]))
    assert config == result.rungs[3].config
    info = json.loads((out / "ladder.json").read_text())
    assert info["best_rung"] == result.best_rung.name
    assert {"naive", "seasonal_naive", "mean", "drift", "ets"} <= set(
        info["baselines"])
    assert info["baseline_details"]["ets"]["seconds"] > 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["models"]["lstm"]["r2"] == pytest.approx(
        result.best_rung.metric("r2"))
    for name in ("test_predictions.csv", "series.csv", "model.safetensors"):
        assert (out / name).exists()
    assert not (out / "report.html").exists()  # save() writes the data only
    assert "lstmcast improve" in write_report(out).read_text()
    assert isinstance(result.plot(), Figure)


def test_tuned_rung_starts_from_the_best_rung(series, monkeypatch):
    calls = {}

    def fake_tune(data, base, *, trials, timeout, seed, progress, fixed):
        calls.update(base=base, trials=trials, timeout=timeout, fixed=set(fixed))
        best = base.replace(hidden_size=4)
        return SimpleNamespace(best_config=best, test=fit_evaluate(data, best))

    monkeypatch.setitem(sys.modules, "lstmcast.search.tune",
                        SimpleNamespace(tune=fake_tune))
    base = tiny_base().replace(epochs=1)
    result = improve(series, base, trials=2, timeout=5.0, progress=False,
                     classical=())
    assert [r.name for r in result.rungs] == [*RUNGS, "tuned"]
    before = result.rungs[:-1]
    best_before = max(before, key=lambda r: -np.inf if r.val_r2 is None
                      else r.val_r2)
    assert calls == {"base": best_before.config, "trials": 2, "timeout": 5.0,
                     "fixed": {"target", "hidden_size", "epochs", "window",
                               "threads"}}
    assert result.rungs[-1].config.model.hidden_size == 4
    assert result.rungs[-1].val_r2 is not None


def test_failed_search_is_a_note(ladder, series):
    result, _, _ = ladder

    def failing_tune(*args, **kwargs):
        raise DataError("No trial finished: every trial was pruned or stopped.")

    climb = _Climb(series, False, None, 8)
    climb.rungs = list(result.rungs)
    notes = []
    _tuned(climb, failing_tune, series, 2, None, 0, (), notes)
    assert len(climb.rungs) == len(result.rungs)
    assert notes == ["No tuning rung: the search failed: No trial finished: every "
                     "trial was pruned or stopped."]


def test_missing_tuner_is_a_note(ladder):
    result, _, _ = ladder  # trials=3 without lstmcast.search.tune: seven rungs
    assert [r.name for r in result.rungs] == RUNGS
    assert "lstmcast.search.tune is not available" in result.notes[0]


@pytest.mark.parametrize("trials", [-1, 1.5, True])
def test_bad_trials(series, trials):
    with pytest.raises(DataError, match="trials must be an int >= 0"):
        improve(series, tiny_base(), trials=trials)


def test_covariates_the_series_lacks(series):
    with pytest.raises(DataError, match="covariates"):
        improve(series, tiny_base().replace(covariates=["price"]))


def test_cli_improve(tmp_path):
    path = tmp_path / "data.csv"
    ar_series(200).to_csv(path, index=False)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, [
        "improve", str(path), "--target", "y", "--hidden-size", "8", "--epochs",
        "1", "--window", "12", "--threads", "1", "--trials", "0", "--classical",
        "none", "--out", str(out), "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["best_rung"] in RUNGS
    assert (out / "ladder.csv").exists()
    res = CliRunner().invoke(app, ["improve", str(path), "--target", "nope",
                                   "--out", str(out)])
    assert res.exit_code == 2 and "nope" in res.output


def test_cli_prints_the_ladder(ladder, capsys):
    result, out, _ = ladder
    print_ladder(result, str(out))
    text = capsys.readouterr().out
    assert "R² ladder" in text and "chosen on validation" in text
    assert all(name in text for name in RUNGS) and "ets" in text


def test_tuned_rung_with_the_real_tuner(series):
    pytest.importorskip("lstmcast.search.tune")
    base = tiny_base().replace(epochs=1)
    result = improve(series, base, trials=2, progress=False, classical=())
    tuned = result.rungs[-1]
    assert tuned.name == "tuned" and "2 trials" in tuned.description
    assert tuned.config.model.hidden_size == 8  # pinned settings stay fixed
    assert tuned.config.train.epochs == 1
    assert tuned.metric("r2") is not None and tuned.seconds > 0
