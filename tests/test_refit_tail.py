"""refit_tail: after early stopping, the model is trained again on every row
(the validation tail included) for the epochs the first fit ran; its
intervals keep the first fit's calibration; fit --auto asks for it on short
series only, and never over a setting the user gave."""

import numpy as np
import pandas as pd
import pytest

from conftest import FAST, ar_series
from lstmcast import ForecastConfig, LSTMForecaster, fit_evaluate, load
from lstmcast.search.auto import REFIT_TAIL_ROWS, fit_auto

SETTINGS = {**FAST, "epochs": 6, "patience": 2, "threads": 1}


def _fit(frame: pd.DataFrame, **extra) -> LSTMForecaster:
    return LSTMForecaster(**{**SETTINGS, **extra}).fit(frame, target="y")


def _scaler_center(est: LSTMForecaster) -> float:
    scaler = next(s for s in est.state_.transforms.pipeline.steps
                  if type(s).__name__ == "Scaler")
    return float(scaler.center_[0])


def test_the_refit_learns_every_row_and_keeps_the_first_calibration():
    frame = ar_series(200)
    first = _fit(frame)
    refit = _fit(frame, refit_tail=True)
    ran = len(first.history_.history)
    assert first.state_.shape.n_fit == 160  # 40 validation rows held out
    assert refit.state_.shape.n_fit == 200
    assert refit.state_.data.train_range["rows_fitting_transforms"] == 200
    # the scaler (standard) is fitted on all 200 rows, not on the first 160
    assert _scaler_center(first) == pytest.approx(frame["y"][:160].mean())
    assert _scaler_center(refit) == pytest.approx(frame["y"].mean())
    assert refit.history_.refit.startswith(
        f"then trained again on all 200 rows, the 40 validation rows included, "
        f"for the {ran} epochs it ran")
    # the first fit's validation forecasts calibrate the intervals ...
    np.testing.assert_array_equal(refit.state_.calibration.errors,
                                  first.state_.calibration.errors)
    # ... while the network forecasting is another one, trained on the tail
    a, b = first.predict(3), refit.predict(3)
    assert not np.allclose(a["forecast"], b["forecast"])
    assert {"lo-80", "hi-95"} <= set(b.columns)


def test_the_refit_round_trips(tmp_path):
    est = _fit(ar_series(200), refit_tail=True)
    est.save(str(tmp_path / "m"))
    back = LSTMForecaster.load(str(tmp_path / "m"))
    assert back.history_.refit == est.history_.refit
    pd.testing.assert_frame_equal(est.predict(2), back.predict(2))


def test_no_test_value_enters_a_refit_tail_fit():
    """The refit learns the validation tail, never the test part: changing the
    test part changes no fitted value."""
    frame = ar_series(240)
    changed = frame.copy()
    changed.loc[changed.index[-48:], "y"] *= 50
    config = ForecastConfig().replace(target="y", refit_tail=True, **SETTINGS)
    a = fit_evaluate(load(frame, target="y"), config, refit=False, doctor=False)
    b = fit_evaluate(load(changed, target="y"), config, refit=False, doctor=False)
    assert a.forecaster.state_.shape.n_fit == 192  # the whole training part
    assert _scaler_center(a.forecaster) == _scaler_center(b.forecaster)
    for p, q in zip(a.forecaster.net_.parameters(), b.forecaster.net_.parameters(),
                    strict=True):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


def test_auto_refits_short_series_unless_told_not_to():
    series = load(ar_series(240), target="y")  # 192 training rows
    config = ForecastConfig().replace(target="y", season=7,
                                      **{**FAST, "epochs": 2, "threads": 1})
    auto = fit_auto(series, config, budget=60, refit=False)
    assert REFIT_TAIL_ROWS >= 192
    assert auto.config.train.refit_tail
    assert "trained again on the validation tail" in auto.auto["why"]
    kept = fit_auto(series, config.replace(refit_tail=False), budget=60,
                    refit=False, fixed=("refit_tail", "season"))
    assert not kept.config.train.refit_tail
    assert "trained again" not in kept.auto["why"]
