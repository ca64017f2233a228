"""Tests of the target transforms of lstmcast.preprocess (impute, outliers, power,
difference, decompose, scale) and their pipeline: exact inverses, no leakage,
state, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lstmcast.core.config import PreprocessConfig
from lstmcast.core.errors import DataError, NotFittedError
from lstmcast.preprocess.base import Transform
from lstmcast.preprocess.decompose import Decompose
from lstmcast.preprocess.difference import Difference
from lstmcast.preprocess.impute import Impute
from lstmcast.preprocess.outliers import Outliers, detect_outliers
from lstmcast.preprocess.pipeline import Pipeline, build_pipeline, transform_from_state
from lstmcast.preprocess.power import BoxCox, Log
from lstmcast.preprocess.scale import Scaler

PROPERTY = settings(max_examples=40, deadline=None, derandomize=True)
TRAIN_FRACTION = 0.7


def seasonal_series(n: int, period: int = 12, seed: int = 0) -> np.ndarray:
    """Level + trend + season + noise, all positive."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (50 + 0.2 * t + 5 * np.sin(2 * np.pi * t / period)
            + rng.normal(0, 0.5, n))


def all_steps(period: int = 12) -> list[Transform]:
    """One of every step kind, in a valid order for a positive series."""
    return [Impute("knn"), Outliers("clip", "hampel", 3.0), BoxCox(), Log(),
            Difference(1), Difference(period), Decompose("classical", period),
            Scaler("robust")]


# ------------------------------------------------------------------ strategies


@st.composite
def configs(draw: st.DrawFn) -> tuple[PreprocessConfig, int]:
    """Any valid PreprocessConfig and season."""
    season = draw(st.integers(2, 12))
    cfg = PreprocessConfig(
        impute=draw(st.sampled_from(["linear", "time", "ffill", "knn", "none"])),
        outliers=draw(st.sampled_from(["none", "clip", "replace"])),
        outlier_method=draw(st.sampled_from(["mad", "hampel"])),
        outlier_threshold=draw(st.floats(1.0, 6.0)),
        transform=draw(st.sampled_from(["none", "log", "boxcox"])),
        difference=draw(st.integers(0, 2)),
        seasonal_difference=draw(st.sampled_from([0, season])),
        decompose=draw(st.sampled_from(["none", "stl", "classical"])),
        scaler=draw(st.sampled_from(["standard", "minmax", "robust", "none"])))
    return cfg, season


@st.composite
def cases(draw: st.DrawFn) -> tuple[Pipeline, np.ndarray, int]:
    """A pipeline and a series long enough for it; the pipeline is not fitted."""
    cfg, season = draw(configs())
    lost = cfg.difference + cfg.seasonal_difference
    need = 2 * season + lost if cfg.decompose != "none" else lost + 8
    n = draw(st.integers(max(30, math.ceil(need / TRAIN_FRACTION) + 1), 200))
    if draw(st.booleans()):
        x = draw(arrays(np.float64, n, elements=st.floats(
            -1e3, 1e3, allow_nan=False, allow_subnormal=False)))
    else:
        x = seasonal_series(n, season, draw(st.integers(0, 2**16)))
        x *= draw(st.sampled_from([-1.0, 0.01, 1.0, 100.0]))
    n_fit = int(TRAIN_FRACTION * n)
    if cfg.impute != "none":
        gaps = draw(st.lists(st.integers(0, n - 1), max_size=4))
        x[gaps] = np.nan
    if cfg.transform != "none":  # keep x + c > 0 after the training part
        if cfg.outliers == "none" and draw(st.booleans()):
            x[n_fit:] = np.maximum(x[n_fit:], np.nanmin(x[:n_fit]))  # c may be > 0
        else:
            x = x - np.nanmin(x) + draw(st.sampled_from([0.5, 10.0]))
    return build_pipeline(cfg, season), x, n_fit


def lossless_stage(pipe: Pipeline, stages: list[np.ndarray]) -> np.ndarray:
    """Impute and Outliers are lossy (inverse = identity); the rest is exact."""
    lossy = sum(isinstance(s, Impute | Outliers) for s in pipe.steps)
    return stages[lossy]


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    scale = max(1.0, float(np.nanmax(np.abs(want)))) if want.size else 1.0
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale)


# ------------------------------------------------------------ exact inverses


@PROPERTY
@given(cases())
def test_inverse_one_step_recovers_every_defined_position(case):
    pipe, x, n_fit = case
    times = np.cumsum(np.linspace(1.0, 3.0, x.size))  # irregular
    pipe.fit(x[:n_fit], times=times[:n_fit])
    stages = pipe.transform_stages(x, times=times)
    pos = np.flatnonzero(np.isfinite(stages[-1]))
    assert pos.size > 0
    got = pipe.inverse_one_step(stages[-1][pos], pos, x, times=times)
    assert_close(got, lossless_stage(pipe, stages)[pos])


@PROPERTY
@given(cases(), st.integers(1, 24), st.floats(0.0, 1.0))
def test_inverse_path_recovers_the_future(case, horizon, where):
    pipe, x, n_fit = case
    pipe.fit(x[:n_fit])
    stages = pipe.transform_stages(x)
    first = int(np.argmax(np.isfinite(stages[-1])))
    origin = first + int(where * (x.size - horizon - first))  # T, may pass n_fit
    origin = max(min(origin, x.size - horizon), first)
    z_path = stages[-1][origin: origin + horizon]
    got = pipe.inverse_path(z_path, x[:origin])
    assert_close(got, lossless_stage(pipe, stages)[origin: origin + horizon])


@PROPERTY
@given(cases(), st.integers(1, 12), st.data())
def test_inverse_paths_of_many_origins_equal_one_path_at_a_time(case, horizon,
                                                                data):
    """The batched inversion (the series transformed once) gives every origin
    the path ``inverse_path`` gives it from its own history: each step is
    causal, and no step writes into the stages the origins share."""
    pipe, x, n_fit = case
    times = np.cumsum(np.linspace(1.0, 3.0, x.size))
    pipe.fit(x[:n_fit], times=times[:n_fit])
    first = int(np.argmax(np.isfinite(pipe.transform(x, times=times))))
    origins = np.array(data.draw(st.lists(
        st.integers(first, x.size - 1), min_size=1, max_size=6)))
    rng = np.random.default_rng(len(origins))
    z_paths = rng.normal(size=(len(origins), horizon))
    got = pipe.inverse_paths(z_paths, x, origins, times=times)
    want = np.stack([pipe.inverse_path(z, x[: t + 1], times=times[: t + 1])
                     for z, t in zip(z_paths, origins, strict=True)])
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_difference_path_uses_its_own_values_beyond_history():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    diff = Difference(2).fit(x)
    got = diff.inverse_path(np.array([10.0, 20.0, 30.0]), x)
    np.testing.assert_array_equal(got, [14.0, 27.0, 44.0])  # 4+10, 7+20, 14+30
    one = diff.inverse_one_step(np.array([5.0, 5.0]), np.array([1, 3]), x)
    np.testing.assert_array_equal(one, [np.nan, 7.0])  # no history before 0


def test_decompose_carries_trend_and_season_beyond_the_fit_range():
    n, period = 120, 12
    t = np.arange(n)
    season = np.tile(np.array([3.0, -1, 0, 2, -4, 1, 0, 0, -2, 1, 0, 0]), n // 12)
    x = 10 + 0.5 * t + season
    dec = Decompose("stl", period).fit(x[:96])
    resid = dec.transform(x)
    assert np.max(np.abs(resid[96:])) < 0.2  # extrapolated components fit
    np.testing.assert_allclose(dec.transform(x[100:], start=100), resid[100:])
    assert dec.slope_ == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("kind", ["standard", "minmax", "robust", "none"])
def test_scaler_kinds_invert_exactly(kind):
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 40.0, size=(50, 3))
    scaler = Scaler(kind).fit(x[:30])
    np.testing.assert_allclose(scaler.inverse_transform(scaler.transform(x)), x,
                               rtol=1e-12, atol=1e-12)
    assert scaler.center_.shape == (3,)
    with pytest.raises(ValueError, match=r"fitted on 3 column\(s\); got .* \(50,\)"):
        scaler.transform(x[:, 0])
    one = Scaler(kind).fit(x[:30, 0])
    np.testing.assert_allclose(one.inverse_transform(one.transform(x[:, 0])),
                               x[:, 0], rtol=1e-12, atol=1e-12)


# -------------------------------------------------------------------- leakage


def build_pipeline_like(pipe: Pipeline) -> Pipeline:
    """An unfitted copy of ``pipe`` (same parameters)."""
    return Pipeline([type(s)(**s._params()) for s in pipe.steps])


@PROPERTY
@given(cases(), st.sampled_from(["scale", "nan", "spike"]))
def test_fit_and_train_prefix_never_see_the_test_part(case, change):
    pipe, x, n_fit = case
    state = json.dumps(pipe.fit(x[:n_fit]).get_state(), allow_nan=False)
    prefix = pipe.transform(x[:n_fit])
    other = x.copy()
    if change == "scale":
        other[n_fit:] = np.abs(other[n_fit:]) * 1000 + np.nanmax(np.abs(x)) + 1
    elif change == "nan":
        other[n_fit::3] = np.nan
    else:
        other[n_fit] = np.nanmax(np.abs(x)) * 1e3 + 1
    z = pipe.transform(other)
    np.testing.assert_array_equal(z[:n_fit], prefix)
    assert json.dumps(pipe.get_state()) == state  # transforming changes nothing
    refit = build_pipeline_like(pipe).fit(other[:n_fit])
    assert json.dumps(refit.get_state()) == state


@pytest.mark.parametrize("method", ["linear", "time", "ffill", "knn"])
def test_impute_fills_test_gaps_from_the_past_only(method):
    x = seasonal_series(80)
    x[60] = np.nan  # test position (n_fit = 50)
    imp = Impute(method).fit(x[:50])
    filled = imp.transform(x)[60]
    later = x.copy()
    later[61:] = later[61:] * 1000 + 5
    assert imp.transform(later)[60] == filled
    if method != "knn":
        assert filled == x[59]  # causal forward fill


@pytest.mark.parametrize("method", ["linear", "time", "ffill", "knn"])
def test_impute_gives_every_prefix_the_fills_of_the_whole(method):
    x = seasonal_series(70)
    x[[0, 1, 20, 21, 22, 48, 49, 55, 60, 61]] = np.nan  # n_fit = 50
    imp = Impute(method).fit(x[:50], times=np.arange(50.0) ** 1.5)
    full = imp.transform(x)
    assert np.isfinite(full).all()
    for end in range(1, 71):
        np.testing.assert_array_equal(imp.transform(x[:end]), full[:end])


def test_impute_interpolates_inside_train_from_both_sides():
    x = np.array([np.nan, 1.0, np.nan, 3.0, np.nan, np.nan, 9.0, 10.0, np.nan, 1.0])
    times = np.array([0.0, 1, 2, 3, 4, 5, 9, 10, 11, 12])
    np.testing.assert_array_equal(
        Impute("linear").fit(x[:8]).transform(x),
        [1, 1, 2, 3, 5, 7, 9, 10, 10, 1])  # leading gap back-filled, test ffilled
    pipe = Pipeline([Impute("time")]).fit(x[:8], times=times[:8])
    np.testing.assert_array_equal(pipe.transform(x, times=times)[4:6], [4.0, 5.0])
    np.testing.assert_array_equal(Impute("ffill").fit(x).transform(x)[4:6], 3.0)


def test_impute_test_only_slice_starts_from_the_last_training_value():
    x = np.array([1.0, 2.0, np.nan, 4.0, np.nan, 6.0])
    imp = Impute("linear").fit(x[:4])
    np.testing.assert_array_equal(imp.transform(x[4:], start=4), [4.0, 6.0])


def test_hampel_is_causal():
    rng = np.random.default_rng(2)
    x = rng.normal(size=120)
    out = Outliers("replace", "hampel", 3.0).fit(x[:80])
    full = out.transform(x)
    for t in (20, 79, 100):
        changed = x.copy()
        changed[t + 1:] = 1e6
        np.testing.assert_array_equal(out.transform(changed)[: t + 1],
                                      full[: t + 1])


# ------------------------------------------------------------------- outliers


@pytest.mark.parametrize("method", ["mad", "hampel"])
def test_injected_spikes_are_detected_where_they_are(method):
    rng = np.random.default_rng(3)
    x = np.sin(np.arange(200) / 20) + rng.normal(0, 0.1, 200)
    spikes = np.array([30, 77, 150, 151])
    x[spikes] += np.array([8.0, -9.0, 10.0, 10.0])
    found = np.flatnonzero(detect_outliers(x, method, threshold=5.0))
    np.testing.assert_array_equal(found, spikes)


def test_outliers_clip_to_the_bound_and_replace_by_the_median():
    x = np.array([1.0, 2, 3, 4, 5, 6, 7, 8, 9, 100])
    clip = Outliers("clip", "mad", 3.0).fit(x)
    bound = clip.center_ + 3.0 * clip.scale_
    assert clip.center_ == 5.5
    assert clip.scale_ == pytest.approx(1.4826 * 2.5)
    np.testing.assert_array_equal(clip.transform(x), [*x[:9], bound])
    replaced = Outliers("replace", "mad", 3.0).fit(x).transform(x)
    np.testing.assert_array_equal(replaced, [*x[:9], 5.5])


def test_outliers_leave_nan_alone():
    x = np.array([1.0, np.nan, 2.0, 1.5, 50.0])
    out = Outliers("clip", "hampel").fit(x).transform(x)
    assert np.isnan(out[1])


# ------------------------------------------------------------------- scalers


def test_scaler_constant_column_is_safe():
    x = np.column_stack([np.full(20, 0.1), np.arange(20.0)])
    for kind in ("standard", "minmax", "robust"):
        scaler = Scaler(kind).fit(x)
        assert scaler.scale_[0] == 1.0
        assert np.isfinite(scaler.transform(x)).all()


def test_scaler_2d_is_per_column_and_nan_aware():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(40, 2)) * [1.0, 100.0] + [0.0, 50.0]
    x[5, 1] = np.nan
    both = Scaler("standard").fit(x)
    for j in range(2):
        one = Scaler("standard").fit(x[:, j])
        np.testing.assert_array_equal(both.transform(x)[:, j], one.transform(x[:, j]))
    assert both.center_[1] == pytest.approx(np.nanmean(x[:, 1]))
    minmax = Scaler("minmax").fit(x).transform(x)
    assert np.nanmin(minmax) == 0.0
    assert np.nanmax(minmax) == 1.0


# ---------------------------------------------------------------- state & repr


@pytest.mark.parametrize("step", all_steps(), ids=repr)
def test_state_round_trip_transforms_identically(step):
    x = seasonal_series(100)
    x[[10, 70]] = np.nan
    head = Impute("linear").fit(x[:70])
    y = x if isinstance(step, Impute) else head.transform(x)
    step.fit(y[:70])
    state = json.loads(json.dumps(step.get_state(), allow_nan=False))
    rebuilt = transform_from_state(state)
    np.testing.assert_array_equal(rebuilt.transform(y), step.transform(y))
    assert rebuilt.get_state() == state
    assert repr(rebuilt) == repr(step)


def test_pipeline_state_round_trip():
    x = seasonal_series(150)
    pipe = build_pipeline(PreprocessConfig(
        impute="knn", outliers="clip", transform="boxcox", difference=1,
        decompose="stl"), 12).fit(x[:100])
    text = json.dumps(pipe.get_state(), allow_nan=False)
    rebuilt = Pipeline.from_state(json.loads(text))
    np.testing.assert_array_equal(rebuilt.transform(x), pipe.transform(x))
    pos = np.arange(120, 150)
    np.testing.assert_array_equal(
        rebuilt.inverse_one_step(pipe.transform(x)[pos], pos, x),
        pipe.inverse_one_step(pipe.transform(x)[pos], pos, x))
    assert repr(rebuilt) == repr(pipe)


def test_build_pipeline_order_and_omissions():
    full = build_pipeline(PreprocessConfig(
        impute="ffill", outliers="replace", outlier_method="hampel", transform="log",
        difference=2, seasonal_difference=7, decompose="classical",
        scaler="none"), 7)
    assert repr(full) == (
        "Pipeline([Impute(method='ffill', k=5), Outliers(action='replace', "
        "method='hampel', threshold=5.0, window=15), Log(), Difference(lag=1), "
        "Difference(lag=1), Difference(lag=7), Decompose(method='classical', "
        "period=7), Scaler(kind='none')])")
    bare = build_pipeline(PreprocessConfig(impute="none"), 1)
    assert [type(s) for s in bare.steps] == [Scaler]


# --------------------------------------------------------------------- errors


def test_log_of_a_too_low_test_value_names_it():
    x = np.linspace(1.0, 10.0, 130)
    x[120] = -5.0
    log = Log().fit(x[:100])
    with pytest.raises(DataError, match=r"smallest value is -5 at position 120.*"
                                        r"transform='none'"):
        log.transform(x)
    with pytest.raises(DataError, match=r"position 120"):
        BoxCox().fit(x[:100]).transform(x)


def test_log_shift_makes_a_negative_training_part_positive():
    x = np.array([-3.0, 0.0, 2.0, 5.0])
    log = Log().fit(x)
    assert log.shift_ == 4.0
    np.testing.assert_allclose(log.transform(x), np.log(x + 4.0))
    with pytest.raises(DataError, match=r"x \+ 4 > 0.*-4 at position 7"):
        log.transform(np.array([1.0, -4.0]), start=6)


def test_difference_refuses_a_series_not_longer_than_the_lag():
    with pytest.raises(DataError, match=r"lag 12 needs more than 12 training "
                                        r"points; got 12"):
        Difference(12).fit(np.ones(12))


def test_decompose_refuses_short_gappy_or_seasonless_series():
    x = seasonal_series(40)
    x[:3] = np.nan  # as left by differencing
    with pytest.raises(DataError, match=r"2 full periods \(24 points\).*got 23 "
                                        r"\(training part 26 points, 3 leading.*"
                                        r"decompose='none'"):
        Decompose("stl", 12).fit(x[:26])
    x[30] = np.nan
    with pytest.raises(DataError, match="without gaps"):
        Decompose("classical", 12).fit(x)
    with pytest.raises(DataError, match=r"'period' parameter must be an int >= 2"):
        Decompose("stl", 1).fit(seasonal_series(40))
    with pytest.raises(DataError, match="needs a season >= 2; got 1"):
        build_pipeline(PreprocessConfig(decompose="stl"), 1)


@pytest.mark.parametrize("step", [Impute(), Impute("knn"), Outliers(), Log(),
                                  BoxCox(), Scaler(), Decompose()], ids=repr)
def test_all_nan_training_part_is_a_data_error(step):
    with pytest.raises(DataError, match="no finite values"):
        step.fit(np.full(40, np.nan))


@pytest.mark.parametrize("step", all_steps(), ids=repr)
def test_use_before_fit_raises_not_fitted(step):
    with pytest.raises(NotFittedError, match=r"not fitted yet\. Call 'fit' first"):
        step.transform(np.ones(30))
    with pytest.raises(NotFittedError):
        step.inverse_path(np.ones(2), np.ones(30))
    with pytest.raises(NotFittedError):
        step.get_state()


def test_bad_parameters_and_state_are_data_errors():
    with pytest.raises(DataError, match=r"'method' parameter must be one of "
                                        r"linear, time, ffill, knn, none. Got 'x'"):
        Impute("x").fit(np.ones(5))
    with pytest.raises(DataError, match="'kind' parameter"):
        Scaler("zscore").fit(np.ones(5))
    with pytest.raises(DataError, match="Unknown transform kind 'fourier'"):
        transform_from_state({"kind": "fourier", "params": {}, "fitted": {}})
    with pytest.raises(DataError, match="strictly increasing times"):
        Impute("time").fit(np.ones(3), times=np.array([0.0, 2.0, 1.0]))
    with pytest.raises(DataError, match="column 1 has no finite values"):
        Scaler().fit(np.column_stack([np.ones(4), np.full(4, np.nan)]))
