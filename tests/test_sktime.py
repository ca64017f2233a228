"""The sktime adapter passes sktime's own conformance suite, and reads X as
inputs known for the steps forecast."""

import warnings

import numpy as np
import pandas as pd
import pytest
import torch
from sktime.utils.estimator_checks import check_estimator

from lstmcast.core.errors import DataWarning
from lstmcast.sktime import LSTMCastForecaster

pytestmark = pytest.mark.filterwarnings(  # sktime 1.2's notice on construction
    "ignore:The default of config ``remember_data``:FutureWarning")
TINY = {"window": 4, "hidden_size": 4, "epochs": 2, "settings": {"threads": 1}}


@pytest.fixture(autouse=True)
def _keep_torch_threads():
    """The tiny test settings run torch on one thread (much faster for tiny
    networks); the rest of the suite keeps its own."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_check_estimator_passes():
    # sktime's suite re-enables FutureWarnings as it goes, and sktime 1.2 warns
    # on every forecaster it builds that a config default changes in 1.3: its
    # notices are recorded here; lstmcast's own warnings must not be among them
    with warnings.catch_warnings(record=True) as caught:
        results = check_estimator(LSTMCastForecaster, raise_exceptions=False)
    failed = {name: str(error)[:200] for name, error in results.items()
              if error != "PASSED"}
    assert len(results) > 100 and not failed, failed
    ours = {str(w.message)[:120] for w in caught
            if issubclass(w.category, DataWarning | RuntimeWarning)}
    assert not ours, ours


def _sales(n: int = 80) -> tuple[pd.Series, pd.DataFrame]:
    index = pd.period_range("2020-01", periods=n, freq="M")
    rng = np.random.default_rng(0)
    promo = pd.DataFrame({"promo": (rng.random(n) < 0.3).astype(float)}, index=index)
    y = pd.Series(10 + 3 * promo["promo"].to_numpy() + rng.normal(0, 0.2, n),
                  index=index, name="sales")
    return y, promo


def test_x_is_read_at_the_steps_forecast():
    y, promo = _sales()
    forecaster = LSTMCastForecaster(**TINY).fit(y.iloc[:70], X=promo.iloc[:70])
    future = promo.iloc[70:73].copy()
    base = forecaster.predict(fh=[1, 2, 3], X=future.assign(promo=0.0))
    moved = forecaster.predict(fh=[1, 2, 3], X=future.assign(promo=[0.0, 1.0, 0.0]))
    assert list(base.index) == list(promo.index[70:73])
    assert base.iloc[0] == moved.iloc[0] and base.iloc[1] != moved.iloc[1]


def test_x_must_reach_the_furthest_step():
    y, promo = _sales()
    forecaster = LSTMCastForecaster(**TINY).fit(y.iloc[:70], X=promo.iloc[:70])
    with pytest.raises(Exception, match="needs 3 rows of X after the cutoff"):
        forecaster.predict(fh=[1, 2, 3], X=promo.iloc[70:72])
