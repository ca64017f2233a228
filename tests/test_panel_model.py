"""Tests of the global model: scaling, windows across series, the fit, the
forecast and its members, and saving."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lstmcast.baselines.damped import damped_forecasts
from lstmcast.core.config import ForecastConfig
from lstmcast.data.panel_loading import load_panel
from lstmcast.panel.combine import combine
from lstmcast.panel.fit import fit_panel, panel_batch, panel_config
from lstmcast.panel.predict import forecast_panel
from lstmcast.panel.prepare import scale_series, unscale
from lstmcast.panel.serialize import load_panel_state, save_panel_state
from lstmcast.panel.windows import PanelWindows, end_origins, train_origins

SEASON, HORIZON = 12, 6
pytestmark = pytest.mark.usefixtures("quick_classical")


def seasonal_panel(n_series: int = 12, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for k in range(n_series):
        n = 48 + 4 * k
        t = np.arange(n)
        level = 50 + 10 * k
        y = (level + 0.3 * t) * (1 + 0.2 * np.sin(2 * np.pi * (t + k) / SEASON)) \
            * np.exp(rng.normal(0, 0.02, n))
        rows.append(pd.DataFrame({"unique_id": f"s{k}", "ds": t + 1, "y": y}))
    return pd.concat(rows, ignore_index=True)


def small_config() -> ForecastConfig:
    return panel_config(ForecastConfig().replace(
        horizon=HORIZON, season=SEASON, hidden_size=8, epochs=3, seed=0))


def test_scaling_is_undone_exactly():
    panel = load_panel(seasonal_panel(), id="unique_id")
    histories = [panel.y(i) for i in range(len(panel))]
    scaled = scale_series(histories, SEASON)
    assert scaled.logged.all() and (scaled.indices != 1).any(axis=1).all()
    m = scaled.indices.shape[1]
    for i, y in enumerate(histories):  # the last H values, restored
        back = unscale(scaled.of(i)[None, -HORIZON:], _shifted(scaled, i, HORIZON))
        assert np.allclose(back[0], y[-HORIZON:])
    assert m == SEASON


def _shifted(scaled, i, back):
    """The scaling of series i as if it ended ``back`` steps earlier."""
    from lstmcast.panel.prepare import Scaled
    length = scaled.starts[i + 1] - scaled.starts[i] - back
    return Scaled(scaled.z, np.array([0, length]), scaled.indices[i: i + 1],
                  scaled.logged[i: i + 1], scaled.scale[i: i + 1])


def test_windows_are_relative_to_their_last_value_and_padded():
    scaled = scale_series([np.arange(1.0, 21.0), np.arange(1.0, 6.0)], 1)
    origins = np.asarray(train_origins(scaled, 8, 2))
    assert origins[:, 1].min() >= 1
    assert [tuple(o) for o in origins if o[0] == 1] == [(1, 2)]  # its last window
    windows = PanelWindows(scaled, origins, 8, 2)
    x, y = windows.batch(np.arange(len(origins)))
    first = int(np.flatnonzero((origins[:, 0] == 0) & (origins[:, 1] == 7))[0])
    z = scaled.of(0)
    assert np.allclose(x[first, :, 0].numpy(), z[:8] - z[7])
    assert np.allclose(y[first].numpy(), z[8:10] - z[7])
    short = int(np.flatnonzero(origins[:, 0] == 1)[0])
    assert x[short, :, 1].sum() == 5  # five padded steps before its three values
    assert np.allclose(x[short, :5, 0].numpy(), scaled.of(1)[0] - scaled.of(1)[2])
    ends = end_origins(scaled)
    assert ends.tolist() == [[0, 19], [1, 4]]


def test_damped_members_follow_a_trend_and_keep_a_flat_series_flat():
    trend = 100 * np.exp(0.01 * np.arange(60))
    flat = np.full(40, 5.0)
    paths = damped_forecasts([trend, flat], 1, 4)
    assert np.all(np.diff(paths[0]) > 0) and paths[0][0] > trend[-1]
    assert np.allclose(paths[1], 5.0)


def test_the_forecast_is_the_combination_chosen_on_validation():
    panel = load_panel(seasonal_panel(), id="unique_id")
    state = fit_panel(panel, small_config())
    assert state.window == 24 and state.horizon == HORIZON and state.season == SEASON
    assert len(state.validation) == 15  # every equal-weight combination scored
    best = min(state.validation, key=state.validation.get)
    assert set(best.split("+")) == {k for k, w in state.weights.items() if w}
    forecast = forecast_panel(state, every_component=True)
    paths = {"network": forecast.network, **forecast.members}
    assert np.allclose(forecast.forecast, combine(state.weights, paths))
    assert forecast.forecast.shape == (len(panel), HORIZON)
    truth_scale = np.array([panel.y(i)[-12:].mean() for i in range(len(panel))])
    assert np.all(np.abs(forecast.forecast.mean(axis=1) / truth_scale - 1) < 0.3)


def test_a_given_network_weight_fixes_the_combination():
    panel = load_panel(seasonal_panel(6), id="unique_id")
    state = fit_panel(panel, small_config().replace(network_weight=0.4))
    assert state.validation == {}
    assert state.weights == pytest.approx({"network": 0.4, "theta": 0.2,
                                           "damped": 0.2, "dtheta": 0.2})


def test_a_constant_series_is_forecast_by_its_last_value():
    frame = pd.concat([seasonal_panel(4), pd.DataFrame(
        {"unique_id": "flat", "ds": np.arange(1, 41), "y": 3.0})])
    panel = load_panel(frame, id="unique_id")
    forecast = forecast_panel(fit_panel(panel, small_config()))
    assert np.allclose(forecast.forecast[panel.ids.index("flat")], 3.0)


def test_a_saved_model_loads_and_forecasts_the_same(tmp_path):
    panel = load_panel(seasonal_panel(6), id="unique_id")
    state = fit_panel(panel, small_config())
    folder = save_panel_state(state, {"seed": 0}, tmp_path / "model")
    params, loaded = load_panel_state(folder)
    assert params == {"seed": 0} and loaded.context.ids == panel.ids
    assert np.array_equal(forecast_panel(loaded).forecast,
                          forecast_panel(state).forecast)


def test_more_steps_than_the_model_forecasts_is_refused():
    panel = load_panel(seasonal_panel(4), id="unique_id")
    state = fit_panel(panel, small_config())
    with pytest.raises(Exception, match="at most 6 steps"):
        forecast_panel(state, horizon=7)


def test_the_batch_grows_with_the_windows_and_the_rate_with_its_root():
    assert panel_batch(1_000) == (256, pytest.approx(0.001))
    assert panel_batch(40_000) == (512, pytest.approx(0.001 * 2 ** 0.5))
    assert panel_batch(67_091) == (1024, pytest.approx(0.002))  # M3 monthly
    assert panel_batch(10**7) == (1024, pytest.approx(0.002))
    panel = load_panel(seasonal_panel(4), id="unique_id")
    state = fit_panel(panel, small_config().replace(batch_size=32),
                      given={"batch_size"})
    assert state.config.train.batch_size == 32  # a size given is kept
    assert state.config.train.lr == pytest.approx(0.001)



def test_a_forged_network_size_is_refused_before_anything_is_built(tmp_path):
    import hashlib
    import json

    from lstmcast.core.errors import DataError
    panel = load_panel(seasonal_panel(3), id="unique_id")
    folder = save_panel_state(fit_panel(panel, small_config().replace(
        network_weight=0.5)), {"seed": 0}, tmp_path / "model")
    config = json.loads((folder / "config.json").read_text())
    config["model"]["hidden_size"] = 200_000
    data = json.dumps(config).encode()
    (folder / "config.json").write_bytes(data)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["files"]["config.json"] = hashlib.sha256(data).hexdigest()
    manifest["bytes"]["config.json"] = len(data)  # as a forger would: hashes match
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(DataError, match="do not belong together"):
        load_panel_state(folder)
