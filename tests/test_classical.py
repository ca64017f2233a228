import warnings

import numpy as np
import pytest

from lstmcast.baselines.arima import AutoARIMA, _regressors
from lstmcast.baselines.classical import CLASSICAL, MODELS, make_models
from lstmcast.baselines.ets import ETS
from lstmcast.baselines.simple import BASELINES, Naive, make_baselines
from lstmcast.core.errors import DataError, NotFittedError


def ar2(n: int = 600, seed: int = 0, mean: float = 10.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.normal(size=n + 100)
    y = np.zeros(n + 100)
    for t in range(2, n + 100):
        y[t] = 1.3 * y[t - 1] - 0.6 * y[t - 2] + e[t]
    return mean + y[100:]


def seasonal(n: int = 240, m: int = 12, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 50 + 0.1 * t + 8 * np.sin(2 * np.pi * t / m) + rng.normal(0, 1, n)


@pytest.fixture(scope="module")
def arima() -> AutoARIMA:
    return AutoARIMA(season=1).fit(ar2()[:500])


@pytest.fixture(scope="module")
def fits() -> dict:
    """AutoARIMA and ETS fitted once on the first 150 points of ``seasonal(200)``."""
    y = seasonal(200)
    return {cls: cls(season=12).fit(y[:150]) for cls in (AutoARIMA, ETS)}


def test_autoarima_recovers_an_ar2_process(arima):
    assert arima.order_[1] == 0 and arima.seasonal_order_[1] == 0
    ar = [arima.params_.get(f"ar.L{i}", 0.0) for i in range(1, 6)]
    ma = [v for k, v in arima.params_.items() if k.startswith("ma.")]
    np.testing.assert_allclose(ar, [1.3, -0.6, 0, 0, 0], atol=0.1)
    assert np.all(np.abs(ma) < 0.1)
    assert arima.params_["sigma2"] == pytest.approx(1.0, abs=0.15)
    assert arima.order_ == (2, 0, 0)  # AICc picks the true order on this sample


def test_arima_paths_equal_statsmodels_forecasts_from_each_origin(fits):
    y, model = seasonal(200), fits[AutoARIMA]
    origins = np.array([149, 160, 180])
    paths = model.forecast_paths(y, origins, 8)
    d, D = model.order_[1], model.seasonal_order_[1]
    x = _regressors(np.arange(210), model.const_, d, D)
    for row, t in zip(paths, origins, strict=True):
        exog = x[: t + 1] if x.shape[1] else None
        applied = model.res_.apply(y[: t + 1], exog=exog)
        expected = applied.forecast(8, exog=x[t + 1: t + 9] if x.shape[1] else None)
        np.testing.assert_allclose(row, expected, rtol=1e-8)


@pytest.mark.parametrize("cls", [AutoARIMA, ETS])
def test_one_step_uses_fixed_parameters_and_only_the_past(cls, fits):
    y, model = seasonal(200), fits[cls]
    params = dict(model.params_)
    changed = y.copy()
    changed[170:] = 1e6
    rows = np.arange(150, 171)
    a = model.predict_one_step(y, rows)
    b = model.predict_one_step(changed, rows)
    np.testing.assert_allclose(a, b)  # y[170] itself is never read
    assert model.params_ == params  # no refit
    np.testing.assert_allclose(a, model.forecast_paths(y, rows - 1, 1)[:, 0])
    path = model.forecast(y[:150], 5)
    np.testing.assert_allclose(path, model.forecast_paths(y, np.array([149]), 5)[0])


def test_ets_beats_naive_on_a_seasonal_series_and_matches_statsmodels(fits):
    y, model = seasonal(200), fits[ETS]
    rows = np.arange(150, 200)
    ets = model.predict_one_step(y, rows)
    naive = Naive().fit(y[:150]).predict_one_step(y, rows)
    mse_ets, mse_naive = np.mean((y[rows] - ets) ** 2), np.mean((y[rows] - naive) ** 2)
    assert mse_ets < 0.3 * mse_naive
    assert model.spec_["seasonal"] is not None and model.name_ in model.search_
    # the closed-form paths equal statsmodels' own forecast from the fit's end
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ETSModel(y[:150], **model.spec_).smooth(
            np.array(list(model.params_.values())))
    np.testing.assert_allclose(model.forecast(y[:150], 15), res.forecast(15))


def test_ets_fit_equals_statsmodels_without_its_covariance(fits):
    """The search's results skip statsmodels' parameter covariance (a Hessian
    per fit): the chosen model's parameters and AICc are statsmodels' own."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel
    model = fits[ETS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ETSModel(seasonal(200)[:150], **model.spec_).fit(disp=False)
    assert model.aicc_ == pytest.approx(res.aicc, rel=1e-10)
    np.testing.assert_allclose(list(model.params_.values()), res.params, rtol=1e-10)


def test_ets_models_restricts_the_search_and_names_unknown_forms(fits):
    y, full = seasonal(200)[:150], fits[ETS]
    other = next(name for name in full.search_ if name != full.name_)
    one = ETS(season=12, models=(other,)).fit(y)
    assert one.name_ == other and list(one.search_) == [other]
    assert one.aicc_ == pytest.approx(full.search_[other], rel=1e-10)
    with pytest.raises(DataError, match=r"Unknown ETS model\(s\) ETS\(X,N,N\)"):
        ETS(season=12, models=("ETS(X,N,N)",)).fit(y)


def test_long_seasons_use_a_seasonally_adjusted_model():
    t = np.arange(48 * 20)
    rng = np.random.default_rng(2)
    y = 20 + 5 * np.sin(2 * np.pi * t / 48) + np.cumsum(rng.normal(0, 0.3, t.size))
    for cls in (AutoARIMA, ETS):
        model = cls(season=48, time_budget=10).fit(y[:800])
        assert model.model_season_ == 1 and np.ptp(model.profile_) > 5
        pred = model.predict_one_step(y, np.arange(800, 960))
        naive = y[799:959]
        assert np.mean((y[800:] - pred) ** 2) < np.mean((y[800:] - naive) ** 2)


def test_missing_values_in_the_history_still_give_finite_forecasts():
    y = seasonal(120, m=4)
    y[[30, 31, 100]] = np.nan
    for cls in (AutoARIMA, ETS):
        model = cls(season=4).fit(y[:90])
        assert np.isfinite(model.predict_one_step(y, np.arange(90, 120))).all()


def test_make_models_by_name_and_baselines_unchanged():
    models = make_models(["naive", "arima", "ets", "seasonal_naive"], 7)
    assert list(models) == ["naive", "arima", "ets", "seasonal_naive"]
    assert models["arima"].season == 7 and models["seasonal_naive"].season == 7
    assert set(CLASSICAL) == {"arima", "ets"} and set(BASELINES) < set(MODELS)
    assert list(make_baselines(12)) == ["naive", "seasonal_naive", "mean", "drift"]
    with pytest.raises(DataError, match=r"Unknown model\(s\) 'arma'.*Known models"):
        make_models(["arma"], 1)


def test_not_fitted_and_bad_positions():
    with pytest.raises(NotFittedError, match="AutoARIMA instance is not fitted"):
        AutoARIMA().forecast_paths(np.ones(5), np.array([1]), 2)
    model = ETS(season=1).fit(ar2(100))
    with pytest.raises(ValueError, match="'origins' must lie in"):
        model.forecast_paths(ar2(100), np.array([100]), 2)
