"""Files that survive faults and hostile content: atomic writes, hashes, and
JSON read with bounds.

Writes go to a temporary file that is fsynced and renamed over the target, so a
crash or a full disk never leaves a half-written file where a good one was.
JSON is written strict (no NaN) and read with its size checked before reading
and its nesting depth bounded, so a damaged or forged file is a DataError,
never a RecursionError or a memory blow-up. The manifest of a folder is
:mod:`lstmcast.core.manifest`; a whole run folder swapped in at once is
:mod:`lstmcast.core.runfolder`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lstmcast.core.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

MAX_JSON_BYTES = 64 << 20  # the largest JSON file lstmcast reads (64 MiB)
MAX_DEPTH = 32  # how deep lists and objects may nest in one


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename).

    On failure (a full disk, no permission) the temporary file is removed, the
    previous ``path`` is left as it was, and a ``DataError`` says so.
    """
    atomic_write_files(Path(path).parent, {Path(path).name: data})


def atomic_write_files(folder: str | os.PathLike, files: dict[str, bytes]) -> None:
    """Write several files of ``folder`` so that all are replaced or none is.

    Each file goes to a temporary file that is fsynced; only when all are on
    disk are they renamed over the old ones (in the order given), and the
    folder is fsynced. A failure while writing leaves every old file intact.
    """
    folder = Path(folder)
    temps: dict[str, str] = {}
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in files.items():
            fd, temps[name] = tempfile.mkstemp(prefix=f".{name}.", dir=folder)
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; keep usual rights
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for name, tmp in temps.items():
            os.replace(tmp, folder / name)
        fsync_dir(folder)
    except OSError as exc:
        raise DataError(
            f"Could not save {', '.join(str(folder / n) for n in files)}: "
            f"{exc.strerror or exc}. Free some space or choose another output "
            "folder (--out); none of these files was changed."
        ) from exc
    finally:
        for tmp in temps.values():
            Path(tmp).unlink(missing_ok=True)


def fsync_dir(folder: Path) -> None:
    """Make the renames in ``folder`` durable (where the OS allows it)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def json_ready(value: Any) -> Any:
    """Replace non-finite floats by None, tuples by lists, numpy scalars by floats."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def json_bytes(value: Any) -> bytes:
    """``value`` as strict JSON (no NaN), UTF-8."""
    return json.dumps(json_ready(value), indent=2, allow_nan=False).encode("utf-8")


def atomic_write_json(path: str | os.PathLike, value: Any) -> None:
    """Write ``value`` as strict JSON (no NaN) atomically."""
    atomic_write_bytes(path, json_bytes(value))


def atomic_write_csv(path: str | os.PathLike, frame: pd.DataFrame) -> None:
    """Write ``frame`` as CSV without its index, atomically."""
    atomic_write_bytes(path, frame.to_csv(index=False).encode())


def sha256(path: str | os.PathLike) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_bounded(path: str | os.PathLike, max_bytes: int, fix: str) -> bytes:
    """The bytes of ``path`` if it holds at most ``max_bytes``; else (or when it
    cannot be read) a DataError ending with ``fix``. The size is checked before
    anything is read."""
    try:
        with open(path, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            data = fh.read(max_bytes + 1) if size <= max_bytes else b""
    except FileNotFoundError:
        raise DataError(f"{path} does not exist. {fix}") from None
    except OSError as exc:
        raise DataError(f"Cannot read {path}: {exc.strerror or exc}. {fix}"
                        ) from None
    if size > max_bytes or len(data) > max_bytes:
        raise DataError(f"{path} holds {max(size, len(data)):,} bytes, more than the "
                        f"{max_bytes:,} such a file may hold: it was not written by "
                        f"lstmcast. {fix}")
    return data


def parse_json(data: bytes, where: str, fix: str) -> Any:
    """Strict JSON (no NaN or Infinity) nested at most MAX_DEPTH deep, or a
    DataError naming ``where`` and ``fix``."""
    def constant(name: str) -> None:
        raise ValueError(f"{name} is not a JSON number")
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=constant)
    except RecursionError:
        value = _TOO_DEEP
    except (UnicodeDecodeError, ValueError) as exc:
        raise DataError(f"Cannot read {where}: not valid JSON ({exc}). {fix}"
                        ) from None
    if value is _TOO_DEEP or _depth(value) > MAX_DEPTH:
        raise DataError(f"Cannot read {where}: it nests lists or objects more than "
                        f"{MAX_DEPTH} deep, which no lstmcast file does. {fix}")
    return value


_TOO_DEEP = object()


def _depth(value: Any) -> int:
    """How deep lists and objects nest in ``value`` (without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth <= MAX_DEPTH:
                children = item.values() if isinstance(item, dict) else item
                stack.extend((child, depth + 1) for child in children)
    return deepest


def read_json(path: str | os.PathLike, *, max_bytes: int = MAX_JSON_BYTES,
              fix: str = "Fit the model again.") -> Any:
    """Read a JSON file of lstmcast's, bounded in size and depth, with a clear
    error (ending with ``fix``) if it is missing, too large or damaged."""
    return parse_json(read_bounded(path, max_bytes, fix), str(path), fix)
