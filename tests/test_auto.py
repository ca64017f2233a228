"""fit --auto: candidates scored on validation only, naive fallback, records."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import FAST, ar_series, auto_config
from lstmcast import ForecastConfig, LSTMForecaster, load
from lstmcast.cli.app import app
from lstmcast.core.errors import DataError
from lstmcast.evaluation.holdout import fit_evaluate
from lstmcast.search.auto import fit_auto
from lstmcast.search.candidates import plan_candidates


def _random_walk(n: int = 260, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"y": 100 + np.cumsum(rng.normal(size=n))})



def test_result_is_scored_like_fit_evaluate(seasonal):
    result = fit_auto(seasonal, auto_config(season=7), budget=60)
    plain = fit_evaluate(seasonal, auto_config(season=7))
    assert set(result.metrics) == set(plain.metrics)
    pd.testing.assert_series_equal(result.predictions["actual"],
                                   plain.predictions["actual"])
    pd.testing.assert_series_equal(result.predictions["naive"],
                                   plain.predictions["naive"])
    auto = result.auto
    names = [c["name"] for c in auto["candidates"]]
    assert auto["chosen"] in names and "naive" in names
    assert "seasonal-residual" in names and auto["why"]
    chosen = next(c for c in auto["candidates"] if c["name"] == auto["chosen"])
    flat = result.config.flat()
    assert all(flat[k] == v for k, v in chosen["settings"].items()
               if k not in ("epochs",))


def test_test_part_never_chooses(seasonal):
    """Changing the test part changes no validation score and not the choice."""
    frame = ar_series(240)
    frame.loc[frame.index[-48:], "y"] *= 50
    changed = load(frame, target="y")
    a = fit_auto(seasonal, auto_config(season=7), budget=60).auto
    b = fit_auto(changed, auto_config(season=7), budget=60).auto
    assert a["chosen"] == b["chosen"]
    assert [c["val_mse"] for c in a["candidates"]] == \
        [c["val_mse"] for c in b["candidates"]]


def test_random_walk_falls_back_to_naive_and_says_so(tmp_path):
    series = load(_random_walk(), target="y")
    result = fit_auto(series, auto_config(), budget=60)
    assert result.auto["chosen"] == "naive"
    assert "nothing beats persistence" in result.auto["why"]
    assert result.doctor[0].code == "naive-recommended"
    assert "naive-recommended" in result.verdict
    pred = result.predictions
    np.testing.assert_allclose(pred["lstm"], pred["naive"], rtol=1e-9)
    assert abs(result.metrics["lstm"]["skill_vs_naive"]) < 1e-9
    result.save(tmp_path / "run")
    saved = json.loads((tmp_path / "run" / "auto.json").read_text())
    assert saved["chosen"] == "naive"
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["auto"]
    est = LSTMForecaster.load(str(tmp_path / "run"))
    assert est.predictor == "naive"
    np.testing.assert_allclose(est.predict(3, data=series)["forecast"],
                               series.y[-1], rtol=1e-9)


def test_naive_predictor_needs_delta_on_levels():
    with pytest.raises(DataError, match="target_mode='delta'"):
        LSTMForecaster(predictor="naive", target_mode="level", **FAST).fit(
            _random_walk(), target="y")


def test_plan_follows_the_series(seasonal):
    seasonal_names = [c.name for c in plan_candidates(
        seasonal, auto_config(season=7), 7, 150)]
    assert seasonal_names[0] == "levels" and "seasonal-residual" in seasonal_names
    assert "small" in seasonal_names  # 150 rows: few training windows
    rw = load(_random_walk(), target="y")
    rw_names = [c.name for c in plan_candidates(rw, auto_config(season=1), 1, 170)]
    assert "seasonal-residual" not in rw_names and rw_names[-1] == "naive"


def test_sizes_come_from_the_training_windows(seasonal):
    plan = plan_candidates(seasonal, auto_config(season=7, hidden_size=64), 7, 150)
    levels = next(c for c in plan if c.name == "levels")
    assert levels.settings["hidden_size"] < 64


def test_bad_budget_is_a_data_error(seasonal):
    with pytest.raises(DataError, match="budget"):
        fit_auto(seasonal, auto_config(), budget=0)


def test_cli_fit_auto_prints_the_choice(tmp_path):
    path = tmp_path / "data.csv"
    ar_series(200).to_csv(path, index=False)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, ["fit", str(path), "--target", "y", "--out",
                                   str(out), "--auto", "--budget", "60",
                                   "--hidden-size", "8", "--epochs", "2",
                                   "--window", "12"])
    assert res.exit_code == 0, res.output
    assert "Chose" in res.output and "candidates" in res.output
    assert json.loads((out / "auto.json").read_text())["candidates"]


def test_seed_ensemble_averages_and_round_trips(tmp_path):
    frame = ar_series(160)
    est = LSTMForecaster(**{**FAST, "epochs": 1}, ensemble=2).fit(frame, target="y")
    singles = [LSTMForecaster(**{**FAST, "epochs": 1, "seed": s}).fit(
        frame, target="y").predict_one_step(frame) for s in (0, 1)]
    both = est.predict_one_step(frame)
    np.testing.assert_allclose(both, np.mean(singles, axis=0), rtol=1e-5)
    est.save(str(tmp_path / "m"))
    again = LSTMForecaster.load(str(tmp_path / "m"))
    np.testing.assert_allclose(again.predict_one_step(frame), both, rtol=1e-12)


@pytest.mark.slow
def test_airline_beats_the_default_fit():
    """On airline the default fit reaches R² 0.78 and AutoARIMA 0.95 (catalog)."""
    from lstmcast import load_dataset
    series = load(load_dataset("airline").frame, target="value")
    result = fit_auto(series, ForecastConfig().replace(target="value", threads=1))
    assert result.metrics["lstm"]["r2"] > 0.93
    assert result.auto["chosen"] != "levels"


def test_short_training_parts_are_scored_on_rolling_folds():
    from lstmcast.search.auto import count_folds
    assert count_folds(149, 30) == 2  # uschange: a 30-row tail alone is noisy
    assert count_folds(400, 30) == 3
    assert count_folds(2000, 400) == 1


def test_plan_has_the_ets_residual_and_the_ets_fallback(seasonal):
    names = [c.name for c in plan_candidates(seasonal, auto_config(season=7), 7, 150)]
    assert {"ets-residual", "ets"} <= set(names) and names[-1] == "naive"
    ets = next(c for c in plan_candidates(seasonal, auto_config(season=7), 7, 150)
               if c.name == "ets")
    assert ets.settings["network_weight"] == 0.0
    few = [c.name for c in plan_candidates(seasonal, auto_config(season=7), 7, 40)]
    assert "ets-residual" not in few and "ets" not in few


def test_user_settings_are_kept_and_candidates_needing_others_skipped(seasonal):
    cfg = auto_config(season=7, target_mode="delta", hidden_size=6)
    result = fit_auto(seasonal, cfg, budget=60,
                      fixed={"target_mode", "hidden_size", "season"})
    notes = {c["name"]: c["note"] for c in result.auto["candidates"]}
    assert notes["seasonal-residual"].startswith("skipped: you set target_mode=delta")
    assert notes["ets-residual"].startswith("skipped: you set target_mode=delta")
    assert notes["small"].startswith("skipped: you set hidden_size=6")
    levels = next(c for c in result.auto["candidates"] if c["name"] == "levels")
    assert levels["settings"]["hidden_size"] == 6 and not levels["note"]
    assert result.config.model.hidden_size == 6
    assert result.config.model.target_mode == "delta"
    assert result.auto["user_settings"] == ["hidden_size", "season", "target_mode"]


def test_a_full_config_is_its_plain_fit(seasonal):
    cfg = auto_config(season=7)
    result = fit_auto(seasonal, cfg, budget=60, fixed=set(cfg.flat()))
    plain = fit_evaluate(seasonal, cfg)
    assert result.auto["chosen"] == "levels" and "fix every choice" in \
        result.auto["why"]
    np.testing.assert_allclose(result.predictions["lstm"], plain.predictions["lstm"],
                               rtol=1e-12)


def test_cli_fit_runs_auto_by_default_and_no_auto_is_plain(tmp_path):
    path = tmp_path / "data.csv"
    ar_series(160).to_csv(path, index=False)
    fast = ["--target", "y", "--hidden-size", "8", "--epochs", "1", "--window",
            "12", "--threads", "1", "--quiet"]
    runner = CliRunner()
    res = runner.invoke(app, ["fit", str(path), "--out", str(tmp_path / "a"),
                              "--budget", "60", *fast])
    assert res.exit_code == 0, res.output
    saved = json.loads((tmp_path / "a" / "auto.json").read_text())
    assert {"hidden_size", "epochs", "window"} <= set(saved["user_settings"])
    assert any(c["note"].startswith("kept your") for c in saved["candidates"])
    res = runner.invoke(app, ["fit", str(path), "--out", str(tmp_path / "b"),
                              "--no-auto", *fast])
    assert res.exit_code == 0, res.output
    assert not (tmp_path / "b" / "auto.json").exists()
    res = runner.invoke(app, ["fit", str(path), "--out", str(tmp_path / "c"),
                              "--checkpoint-every", "1", *fast])
    assert res.exit_code == 2 and "--no-auto" in res.output


def test_a_skipped_candidate_says_how_much_of_the_search_was_left(seasonal,
                                                                  monkeypatch):
    """The search may spend 60% of --budget: a skip says so with the numbers,
    never that the whole budget was spent."""
    import re

    import lstmcast.search.auto as auto_module
    clock = iter(range(0, 10_000, 7))  # every clock reading is 7 s later
    monkeypatch.setattr(auto_module.time, "perf_counter", lambda: next(clock))
    result = fit_auto(seasonal, auto_config(season=7), budget=100)
    notes = [c["note"] for c in result.auto["candidates"]
             if (c["note"] or "").startswith("skipped: it would take")]
    assert notes, result.auto["candidates"]
    for note in notes:
        cost, left = map(int, re.findall(r"about (\d+) s, and the search had (\d+)"
                                         r" s left", note)[0])
        assert cost > left
        assert "the search has 60 s, 60% of --budget 100 s; the rest is kept for " \
            "the final fit" in note
        assert "was spent" not in note


def test_the_auto_table_shows_a_skipped_candidate_as_not_scored(capsys):
    from lstmcast.cli.show import print_auto
    auto = {"validation_folds": 1, "validation_rows": 40, "chosen": "levels",
            "why": "lowest validation MSE", "candidates": [
                {"name": "levels", "val_mse": 2.5, "val_skill_vs_naive": 0.1,
                 "seconds": 1.0, "note": "", "reason": "the change"},
                {"name": "levels x3", "val_mse": None, "val_skill_vs_naive": None,
                 "seconds": 0.0, "note": "skipped: costly", "reason": "seeds"}]}
    print_auto(auto)
    row = next(line for line in capsys.readouterr().out.splitlines()
               if "levels x3" in line)
    cells = [cell.strip() for cell in row.split("│")[1:-1]]
    assert cells == ["levels x3", "-", "-", "-", "skipped: costly"]
