"""The intervals room: conformal bands hold their coverage, widen with the
horizon where errors grow, and the interval scores agree with the M4
definitions (and with tools/score_panel.py's formulas)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstmcast.core.errors import DataError
from lstmcast.intervals.conformal import Calibration
from lstmcast.intervals.levels import (
    bound_columns,
    check_levels,
    check_quantiles,
    interval_columns,
    quantile_column,
)
from lstmcast.intervals.scores import band_scores, coverage, crps, msis, pinball


def binomial_slack(p: float, n: int) -> float:
    """Four standard errors of a coverage estimate, in percent."""
    return 400 * np.sqrt(p * (1 - p) / n)


@pytest.mark.parametrize("noise", ["gaussian", "student3"])
@pytest.mark.parametrize("symmetric", [True, False])
def test_coverage_is_nominal_within_sampling_error(noise, symmetric):
    rng = np.random.default_rng(0)
    draw = (rng.standard_normal if noise == "gaussian"
            else lambda size: rng.standard_t(3, size=size))
    calibration = Calibration(draw((1000, 1)), symmetric=symmetric)
    new = draw(20_000)
    bands = calibration.bands(np.zeros(new.size), 1.0, (80, 95))
    for level in (80, 95):
        lo, hi = bound_columns(level)
        got = coverage(new, bands[lo], bands[hi])
        # calibration sampling error (n=1000) dominates the test's (n=20,000)
        slack = binomial_slack(level / 100, 1000)
        assert abs(got - level) < slack, (level, got)


def test_bands_widen_with_the_horizon_on_a_random_walk():
    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.standard_normal(3000))
    horizon = 12
    origins = np.arange(100, 2900, 7)
    # naive forecasts from each origin: errors are the walk's h-step increments
    errors = np.stack([walk[o + 1:o + 1 + horizon] - walk[o] for o in origins])
    bands = Calibration(errors, monotone=False).bands(np.zeros(horizon), 1.0, (80,))
    width = bands["hi-80"] - bands["lo-80"]
    assert np.all(np.diff(width) > 0)
    # and grow like sqrt(h): step 12 about sqrt(12) = 3.5 times step 1
    assert 2.8 < width[-1] / width[0] < 4.2


def test_the_scale_multiplies_each_series_band():
    calibration = Calibration(np.array([[-1.0, -2.0], [1.0, 2.0], [0.5, 1.0]]))
    point = np.array([[10.0, 10.0], [100.0, 100.0]])
    bands = calibration.bands(point, np.array([1.0, 10.0]), (50,))
    width = bands["hi-50"] - bands["lo-50"]
    np.testing.assert_allclose(width[1], 10 * width[0])


def test_a_small_calibration_set_gives_the_widest_error_and_says_so():
    calibration = Calibration(np.array([[-3.0], [1.0], [2.0]]))
    bands = calibration.bands(np.zeros(1), 1.0, (95,))
    assert bands["hi-95"][0] == 3.0 and bands["lo-95"][0] == -3.0
    notes = calibration.notes((95,))
    assert len(notes) == 1 and "3 out-of-sample errors" in notes[0]
    assert Calibration(np.zeros((40, 1))).notes((95,)) == []


def test_signed_bands_follow_a_biased_forecaster():
    rng = np.random.default_rng(2)
    errors = 5 + rng.standard_normal((2000, 1))  # forecasts 5 too low
    bands = Calibration(errors, symmetric=False).bands(np.zeros(1), 1.0, (80,))
    assert 3.5 < bands["lo-80"][0] < 4.0 and 6.0 < bands["hi-80"][0] < 6.5


def test_steps_beyond_the_calibrated_ones_take_the_last_width():
    calibration = Calibration(np.array([[-1.0, -2.0], [1.0, 2.0]] * 20))
    bands = calibration.bands(np.zeros(4), 1.0, (80,))
    np.testing.assert_allclose(bands["hi-80"], [1, 2, 2, 2])


def test_a_step_without_errors_takes_the_step_before():
    errors = np.array([[1.0, np.nan, 3.0]] * 30)
    offsets = Calibration(errors).offsets(0.9)
    np.testing.assert_allclose(offsets, [1, 1, 3])
    with pytest.raises(ValueError, match="no out-of-sample errors"):
        Calibration(np.full((3, 2), np.nan)).offsets(0.9)


def test_a_calibration_survives_json():
    errors = np.array([[0.5, np.nan], [-1.0, 2.0]])
    back = Calibration.from_dict(Calibration(errors, symmetric=False).to_dict())
    np.testing.assert_array_equal(np.isnan(back.errors), np.isnan(errors))
    np.testing.assert_allclose(np.nan_to_num(back.errors), np.nan_to_num(errors))
    assert back.symmetric is False


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60),
       st.floats(-1e6, 1e6), st.floats(0.01, 1e3), st.booleans())
def test_bands_nest_and_hold_the_point(errors, point, scale, symmetric):
    calibration = Calibration(np.array(errors)[:, None], symmetric=symmetric)
    bands = calibration.bands(np.array([point]), scale, (50, 80, 95))
    assert bands["lo-95"][0] <= bands["lo-80"][0] <= bands["lo-50"][0]
    assert bands["hi-50"][0] <= bands["hi-80"][0] <= bands["hi-95"][0]
    if symmetric:
        assert bands["lo-50"][0] <= point <= bands["hi-50"][0]


def test_levels_and_quantiles_are_checked_and_named():
    assert check_levels([95, 80, 80]) == (80.0, 95.0)
    assert interval_columns((80, 97.5)) == ["lo-80", "hi-80", "lo-97.5", "hi-97.5"]
    assert quantile_column(0.1) == "q-0.1"
    assert check_quantiles([0.9, 0.1]) == (0.1, 0.9)
    with pytest.raises(DataError, match="between 0 and 100"):
        check_levels([100])
    with pytest.raises(DataError, match="between 0 and 1"):
        check_quantiles([1.5])


def test_the_config_takes_levels_and_quantiles_and_refuses_bad_ones():
    from lstmcast.core.config import ForecastConfig
    config = ForecastConfig().replace(levels="50,90", quantiles="0.1,0.9")
    assert config.model.levels == (50.0, 90.0)
    assert config.model.quantiles == (0.1, 0.9)
    assert ForecastConfig().replace(levels="none").model.levels == ()
    with pytest.raises(DataError, match="'levels' setting must be < 100"):
        ForecastConfig().replace(levels="80,100")
    with pytest.raises(DataError, match="'quantiles' setting must be > 0"):
        ForecastConfig().replace(quantiles="0,0.5")


def test_scores_agree_with_the_m4_definitions():
    y = np.array([[1.0, 2.0, 3.0], [10.0, 20.0, np.nan]])
    lo = np.array([[0.0, 2.5, 2.0], [9.0, 21.0, 0.0]])
    hi = np.array([[2.0, 3.0, 4.0], [11.0, 22.0, 0.0]])
    assert coverage(y, lo, hi) == pytest.approx(60.0)  # 3 of the 5 known
    # interval score per point: width + 40 * miss; series means, then / scale
    first = np.mean([2, 0.5 + 40 * 0.5, 2])
    second = np.mean([2, 1 + 40 * 1])
    assert msis(y, lo, hi, np.array([1.0, 2.0])) == pytest.approx(
        (first + second / 2) / 2)
    # pinball: q * (y - f) above, (1 - q) * (f - y) below
    assert pinball([1.0, 3.0], [2.0, 2.0], 0.9) == pytest.approx(
        np.mean([0.1 * 1, 0.9 * 1]))


def test_crps_of_quantiles_is_scoringrules_and_near_the_normal_crps():
    import scoringrules
    from scipy.stats import norm

    qs = np.linspace(0.01, 0.99, 99)
    y = np.array([0.3, -1.2, 2.0])
    fc = np.tile(norm.ppf(qs), (3, 1))
    got = crps(y, fc, qs)
    exact = float(np.mean(scoringrules.crps_normal(y, 0.0, 1.0)))
    assert got == pytest.approx(exact, rel=0.03)


def test_band_scores_name_every_level():
    rng = np.random.default_rng(3)
    y = rng.standard_normal((50, 4))
    bands = Calibration(rng.standard_normal((500, 4))).bands(np.zeros((50, 4)),
                                                             np.ones(50), (80, 95))
    got = band_scores(y, bands, (80.0, 95.0), scale=np.ones(50),
                      point=np.zeros((50, 4)))
    assert set(got) == {"coverage_80", "width_80", "coverage_95", "width_95",
                        "pinball", "msis"}
    assert 70 < got["coverage_80"] < 90 and got["msis"] > got["width_95"]
