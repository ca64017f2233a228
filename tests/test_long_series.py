"""Long series by default: one-step forecasts of a sequence model in chunks read
once (equal to the window forward with chunks of one origin, to reading each
chunk alone, and causal), ``batching="auto"``, the validation subsample of
window models, and the doctor's bootstrap in bounded memory."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from conftest import FAST, ar_series
from lstmcast.core.config import ForecastConfig
from lstmcast.data.loading import load
from lstmcast.evaluation import doctor
from lstmcast.evaluation.holdout import fit_evaluate
from lstmcast.forecaster import fit as fit_module
from lstmcast.forecaster.predict import forward
from lstmcast.network import sequences
from lstmcast.network.ensemble import MeanOf
from lstmcast.network.model import LSTMNet
from lstmcast.network.sequences import choose_batching, forward_origins, read_starts
from lstmcast.network.windows import valid_origins


def features(n: int = 300, holes: tuple[int, ...] = (90, 91, 200)) -> torch.Tensor:
    """(n, 2) float32 features with non-finite rows at ``holes``."""
    rng = np.random.default_rng(0)
    x = np.column_stack([np.sin(np.arange(n) / 4.0), rng.normal(size=n)])
    x = x.astype(np.float32)
    x[list(holes), 0] = np.nan
    return torch.from_numpy(x)


def nets():
    torch.manual_seed(0)
    yield LSTMNet(2, 6, skip_window=5)
    yield LSTMNet(2, 6, num_layers=2, head="mlp", head_hidden=4, output_size=2)
    yield MeanOf([LSTMNet(2, 5, skip_window=3), LSTMNet(2, 5)])


def usable(feats: torch.Tensor, window: int) -> np.ndarray:
    ones = np.ones((len(feats), 1))
    return valid_origins(feats.numpy(), ones, window, 0, len(feats))


def per_window(net: torch.nn.Module, feats: torch.Tensor, origins: np.ndarray,
               window: int) -> torch.Tensor:
    """The old evaluation: one forward per origin over its window of L rows."""
    with torch.no_grad():
        return torch.cat([net(feats[t - window + 1:t + 1][None]) for t in origins])


@pytest.mark.parametrize("net", list(nets()))
def test_chunks_of_one_origin_are_the_window_forward(net):
    feats, window = features(), 8
    net.eval()
    origins = usable(feats, window)
    got = forward_origins(net, feats, origins, window, 1)
    torch.testing.assert_close(got, per_window(net, feats, origins, window),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("net", list(nets()))
def test_a_chunk_is_the_sequence_from_its_start_whatever_else_is_asked(net):
    feats, window, chunk = features(), 8, 16
    net.eval()
    origins = usable(feats, window)
    starts = read_starts(feats.numpy(), origins, window, chunk, anchor=5)
    together = forward_origins(net, feats, origins, window, chunk, anchor=5)
    one_by_one = torch.cat([forward_origins(net, feats, origins[i:i + 1], window,
                                            chunk, anchor=5)
                            for i in range(0, len(origins), 7)])
    small_batches = forward_origins(net, feats, origins, window, chunk, anchor=5,
                                    budget=1)
    torch.testing.assert_close(together[::7], one_by_one, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(together, small_batches, rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        for i in range(0, len(origins), 11):
            s, t = int(starts[i]), int(origins[i])
            expected = net.forward_steps(feats[s:t + 1][None])[0, -1]
            torch.testing.assert_close(together[i], expected, rtol=1e-5, atol=1e-6)


def test_read_starts_follow_the_grid_and_skip_gaps():
    feats, window, chunk = features(), 8, 16
    origins = usable(feats, window)
    starts = read_starts(feats.numpy(), origins, window, chunk, anchor=5)
    assert (origins - starts >= window - 1).all()  # at least a full window
    assert (origins - starts <= window - 2 + chunk).all()  # at most L - 1 + C
    for s, t in zip(starts, origins, strict=True):
        assert torch.isfinite(feats[s:t + 1]).all()  # complete rows only
        grid = max((t + 5) // chunk * chunk - 5 - window + 1, 0)
        assert s == grid or (s > grid and not torch.isfinite(feats[s - 1]).all())


def test_no_row_after_an_origin_changes_its_forecast():
    feats, window = features(), 8
    net = next(nets()).eval()
    origins = usable(feats, window)
    origins = origins[origins < 150]
    before = forward_origins(net, feats, origins, window, 32)
    changed = feats.clone()
    changed[150:] = 1000.0
    after = forward_origins(net, changed, origins, window, 32)
    assert torch.equal(before, after)


def test_auto_batching_picks_sequences_for_long_series_only():
    assert choose_batching("auto", 640_000, 512) == "sequences"
    assert choose_batching("auto", 2_580, 96) == "windows"  # taylor_elec
    assert choose_batching("auto", 640_000, 512, bidirectional=True) == "windows"
    assert choose_batching("auto", 640_000, 512, trained=False) == "windows"
    assert choose_batching("windows", 640_000, 512) == "windows"
    assert choose_batching("sequences", 10, 4) == "sequences"


def config(**extra) -> ForecastConfig:
    return ForecastConfig().replace(target="y", **{**FAST, **extra})


def test_a_long_series_trains_and_forecasts_in_sequences(monkeypatch):
    monkeypatch.setattr(sequences, "SEQUENCE_READS", 1000)  # 240 rows are "long"
    monkeypatch.setattr(sequences, "EVAL_CHUNK", 16)
    series = load(ar_series(240), target="y")
    result = fit_evaluate(series, config(), doctor=False, refit=False)
    state = result.forecaster.state_
    assert result.config.train.batching == "sequences"
    assert state.config.train.batching == "sequences"
    rows = np.arange(len(series) - result.split["n_test"], len(series))
    # the test forecasts are the chunked reads, not the windows (but close)
    from lstmcast.forecaster.predict import _inputs
    start, z, feats = _inputs(state, series)
    chunked = forward_origins(state.net, torch.from_numpy(feats), rows - 1,
                              state.shape.window, 16, anchor=start)[:, 0].numpy()
    windows = forward(state, feats, rows - 1)[:, 0]
    def original(out: np.ndarray) -> np.ndarray:
        z_hat = z[rows - 1] + state.shape.delta_scale * out  # delta mode
        return state.transforms.pipeline.inverse_one_step(
            z_hat, rows, series.y, start=start, times=series.times_float())
    got = result.predictions["lstm"].to_numpy()
    np.testing.assert_allclose(got, original(chunked), rtol=1e-5)
    assert not np.allclose(got, original(windows), rtol=1e-9)
    monkeypatch.setattr(sequences, "SEQUENCE_READS", 10**7)
    short = fit_evaluate(series, config(), doctor=False, refit=False)
    assert short.config.train.batching == "windows"


def test_the_test_part_of_a_sequence_model_is_never_read_before_it(monkeypatch):
    monkeypatch.setattr(sequences, "EVAL_CHUNK", 64)
    frame = ar_series(300)
    cfg = config(batching="sequences", chunk=10, epochs=2)
    a = fit_evaluate(load(frame, target="y"), cfg, doctor=False, refit=False)
    changed = frame.copy()
    changed.loc[270:, "y"] = changed.loc[270:, "y"] * 1000 + 5
    b = fit_evaluate(load(changed, target="y"), cfg, doctor=False, refit=False)
    first = 270 - (300 - a.split["n_test"])  # test rows before the change
    np.testing.assert_allclose(a.predictions["lstm"].iloc[:first + 1],
                               b.predictions["lstm"].iloc[:first + 1], rtol=1e-9)


def test_huge_validation_parts_of_window_models_are_subsampled(monkeypatch):
    monkeypatch.setattr(fit_module, "MAX_VAL_WINDOWS", 10)
    from lstmcast.network import train as train_module
    seen = []
    real = train_module.train

    def spy(net, train_set, val_set, cfg, **kwargs):
        seen.append(val_set.origins)
        return real(net, train_set, val_set, cfg, **kwargs)
    monkeypatch.setattr("lstmcast.network.train.train", spy)
    result = fit_evaluate(load(ar_series(240), target="y"), config(),
                          doctor=False, refit=False)
    history = result.forecaster.history_
    assert len(seen[0]) == 10 and np.all(np.diff(seen[0]) > 0)
    n_val = result.forecaster.state_.networks.n_val_windows
    assert history.validation.startswith(f"validation loss on 10 of the {n_val}")
    assert "validation" in result.to_dict()["training"]


def test_bootstrap_is_the_same_below_its_cap_and_close_above(monkeypatch):
    rng = np.random.default_rng(1)
    actual = rng.normal(size=4000)
    forecast = actual + 0.8 * rng.normal(size=4000)
    rng0 = np.random.default_rng(0)  # the interval as it was: all at once
    idx = rng0.integers(0, 4000, size=(500, 4000))
    a, f = actual[idx], forecast[idx]
    r2 = 1 - ((a - f) ** 2).sum(1) / ((a - a.mean(1, keepdims=True)) ** 2).sum(1)
    old = np.percentile(r2, 2.5), np.percentile(r2, 97.5)
    assert doctor._bootstrap_r2(actual, forecast) == pytest.approx(old, rel=1e-12)
    monkeypatch.setattr(doctor, "BOOTSTRAP_POINTS", 1000)  # m out of n
    low, high = doctor._bootstrap_r2(actual, forecast)
    assert low == pytest.approx(old[0], abs=0.01)
    assert high == pytest.approx(old[1], abs=0.01)


def test_the_acf_of_a_long_series_in_blocks_equals_one_fft(monkeypatch):
    from lstmcast.data import seasonality
    rng = np.random.default_rng(0)
    t = np.arange(50_000)
    y = np.sin(2 * np.pi * t / 24) + rng.normal(size=t.size)
    whole = seasonality._acf(y, 400)
    monkeypatch.setattr(seasonality, "_ONE_FFT_POINTS", 1000)
    monkeypatch.setattr(seasonality, "_ACF_BLOCK", 4096)
    np.testing.assert_allclose(seasonality._acf(y, 400), whole, atol=1e-12)
    assert seasonality.detect_season(y) == 24
