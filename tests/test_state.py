"""The FittedState round trip: what ``fit`` learns is what ``load`` gives back."""

import json
from dataclasses import fields
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from lstmcast.core.errors import NotFittedError
from lstmcast.forecaster.estimator import LSTMForecaster
from lstmcast.forecaster.serialize import fitted_facts
from lstmcast.forecaster.state import FittedState

ARCHIVE = Path(__file__).parent / "robustness" / "data" / "model_v1"
# provenance for the manifest only: ``load`` does not read it back
NOT_LOADED = {"data_hash", "repairs"}


def assert_same_state(a: FittedState, b: FittedState) -> None:
    """Field by field: facts by value, transforms by their saved state,
    networks by their weights, histories by their dicts."""
    for group in ("data", "shape", "features"):
        ga, gb = getattr(a, group), getattr(b, group)
        for f in fields(ga):
            if f.name not in NOT_LOADED:
                assert getattr(ga, f.name) == getattr(gb, f.name), f"{group}.{f.name}"
    ta, tb = a.transforms, b.transforms
    assert ta.pipeline.get_state() == tb.pipeline.get_state()
    assert [t.get_state() for t in ta.cov_impute] == [
        t.get_state() for t in tb.cov_impute]
    assert (ta.cov_scaler is None) == (tb.cov_scaler is None)
    if ta.cov_scaler is not None:
        assert ta.cov_scaler.get_state() == tb.cov_scaler.get_state()
    na, nb = a.networks, b.networks
    assert (na.n_train_windows, na.n_val_windows) == (nb.n_train_windows,
                                                      nb.n_val_windows)
    assert len(na.nets) == len(nb.nets)
    for net_a, net_b in zip(na.nets, nb.nets, strict=True):
        sa, sb = net_a.state_dict(), net_b.state_dict()
        assert sa.keys() == sb.keys()
        assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert [h.to_dict() for h in na.histories] == [h.to_dict() for h in nb.histories]
    assert a.context.start == b.context.start
    pd.testing.assert_frame_equal(a.context.series.frame, b.context.series.frame,
                                  check_freq=False)
    assert a.config == b.config


@pytest.fixture(params=[
    {"lags": (1,), "calendar": True},
    {"horizon": 2, "strategy": "direct", "rolling": (3,)},
], ids=["covariates", "direct"])
def fitted(request, series_frame, fast):
    est = LSTMForecaster(**{**fast, **request.param})
    covariates = ["x"] if "lags" in request.param else []
    return est.fit(series_frame, target="y", covariates=covariates)


def test_saved_then_loaded_state_is_equal_and_predicts_the_same(fitted, tmp_path,
                                                                series_frame):
    folder = fitted.save(tmp_path / "m")
    assert folder == tmp_path / "m" and isinstance(folder, Path)
    back = LSTMForecaster.load(folder)
    assert_same_state(fitted.state_, back.state_)
    assert fitted.state_.data.data_hash is not None  # written to the manifest
    assert back.get_params() == fitted.get_params()
    pd.testing.assert_frame_equal(fitted.predict(), back.predict())
    rows = np.arange(200, 240)
    np.testing.assert_array_equal(fitted.predict_one_step(series_frame, rows),
                                  back.predict_one_step(series_frame, rows))


def test_fitted_facts_keep_the_keys_of_format_1(fitted):
    """Every key a folder of format 1 has is still written (old releases read
    new folders, ignoring the keys added since), and only those added."""
    archived = json.loads((ARCHIVE / "model.json").read_text())["fitted"]
    added = {"timezone", "evaluated_range", "future", "leads", "cycle",
             "cycle_harmonics"}
    assert set(fitted_facts(fitted.state_)) == set(archived) | added


def test_the_archived_folder_loads_into_a_state():
    est = LSTMForecaster.load(ARCHIVE)
    state = est.state_
    assert (state.shape.window, state.shape.horizon, state.shape.strategy) == (
        8, 2, "mimo")
    assert state.features.covariates == ("x",) and state.data.target == "y"
    assert state.data.first_stamp == pd.Timestamp("2000-01-01")
    assert est.window_ == 8 and est.net_ is state.net


def test_fitted_attributes_are_read_only_views_of_the_state(fitted):
    state = fitted.state_
    assert fitted.history_ is state.history and fitted.nets_ is state.networks.nets
    assert fitted.feature_names_ == state.features.names
    with pytest.raises(AttributeError):
        fitted.window_ = 3
    fresh = LSTMForecaster()
    assert not hasattr(fresh, "window_")
    with pytest.raises(NotFittedError):
        fresh.save("unused")
