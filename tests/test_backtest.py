import json

import numpy as np
import pandas as pd
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import FAST, ar_series
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.loading import load
from lstmcast.evaluation.backtest import backtest
from lstmcast.evaluation.folds import expanding_folds, fold_bounds, sliding_folds
from lstmcast.forecaster.estimator import LSTMForecaster
from lstmcast.forecaster.predict import multi_step

TINY = {**FAST, "epochs": 2}


def config(**extra):
    return ForecastConfig().replace(target="y", **{**TINY, **extra})


# ------------------------------------------------------------------ folds


@settings(max_examples=60, deadline=None)
@given(n=st.integers(30, 400), folds=st.integers(1, 5), test=st.integers(1, 40),
       gap=st.integers(0, 5), stride=st.integers(1, 40), sliding=st.booleans())
def test_folds_never_overlap_the_future(n, folds, test, gap, stride, sliding):
    make = sliding_folds if sliding else expanding_folds
    try:
        parts = list(make(n, n_folds=folds, test_size=test, gap=gap, stride=stride))
    except DataError as exc:
        assert f"{n} rows" in str(exc)
        return
    assert len(parts) == folds and parts[-1][1][-1] == n - 1
    for k, (train, test_rows) in enumerate(parts):
        assert train.max() + gap < test_rows.min()
        assert len(test_rows) == test and np.all(np.diff(test_rows) == 1)
        assert len(train) == train.max() - train.min() + 1 >= 1
        if k:
            before = parts[k - 1][0]
            assert test_rows.min() - parts[k - 1][1].min() == stride
            if sliding:
                assert len(train) == len(before)
            else:
                assert train.min() == 0 and len(train) == len(before) + stride


def test_sliding_train_size_and_gap():
    parts = list(sliding_folds(100, n_folds=3, test_size=10, train_size=40, gap=3))
    assert [(t.min(), t.max(), s.min(), s.max()) for t, s in parts] == [
        (27, 66, 70, 79), (37, 76, 80, 89), (47, 86, 90, 99)]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"n_folds": 5, "test_size": 24}, r"100 rows, too few for 5 expanding fold\(s\) "
     r"of 24 test rows every 24 rows with a gap of 0: the test parts take the last "
     r"120 rows, leaving -20 .* at least 121 rows"),
    ({"mode": "sliding", "test_size": 30, "train_size": 20}, r"leaving 10 .* needs "
     r"20\..*smaller train size"),
    ({"test_size": 0}, r"'test_size' parameter must be an int >= 1. Got 0"),
    ({"test_size": 10, "stride": 0}, r"'stride' parameter must be an int >= 1"),
    ({"test_size": 10, "gap": -1}, r"'gap' parameter must be an int >= 0"),
    ({"test_size": 10, "mode": "rolling"}, r"'mode' parameter must be one of "
     "expanding, sliding. Got 'rolling'"),
    ({"test_size": 10, "train_size": 50}, r"train_size=50 applies to sliding folds "
     "only"),
])
def test_impossible_fold_settings_are_errors_with_the_counts(kwargs, message):
    with pytest.raises(DataError, match=message):
        fold_bounds(100, **{"n_folds": 3, **kwargs})


# ------------------------------------------------------------------ backtest


@pytest.fixture(scope="module")
def frame():
    return ar_series(300)


@pytest.fixture(scope="module")
def result(frame):
    return backtest(load(frame, target="y"), config(), folds=3, horizon=3,
                    test_size=20, models=("naive", "seasonal_naive", "drift"))


def test_every_model_forecasts_the_same_points(result):
    fc = result.forecasts
    keys = {m: set(map(tuple, g[["fold", "origin", "h"]].to_numpy()))
            for m, g in fc.groupby("model")}
    assert set(keys) == {"lstm", "naive", "seasonal_naive", "drift"}
    assert len({frozenset(k) for k in keys.values()}) == 1
    lstm = fc[fc["model"] == "lstm"]
    counts = lstm.groupby(["fold", "h"]).size().unstack()
    assert (counts[1] == 20).all() and (counts[3] == 18).all()
    # h = 1 is the one-step forecast of every test point: the truth is the series
    y = ar_series(300)["y"].to_numpy()
    last = lstm[(lstm["fold"] == 2) & (lstm["h"] == 1)]
    np.testing.assert_allclose(last["actual"], y[280:])
    naive = fc[(fc["model"] == "naive") & (fc["fold"] == 2) & (fc["h"] == 3)]
    np.testing.assert_allclose(naive["forecast"], y[279:297])


def test_scores_summary_ranking_and_json(result):
    scores = result.scores
    assert list(scores.columns) == ["fold", "h", "model", "metric", "value"]
    assert set(scores["h"]) == {1, 2, 3} and set(scores["fold"]) == {0, 1, 2}
    naive_skill = scores[(scores["model"] == "naive")
                         & (scores["metric"] == "skill_vs_naive")]["value"]
    assert (naive_skill == 0).all()
    summary = result.summary()
    assert set(summary["steps"]) == {"h1", "mean"} and (summary["folds"] == 3).all()
    assert {"r2_mean", "r2_std", "mase_mean", "skill_vs_naive_std"} <= set(summary)
    ranking = result.ranking()
    assert list(ranking["rank"]) == [1, 2, 3, 4]
    assert ranking["mase"].is_monotonic_increasing
    assert list(result.per_horizon("rmse").index) == [1, 2, 3]
    assert set(result.timings["model"]) == {"lstm", "naive", "seasonal_naive", "drift"}
    text = json.dumps(result.to_dict(forecasts=True))
    assert "NaN" not in text and json.loads(text)["settings"]["horizon"] == 3


def test_fold_k_sees_only_its_training_part(frame, result):
    """The pipeline of fold 0 equals one fitted on fold 0's rows alone, and
    huge values after fold 0's test part change nothing in fold 0."""
    first = result.folds[0]
    lo, hi = first["train_rows"][0], first["train_rows"][1] + 1
    alone = LSTMForecaster.from_config(config(horizon=3)).fit(
        load(frame.iloc[lo:hi], target="y"))
    fold0 = result.fitted[0]["lstm"]
    assert fold0.pipeline_.get_state() == alone.pipeline_.get_state()
    for a, b in zip(fold0.net_.parameters(), alone.net_.parameters(), strict=True):
        assert torch.equal(a, b)
    changed = frame.copy()
    end = first["test_rows"][1] + 1
    changed.loc[end:, "y"] = 1e6
    other = backtest(load(changed, target="y"), config(), folds=3, horizon=3,
                     test_size=20, models=("naive",))
    assert other.fitted[0]["lstm"].pipeline_.get_state() == fold0.pipeline_.get_state()
    a = result.forecasts.query("fold == 0 and model == 'lstm'")["forecast"]
    b = other.forecasts.query("fold == 0 and model == 'lstm'")["forecast"]
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy())
    # the change does reach the later folds, whose history holds it
    a = result.forecasts.query("fold == 2 and model == 'lstm'")["forecast"]
    b = other.forecasts.query("fold == 2 and model == 'lstm'")["forecast"]
    assert np.abs(a.to_numpy() - b.to_numpy()).max() > 1e3


def test_refit_false_fits_once_and_sliding_mode(frame):
    once = backtest(load(frame, target="y"), config(), folds=2, test_size=20,
                    refit=False, models=("naive", "mean"))
    assert len(once.fitted) == 1 and [f["fitted_in_fold"] for f in once.folds] == [
        True, False]
    assert (once.timings.query("fold == 1")["fit_seconds"] == 0).all()
    assert once.folds[1]["train_rows"] == once.folds[0]["train_rows"]
    slide = backtest(load(frame, target="y"), config(), folds=2, test_size=20,
                     mode="sliding", train_size=150, models=("naive",))
    assert [f["n_train"] for f in slide.folds] == [150, 150]


def test_conflicting_settings_are_errors(frame):
    series = load(frame, target="y", covariates=["x"])
    with pytest.raises(DataError, match="strategy='recursive' with horizon=3.*"
                       "covariates \\(x\\).*--strategy mimo or direct"):
        backtest(series, config(), horizon=3, strategy="recursive")
    with pytest.raises(DataError, match="backtest\\(strategy='direct'\\) conflicts "
                       "with the model's strategy setting \\('mimo'\\)"):
        backtest(series, config(strategy="mimo"), strategy="direct")
    with pytest.raises(DataError, match="backtest\\(horizon=6\\) conflicts with "
                       "the model's horizon setting \\(3\\)"):
        backtest(series, config(horizon=3), horizon=6)
    with pytest.raises(DataError, match="test part \\(4 rows\\) must hold the "
                       "horizon \\(6 steps\\)"):
        backtest(series, config(), horizon=6, test_size=4)
    with pytest.raises(DataError, match="Unknown model\\(s\\) 'prophet'"):
        backtest(series, config(), models=("prophet",))
    with pytest.raises(DataError, match="strategy='recursive' with horizon=2"):
        LSTMForecaster(**TINY, horizon=2, strategy="recursive").fit(series)


# ------------------------------------------------------------------ strategies


@pytest.fixture(scope="module")
def sine():
    t = np.arange(200)
    return load(pd.DataFrame({"y": 10 + 3 * np.sin(2 * np.pi * t / 20)}), target="y")


@pytest.fixture(scope="module")
def strategies(sine):
    settings = {"hidden_size": 8, "window": 20, "epochs": 25, "batch_size": 32,
                "horizon": 3, "seed": 0}
    return {s: LSTMForecaster(**settings, strategy=s).fit(sine.head(160))
            for s in ("mimo", "direct", "recursive")}


def test_recursive_direct_and_mimo_agree_at_h1_on_a_sine(sine, strategies):
    origins = np.arange(159, 197)
    truth = sine.y[origins + 1]
    first = {s: multi_step(est.state_, sine, origins)[:, 0]
             for s, est in strategies.items()}
    for forecast in first.values():
        np.testing.assert_allclose(forecast, truth, atol=0.05)
    # direct's one-step network is the recursive one: same targets, same seed
    np.testing.assert_array_equal(first["direct"], first["recursive"])
    np.testing.assert_allclose(first["mimo"], first["recursive"], atol=0.05)
    for s, est in strategies.items():
        paths = multi_step(est.state_, sine, origins)
        assert paths.shape == (38, 3)
        np.testing.assert_allclose(paths[:, 2], sine.y[origins + 3], atol=0.15,
                                   err_msg=s)
    assert len(strategies["direct"].nets_) == 3
    assert strategies["recursive"].state_.shape.outputs == 1
    assert strategies["mimo"].state_.shape.outputs == 3


def test_explicit_strategies_do_not_extend_silently(sine, strategies):
    with pytest.raises(DataError, match="at most 3 step\\(s\\) \\(strategy 'direct'\\)"
                       "; 5 were asked for.*--horizon 5"):
        strategies["direct"].predict(5, sine)
    assert len(strategies["recursive"].predict(5, sine)) == 5
    auto = LSTMForecaster(**TINY).fit(sine)  # auto: recursive beyond the horizon
    assert len(auto.predict(4)) == 4


def test_direct_models_save_and_load(sine, strategies, tmp_path):
    est = strategies["direct"]
    est.save(str(tmp_path / "m"))
    back = LSTMForecaster.load(str(tmp_path / "m"))
    assert back.strategy_ == "direct" and len(back.nets_) == 3
    np.testing.assert_allclose(back.predict(3, sine)["forecast"],
                               est.predict(3, sine)["forecast"])
