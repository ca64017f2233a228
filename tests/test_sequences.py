"""Sequence batching (``--batching sequences``): chunks scored at every step
cover each training origin once per epoch, read no later row, give the window
forward's outputs per step, and fit about as well as window training."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from conftest import FAST, ar_series, killed_then_resumed
from lstmcast.core.config import ForecastConfig, TrainConfig
from lstmcast.core.errors import DataError
from lstmcast.data.loading import load
from lstmcast.evaluation.holdout import fit_evaluate
from lstmcast.network import train as train_module
from lstmcast.network.model import LSTMNet
from lstmcast.network.sequences import SequenceSet, stretches
from lstmcast.network.train import train, watch_epochs
from lstmcast.network.windows import WindowSet, valid_origins


def holey(n: int = 200, window: int = 8) -> tuple[torch.Tensor, torch.Tensor,
                                                  np.ndarray]:
    """Features with two non-finite rows and targets with NaNs: the training
    origins then fall into several stretches with holes."""
    z = np.sin(np.arange(n) / 3.0)
    feats = z.reshape(n, 1).astype(np.float32)
    feats[60, 0] = np.nan
    feats[61, 0] = np.inf
    targets = np.full((n, 1), np.nan, dtype=np.float32)
    targets[:-1, 0] = feats[1:, 0]
    targets[100:103, 0] = np.nan
    targets[130, 0] = np.nan
    return torch.from_numpy(feats), torch.from_numpy(targets), valid_origins(
        feats, targets, window, 0, 160)


@pytest.mark.parametrize("chunk", [1, 3, 8, 25, 500])
def test_chunks_score_every_training_origin_once_and_read_no_later_row(chunk):
    feats, targets, origins = holey()
    data = SequenceSet(feats, targets, 8, origins, chunk)
    scored = np.sort(data.scored_origins())
    assert np.array_equal(scored, origins)  # each exactly once per epoch
    x, y, mask = data.batch(np.arange(len(data)))  # (M, T, F), (M, T, K), (M, T)
    assert x.shape == (len(data), 8 - 1 + chunk, 1) and mask.shape == x.shape[:2]
    assert torch.isfinite(x).all() and torch.isfinite(y).all()
    read = data._rows[data._rows < len(feats)].numpy()
    assert read.max() == origins.max()  # no validation or test row is read
    windows = {r for t in origins for r in range(t - 7, t + 1)}
    assert set(read.tolist()) <= windows  # only rows some training window reads
    assert torch.equal(y[mask], targets[data.scored_origins()])  # same targets


def test_every_scored_step_has_a_full_window_of_history():
    feats, targets, origins = holey()
    data = SequenceSet(feats, targets, 8, origins, 5)
    mask = data._mask.numpy()
    assert not mask[:, :7].any()  # the burn-in of L - 1 steps is never scored
    pad = data._rows.numpy() == len(feats)
    assert not (mask & pad).any()


def test_stretches_split_where_no_window_covers_the_rows():
    assert stretches(np.array([7, 8, 9, 17, 20, 21, 40]), 8) == [(0, 22), (33, 41)]


def _nets():
    torch.manual_seed(0)
    yield LSTMNet(3, 6, skip_window=5)
    yield LSTMNet(3, 6, skip_window=10, skip_relative=False, head="mlp",
                  head_hidden=4, output_size=2)
    yield LSTMNet(3, 6, num_layers=2, dropout=0.3, output_size=3)
    yield LSTMNet(3, 6, cell_activation="relu", skip_window=4)


@pytest.mark.parametrize("net", list(_nets()))
def test_per_step_forward_equals_the_window_forward(net):
    net.eval()
    with torch.no_grad():
        for p in net.parameters():  # non-zero skip weights too
            p.add_(0.05 * torch.randn_like(p))
    x = torch.randn(4, 10, 3)  # (B, L, F), L = 10
    with torch.no_grad():
        steps = net.forward_steps(x)  # (B, L, K)
        torch.testing.assert_close(steps[:, -1], net(x), rtol=1e-5, atol=1e-6)
        for t in range(net.skip.in_features - 1 if net.skip else 0, 10):
            torch.testing.assert_close(steps[:, t], net(x[:, :t + 1]),
                                       rtol=1e-5, atol=1e-6)


def test_validation_on_one_window_chunks_equals_the_window_validation():
    """evaluate_loss on chunks of exactly one window (chunk 1: T = L) is the
    window loss, origin for origin; longer chunks score the same origins."""
    feats, targets, origins = holey()
    torch.manual_seed(0)
    net = LSTMNet(1, 6, skip_window=8)
    loss = torch.nn.MSELoss()
    windows = train_module.evaluate_loss(net, WindowSet(feats, targets, 8, origins),
                                         loss, torch.device("cpu"))
    one = train_module.evaluate_loss(net, SequenceSet(feats, targets, 8, origins, 1),
                                     loss, torch.device("cpu"))
    assert one == pytest.approx(windows, rel=1e-5)
    long = train_module.evaluate_loss(net, SequenceSet(feats, targets, 8, origins,
                                                       500), loss,
                                      torch.device("cpu"))
    assert np.isfinite(long) and long == pytest.approx(windows, rel=0.5)


def ar2_frame(n: int = 700, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = np.zeros(n)
    for t in range(2, n):
        y[t] = 1.3 * y[t - 1] - 0.6 * y[t - 2] + rng.normal()
    return pd.DataFrame({"ds": pd.date_range("2000-01-01", periods=n, freq="D"),
                         "y": y + 5})


def config(**extra) -> ForecastConfig:
    return ForecastConfig().replace(target="y", **{**FAST, **extra})


def test_sequence_fit_is_about_as_good_as_window_fit():
    series = load(ar2_frame(), target="y")
    settings = dict(epochs=40, hidden_size=16, window=8, season=1, lr=0.01,
                    patience=8)
    windows = fit_evaluate(series, config(**settings)).metrics["lstm"]
    sequences = fit_evaluate(series, config(batching="sequences", batch_size=8,
                                            **settings)).metrics["lstm"]
    # AR(2) with phi (1.3, -0.6): both find most of what the last two values
    # explain (R² ~0.82, ~0.42 better than the last value)
    assert windows["r2"] > 0.78 and sequences["r2"] > 0.78
    assert sequences["skill_vs_naive"] > 0.35
    assert sequences["r2"] > windows["r2"] - 0.02


def test_bidirectional_is_refused_with_the_fix():
    series = load(ar_series(200), target="y")
    with pytest.raises(DataError, match=r"batching='sequences' cannot train a "
                                        r"bidirectional.*--batching windows"):
        fit_evaluate(series, config(batching="sequences", bidirectional=True))
    with pytest.raises(DataError, match="bidirectional"):
        LSTMNet(2, 4, bidirectional=True).forward_steps(torch.zeros(1, 5, 2))


def test_changing_the_test_part_changes_nothing():
    frame = ar_series(300)
    cfg = config(batching="sequences", chunk=10, epochs=4)
    a = fit_evaluate(load(frame, target="y"), cfg)
    changed = frame.copy()
    changed.loc[240:, "y"] = changed.loc[240:, "y"] * 1000 + 5
    b = fit_evaluate(load(changed, target="y"), cfg)
    assert a.forecaster.history_.history == b.forecaster.history_.history
    assert a.predictions["lstm"].iloc[0] == pytest.approx(b.predictions["lstm"].iloc[0])
    for pa, pb in zip(a.forecaster.net_.state_dict().values(),
                      b.forecaster.net_.state_dict().values(), strict=True):
        assert torch.equal(pa, pb)


def sets(n: int = 160) -> tuple[SequenceSet, WindowSet]:
    z = np.sin(np.arange(n) / 2.0) + 0.1 * np.random.default_rng(0).normal(size=n)
    feats = torch.tensor(z, dtype=torch.float32).reshape(n, 1)
    targets = torch.full((n, 1), float("nan"))
    targets[:-1, 0] = feats[1:, 0]
    return (SequenceSet(feats, targets, 8, np.arange(7, 120), 6),
            WindowSet(feats, targets, 8, np.arange(120, n - 1)))


CFG = TrainConfig(epochs=5, batch_size=4, patience=0, seed=3, lr=0.01,
                  scheduler="onecycle", threads=1, batching="sequences")


def run(cfg: TrainConfig = CFG) -> tuple[LSTMNet, train_module.TrainResult]:
    torch.manual_seed(0)
    net = LSTMNet(1, 8, num_layers=2, dropout=0.2, skip_window=4)
    return net, train(net, *sets(), cfg)


def test_resume_after_an_interrupt_equals_an_uninterrupted_run(tmp_path,
                                                               monkeypatch):
    whole, whole_result = run()
    folder = tmp_path / "ck"
    net, result, saved = killed_then_resumed(run, folder, 2, monkeypatch)
    assert saved == 2
    for (name, a), b in zip(whole.state_dict().items(), net.state_dict().values(),
                            strict=True):
        assert torch.equal(a, b), name
    assert result.history == whole_result.history


def test_watcher_max_steps_and_learning_in_sequence_mode():
    seen = []
    with watch_epochs(lambda epoch, loss: seen.append((epoch, loss))):
        _, result = run(TrainConfig(**{**CFG.__dict__, "epochs": 30,
                                       "scheduler": "none"}))
    assert [e for e, _ in seen] == list(range(1, 31))
    assert seen[-1][1] < 0.2 * seen[0][1]  # the window validation loss falls
    assert result.steps == 30 * int(np.ceil(len(sets()[0]) / 4))
    _, capped = run(TrainConfig(**{**CFG.__dict__, "max_steps": 7}))
    assert capped.steps == 7 and capped.stopped == "reached max_steps=7"
