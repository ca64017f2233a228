"""Data-parallel training with ``torch.distributed``, for processes started by
``torchrun`` (one machine or many).

Every process runs the same fit. :func:`joined` joins the process group
``torchrun`` describes in the environment (``WORLD_SIZE``, ``RANK``,
``MASTER_ADDR``...): gloo on CPUs, NCCL where each process has a GPU. Inside
it, :func:`lstmcast.network.train.train` wraps the network in
``DistributedDataParallel`` (:func:`wrap`), and every process draws the same
shuffled batch of ``batch_size`` windows and trains on its own share of it
(:func:`share`); DDP averages the gradients, each share's loss weighted so
that the average is the gradient of the mean loss over the whole batch. So
``--batch-size B`` stays the batch of one optimizer step, and N processes
follow the loss curve of one process up to the order of float summation. The
epoch's loss is summed over the processes (:func:`total`). Outside a process
group every function here is a no-op.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch
from torch import nn

__all__ = ["is_main", "joined", "rank", "share", "size", "total", "wrap"]


def _active() -> bool:
    import torch.distributed as dist
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def size() -> int:
    """The number of processes training together (1 outside a group)."""
    import torch.distributed as dist
    return dist.get_world_size() if _active() else 1


def rank() -> int:
    """This process's number, 0 to :func:`size` - 1."""
    import torch.distributed as dist
    return dist.get_rank() if _active() else 0


def is_main() -> bool:
    """Whether this process is the one that writes files and prints (rank 0)."""
    return rank() == 0


def launched() -> bool:
    """Whether ``torchrun`` started this process as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


@contextmanager
def joined() -> Iterator[None]:
    """Join the process group of ``torchrun`` for the block (nothing when the
    process was started alone, or already is in one)."""
    import torch.distributed as dist
    if not launched() or dist.is_initialized():
        yield
        return
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", "0")))
    dist.init_process_group(backend="nccl" if cuda else "gloo")
    try:
        yield
    finally:
        dist.destroy_process_group()


def wrap(net: nn.Module, device: torch.device) -> nn.Module:
    """``net`` in ``DistributedDataParallel`` inside a process group (its
    parameters are those of ``net``), else ``net`` itself."""
    if not _active():
        return net
    from torch.nn.parallel import DistributedDataParallel
    ids = [device.index if device.index is not None else torch.cuda.current_device()
           ] if device.type == "cuda" else None
    return DistributedDataParallel(net, device_ids=ids)


def _wrapped(model: nn.Module) -> bool:
    from torch.nn.parallel import DistributedDataParallel
    return isinstance(model, DistributedDataParallel)


def share(rows: np.ndarray, model: nn.Module) -> tuple[np.ndarray, float]:
    """This process's part of the batch ``rows`` and the weight of its mean
    loss, when ``model`` is wrapped by :func:`wrap` (else all rows, weight 1):
    ``size * part / batch``, so that DDP's average of the weighted gradients
    is the gradient of the mean over the whole batch. A process
    left without rows (a last batch smaller than the group) gets the first
    row with weight 0: it must still take part in the gradient exchange."""
    count = size()
    if count == 1 or not _wrapped(model):
        return rows, 1.0
    part = np.array_split(rows, count)[rank()]
    if not len(part):
        return rows[:1], 0.0
    return part, count * len(part) / len(rows)


def total(loss_sum: float, count: int, model: nn.Module) -> tuple[float, int]:
    """The sum over the processes of each one's summed loss and its count (when
    ``model`` is wrapped by :func:`wrap`)."""
    if not _active() or not _wrapped(model):
        return loss_sum, count
    import torch.distributed as dist
    both = torch.tensor([loss_sum, float(count)], dtype=torch.float64)
    if dist.get_backend() == "nccl":
        both = both.cuda()
    dist.all_reduce(both)
    return float(both[0]), round(float(both[1]))
