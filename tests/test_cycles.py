"""Cycles that are not calendar seasons: found where they are (non-integer
periods included), not found in noise, random walks or AR(1), reported by
diagnose, and turned into a `fit --auto` candidate; nonlinear dynamics get a
capacity variant."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmcast import ForecastConfig, diagnose, load
from lstmcast.data.cycles import detect_cycle, pacf_order
from lstmcast.preprocess.features import cycle_terms
from lstmcast.search.candidates import CAPACITY_GAIN, plan_candidates, variants


def quasi_cycle(n: int, period: float, seed: int, jitter: float = 0.8) -> np.ndarray:
    """A cycle whose length wanders around ``period`` (as animal populations
    do), with a sharper rise than fall, plus noise."""
    rng = np.random.default_rng(seed)
    phase = np.cumsum(2 * np.pi / np.clip(rng.normal(period, jitter, n), 3, None))
    shape = np.sin(phase) + 0.4 * np.sin(2 * phase - 1.0)
    return 10 + 2 * shape + 0.3 * rng.standard_normal(n)


@pytest.mark.parametrize("period", [9.6, 10.4, 17.3])
def test_a_non_integer_cycle_is_found_near_its_period(period):
    found = [detect_cycle(quasi_cycle(200, period, seed)) for seed in range(5)]
    assert all(c is not None for c in found)
    assert np.median([c.period for c in found]) == pytest.approx(period, abs=0.6)


def test_noise_random_walks_and_ar1_are_not_cycles():
    rng = np.random.default_rng(0)
    hits = 0
    for i in range(90):
        n = (60, 150, 500)[i % 3]
        e = rng.standard_normal(n)
        kind = i % 3
        if kind == 0:
            y = e
        elif kind == 1:
            y = np.cumsum(e)
        else:
            y = np.zeros(n)
            for t in range(1, n):
                y[t] = 0.9 * y[t - 1] + e[t]
        hits += detect_cycle(y) is not None
    assert hits <= 4  # 1% test, three checks: about 1.5% measured on 400 series


def test_too_short_or_flat_series_have_no_cycle():
    assert detect_cycle(np.sin(np.arange(12))) is None
    assert detect_cycle(np.ones(200)) is None


def test_pacf_order_is_the_ar_cut_off():
    rng = np.random.default_rng(1)
    e = rng.standard_normal(2000)
    ar2 = np.zeros(2000)
    for t in range(2, 2000):
        ar2[t] = 1.3 * ar2[t - 1] - 0.6 * ar2[t - 2] + e[t]
    assert pacf_order(ar2, 24) == 2
    assert pacf_order(e, 24) == 1


def _frame(y: np.ndarray) -> pd.DataFrame:
    """Annual data: the calendar has no season for it."""
    return pd.DataFrame({"year": pd.date_range("1800", periods=y.size, freq="YS"),
                         "y": y})


def test_diagnose_reports_a_cycle_but_not_a_season_it_already_found():
    cycle = diagnose(_frame(quasi_cycle(150, 9.6, 3)), target="y")
    finding = next(f for f in cycle.findings if f.code == "cycle")
    assert 9 < finding.evidence["period"] < 10.5
    assert abs(finding.settings["window"] - 2 * finding.evidence["period"]) <= 1
    assert finding.settings["cycle"] == round(finding.evidence["period"], 2)
    t = np.arange(240)
    noise = np.random.default_rng(4).standard_normal(240)
    seasonal = 5 + np.sin(2 * np.pi * t / 12) + 0.1 * noise
    season = diagnose(pd.DataFrame({"y": seasonal}), target="y", season=12)
    assert not any(f.code == "cycle" for f in season.findings)


def test_auto_plans_a_cycle_candidate_from_the_fitted_rows_only():
    y = quasi_cycle(150, 9.6, 3)
    series = load(_frame(y), target="y")
    config = ForecastConfig().replace(target="y", season=1)
    plan = {c.name: c for c in plan_candidates(series, config, 1, 90)}
    cycle = plan["cycle"]
    period = detect_cycle(y[:90]).period
    assert cycle.settings["window"] == math.ceil(2 * period)
    assert cycle.settings["skip"] >= 2
    assert cycle.settings["cycle"] == round(period, 2)  # its terms as inputs
    assert cycle.settings["cycle_harmonics"] == 2
    # the rows after the fitted ones (validation, test) never decide: a flat
    # tail changes nothing
    flat_tail = load(_frame(np.concatenate([y[:90], np.full(60, y[89])])), target="y")
    again = {c.name: c for c in plan_candidates(flat_tail, config, 1, 90)}
    assert again["cycle"].settings == cycle.settings
    # no cycle candidate on a random walk
    walk = load(_frame(np.cumsum(np.random.default_rng(5).standard_normal(150))),
                target="y")
    assert "cycle" not in {c.name for c in plan_candidates(walk, config, 1, 90)}


def test_the_capacity_variant_comes_first_and_must_pay():
    from lstmcast.search.candidates import Candidate
    tried = variants(Candidate("levels", "", {}))
    assert tried[0].kind == "capacity" and tried[0].settings == {"head": "mlp"}
    assert 0 < CAPACITY_GAIN < 0.5


def test_a_wider_network_only_where_the_curve_underfits_and_data_has_room():
    from lstmcast.search.candidates import Candidate, wider_units
    from lstmcast.search.validation import SEARCH_EPOCHS, underfits
    wider = variants(Candidate("levels", "", {"hidden_size": 8}), 32)[1]
    assert wider.kind == "width"
    assert wider.settings == {"num_layers": 2, "hidden_size": 32}
    # the curve: still improving at the search's last epoch, or the training
    # loss about as high as the validation loss at the best epoch
    still = Candidate("a", "", {}, epochs=SEARCH_EPOCHS, best_epoch=SEARCH_EPOCHS,
                      train_to_val=0.4)
    level = Candidate("b", "", {}, epochs=30, best_epoch=12, train_to_val=0.97)
    fits = Candidate("c", "", {}, epochs=30, best_epoch=12, train_to_val=0.5)
    assert underfits(still) and underfits(level) and not underfits(fits)
    # room: at most 10 parameters a training window, in two layers
    config = ForecastConfig().replace(season=1)
    units = [wider_units(config, {}, n, 0) for n in (100, 1200, 5000)]
    assert units[0] == 4 and units[0] < units[1] < units[2] <= 64


@settings(max_examples=60, deadline=None)
@given(period=st.floats(1.5, 500.0), harmonics=st.integers(1, 4),
       start=st.integers(0, 10**6), cycles=st.integers(1, 50))
def test_cycle_terms_repeat_after_a_period_and_lie_on_the_unit_circle(
        period, harmonics, start, cycles):
    positions = np.array([start, start + 1, start + cycles * period])
    terms, names = cycle_terms(positions, period, harmonics)
    assert terms.shape == (3, 2 * harmonics) and len(names) == 2 * harmonics
    assert names[:2] == ["cycle1_sin", "cycle1_cos"]
    np.testing.assert_allclose(terms[:, 0::2] ** 2 + terms[:, 1::2] ** 2, 1.0,
                               atol=1e-9)
    np.testing.assert_allclose(terms[2], terms[0], atol=1e-6 * (1 + start / period))


def _cycle_model(**extra):
    from lstmcast import LSTMForecaster
    frame = _frame(quasi_cycle(160, 9.6, 1))
    est = LSTMForecaster(hidden_size=8, epochs=3, window=20, batch_size=32, seed=0,
                         threads=1, cycle=9.6, **extra).fit(frame, target="y")
    return est, load(frame, target="y")


def test_a_cycle_model_reads_its_terms_at_the_step_forecast():
    """The cycle's terms are inputs at the forecast time, at the same position
    whether the features are built over the whole series (one-step forecasts)
    or step by step along a recursive path: a path's first step is the
    one-step forecast of the same row."""
    from lstmcast.forecaster.predict import multi_step, one_step
    est, series = _cycle_model()
    assert est.feature_names_[-4:] == ["cycle1_sin", "cycle1_cos", "cycle2_sin",
                                       "cycle2_cos"]
    rows = np.arange(60, 150, 7)
    first = multi_step(est.state_, series, rows - 1, 3)[:, 0]
    np.testing.assert_allclose(first, one_step(est.state_, series, rows), rtol=1e-5)
    future = est.predict(12)  # beyond the data: the terms are known there too
    assert np.isfinite(future["forecast"]).all() and len(future) == 12


def test_a_cycle_model_round_trips(tmp_path):
    from lstmcast import LSTMForecaster
    est, _ = _cycle_model()
    est.save(str(tmp_path / "m"))
    # a reader that knows no cycle terms is told to upgrade, not misled
    meta = json.loads((tmp_path / "m" / "model.json").read_text())
    assert meta["format_version"] == 2
    back = LSTMForecaster.load(str(tmp_path / "m"))
    assert back.state_.features.cycle == 9.6
    assert back.state_.features.cycle_harmonics == 2
    pd.testing.assert_frame_equal(est.predict(5), back.predict(5))
