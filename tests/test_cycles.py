"""Cycles that are not calendar seasons: found where they are (non-integer
periods included), not found in noise, random walks or AR(1), reported by
diagnose, and turned into a `fit --auto` candidate; nonlinear dynamics get a
capacity variant."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from lstmcast import ForecastConfig, diagnose, load
from lstmcast.data.cycles import detect_cycle, pacf_order
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
    assert cycle.settings["window"] == math.ceil(2 * detect_cycle(y[:90]).period)
    assert cycle.settings["skip"] >= 2
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
