"""The tuner: folds inside the training part, reproducible trials, resumable
journal studies, failures that do not stop a study, the command line."""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import optuna
import pandas as pd
import pytest
import torch
from matplotlib.figure import Figure
from typer.testing import CliRunner

from conftest import ar_series
from lstmcast import ForecastConfig, load
from lstmcast.cli.app import app
from lstmcast.core.errors import DataError
from lstmcast.data.split import count_test_rows
from lstmcast.evaluation.holdout import fit_evaluate
from lstmcast.network.train import watch_epochs
from lstmcast.report.runs import write_report
from lstmcast.search.tune import plan_search, trial_seed, tune
from lstmcast.search.tune_space import Param, base_point, default_space
from lstmcast.search.tune_storage import JOURNAL, redact

torch.set_num_threads(1)
BASE = {"epochs": 2, "batch_size": 32, "patience": 0}
SMALL = {"lr": Param("float", 1e-3, 1e-2, log=True), "window": Param("int", 7, 14),
         "scaler": Param("categorical", choices=("standard", "robust")),
         "hidden_size": Param("int", 4, 8)}
FILES = ("best_config.json", "trials.csv", "importances.json", "tune.json", JOURNAL,
         "metrics.json", "test_predictions.csv", "model.safetensors")


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "data.csv"
    ar_series(200).drop(columns="x").to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def series(csv):
    return load(csv, target="y")


@pytest.fixture
def base(series):
    return ForecastConfig().replace(target="y", **BASE)


@pytest.fixture(scope="module")
def study_run(csv, tmp_path_factory):
    """One small study over the default space, saved to a folder."""
    out = tmp_path_factory.mktemp("tune")
    series = load(csv, target="y")
    base = ForecastConfig().replace(target="y", **BASE)
    return tune(series, base, trials=3, out_dir=out, progress=False), out


def test_folds_lie_inside_the_training_part(series, base):
    plan = plan_search(series, base, folds=3)
    n_train = len(series) - count_test_rows(len(series), base.data.test_size)
    assert plan.n_train == n_train == 160
    assert plan.base.data.season == 7
    assert [b[3] for b in plan.bounds] == [n_train - 2 * plan.fold_size,
                                           n_train - plan.fold_size, n_train]
    assert all(lo == 0 and hi == vlo and vhi - vlo == plan.fold_size
               for lo, hi, vlo, vhi in plan.bounds)


def test_default_space_uses_config_fields_and_training_facts(series):
    y = series.y[:160]
    space = default_space(y, season=7, max_window=30)
    assert set(space) <= set(ForecastConfig().flat())
    assert space["window"].low == 7 and space["window"].high == 30
    assert space["seasonal_difference"].choices == (0, 7)
    assert "log" in space["transform"].choices
    assert default_space(y - 100, season=1, max_window=30)["transform"].choices == (
        "none",)


def test_study_writes_its_files_and_table(study_run):
    result, out = study_run
    for name in FILES:
        assert (out / name).exists(), name
    frame = result.trials_frame()
    assert list(frame.columns[:5]) == ["number", "state", "value", "r2",
                                       "duration_s"]
    assert {"param_hidden_size", "param_lr", "param_window"} <= set(frame.columns)
    assert frame["number"].tolist() == [0, 1, 2]
    assert result.best_value == frame["value"].min()
    summary = json.loads((out / "tune.json").read_text())
    assert summary["metric"] == "mse" and summary["n_trials"] == 3
    assert summary["best_value"] == result.best_value
    assert summary["best_r2"] == result.best_r2
    assert json.loads((out / "importances.json").read_text()) == result.importances
    assert pd.read_csv(out / "trials.csv").shape == frame.shape
    assert set(result.test.metrics) >= {"lstm", "naive", "seasonal_naive"}
    assert not (out / "report.html").exists()  # save() writes the data only


def test_result_saves_its_files_and_the_report_reads_them(study_run, tmp_path):
    result, out = study_run
    assert result.save(tmp_path) == tmp_path
    assert not (tmp_path / "report.html").exists()
    for name in ("best_config.json", "trials.csv", "importances.json", "tune.json",
                 "metrics.json", "test_predictions.csv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    assert "lstmcast tune" in write_report(tmp_path).read_text()
    assert isinstance(result.plot(), Figure)


def test_best_config_reproduces_its_validation_score(study_run, series):
    result, out = study_run
    cfg = ForecastConfig.from_json_file(str(out / "best_config.json"))
    assert cfg == result.best_config
    assert cfg.train.seed == trial_seed(0, result.best_trial)
    plan = plan_search(series, cfg)
    folds = []
    for *_, hi in plan.bounds:
        res = fit_evaluate(series.head(hi), cfg.replace(test_size=plan.fold_size),
                           doctor=False)
        folds.append(float(np.mean((res.predictions["actual"]
                                    - res.predictions["lstm"]) ** 2)))
    assert folds == result.summary["best_fold_mse"]
    assert np.mean(folds) == result.best_value


def test_fit_with_best_config_reproduces_the_test_score(study_run, csv, tmp_path):
    result, out = study_run
    res = CliRunner().invoke(app, ["fit", str(csv), "--config",
                                   str(out / "best_config.json"), "--out",
                                   str(tmp_path / "fit"), "--quiet"])
    assert res.exit_code == 0, res.output
    metrics = json.loads((tmp_path / "fit" / "metrics.json").read_text())
    assert metrics["models"]["lstm"] == result.test.metrics["lstm"]


def test_resumed_study_does_only_what_is_left(series, base, tmp_path):
    first = tune(series, base, trials=2, out_dir=tmp_path, space=SMALL,
                 progress=False)
    again = tune(series, base, trials=2, out_dir=tmp_path, space=SMALL,
                 progress=False)
    pd.testing.assert_frame_equal(again.trials_frame().drop(columns="duration_s"),
                                  first.trials_frame().drop(columns="duration_s"))
    more = tune(series, base, trials=3, out_dir=tmp_path, space=SMALL,
                progress=False)
    frame = more.trials_frame()
    assert frame["number"].tolist() == [0, 1, 2]
    params = frame.filter(like="param_")
    assert not (params.iloc[2] == params.iloc[0]).all()  # new draws, not a replay
    pd.testing.assert_frame_equal(frame.head(2).drop(columns="duration_s"),
                                  first.trials_frame().drop(columns="duration_s"))


def test_killed_run_resumes_and_reruns_its_trial(csv, series, base, tmp_path):
    """Kill `lstmcast tune` in the middle of a trial; the next run fails that
    trial, runs its parameters again and finishes the study."""
    flags = {"batch_size": 32, "patience": 0, "epochs": 30, "num_layers": 1,
             "hidden_size": 4, "window": 7, "cell_activation": "tanh"}
    args = [sys.executable, "-m", "lstmcast.cli.app", "tune", str(csv), "--target", "y",
            "--trials", "2", "--out", str(tmp_path), "--quiet"]
    for key, value in flags.items():
        args += ["--" + key.replace("_", "-"), str(value)]
    proc = subprocess.Popen(args, env={**os.environ, "OMP_NUM_THREADS": "1"})
    storage = _journal(tmp_path / JOURNAL)
    running = _wait_for_running(storage, proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    result = tune(series, base.replace(**flags), trials=2, out_dir=tmp_path,
                  fixed=("target", *flags), progress=False)
    name = result.summary["study_name"]
    assert optuna.get_all_study_names(storage) == [name]  # the same study
    trials = optuna.load_study(study_name=name, storage=storage).trials
    assert trials[running].state.name == "FAIL"
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == running]
    assert len(retried) == 1 and retried[0].state.name in ("COMPLETE", "PRUNED")
    assert retried[0].params == trials[running].params
    assert result.summary["n_trials"] == 2


def _journal(path):
    return optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(str(path)))


def _wait_for_running(storage, proc, limit=90.0):
    deadline = time.time() + limit
    while time.time() < deadline:
        assert proc.poll() is None, "the tune run ended before it could be killed"
        names = optuna.get_all_study_names(storage) if storage else []
        for name in names:
            study = optuna.load_study(study_name=name, storage=storage)
            for t in study.get_trials(deepcopy=False):
                if t.state.name == "RUNNING" and "config" in t.user_attrs:
                    return t.number
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("no trial started in time")


def test_diverging_trial_fails_and_the_study_goes_on(series, base, tmp_path):
    space = {"lr": Param("categorical", choices=(1e-3, 1e12))}
    cfg = base.replace(optimizer="sgd", clip_grad=None)
    journal = str(tmp_path / "nan.journal")
    study = optuna.create_study(study_name="nan", storage=_journal(journal))
    study.enqueue_trial({"lr": 1e12})
    study.enqueue_trial({"lr": 1e-3})
    result = tune(series, cfg, trials=2, space=space, progress=False,
                  storage=journal, study_name="nan", pruner="none")
    frame = result.trials_frame()
    assert frame.loc[0, "state"] == "FAIL" and frame.loc[0, "param_lr"] == 1e12
    assert "diverged" in result.summary["failures"][0]["reason"]
    assert (frame["state"] == "COMPLETE").any()
    assert result.best_config.train.lr == 1e-3


def test_hopeless_trials_are_pruned(series, base, tmp_path):
    """After five complete trials (four good, one not learning), a trial that
    does not learn (worse than the best three quarters) stops at the first
    epoch the percentile pruner may judge."""
    journal = str(tmp_path / "prune.journal")
    study = optuna.create_study(study_name="prune", storage=_journal(journal))
    for lr in (3e-3, 3e-3, 3e-3, 3e-3, 1e-7, 1e-7):
        study.enqueue_trial({"lr": lr})
    space = {"lr": Param("categorical", choices=(3e-3, 1e-7))}
    result = tune(series, base.replace(epochs=8, hidden_size=4), trials=6,
                  space=space, progress=False, pruner="percentile",
                  storage=journal, study_name="prune")
    frame = result.trials_frame()
    assert frame["state"].tolist() == ["COMPLETE"] * 5 + ["PRUNED"]
    assert np.isnan(frame.loc[5, "value"])
    pruned = optuna.load_study(study_name="prune", storage=_journal(journal)).trials[5]
    assert max(pruned.intermediate_values) == 4  # n_warmup_steps: half the epochs


def test_time_budget_stops_a_running_trial(series, base):
    with pytest.raises(DataError, match="No trial finished.*longer --timeout"):
        tune(series, base.replace(epochs=500), trials=3, timeout=0.01, space=SMALL,
             progress=False)


def test_hyperband_pruner_runs_a_study(series, base):
    result = tune(series, base, trials=2, space=SMALL, pruner="hyperband",
                  progress=False)
    assert result.summary["n_trials"] == 2 and np.isfinite(result.best_value)


def test_watch_epochs_sees_every_epoch(series, base):
    seen = []
    with watch_epochs(lambda epoch, loss: seen.append((epoch, loss))):
        fit_evaluate(series, base.replace(window=7, hidden_size=4, epochs=3),
                     doctor=False, refit=False)
    assert [e for e, _ in seen] == [1, 2, 3]
    assert all(np.isfinite(loss) for _, loss in seen)


@pytest.mark.slow  # two processes import torch: 20-40 s on 2 busy cores
def test_two_local_workers_share_one_journal(series, base, tmp_path):
    """Trials are numbered once each; the budget is met, overshot at most by
    the trial the other worker was running; nothing is left running."""
    result = tune(series, base.replace(epochs=10), trials=6, workers=2,
                  out_dir=tmp_path, space=SMALL, progress=False, pruner="none")
    frame = result.trials_frame()
    assert sorted(frame["number"]) == list(range(len(frame)))
    assert 6 <= len(frame) <= 7
    assert set(frame["state"]) == {"COMPLETE"}
    study = optuna.load_study(study_name=result.summary["study_name"],
                              storage=_journal(tmp_path / JOURNAL))
    pids = {t.user_attrs["pid"] for t in study.trials}
    assert len(pids) == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"trials": 0}, "'trials' setting must be an int >= 1"),
    ({"pruner": "sometimes"}, "'pruner' setting must be one of"),
    ({"timeout": -1.0}, "'timeout' setting must be > 0"),
    ({"workers": 2}, "need a shared study"),
    ({"space": {"hiden_size": Param("int", 4, 8)}}, "unknown setting.*hiden_size"),
    ({"space": {"lr": Param("float", 1.0, 0.1)}}, "'lr' needs low <= high"),
    ({"folds": 200}, "too few for 200 expanding fold"),
])
def test_bad_settings_name_the_fix(series, base, kwargs, message):
    with pytest.raises(DataError, match=message):
        tune(series, base, progress=False, **kwargs)


def test_redact_hides_the_password():
    assert redact("postgresql://me:secret@db:5432/x") == "postgresql://me:***@db:5432/x"
    assert redact("sqlite:///a.db") == "sqlite:///a.db"


def test_cli_tune_keeps_given_flags_fixed(csv, tmp_path):
    out = tmp_path / "cli"
    res = CliRunner().invoke(app, ["tune", str(csv), "--target", "y", "--trials", "2",
                                   "--epochs", "2", "--hidden-size", "8", "--window",
                                   "7", "--num-layers", "1", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Top trials" in res.output and "drift" in res.output
    frame = pd.read_csv(out / "trials.csv")
    assert len(frame) == 2
    assert not {"param_hidden_size", "param_window", "param_num_layers"} & set(
        frame.columns)
    best = json.loads((out / "best_config.json").read_text())
    assert best["model"]["hidden_size"] == 8 and best["model"]["window"] == 7


def test_cli_tune_bad_input_exits_2(csv, tmp_path):
    res = CliRunner().invoke(app, ["tune", str(csv), "--target", "y", "--trials", "0",
                                   "--out", str(tmp_path)])
    assert res.exit_code == 2
    assert "'trials' setting must be an int >= 1" in res.output


def test_a_new_study_starts_from_the_base_settings():
    """The first trial is the base config where the space can express it (an
    L2 of 0 clamped to the range's floor, an automatic window made explicit),
    so the tuned best is never worse than the base on validation."""
    space = default_space(np.linspace(1, 2, 500), 12, 60)
    flat = ForecastConfig().replace(lags=(1, 2), hidden_size=32).flat()
    point = base_point(flat, space, window=24)
    assert point["hidden_size"] == 32 and point["lags"] == "1,2"
    assert point["window"] == 24 and point["weight_decay"] == space["weight_decay"].low
    assert point["optimizer"] == "adam" and point["cell_activation"] == "tanh"
    assert "rolling" in point and point["rolling"] == "none"
    assert set(point) == set(space)


def test_first_trial_is_the_base(series, base):
    result = tune(series, base.replace(hidden_size=8), trials=1,
                  space={"hidden_size": Param("int", 4, 16)}, progress=False)
    assert result.trials_frame().loc[0, "param_hidden_size"] == 8
