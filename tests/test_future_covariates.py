"""Future covariates: inputs known in advance (a promotion), read at the steps
forecast by every strategy, fitted on the training part only, and given for
the future rows at predict."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from lstmcast import DataError, ForecastConfig, LSTMForecaster, fit_evaluate, load
from lstmcast.cli.app import app
from lstmcast.evaluation.backtest import backtest
from lstmcast.forecaster.predict import multi_step

SMALL = {"hidden_size": 8, "window": 14, "batch_size": 32, "seed": 0}


def promo_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """Daily sales: an AR(1) around a weekly cycle, plus 4 on the (random,
    unpredictable from the past) days of a promotion planned in advance."""
    rng = np.random.default_rng(seed)
    promo = (rng.random(n) < 0.2).astype(float)
    noise = np.zeros(n)
    for t in range(1, n):
        noise[t] = 0.6 * noise[t - 1] + rng.normal(0, 0.3)
    y = 10 + noise + 4 * promo + 1.5 * np.sin(2 * np.pi * np.arange(n) / 7)
    return pd.DataFrame({"ds": pd.date_range("2021-01-01", periods=n, freq="D"),
                         "y": y, "promo": promo})


def _config(**settings):
    return ForecastConfig().replace(target="y", **{**SMALL, **settings})


def _future(frame: pd.DataFrame, rows: int, value: float = 1.0) -> pd.DataFrame:
    stamps = pd.date_range(frame["ds"].iloc[-1], periods=rows + 1, freq="D")[1:]
    return pd.DataFrame({"ds": stamps, "promo": value})


def test_a_known_future_promotion_lowers_the_error():
    frame = promo_frame()
    without = fit_evaluate(frame, _config(epochs=40), refit=False, doctor=False)
    known = fit_evaluate(frame, _config(epochs=40, future_covariates="promo"),
                         refit=False, doctor=False)
    rmse = {name: r.metrics["lstm"]["rmse"] for name, r in
            (("without", without), ("with", known))}
    naive = known.metrics["naive"]["rmse"]
    assert known.forecaster.feature_names_ == ["target", "promo_next1"]
    assert rmse["with"] < 0.5 * rmse["without"] < 0.5 * naive, (rmse, naive)


def test_future_values_of_the_test_part_change_nothing_fitted():
    frame, changed = promo_frame(), promo_frame()
    first = 260  # inside the test part (rows 240..299)
    changed.loc[first:, "promo"] = 1 - changed.loc[first:, "promo"]
    cfg = _config(epochs=3, future_covariates="promo")
    a = fit_evaluate(frame, cfg, refit=False, doctor=False)
    b = fit_evaluate(changed, cfg, refit=False, doctor=False)
    ta, tb = a.forecaster.state_.transforms, b.forecaster.state_.transforms
    assert ta.future_scaler.get_state() == tb.future_scaler.get_state()
    assert [i.get_state() for i in ta.future_impute] == \
        [i.get_state() for i in tb.future_impute]
    for wa, wb in zip(a.forecaster.net_.state_dict().values(),
                      b.forecaster.net_.state_dict().values(), strict=True):
        assert np.array_equal(wa.numpy(), wb.numpy())
    before = a.predictions["timestamp"] < frame["ds"].iloc[first]
    pd.testing.assert_frame_equal(a.predictions[before], b.predictions[before])
    at = a.predictions["timestamp"] == frame["ds"].iloc[first]
    assert not np.allclose(a.predictions.loc[at, "lstm"],
                           b.predictions.loc[at, "lstm"])


def test_a_path_reads_the_future_only_up_to_its_last_step():
    frame, changed = promo_frame(), promo_frame()
    changed.loc[250, "promo"] = 1 - changed.loc[250, "promo"]
    est = LSTMForecaster(**SMALL, epochs=2, horizon=3, strategy="mimo")
    est.fit(frame.iloc[:240], target="y", future_covariates=["promo"])
    paths = [multi_step(est.state_, load(f, target="y",
                                         future_covariates=["promo"]),
                        np.arange(240, 252)) for f in (frame, changed)]
    unchanged = np.arange(240, 252) + 3 < 250  # paths ending before row 250
    np.testing.assert_array_equal(paths[0][unchanged], paths[1][unchanged])
    assert not np.allclose(paths[0][~unchanged], paths[1][~unchanged])


@pytest.mark.parametrize("strategy", ["mimo", "direct", "recursive"])
def test_every_strategy_forecasts_from_the_future_rows(strategy):
    frame = promo_frame(200)
    est = LSTMForecaster(**SMALL, epochs=2, horizon=2, strategy=strategy)
    est.fit(frame, target="y", future_covariates=["promo"])
    base = est.predict(2, future=_future(frame, 2, 0.0))
    second = _future(frame, 2, 0.0)
    second.loc[1, "promo"] = 1.0  # a promotion on the second step only
    moved = est.predict(2, future=second)
    assert list(base.index) == list(second["ds"])
    assert base["forecast"].iloc[1] != moved["forecast"].iloc[1]
    if strategy == "recursive":  # step 1 reads step 1's promotion only
        assert base["forecast"].iloc[0] == moved["forecast"].iloc[0]


def test_beyond_the_horizon_needs_the_rows_the_network_reads():
    frame = promo_frame(200)
    est = LSTMForecaster(**SMALL, epochs=2, horizon=2)  # auto: mimo, then recursive
    est.fit(frame, target="y", future_covariates=["promo"])
    # 4 steps fed back, each read with 2 steps of promotions: 5 rows
    assert len(est.predict(4, future=_future(frame, 5))) == 4
    with pytest.raises(DataError, match="lack 1 stamp of the 5"):
        est.predict(4, future=_future(frame, 4))


def test_missing_future_values_are_named():
    frame = promo_frame(200)
    est = LSTMForecaster(**SMALL, epochs=1)
    est.fit(frame, target="y", future_covariates=["promo"])
    with pytest.raises(DataError, match=r"promo.*2021-07-20.*--future FILE"):
        est.predict(1)
    gap = _future(frame, 3)
    gap.loc[1, "promo"] = np.nan
    with pytest.raises(DataError, match="'promo'.*empty at 2021-07-21"):
        est.predict(3, future=gap)
    with pytest.raises(DataError, match="Future covariate column 'promo'"):
        est.predict(1, future=_future(frame, 1).rename(columns={"promo": "p"}))
    plain = LSTMForecaster(**SMALL, epochs=1).fit(frame, target="y")
    with pytest.raises(DataError, match="no future covariates"):
        plain.predict(1, future=_future(frame, 1))


def test_a_column_is_either_a_covariate_or_a_future_one():
    with pytest.raises(DataError, match="both covariates and future covariates"):
        load(promo_frame(50), target="y", covariates=["promo"],
             future_covariates=["promo"])


def test_saved_model_forecasts_alike_after_loading(tmp_path):
    frame = promo_frame(200)
    est = LSTMForecaster(**SMALL, epochs=2, horizon=2)
    est.fit(frame, target="y", future_covariates=["promo"])
    again = LSTMForecaster.load(est.save(tmp_path / "m"))
    future = _future(frame, 4)  # 3 steps, the last read 2 steps ahead
    pd.testing.assert_frame_equal(est.predict(3, future=future),
                                  again.predict(3, future=future))
    assert again.future_covariates_ == ("promo",)
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["format_version"] == 2  # older readers are told to upgrade


def test_the_last_rows_are_the_known_future_of_a_multi_step_fit():
    cfg = _config(epochs=2, horizon=3, future_covariates="promo")
    result = fit_evaluate(promo_frame(200), cfg, refit=False, doctor=False)
    assert result.split["known_future_rows"] == 2
    assert result.predictions["timestamp"].iloc[-1] == pd.Timestamp("2021-07-17")
    bt = backtest(promo_frame(200), cfg, folds=2, models=("naive",))
    assert bt.settings["known_future_rows"] == 2


def test_cli_predict_reads_the_future_file(tmp_path):
    frame = promo_frame(200)
    data, future = tmp_path / "sales.csv", tmp_path / "future.csv"
    frame.to_csv(data, index=False)
    _future(frame, 2).to_csv(future, index=False)
    out = tmp_path / "run"
    res = CliRunner().invoke(app, [
        "fit", str(data), "--target", "y", "--future-covariates", "promo",
        "--no-auto", "--epochs", "2", "--hidden-size", "8", "--window", "14",
        "--quiet", "--out", str(out)])
    assert res.exit_code == 0, res.output
    forecast = tmp_path / "f.csv"
    res = CliRunner().invoke(app, ["predict", str(out), "--horizon", "2",
                                   "--future", str(future), "--out", str(forecast)])
    assert res.exit_code == 0, res.output
    assert list(pd.read_csv(forecast)["timestamp"]) == ["2021-07-20", "2021-07-21"]
    res = CliRunner().invoke(app, ["predict", str(out), "--horizon", "3",
                                   "--future", str(future), "--out", str(forecast)])
    assert res.exit_code == 2 and "2021-07-22" in res.output
