"""A run folder written as one unit: staged beside it, then swapped in whole.

:func:`locked` holds a lock file beside the folder (``.NAME.lock``) for a
whole command, so a second writer of the same folder is refused with a message
naming the process that holds it. :func:`staged` gives a new folder beside it
(``.NAME.staging-PID``) to write the run into; when the block ends without
error that folder replaces the old one in one step (Linux ``renameat2`` with
``RENAME_EXCHANGE``; elsewhere two renames, which the next writer completes if
a crash falls between them). A reader sees the old run or the new, never a
mix, and files of an older run cannot linger beside a newer one.

Entries named as ``keep`` (a tune's study journal, a killed fit's
checkpoints) are the run's live state, not its results: they are moved from
the old folder into the new one just before the swap, so they survive it. A
command that fails or is killed leaves the folder as it was; the next writer
removes what it left behind, first moving back any state it carried.
"""

from __future__ import annotations

import errno
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from lstmcast.core.errors import DataError
from lstmcast.core.persist import fsync_dir

_STAGING, _OLD = "staging", "old"
_UNSUPPORTED = (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP)


def _sibling(out: Path, what: str, pid: int | None = None) -> Path:
    """``.NAME.what`` (or ``.NAME.what-PID``) beside ``out``."""
    suffix = f"{what}-{pid}" if pid is not None else what
    return out.parent / f".{out.name}.{suffix}"


@contextmanager
def locked(out: str | os.PathLike, command: str, keep: tuple[str, ...] = ()
           ) -> Iterator[None]:
    """Hold the lock of run folder ``out`` for the block (a DataError naming
    the holder when another process has it). On entry, what a killed writer
    left beside ``out`` is cleaned up (see :func:`recover`)."""
    import fcntl
    folder = Path(out).resolve()
    if Path.cwd().is_relative_to(folder):
        raise DataError(f"{out} is the current folder or holds it: a run is "
                        "swapped in whole, so its folder cannot hold the folder "
                        "lstmcast runs in. Give a folder for the run alone (e.g. "
                        "--out runs/a), or run lstmcast from another folder.")
    if folder.exists() and not folder.is_dir():
        raise DataError(f"{out} is a file, not a run folder: choose another "
                        "--out.")
    path = _sibling(folder, "lock")
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise DataError(f"Cannot write beside {out} ({exc.strerror or exc}): "
                        "choose another --out.") from None
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 200).decode("utf-8", "replace").strip()
            os.close(fd)
            raise DataError(f"{out} is being written by another lstmcast "
                            f"({holder or 'just starting'}): two commands writing "
                            "one folder would mix their runs. Wait for it to "
                            "finish, or choose another --out.") from None
        try:  # the previous holder may have removed the file after we opened it
            same = os.stat(path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"`lstmcast {command}`, process {os.getpid()}, since "
                     f"{time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        recover(folder, keep)
        yield
    finally:
        with suppress(OSError):
            path.unlink()
        os.close(fd)


def recover(out: Path, keep: tuple[str, ...]) -> None:
    """Clean up after a writer of ``out`` that was killed: put the old run
    back if the kill fell between the two renames of a swap, move ``keep``
    entries that ``out`` lacks back into it, and remove the leftovers."""
    prefixes = (_sibling(out, _STAGING).name + "-", _sibling(out, _OLD).name + "-")
    leftovers = sorted(p for p in out.parent.iterdir() if p.name.startswith(
        prefixes) and p.is_dir() and not p.is_symlink())
    olds = [p for p in leftovers if p.name.startswith(prefixes[1])]
    if not out.exists() and olds:
        os.rename(olds[0], out)
        leftovers.remove(olds[0])
    for left in leftovers:
        try:
            for name in keep:
                if (left / name).exists() and out.is_dir() and not (
                        out / name).exists():
                    os.rename(left / name, out / name)
        except OSError:
            continue  # better a leftover than lost state
        shutil.rmtree(left, ignore_errors=True)


@contextmanager
def staged(given: str | os.PathLike, keep: tuple[str, ...] = ()) -> Iterator[Path]:
    """A new, empty folder beside run folder ``given`` to write a run into;
    when the block ends without error it replaces the folder whole (the
    ``keep`` entries of the old one moved into it first). On an error the
    folder is left as it was and the error says so. Call inside
    :func:`locked`."""
    out = Path(given).resolve()
    stage = _sibling(out, _STAGING, os.getpid())
    shutil.rmtree(stage, ignore_errors=True)
    existed = out.is_dir()
    try:
        stage.mkdir(parents=True)
        yield stage
        _swap(stage, out, keep)
    except BaseException as exc:
        shutil.rmtree(stage, ignore_errors=True)
        reason = exc if isinstance(exc, OSError) else exc.__cause__
        if isinstance(exc, DataError | OSError) and isinstance(reason, OSError):
            before = "its previous run, unchanged" if existed else "nothing"
            fix = ("free some space, or choose another --out"
                   if reason.errno == errno.ENOSPC else "choose another --out")
            raise DataError(f"Could not save the run to {given}: "
                            f"{reason.strerror or reason}. {given} holds {before}; "
                            f"{fix}.") from exc
        raise


def _swap(stage: Path, out: Path, keep: tuple[str, ...]) -> None:
    """Put ``stage`` where ``out`` is, carrying ``keep`` entries across."""
    moved = [name for name in keep if out.is_dir() and (out / name).exists()]
    for name in moved:
        os.rename(out / name, stage / name)
    try:
        _replace(stage, out)
    except OSError:
        for name in moved:
            with suppress(OSError):
                os.rename(stage / name, out / name)
        raise
    fsync_dir(out.parent)


def _replace(stage: Path, out: Path) -> None:
    """``stage`` becomes ``out``; the old ``out`` is removed."""
    if not out.exists():
        os.rename(stage, out)
        return
    try:
        _exchange(stage, out)
    except OSError as exc:
        if exc.errno not in _UNSUPPORTED:
            raise
        old = _sibling(out, _OLD, os.getpid())
        os.rename(out, old)
        try:
            os.rename(stage, out)
        except OSError:
            os.rename(old, out)
            raise
        shutil.rmtree(old, ignore_errors=True)
        return
    shutil.rmtree(stage, ignore_errors=True)  # it holds the old run now


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders in one step (Linux ``renameat2(RENAME_EXCHANGE)``)."""
    import ctypes
    rename2 = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None)
    if rename2 is None:
        raise OSError(errno.ENOSYS, "renameat2 is not available")
    at_cwd, exchange = -100, 2
    if rename2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code), str(b))

