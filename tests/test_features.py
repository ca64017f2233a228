import numpy as np
import pandas as pd
import pytest

from lstmcast.preprocess.features import (
    build_features,
    calendar,
    feature_warmup,
    lagged,
    rolling,
)


def test_lag_and_rolling_are_causal():
    z = np.arange(10.0)
    assert np.isnan(lagged(z, 2)[:2]).all() and lagged(z, 2)[5] == 3
    r = rolling(z, 3, "mean")
    assert np.isnan(r[:2]).all() and r[4] == pytest.approx(3.0)
    changed = z.copy()
    changed[8:] = 1e6  # the future must not move earlier rows
    before = rolling(z, 3, "max")[:8]
    np.testing.assert_array_equal(rolling(changed, 3, "max")[:8], before)


def test_build_features_names_and_shape():
    z = np.linspace(0, 1, 30)
    cov = np.random.default_rng(0).normal(size=(30, 1))
    stamps = pd.date_range("2020-01-01", periods=30, freq="h")
    feats, names = build_features(z, cov, stamps, lags=(1, 24), rolling_windows=(3,),
                                  rolling_stats=("mean", "std"),
                                  covariate_names=("temp",), covariate_lags=(1,))
    assert feats.dtype == np.float32 and feats.flags.c_contiguous
    assert names[:5] == ["target", "target_lag1", "target_lag24",
                         "target_roll3_mean", "target_roll3_std"]
    assert "hour_sin" in names and names[-2:] == ["temp", "temp_lag1"]
    assert feats.shape == (30, len(names))
    assert feature_warmup((1, 24), (3,), (1,)) == 24


def test_calendar_depends_on_the_step():
    _monthly, names = calendar(pd.date_range("2000-01-01", periods=5, freq="MS"))
    assert names == ["yearday_sin", "yearday_cos"]
    empty, none = calendar(pd.RangeIndex(5))
    assert empty.shape == (5, 0) and none == []
