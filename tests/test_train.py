import numpy as np
import pytest
import torch

from lstmcast.core.config import TrainConfig
from lstmcast.network.model import LSTMNet
from lstmcast.network.train import train, watch_epochs
from lstmcast.network.windows import WindowSet


def sine_windows(n=300, window=12, scale=1.0):
    t = np.arange(n)
    z = np.sin(2 * np.pi * t / 12) + 0.05 * np.random.default_rng(0).normal(size=n)
    feats = torch.tensor(z, dtype=torch.float32).reshape(n, 1)
    targets = torch.full((n, 1), float("nan"))
    targets[:-1, 0] = feats[1:, 0] * scale
    train_set = WindowSet(feats, targets, window, np.arange(window - 1, 220))
    val_set = WindowSet(feats, targets, window, np.arange(220, n - 1))
    return train_set, val_set


def fit(cfg, **net_kwargs):
    train_set, val_set = sine_windows()
    torch.manual_seed(123)
    net = LSTMNet(1, 8, **net_kwargs)
    return net, train(net, train_set, val_set, cfg)


def test_learns_a_sine_and_restores_best_weights():
    _net, result = fit(TrainConfig(epochs=30, lr=0.01, patience=0, seed=1))
    losses = [h["val_loss"] for h in result.history]
    assert losses[-1] < 0.2 * losses[0]
    assert result.best_val_loss == pytest.approx(min(losses))
    assert result.steps == 30 * int(np.ceil(209 / 64))


def test_same_seed_gives_identical_weights_and_other_seed_differs():
    a, _ = fit(TrainConfig(epochs=3, seed=7))
    b, _ = fit(TrainConfig(epochs=3, seed=7))
    c, _ = fit(TrainConfig(epochs=3, seed=8))
    for (name, pa), pb in zip(a.state_dict().items(), b.state_dict().values(),
                              strict=True):
        assert torch.equal(pa, pb), name
    assert any(not torch.equal(pa, pc) for pa, pc in
               zip(a.state_dict().values(), c.state_dict().values(), strict=True))


def test_early_stopping_stops_and_says_so():
    _, result = fit(TrainConfig(epochs=200, lr=0.05, patience=3, scheduler="none"))
    assert len(result.history) < 200
    assert result.stopped.startswith("early stop")
    assert result.best_epoch == len(result.history) - 3


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "rmsprop", "sgd"])
@pytest.mark.parametrize("scheduler", ["none", "step", "cosine", "onecycle", "plateau"])
def test_every_optimizer_and_schedule_runs(optimizer, scheduler):
    _, result = fit(TrainConfig(epochs=2, optimizer=optimizer, scheduler=scheduler,
                                lr=0.005, loss="huber"))
    assert len(result.history) == 2 and np.isfinite(result.best_val_loss)


def test_cosine_schedule_lowers_the_learning_rate():
    _, result = fit(TrainConfig(epochs=4, scheduler="cosine", patience=0))
    lrs = [h["lr"] for h in result.history]
    assert lrs == sorted(lrs, reverse=True) and lrs[-1] < lrs[0]


def test_l1_shrinks_weights():
    plain, _ = fit(TrainConfig(epochs=5, lr=0.01))
    sparse, _ = fit(TrainConfig(epochs=5, lr=0.01, l1=0.01))
    def size(net):
        return sum(p.abs().sum().item() for p in net.parameters() if p.dim() >= 2)
    assert size(sparse) < size(plain)


def test_max_steps_caps_optimizer_steps():
    _, result = fit(TrainConfig(epochs=50, max_steps=5))
    assert result.steps == 5 and result.stopped == "reached max_steps=5"


def test_non_finite_loss_stops_and_keeps_finite_weights():
    train_set, val_set = sine_windows()
    train_set.targets[:] = 3e38  # squared error overflows float32
    net = LSTMNet(1, 4)
    result = train(net, train_set, val_set, TrainConfig(epochs=5))
    assert result.diverged and "non-finite loss" in result.stopped
    assert all(torch.isfinite(p).all() for p in net.parameters())


def test_training_flushes_denormals_and_restores_the_callers_setting() -> None:
    """Denormals are flushed inside train() only; the setting outside is kept."""
    from lstmcast.network.train import _flushing_denormals
    seen: list[bool] = []
    for outside in (False, True):
        torch.set_flush_denormal(outside)
        with watch_epochs(lambda epoch, loss: seen.append(_flushing_denormals())):
            fit(TrainConfig(epochs=1, seed=0))
        assert _flushing_denormals() is outside
    torch.set_flush_denormal(False)
    assert seen == [True, True]
