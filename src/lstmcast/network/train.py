"""The training loop: one readable ``train()`` with no framework callbacks.

Optimizers, L1/L2, learning-rate schedules, early stopping that restores the
best weights, gradient clipping, one seed for everything, and a stop with a
clear message (weights kept) at the first non-finite loss.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from lstmcast.core.config import TrainConfig
from lstmcast.network import checkpoint, data_parallel
from lstmcast.network.model import SEQUENCE_BUDGET, inference_batch
from lstmcast.network.sequences import SequenceSet
from lstmcast.network.windows import WindowSet

LOSSES = {"mse": nn.MSELoss, "mae": nn.L1Loss, "huber": nn.HuberLoss}
_EPOCH_WATCHER: ContextVar[Callable[[int, float], None] | None] = ContextVar(
    "epoch_watcher", default=None)


@contextmanager
def watch_epochs(watcher: Callable[[int, float], None]) -> Iterator[None]:
    """Call ``watcher(epoch, val_loss)`` after every epoch of each ``train()``
    run inside the block (the tuner's pruning). It reaches ``train()`` through
    ``fit`` without an argument threaded through the estimator; an exception
    it raises ends the training and propagates."""
    token = _EPOCH_WATCHER.set(watcher)
    try:
        yield
    finally:
        _EPOCH_WATCHER.reset(token)


def seed_everything(seed: int) -> torch.Generator:
    """Seed python, numpy and torch; return the generator used for shuffling."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def pick_device(name: str) -> torch.device:
    """Resolve "auto" to a GPU where there is one, else the CPU."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        return torch.device("mps" if mps and mps.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        from lstmcast.core.errors import DataError
        raise DataError("device='cuda' was asked for but no CUDA GPU is visible. "
                        "Use --device auto or cpu.")
    return torch.device(name)


@dataclass
class TrainResult:
    """What happened during training, epoch by epoch."""

    history: list[dict[str, float]] = field(default_factory=list)
    best_epoch: int = 0
    best_val_loss: float = math.inf
    steps: int = 0
    seconds: float = 0.0
    stopped: str = "completed all epochs"
    diverged: bool = False
    validation: str = ""  # how the validation loss was taken, when subsampled
    refit: str = ""  # how the kept network was trained again (refit_tail)

    def to_dict(self) -> dict[str, Any]:
        return {"history": self.history, "best_epoch": self.best_epoch,
                "best_val_loss": _finite_or_none(self.best_val_loss),
                "steps": self.steps, "seconds": self.seconds,
                "stopped": self.stopped, "diverged": self.diverged,
                **({"validation": self.validation} if self.validation else {}),
                **({"refit": self.refit} if self.refit else {})}


def _finite_or_none(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def make_optimizer(net: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """Weight decay (L2) on weight matrices only, never on biases (nanoGPT)."""
    matrices = [p for p in net.parameters() if p.dim() >= 2]
    vectors = [p for p in net.parameters() if p.dim() < 2]
    groups = [{"params": matrices, "weight_decay": cfg.weight_decay},
              {"params": vectors, "weight_decay": 0.0}]
    if cfg.optimizer == "adam":
        return torch.optim.Adam(groups, lr=cfg.lr)
    if cfg.optimizer == "adamw":
        return torch.optim.AdamW(groups, lr=cfg.lr)
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(groups, lr=cfg.lr, momentum=cfg.momentum)
    return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum)


def make_scheduler(opt: torch.optim.Optimizer, cfg: TrainConfig, total_steps: int,
                   epochs: int) -> Any:
    """The schedule; stepped per batch (cosine, onecycle) or per epoch."""
    if cfg.scheduler == "step":
        return torch.optim.lr_scheduler.StepLR(opt, max(1, epochs // 3), 0.5)
    if cfg.scheduler == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, total_steps))
    if cfg.scheduler == "onecycle":
        return torch.optim.lr_scheduler.OneCycleLR(opt, cfg.lr,
                                                   total_steps=max(2, total_steps))
    if cfg.scheduler == "plateau":
        return torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, factor=0.5, patience=max(2, cfg.patience // 3))
    return None


def l1_penalty(net: nn.Module) -> torch.Tensor:
    """Sum of absolute values of the weight matrices."""
    return sum(p.abs().sum() for p in net.parameters() if p.dim() >= 2)


@torch.no_grad()
def evaluate_loss(net: nn.Module, data: WindowSet | SequenceSet, loss_fn: nn.Module,
                  device: torch.device) -> float:
    """Mean loss over every origin of ``data`` (windows, or long chunks scored
    at every step), in eval mode, batched."""
    was_training = net.training
    net.eval()
    total, count = 0.0, 0
    sequences = isinstance(data, SequenceSet)
    size = inference_batch(net, data.length, most=4096, budget=SEQUENCE_BUDGET,
                           least=1) if sequences else inference_batch(
        net, data.window, most=4096)
    for start in range(0, len(data), size):
        rows = np.arange(start, min(start + size, len(data)))
        if isinstance(data, SequenceSet):  # (B, T, F), (B, T, K), (B, T)
            x, y, mask = data.batch(rows)
            out, y = net.forward_steps(x.to(device))[mask.to(device)], y[mask]
        else:
            x, y = data.batch(rows)  # (B, L, F), (B, K)
            out = net(x.to(device))  # (B, K)
        total += loss_fn(out, y.to(device)).item() * len(y)
        count += len(y)
    net.train(was_training)
    return total / max(count, 1)


def train(net: nn.Module, train_set: WindowSet | SequenceSet,
          val_set: WindowSet | SequenceSet | None, cfg: TrainConfig, *,
          progress: bool = False) -> TrainResult:
    """Fit ``net`` on ``train_set``; early-stop on ``val_set`` (or train loss).

    ``train_set`` is windows, or chunks scored at every step (a
    :class:`~lstmcast.network.sequences.SequenceSet`, ``--batching sequences``);
    ``val_set`` likewise (with sequences: a few long chunks, read once).

    The weights left in ``net`` are those of the best epoch. Training stops at
    the first non-finite loss or gradient, keeping the last good weights, and
    says where in ``TrainResult.stopped``. Inside
    :func:`lstmcast.network.checkpoint.checkpointing` the whole state is saved every N
    epochs, and a resumed run continues exactly where the saved one stopped.

    Denormal floats are flushed to zero while training (the caller's setting
    is restored after): gradients through hundreds of time steps decay into
    denormals, which x86 CPUs handle in a slow path up to 7x slower
    (BENCHMARKS.md, training speed); values below 1e-38 change no result.
    """
    was_flushing = _flushing_denormals()
    torch.set_flush_denormal(True)  # returns False where unsupported: no-op
    try:
        return _train(net, train_set, val_set, cfg, progress)
    finally:
        torch.set_flush_denormal(was_flushing)


def _flushing_denormals() -> bool:
    """Whether denormals are flushed now (torch has no getter for it)."""
    return bool((torch.tensor([1e-39]) * 1.0).item() == 0.0)


def _train(net: nn.Module, train_set: WindowSet | SequenceSet,
           val_set: WindowSet | SequenceSet | None, cfg: TrainConfig,
           progress: bool) -> TrainResult:
    """The body of :func:`train`."""
    gen = seed_everything(cfg.seed)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = pick_device(cfg.device)
    net.to(device).train()
    model = net if isinstance(train_set, SequenceSet) else data_parallel.wrap(
        net, device)  # DistributedDataParallel under torchrun, else net itself
    loss_fn = LOSSES[cfg.loss]()
    opt = make_optimizer(net, cfg)
    per_epoch = math.ceil(len(train_set) / cfg.batch_size)
    epochs = cfg.epochs
    if cfg.max_steps:
        epochs = min(epochs, math.ceil(cfg.max_steps / per_epoch))
    total = min(per_epoch * epochs, cfg.max_steps or per_epoch * epochs)
    sched = make_scheduler(opt, cfg, total, epochs)
    result, best_state = TrainResult(), _copy_weights(net)
    slot = checkpoint.open_slot(net, train_set, val_set, cfg)  # None: not asked for
    first, stale = 1, 0
    if slot is not None:
        first, stale, best_state = slot.restore(net, opt, sched, gen, result,
                                                best_state)
    bar = _Progress(epochs) if progress and data_parallel.is_main() else None
    watcher = _EPOCH_WATCHER.get()
    started, epoch = time.perf_counter(), first - 1  # epoch: the last one run
    for epoch in range(first, epochs + 1):
        order = torch.randperm(len(train_set), generator=gen).numpy()
        stats = _run_epoch(model, train_set, order, cfg, opt, sched, loss_fn, device,
                           result, total)
        if stats is None:
            result.diverged = True
            result.stopped = (f"non-finite loss or gradient at epoch {epoch} "
                              f"(lr {opt.param_groups[0]['lr']:.3g}); kept the "
                              "weights of the best epoch. Lower --lr, keep "
                              "--clip-grad on, check the inputs for extreme values.")
            break
        train_loss, grad_norm = stats
        val_loss = (evaluate_loss(net, val_set, loss_fn, device)
                    if val_set is not None and len(val_set) else train_loss)
        lr = opt.param_groups[0]["lr"]
        result.history.append({"epoch": epoch, "train_loss": train_loss,
                               "val_loss": val_loss, "lr": lr,
                               "grad_norm": grad_norm})
        if bar:
            bar.update(epoch, train_loss, val_loss)
        if watcher:
            watcher(epoch, val_loss)
        if isinstance(sched, torch.optim.lr_scheduler.ReduceLROnPlateau):
            sched.step(val_loss)
        elif isinstance(sched, torch.optim.lr_scheduler.StepLR):
            sched.step()
        if val_loss < result.best_val_loss - 1e-12:
            result.best_val_loss, result.best_epoch, stale = val_loss, epoch, 0
            best_state = _copy_weights(net)
        else:
            stale += 1
        if cfg.patience and stale >= cfg.patience:
            result.stopped = (f"early stop at epoch {epoch}: no validation "
                              f"improvement for {cfg.patience} epochs")
            break
        if cfg.max_steps and result.steps >= cfg.max_steps:
            result.stopped = f"reached max_steps={cfg.max_steps}"
            break
        if slot is not None:
            slot.save(epoch, net, opt, sched, gen, result, best_state, stale)
    if bar:
        bar.close()
    net.load_state_dict(best_state)
    net.eval()
    result.seconds = time.perf_counter() - started
    if slot is not None and first != checkpoint.FINISHED:
        slot.save(epoch, net, opt, sched, gen, result, best_state, stale, done=True)
    return result


def _copy_weights(net: nn.Module) -> dict[str, torch.Tensor]:
    """The best weights so far: tensor copies (``deepcopy`` of a state dict
    also copies Python objects, several times slower for small networks)."""
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def _run_epoch(net: nn.Module, data: WindowSet | SequenceSet, order: np.ndarray,
               cfg: TrainConfig, opt: torch.optim.Optimizer, sched: Any,
               loss_fn: nn.Module, device: torch.device, result: TrainResult,
               total: int) -> tuple[float, float] | None:
    """One pass; returns (mean loss, max grad norm) or None on divergence.

    A batch is ``batch_size`` windows (loss at their last step) or chunks
    (loss at every scored step of every chunk)."""
    per_step = isinstance(sched, torch.optim.lr_scheduler.CosineAnnealingLR |
                          torch.optim.lr_scheduler.OneCycleLR)
    loss_sum, count, grad_max = 0.0, 0, 0.0
    for start in range(0, len(order), cfg.batch_size):
        if result.steps >= total:
            break
        rows, weight = data_parallel.share(order[start:start + cfg.batch_size], net)
        if isinstance(data, SequenceSet):  # (B, T, F), (B, T, K), (B, T)
            x, y, mask = (part.to(device) for part in data.batch(rows))
            out, y = net.forward_steps(x)[mask], y[mask]  # (scored, K) each
        else:
            x, y = (part.to(device) for part in data.batch(rows))  # (B, L, F), (B, K)
            out = net(x)  # (B, K)
        loss = loss_fn(out, y)  # scalar: mean over the scored steps
        objective = loss * weight + cfg.l1 * l1_penalty(net) if cfg.l1 else \
            loss * weight  # weight 1 but in a share of a data-parallel batch
        opt.zero_grad(set_to_none=True)
        objective.backward()
        max_norm = cfg.clip_grad if cfg.clip_grad else math.inf
        norm = float(nn.utils.clip_grad_norm_(net.parameters(), max_norm))
        if not (math.isfinite(loss.item()) and math.isfinite(norm)):
            return None
        opt.step()
        result.steps += 1
        if per_step:
            sched.step()
        if weight:
            loss_sum += loss.item() * len(y)
            count += len(y)
        grad_max = max(grad_max, norm)
    loss_sum, count = data_parallel.total(loss_sum, count, net)
    return loss_sum / max(count, 1), grad_max


class _Progress:
    """A rich progress bar on stderr showing the losses."""

    def __init__(self, epochs: int) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        self._bar = Progress(TextColumn("training"), BarColumn(),
                             TextColumn("epoch {task.completed}/{task.total}"),
                             TextColumn("{task.fields[losses]}"),
                             TimeElapsedColumn(), TimeRemainingColumn(),
                             console=Console(stderr=True), transient=True)
        self._task = self._bar.add_task("train", total=epochs, losses="")
        self._bar.start()

    def update(self, epoch: int, train_loss: float, val_loss: float) -> None:
        self._bar.update(self._task, completed=epoch,
                         losses=f"loss {train_loss:.4g}  val {val_loss:.4g}")

    def close(self) -> None:
        self._bar.stop()
