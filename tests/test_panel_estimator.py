"""A global model through the estimator: long frames in and out, ids of any
type, saving, series never seen, no leakage from the test part."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmcast import LSTMForecaster
from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.panel_loading import load_panel
from lstmcast.evaluation.panel import evaluate_panel

pytestmark = pytest.mark.usefixtures("quick_classical")
SMALL = {"horizon": 3, "season": 12, "hidden_size": 8, "epochs": 2}


def monthly_panel(n_series: int = 6, seed: int = 0) -> pd.DataFrame:
    """Stores (ids of mixed types) with monthly dates and a seasonal pattern."""
    rng = np.random.default_rng(seed)
    frames = []
    for k in range(n_series):
        n = 36 + 3 * k
        dates = pd.date_range("2015-01-01", periods=n, freq="MS")
        t = np.arange(n)
        sales = (40 + 5 * k + 0.2 * t) * (1 + 0.15 * np.sin(2 * np.pi * t / 12)) \
            * np.exp(rng.normal(0, 0.03, n))
        frames.append(pd.DataFrame({"store": k if k % 2 else f"store-{k}",
                                    "date": dates, "sales": sales}))
    return pd.concat(frames, ignore_index=True)


def test_fit_with_id_forecasts_every_series_in_the_inputs_own_columns():
    frame = monthly_panel()
    est = LSTMForecaster(**SMALL).fit(frame, target="sales", id="store", time="date")
    forecast = est.predict()
    assert list(forecast.columns) == ["store", "date", "forecast", "lo-80", "hi-80",
                                     "lo-95", "hi-95"]
    assert est.is_panel_ and est.horizon_ == 3 and est.target_ == "sales"
    for key, rows in forecast.groupby("store", sort=False):
        last = frame.loc[frame.store == key, "date"].max()
        expected = pd.date_range(last, periods=4, freq="MS")[1:]
        assert list(rows["date"]) == list(expected)
        assert np.isfinite(rows["forecast"]).all()
    ids = list(dict.fromkeys(forecast["store"]))
    assert ids == list(dict.fromkeys(frame["store"]))  # 1, 3, 5 stay numbers
    assert {type(k) for k in ids} == {int, str}


def test_a_saved_global_model_forecasts_the_same_and_series_it_never_saw(tmp_path):
    frame = monthly_panel()
    est = LSTMForecaster(**SMALL).fit(frame, target="sales", id="store", time="date")
    loaded = LSTMForecaster.load(est.save(tmp_path / "model"))
    assert loaded.is_panel_
    pd.testing.assert_frame_equal(loaded.predict(2), est.predict(2))
    new = monthly_panel(2, seed=7).assign(store=["new-a"] * 36 + ["new-b"] * 39)
    forecast = loaded.predict(3, new)
    assert sorted(set(forecast["store"])) == ["new-a", "new-b"]
    assert len(forecast) == 6 and np.isfinite(forecast["forecast"]).all()


def test_a_series_forecast_does_not_depend_on_the_series_beside_it():
    frame = monthly_panel()
    est = LSTMForecaster(**SMALL).fit(frame, target="sales", id="store", time="date")
    alone = est.predict(3, frame[frame.store == 3])
    together = est.predict(3, frame)
    np.testing.assert_allclose(alone["forecast"].to_numpy(),
                               together.loc[together.store == 3, "forecast"])


def test_changing_the_test_part_changes_nothing_fitted():
    """The hold-out forecasts of the last H values are made by a model fitted
    without them: doubling them leaves every forecast and weight as it was."""
    panel = load_panel(monthly_panel(), id="store", target="sales", time="date")
    frame = monthly_panel()
    last = frame.groupby("store", sort=False).cumcount(ascending=False) < 3
    changed = frame.assign(sales=np.where(last, frame.sales * 2, frame.sales))
    other = load_panel(changed, id="store", target="sales", time="date")
    config = ForecastConfig().replace(**SMALL)
    a = evaluate_panel(panel, config, refit=False)
    b = evaluate_panel(other, config, refit=False)
    for model in ("lstm", "network", "theta", "damped", "dtheta"):
        np.testing.assert_array_equal(a.predictions[model], b.predictions[model])
    assert not np.allclose(a.predictions["actual"], b.predictions["actual"])
    assert a.forecaster.state_.weights == b.forecaster.state_.weights
    for p, q in zip(a.forecaster.net_.parameters(), b.forecaster.net_.parameters(),
                    strict=True):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_short_series_get_a_forecast_and_a_note_saying_how():
    frame = pd.concat([monthly_panel(4), pd.DataFrame({
        "store": ["tiny"] * 2 + ["short"] * 10,
        "date": list(pd.date_range("2019-01-01", periods=2, freq="MS"))
        + list(pd.date_range("2018-01-01", periods=10, freq="MS")),
        "sales": [5.0, 6.0, *np.linspace(10, 19, 10)]})], ignore_index=True)
    panel = load_panel(frame, id="store", target="sales", time="date")
    result = evaluate_panel(panel, ForecastConfig().replace(**SMALL))
    assert "tiny" in result.split["not_scored"]
    assert any("padded" in n and "repeat the last value" in n
               for n in result.notes["tiny"])
    assert any("fewer than the window" in n for n in result.notes["short"])
    forecast = result.forecaster.predict()
    assert set(forecast["store"]) >= {"tiny", "short"}
    assert np.isfinite(forecast["forecast"]).all()


def test_single_series_attributes_of_a_global_model_say_what_to_use():
    est = LSTMForecaster(**SMALL).fit(monthly_panel(3), target="sales", id="store",
                                      time="date")
    with pytest.raises(DataError, match="global model over a panel"):
        _ = est.pipeline_
    with pytest.raises(DataError, match="reads no future covariates"):
        est.predict(2, future=pd.DataFrame())
    assert "global model over 3 series" in repr(est)
