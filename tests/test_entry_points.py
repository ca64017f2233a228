"""One calling convention: every Python entry point is ``f(data, config=None,
...)``, reads a path, a DataFrame or a SeriesData alike, and shows no progress
bars unless asked."""

import inspect

import pandas as pd
import pytest
import torch

from conftest import ar_series
from lstmcast import (
    ForecastConfig,
    LSTMForecaster,
    backtest,
    diagnose,
    fit_auto,
    fit_evaluate,
    improve,
    load,
    tune,
)
from lstmcast.search.tune_space import Param

torch.set_num_threads(1)
TINY = {"target": "y", "hidden_size": 4, "epochs": 2, "window": 12, "threads": 1}
SPACE = {"lr": Param("float", 1e-3, 1e-2, log=True)}
ENTRY_POINTS = [fit_evaluate, fit_auto, backtest, diagnose, tune, improve]
KINDS = ["path", "frame", "series"]


@pytest.fixture(scope="module")
def sources(tmp_path_factory):
    """The same data three ways: a CSV path, a DataFrame and a SeriesData."""
    frame = ar_series(200).drop(columns="x")
    path = tmp_path_factory.mktemp("data") / "data.csv"
    frame.to_csv(path, index=False)
    return {"path": str(path), "frame": frame, "series": load(frame, target="y")}


def config() -> ForecastConfig:
    return ForecastConfig().replace(**TINY)


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=lambda f: f.__name__)
def test_every_entry_point_takes_data_then_config(entry):
    params = list(inspect.signature(entry).parameters.values())
    assert [p.name for p in params[:2]] == ["data", "config"]
    assert params[1].default is None
    progress = inspect.signature(entry).parameters.get("progress")
    assert progress is None or progress.default is False


def _same_for_every_kind(sources, run):
    """``run(data)`` on each kind of data; the results must be equal."""
    results = [run(sources[kind]) for kind in KINDS]
    assert results[0] == results[1] == results[2]


def test_fit_evaluate(sources):
    _same_for_every_kind(sources, lambda data: fit_evaluate(
        data, config(), doctor=False).metrics)


def test_fit_auto(sources):
    cfg = config()  # every setting given: the plain fit of them, recorded
    _same_for_every_kind(sources, lambda data: fit_auto(
        data, cfg, fixed=set(cfg.flat())).metrics)


def test_backtest(sources):
    _same_for_every_kind(sources, lambda data: backtest(
        data, config(), folds=2, models=("naive",)).to_dict()["summary"])


def test_diagnose(sources):
    _same_for_every_kind(sources, lambda data: diagnose(data, config()).to_dict())


def test_tune(sources):
    _same_for_every_kind(sources, lambda data: tune(
        data, config(), trials=1, folds=2, space=SPACE).test.metrics)


def test_improve(sources):
    _same_for_every_kind(sources, lambda data: [
        r.metric("r2") for r in improve(data, config(), classical=()).rungs])


def test_config_none_means_the_defaults(sources):
    a = diagnose(sources["series"])
    b = diagnose(sources["series"], ForecastConfig())
    assert a.to_dict() == b.to_dict()


def test_diagnose_keywords_override_the_config(sources):
    cfg = ForecastConfig().replace(target="y", test_size=0.3, season=5, window=9)
    found = diagnose(sources["frame"], cfg, test_size=40, season=7)
    assert found.n_test == 40 and found.season_length == 7
    assert found.recommended.model.window == 9
    assert diagnose(sources["frame"], cfg).season_length == 5


def test_backtest_old_order_warns_and_works(sources):
    cfg, series = config(), sources["series"]
    new = backtest(series, cfg, folds=2, models=("naive",))
    with pytest.warns(FutureWarning, match=r"backtest\(data, config\)"):
        old = backtest(cfg, series, folds=2, models=("naive",))
    pd.testing.assert_frame_equal(old.summary(), new.summary())
    est = LSTMForecaster(**{k: v for k, v in TINY.items() if k != "target"})
    with pytest.warns(FutureWarning):
        backtest(est, series, folds=2, models=("naive",))
