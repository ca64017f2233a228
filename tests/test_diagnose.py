"""diagnose: known answers on synthetic series, the bundled datasets, the config."""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from lstmcast.core.config import ForecastConfig, ModelConfig
from lstmcast.core.errors import DataError
from lstmcast.core.findings import Finding, findings_frame
from lstmcast.data.bundled import load_dataset
from lstmcast.diagnosis.diagnose import (
    Diagnosis,
    adf_pvalue,
    count_parameters,
    diagnose,
    leak_correlation,
    spikes,
    stationarity,
    stationarity_verdict,
)


def codes(d: Diagnosis) -> set[str]:
    return {f.code for f in d.findings}


def finding(d: Diagnosis, code: str) -> Finding:
    return next(f for f in d.findings if f.code == code)


def ar1(n: int, phi: float = 0.6, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = phi * y[t - 1] + rng.normal()
    return y + 10


def frame(y: np.ndarray, freq: str | None = None, **covs: np.ndarray) -> pd.DataFrame:
    data = pd.DataFrame({"y": y, **covs})
    if freq:
        data.insert(0, "ds", pd.date_range("2000-01-01", periods=len(y), freq=freq))
    return data


# --------------------------------------------------------------- known answers


def test_random_walk_says_so_and_models_changes():
    y = 100 + np.cumsum(np.random.default_rng(1).normal(size=600))
    d = diagnose(frame(y), target="y")
    assert d.random_walk is True
    assert d.stationarity["verdict"] == "difference"
    assert d.stationarity["ndiffs"] == 1
    assert d.stationarity["after"]["verdict"] == "stationary"
    rw = finding(d, "random-walk")
    assert rw.severity == "warning"
    assert rw.settings == {"target_mode": "delta"}
    assert "R²" in rw.recommendation and "changes" in rw.recommendation
    assert d.recommended.model.target_mode == "delta"


def test_white_noise_is_stationary_and_no_random_walk():
    y = np.random.default_rng(2).normal(size=500) + 5
    d = diagnose(frame(y), target="y")
    assert d.stationarity["verdict"] == "stationary"
    assert d.random_walk is False
    assert d.recommended.preprocess.difference == 0


def test_linear_trend_is_not_stationary_and_is_differenced():
    rng = np.random.default_rng(3)
    y = 0.05 * np.arange(400) + rng.normal(size=400)
    d = diagnose(frame(y), target="y")
    assert d.stationarity["verdict"] in ("trend-stationary", "difference")
    assert d.random_walk is False
    st = finding(d, "stationarity")
    assert st.settings == {"difference": 1, "target_mode": "level"}
    assert d.recommended.preprocess.difference == 1
    assert d.recommended.model.target_mode == "level"


@pytest.mark.parametrize(("period", "freq"), [(12, "MS"), (24, None)])
def test_seasonal_period_is_found(period, freq):
    rng = np.random.default_rng(period)
    t = np.arange(40 * period)
    y = 10 + 3 * np.sin(2 * np.pi * t / period) + rng.normal(scale=0.7, size=t.size)
    d = diagnose(frame(y, freq), target="y")
    assert d.season_length == period
    season = finding(d, "season")
    assert season.evidence["seasonal_strength"] > 0.64
    assert season.settings["season"] == period
    assert d.recommended.data.season == period


def test_no_season_in_noise():
    d = diagnose(frame(ar1(300)), target="y")
    assert d.season_length is None
    assert finding(d, "no-season").settings == {"season": 1}


def test_injected_outliers_and_gap_found_at_their_positions():
    y = ar1(400, seed=4)
    y[[50, 120, 200]] += [15, -15, 15]
    y[300:305] = np.nan
    d = diagnose(frame(y, "D"), target="y")
    out = finding(d, "outliers")
    assert out.evidence["positions"] == [50, 120, 200]
    assert out.settings == {"outliers": "clip", "outlier_method": "mad",
                            "outlier_threshold": 5.0}
    gap = finding(d, "missing-values")
    assert gap.evidence["count"] == 5
    assert gap.evidence["longest_gap"] == 5
    assert gap.evidence["positions"] == [300]
    assert gap.evidence["where"][0].startswith("2000-10-27")  # day 300
    assert gap.settings == {"impute": "linear"}
    assert d.recommended.preprocess.outliers == "clip"


def test_spike_on_a_random_walk_found_without_false_alarms():
    y = 50 + np.cumsum(np.random.default_rng(5).normal(size=800))
    y[333] += 20
    assert spikes(y).tolist() == [333]
    assert "heavy-tails" not in codes(diagnose(frame(y), target="y"))


def test_constant_series_is_a_clear_data_error():
    with pytest.raises(DataError, match="constant"):
        diagnose(frame(np.full(100, 3.0)), target="y")


def test_constant_training_part_is_a_clear_data_error():
    y = np.concatenate([np.full(80, 3.0), np.arange(24.0)])
    with pytest.raises(DataError, match="training part .* is constant"):
        diagnose(frame(y), target="y")


def test_covariate_leaking_the_future_is_flagged_and_dropped():
    rng = np.random.default_rng(6)
    y = ar1(500, phi=0.8, seed=6)
    leak = np.append(y[1:], y[-1]) + rng.normal(scale=0.05, size=500)
    honest = rng.normal(size=500)
    data = frame(y, leak=leak, noise=honest)
    d = diagnose(data, target="y", covariates=["leak", "noise"])
    flagged = finding(d, "covariate-leak")
    assert flagged.severity == "problem"
    assert flagged.evidence["covariate"] == "leak"
    assert flagged.evidence["leak_pcorr"] > 0.9
    assert "leak" not in d.recommended.data.covariates


def test_honest_driver_is_neither_a_leak_nor_irrelevant():
    rng = np.random.default_rng(7)
    n = 600
    x = np.zeros(n)
    y = np.zeros(n)
    for t in range(1, n):
        x[t] = 0.7 * x[t - 1] + rng.normal()
        y[t] = 0.5 * y[t - 1] + 0.8 * x[t - 1] + rng.normal()
    d = diagnose(frame(y, driver=x), target="y", covariates=["driver"])
    assert not {"covariate-leak", "covariate-irrelevant"} & codes(d)
    relevance = finding(d, "covariate-relevance").evidence["driver"]
    assert relevance["best_lag"] == 1
    assert relevance["corr"] > 0.3
    assert d.recommended.data.covariates == ("driver",)


def test_leak_correlation_values():
    y = ar1(400, seed=8)
    rng = np.random.default_rng(8)
    assert leak_correlation(np.append(y[1:], 0.0) + rng.normal(0, .01, 400), y) > 0.99
    assert abs(leak_correlation(rng.normal(size=400), y)) < 0.2
    assert np.isnan(leak_correlation(y, y))  # the target's own past: nothing new


def test_irrelevant_and_redundant_covariates():
    rng = np.random.default_rng(9)
    n = 400
    x = np.zeros(n)
    y = np.zeros(n)
    for t in range(1, n):
        x[t] = 0.7 * x[t - 1] + rng.normal()
        y[t] = 0.5 * y[t - 1] + 0.8 * x[t - 1] + rng.normal()
    data = frame(y, a=x, b=2 * x + rng.normal(scale=0.01, size=n),
                 c=rng.normal(size=n))
    d = diagnose(data, target="y", covariates=["a", "b", "c"])
    assert finding(d, "covariate-irrelevant").evidence["covariate"] == "c"
    assert set(finding(d, "covariate-redundant").evidence["pair"]) == {"a", "b"}
    assert len(d.recommended.data.covariates) == 1


def test_covariates_on_very_different_scales():
    rng = np.random.default_rng(10)
    y = ar1(300, seed=10)
    data = frame(y, big=1e6 * rng.normal(size=300), small=1e-3 * rng.normal(size=300))
    d = diagnose(data, target="y", covariates=["big", "small"])
    assert finding(d, "covariate-scales").evidence["ratio"] > 1e8


@pytest.mark.parametrize(("n", "code", "severity"), [
    (60, "too-little-data", "problem"),
    (40, "too-short", "problem"),
])
def test_series_too_short_for_the_default_model(n, code, severity):
    d = diagnose(frame(ar1(n, seed=n)), target="y")
    found = finding(d, code)
    assert found.severity == severity
    assert found.evidence["training_windows"] < 30


def test_little_data_suggests_a_smaller_network():
    d = diagnose(load_dataset("airline"))
    small = finding(d, "too-little-data")
    assert small.evidence["parameters"] > 10 * small.evidence["training_windows"]
    assert small.settings["hidden_size"] < 64
    assert d.recommended.model.hidden_size == small.settings["hidden_size"]


def test_variance_growing_with_level_suggests_log():
    rng = np.random.default_rng(11)
    t = np.arange(360)
    y = np.exp(0.01 * t + 0.3 * np.sin(2 * np.pi * t / 12) + rng.normal(0, .02, 360))
    d = diagnose(frame(100 * y, "MS"), target="y")
    assert finding(d, "variance-grows-with-level").settings == {"transform": "log"}
    assert d.stationarity["after"]["transform"].startswith("log")


def test_test_part_outside_training_range():
    y = np.concatenate([ar1(200, seed=12), ar1(50, seed=13) + 30])
    d = diagnose(frame(y), target="y")
    shift = finding(d, "test-outside-train-range")
    assert shift.evidence["above"] > 0
    assert shift.severity == "warning"
    assert shift.settings == {}


def test_missing_timestamps_from_the_loading_notes():
    data = frame(ar1(200), "D").drop(index=[50, 51, 52, 120])
    d = diagnose(data, target="y")
    gap = finding(d, "missing-timestamps")
    assert gap.evidence == {"missing_stamps": 4, "largest_gap": 3, "filled": False}
    assert gap.settings == {"gaps": "fill"}
    assert d.recommended.data.gaps == "fill"
    holidays = frame(ar1(200), "B").drop(index=[50])
    assert finding(diagnose(holidays, target="y"), "missing-timestamps").settings == {}


def test_duplicates_combined_are_reported_with_their_policy():
    data = frame(ar1(200), "D")
    data = pd.concat([data, data.iloc[[10]]]).sort_values("ds")
    d = diagnose(data, target="y", duplicates="mean")
    assert finding(d, "duplicate-timestamps").settings == {"duplicates": "mean"}
    assert d.recommended.data.duplicates == "mean"


# --------------------------------------------------------------- statistics


def test_adf_pvalue_agrees_with_statsmodels():
    from statsmodels.tsa.stattools import adfuller
    rng = np.random.default_rng(14)
    for y in (np.cumsum(rng.normal(size=300)), ar1(300, seed=14),
              np.cumsum(rng.normal(size=120)) + 0.3 * np.arange(120)):
        for reg in ("c", "ct"):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                expected = adfuller(y, regression=reg, autolag="AIC")[1]
            assert adf_pvalue(y, trend=reg == "ct") == pytest.approx(expected,
                                                                      rel=1e-6)


@pytest.mark.parametrize(("adf", "kpss", "adf_trend", "kpss_trend", "verdict"), [
    (0.01, 0.10, 0.01, 0.10, "stationary"),
    (0.01, 0.01, 0.01, 0.10, "trend-stationary"),  # KPSS rejects a constant mean
    (0.50, 0.10, 0.01, 0.10, "trend-stationary"),
    (0.50, 0.01, 0.60, 0.01, "difference"),
    (0.01, 0.01, 0.01, 0.01, "inconclusive"),  # both reject, both ways
    (0.50, 0.10, 0.60, 0.10, "inconclusive"),  # neither rejects: too few points
])
def test_stationarity_verdict_table(adf, kpss, adf_trend, kpss_trend, verdict):
    tests = {"adf_pvalue": adf, "kpss_pvalue": kpss, "adf_pvalue_trend": adf_trend,
             "kpss_pvalue_trend": kpss_trend}
    assert stationarity_verdict(tests) == verdict


def test_stationarity_of_a_short_series_is_inconclusive():
    st = stationarity(np.arange(10.0))
    assert st["verdict"] == "inconclusive" and st["adf_pvalue"] is None


@pytest.mark.parametrize("kwargs", [
    {}, {"hidden_size": 8, "num_layers": 2, "bidirectional": True},
    {"head": "mlp", "head_hidden": 16, "horizon": 3}, {"skip": 0},
    {"cell_activation": "relu", "skip": 5},
])
def test_count_parameters_matches_the_network(kwargs):
    from lstmcast.network.model import LSTMNet, skip_width
    model = ModelConfig(**kwargs)
    net = LSTMNet(3, model.hidden_size, model.num_layers,
                  bidirectional=model.bidirectional,
                  cell_activation=model.cell_activation, head=model.head,
                  head_hidden=model.head_hidden, output_size=model.horizon,
                  skip_window=skip_width(model.skip, 24))
    assert count_parameters(model, 3, 24) == sum(p.numel() for p in net.parameters())


# --------------------------------------------------------------- the result


def test_result_json_and_recommended_config_round_trip(tmp_path):
    d = diagnose(load_dataset("airline"))
    written = tmp_path / "recommended.json"
    written.write_text(d.recommended.to_json())
    assert ForecastConfig.from_json_file(str(written)) == d.recommended
    payload = json.loads(json.dumps(d.to_dict(), allow_nan=False))
    assert {"season_length", "stationarity", "random_walk", "findings",
            "recommended_config"} <= set(payload)
    assert payload["season_length"] == 12
    assert {"adf_pvalue", "kpss_pvalue", "verdict"} <= set(payload["stationarity"])
    for f in payload["findings"]:
        assert {"code", "severity", "title", "evidence", "recommendation",
                "settings"} <= set(f)
    config = ForecastConfig.from_dict(payload["recommended_config"])
    assert config == d.recommended
    assert config.data.target == "value"
    rec = d.recommended.preprocess
    assert (rec.transform, rec.difference) == ("log", 1)


def test_recommended_config_fits():
    from lstmcast.evaluation.holdout import fit_evaluate
    series = load_dataset("airline")
    config = diagnose(series).recommended.replace(epochs=2, hidden_size=4)
    result = fit_evaluate(series, config)
    assert result.metrics["lstm"]["n"] == 29


def test_table_repr_and_series_input():
    series = load_dataset("airline")
    d = diagnose(series)
    table = d.table()
    assert list(table.columns) == ["severity", "code", "title", "evidence",
                                   "recommendation", "settings"]
    assert table["severity"].iloc[0] in ("problem", "warning")
    assert len(table) == len(d.findings)
    text = repr(d)
    assert "Diagnosis of 'value'" in text and "recommended:" in text
    assert diagnose(series.frame.reset_index(), target="value").to_dict() == \
        d.to_dict()


def test_findings_frame_and_finding_checks():
    f = Finding("x", "info", "T", {"a": np.float64(1.5), "b": np.nan}, "R")
    assert f.to_dict()["evidence"] == {"a": 1.5, "b": None}
    assert findings_frame([f])["evidence"].iloc[0] == "a=1.5, b=None"
    with pytest.raises(ValueError, match="severity"):
        Finding("x", "fatal", "T", {}, "R")


# --------------------------------------------------------------- bundled data


EXPECTED = {  # name: (season_length, random_walk, some codes)
    "airline": (12, False, {"variance-grows-with-level", "stationarity"}),
    "co2_weekly": (52, False, {"missing-values", "test-outside-train-range"}),
    "sunspots_monthly": (None, False, {"no-season"}),
    "taylor_elec": (48, False, {"season"}),
    "msft_close": (None, True, {"random-walk"}),
    "uschange_cons": (None, False, {"too-little-data", "covariate-relevance"}),
    "syn_ar2": (None, False, {"no-season"}),
    "syn_seasonal24": (24, False, {"season"}),
    "syn_randomwalk": (None, True, {"random-walk"}),
    "syn_exog": (None, False, {"covariate-relevance"}),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bundled_datasets(name):
    season, random_walk, some = EXPECTED[name]
    d = diagnose(load_dataset(name))
    assert d.season_length == season
    assert d.random_walk is random_walk
    assert some <= codes(d)
    json.dumps(d.to_dict(), allow_nan=False)
