"""Training checkpoints: a killed fit resumes where it stopped, bit for bit.

Inside ``with checkpointing(folder, every=N):`` every ``train()`` run saves,
every N epochs, all that the rest of the run depends on: the weights, the
optimizer and scheduler states, the random number generators (torch, the
shuffling generator, numpy, python), the history, the best weights so far and
the early-stopping counter. With ``resume=True`` each run continues from its
checkpoint, so on the CPU the result equals that of an uninterrupted run; a
run that had finished is not repeated.

Each checkpoint records a fingerprint of what it was trained on (the training
windows, the settings, the network and its initial weights); resuming with
different data or settings is refused, naming what changed. Files are written
atomically (temporary file, fsync, rename) and checked against their SHA-256
before loading; ``torch.load`` runs with ``weights_only=True``, so a file with
a pickle payload is refused, never executed.

Ctrl-C (SIGINT) or SIGTERM during a run is held until the epoch under way
ends; then that epoch is checkpointed (whatever N is) and :class:`Interrupted`
(a ``KeyboardInterrupt``) is raised, saying how to resume: the command line
prints it and exits with 130 (Ctrl-C) or 143 (SIGTERM). A second signal stops
at once, with the checkpoint of the last N-th epoch. Outside a run (data
loading, scoring, saving) a signal stops at once too. Handlers are installed
only in the main thread and restored when the block ends.

Folder layout: ``session.json`` (what the whole fit was given), and for the
k-th ``train()`` run of the fit ``run{k}.json`` (epoch, hash, fingerprint)
pointing at ``run{k}-e{epoch}.pt`` (the states).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import random
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lstmcast.core import schema
from lstmcast.core.config import TrainConfig
from lstmcast.core.errors import DataError
from lstmcast.core.manifest import MAX_FILE_BYTES
from lstmcast.core.persist import (
    atomic_write_bytes,
    atomic_write_json,
    read_bounded,
    read_json,
)
from lstmcast.network.sequences import SequenceSet
from lstmcast.network.windows import WindowSet

SESSION = "session.json"
FINISHED = 2**31  # the next epoch of a run that has finished
_IGNORED = ("threads", "device")  # settings that may change between attempts
_SESSION = schema.record({"context": schema.anything(), "every": schema.integer(1)})
_RUN = schema.record({"file": schema.text(max_len=255),
                      "sha256": schema.text(max_len=64),
                      "epoch": schema.integer(0), "finished": schema.boolean(),
                      "fingerprint": schema.mapping(schema.anything())})
_ACTIVE: ContextVar[Session | None] = ContextVar("checkpoint_session", default=None)


@dataclass
class Session:
    """The checkpoint folder of one fit; hands out one slot per ``train()`` run."""

    folder: Path
    every: int
    resume: bool
    runs: int = field(default=0)
    training: bool = field(default=False)  # a run is between restore and done
    pending: int | None = field(default=None)  # a held signal's number
    last_epoch: int = field(default=0)  # of the latest checkpoint written

    def on_signal(self, signum: int, frame: Any) -> None:
        """Hold the first signal until the epoch under way ends; else stop."""
        if self.training and self.pending is None:
            self.pending = signum
            sys.stderr.write(f"\n{_signal_name(signum)}: finishing this epoch to "
                             "save a checkpoint (press Ctrl-C again to stop at "
                             "once)...\n")
            sys.stderr.flush()
            return
        raise Interrupted(signum, self, saved=False)

    def next_slot(self, fingerprint: dict[str, Any]) -> Slot:
        slot = Slot(self, self.runs, fingerprint)
        self.runs += 1
        return slot


class Interrupted(KeyboardInterrupt):
    """A fit stopped by Ctrl-C or SIGTERM; the message says how to resume."""

    def __init__(self, signum: int, session: Session, *, saved: bool) -> None:
        self.signum = signum
        self.exit_code = 128 + int(signum)  # 130 for SIGINT, 143 for SIGTERM
        where = session.folder
        if saved:
            what = (f"checkpoint of epoch {session.last_epoch} saved in {where}")
        elif session.last_epoch:
            what = (f"stopped at once; the last checkpoint (epoch "
                    f"{session.last_epoch}) is in {where}")
        else:
            what = f"stopped at once; checkpoints so far are in {where}"
        super().__init__(f"{_signal_name(signum)}: {what}. Run the same command "
                         "with --resume to continue.")


def _signal_name(signum: int) -> str:
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


@contextmanager
def checkpointing(folder: str | Path, *, every: int = 1, resume: bool = False,
                  context: dict[str, Any] | None = None) -> Iterator[Session]:
    """Checkpoint every ``train()`` run inside the block into ``folder``.

    Parameters
    ----------
    folder : path
        Where the checkpoints go; removed when the block ends without error.
    every : int
        Save every ``every`` epochs (and when a run finishes).
    resume : bool
        Continue from the checkpoints in ``folder`` (a DataError if there are
        none, or if ``context`` differs from theirs).
    context : dict, optional
        What the fit was given (e.g. the data's fingerprint and the settings);
        a resumed fit must be given the same.
    """
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise DataError(f"--checkpoint-every must be an int >= 1. Got {every!r}.")
    folder = Path(folder)
    context = _plain(context or {})
    if resume:
        saved = _read_session(folder)
        _refuse_changes("the fit", saved.get("context", {}), context)
    elif folder.exists():
        shutil.rmtree(folder)  # a fresh fit: old checkpoints would not match it
    atomic_write_json(folder / SESSION, {"context": context, "every": every})
    session = Session(folder, every, resume)
    token = _ACTIVE.set(session)
    handled = (signal.SIGINT, signal.SIGTERM)
    previous = {}
    if threading.current_thread() is threading.main_thread():
        previous = {sig: signal.signal(sig, session.on_signal) for sig in handled}
    try:
        yield session
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _ACTIVE.reset(token)
    shutil.rmtree(folder, ignore_errors=True)  # finished: nothing to resume


def open_slot(net: nn.Module, train_set: WindowSet | SequenceSet,
              val_set: WindowSet | SequenceSet | None,
              cfg: TrainConfig) -> Slot | None:
    """The checkpoint slot of this ``train()`` run (None outside ``checkpointing``).

    Call before training starts: the fingerprint includes the initial weights.
    """
    session = _ACTIVE.get()
    if session is None:
        return None
    return session.next_slot(fingerprint(net, train_set, val_set, cfg))


def fingerprint(net: nn.Module, train_set: WindowSet | SequenceSet,
                val_set: WindowSet | SequenceSet | None,
                cfg: TrainConfig) -> dict[str, Any]:
    """What a run depends on: settings, network (and initial weights), windows."""
    data = hashlib.sha256()
    for part in (train_set, val_set):
        if part is None:
            data.update(b"no validation windows")
            continue
        for array in (part.features.numpy(), part.targets.numpy(),
                      np.asarray(part.origins, dtype=np.int64)):
            data.update(np.ascontiguousarray(array).tobytes())
        data.update(str(part.window).encode())
    weights = hashlib.sha256(repr(net).encode())
    for name, tensor in net.state_dict().items():
        weights.update(name.encode())
        weights.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    settings = {k: v for k, v in dataclasses.asdict(cfg).items() if k not in _IGNORED}
    return {"settings": _plain(settings), "network": weights.hexdigest(),
            "windows": data.hexdigest()}


@dataclass
class Slot:
    """Checkpoints of one ``train()`` run: ``restore`` once, ``save`` per epoch."""

    session: Session
    number: int
    fingerprint: dict[str, Any]

    @property
    def _meta(self) -> Path:
        return self.session.folder / f"run{self.number}.json"

    def restore(self, net: nn.Module, opt: torch.optim.Optimizer, sched: Any,
                gen: torch.Generator, result: Any, best_state: dict[str, Any]
                ) -> tuple[int, int, dict[str, Any]]:
        """Load this run's checkpoint into the objects given, if resuming.

        Returns the first epoch to run, the early-stopping counter and the
        best weights so far (unchanged when there is nothing to resume).
        """
        self.session.training = True
        if not (self.session.resume and self._meta.is_file()):
            return 1, 0, best_state
        fix = _fix(self.session.folder)
        meta = schema.validate(read_json(self._meta, fix=fix), _RUN, str(self._meta),
                               fix)
        name = f"run{self.number}-e{meta['epoch']}.pt"
        if meta["file"] != name:
            raise DataError(f"{self._meta}: key file must be {name} (the file of "
                            f"this checkpoint); got {schema.shown(meta['file'])}. "
                            f"{fix}")
        _refuse_changes(f"training run {self.number + 1}",
                        meta["fingerprint"], self.fingerprint)
        state = _load_states(self.session.folder / name, meta["sha256"], fix)
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["optimizer"])
        if sched is not None:
            sched.load_state_dict(state["scheduler"])
        gen.set_state(state["shuffle_rng"])
        torch.set_rng_state(state["torch_rng"])
        np.random.set_state(("MT19937", state["numpy_rng"].numpy().astype(np.uint32),
                             *state["numpy_rng_rest"]))
        random.setstate(_tuples(state["python_rng"]))
        for key, value in state["result"].items():
            setattr(result, key, value)
        first = int(state["next_epoch"])
        self.session.training = first != FINISHED  # a finished run is not rerun
        return first, int(state["stale"]), state["best"]

    def save(self, epoch: int, net: nn.Module, opt: torch.optim.Optimizer,
             sched: Any, gen: torch.Generator, result: Any,
             best_state: dict[str, Any], stale: int, *, done: bool = False) -> None:
        """Checkpoint after ``epoch`` (every N epochs, and always when ``done``
        or when a signal is held: then raise :class:`Interrupted`)."""
        held = self.session.pending
        if not done and held is None and epoch % self.session.every:
            return
        numpy_rng = np.random.get_state()  # ('MT19937', keys, pos, gauss, cached)
        state = {
            "next_epoch": FINISHED if done else epoch + 1, "stale": stale,
            "net": net.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict() if sched is not None else None,
            "shuffle_rng": gen.get_state(), "torch_rng": torch.get_rng_state(),
            "numpy_rng": torch.from_numpy(numpy_rng[1].astype(np.int64)),
            "numpy_rng_rest": [int(numpy_rng[2]), int(numpy_rng[3]),
                               float(numpy_rng[4])],
            "python_rng": random.getstate(), "best": best_state,
            "result": {k: v for k, v in vars(result).items() if k != "seconds"},
        }
        buffer = io.BytesIO()
        torch.save(state, buffer)
        data = buffer.getvalue()
        name = f"run{self.number}-e{epoch}.pt"
        atomic_write_bytes(self.session.folder / name, data)
        atomic_write_json(self._meta, {
            "file": name, "sha256": hashlib.sha256(data).hexdigest(),
            "epoch": epoch, "finished": done, "fingerprint": self.fingerprint})
        for old in self.session.folder.glob(f"run{self.number}-e*.pt"):
            if old.name != name:
                old.unlink(missing_ok=True)
        self.session.last_epoch = epoch
        if done:
            self.session.training = False
        if held is not None:
            raise Interrupted(held, self.session, saved=True)


def _read_session(folder: Path) -> dict[str, Any]:
    if not (folder / SESSION).is_file():
        raise DataError(f"--resume: there is no checkpoint in {folder} (none was "
                        "written, or the fit finished). Run the same command "
                        "without --resume, with --checkpoint-every N.")
    fix = _fix(folder)
    return schema.validate(read_json(folder / SESSION, fix=fix), _SESSION,
                           str(folder / SESSION), fix)


def _fix(folder: Path) -> str:
    """What to do with a damaged checkpoint folder (never a folder above it)."""
    return f"Delete {folder} and fit again without --resume."


def _load_states(path: Path, expected: str, fix: str) -> dict[str, Any]:
    """The states of a checkpoint file after checking its size and hash;
    never unpickles anything but tensors and plain containers."""
    data = read_bounded(path, MAX_FILE_BYTES, fix)
    if hashlib.sha256(data).hexdigest() != expected:
        raise DataError(f"Checkpoint file {path} does not match its recorded hash: "
                        f"it was truncated or changed. {fix}")
    try:
        return torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except Exception as exc:  # the unpickler's errors have no common base
        raise DataError(f"Checkpoint file {path} is not a checkpoint lstmcast can "
                        f"read safely ({type(exc).__name__}); nothing in it was "
                        f"run. {fix}") from None


def _refuse_changes(what: str, saved: dict[str, Any], now: dict[str, Any]) -> None:
    """A DataError listing every key whose value differs, if any."""
    changes = _diff(saved, now)
    if changes:
        raise DataError(
            f"Cannot resume {what}: it was checkpointed with other data or "
            f"settings ({'; '.join(changes[:10])}). Resume with the same data and "
            "settings, or start again without --resume.")


def _diff(saved: Any, now: Any, prefix: str = "") -> list[str]:
    if isinstance(saved, dict) and isinstance(now, dict):
        out = []
        for key in sorted(set(saved) | set(now)):
            out += _diff(saved.get(key), now.get(key), f"{prefix}{key}.")
        return out
    if saved == now:
        return []
    name = prefix.rstrip(".")
    if any(isinstance(v, str) and len(v) == 64 for v in (saved, now)):  # hashes
        return [f"{name} changed"]
    return [f"{name}: {saved!r} then, {now!r} now"]


def _plain(value: Any) -> Any:
    """JSON's view of ``value`` (tuples as lists), so saved and new compare."""
    return json.loads(json.dumps(value, default=str))


def _tuples(value: Any) -> Any:
    """Lists back to tuples (``random.setstate`` wants tuples)."""
    if isinstance(value, list | tuple):
        return tuple(_tuples(v) for v in value)
    return value
