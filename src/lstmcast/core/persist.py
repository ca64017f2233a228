"""Files that survive faults: atomic writes, hashes, and pickle-free model folders.

A model folder holds ``model.safetensors`` (weights), JSON files (settings and
fitted state as numbers) and ``manifest.json`` with the SHA-256 of each file.
Writes go to a temporary file that is fsynced and renamed over the target, so a
crash or a full disk never leaves a half-written file where a good one was.
Loading checks every hash before reading anything and never unpickles.
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

MANIFEST = "manifest.json"


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
        _fsync_dir(folder)
    except OSError as exc:
        raise DataError(
            f"Could not save {', '.join(str(folder / n) for n in files)}: "
            f"{exc.strerror or exc}. Free some space or choose another output "
            "folder (--out); files already there were left as they were."
        ) from exc
    finally:
        for tmp in temps.values():
            Path(tmp).unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
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


def write_with_manifest(folder: str | os.PathLike, files: dict[str, bytes],
                        run: dict[str, Any] | None = None) -> None:
    """Write ``files`` and ``manifest.json`` (their SHA-256, and ``run``: how
    they were made) as one :func:`atomic_write_files`, the manifest renamed
    last: a folder whose manifest hashes match is complete."""
    manifest = {"files": {name: hashlib.sha256(data).hexdigest()
                          for name, data in files.items()}}
    if run is not None:
        manifest["run"] = run
    atomic_write_files(folder, {**files, MANIFEST: json_bytes(manifest)})


def verify_folder(folder: str | os.PathLike) -> dict[str, str]:
    """Check that every file listed in the manifest exists with its hash."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"Model folder {folder} does not exist. Give the --out "
                        "folder of a finished `lstmcast fit`.")
    manifest_path = folder / MANIFEST
    if not manifest_path.is_file():
        raise DataError(f"{folder} has no {MANIFEST}: it is not a complete lstmcast "
                        "model folder (was the save interrupted?). Fit again.")
    try:
        files = json.loads(manifest_path.read_text("utf-8"))["files"]
    except (ValueError, KeyError, TypeError):
        raise DataError(f"{manifest_path} is damaged. Fit the model again.") from None
    for name, expected in files.items():
        path = folder / name
        if not path.is_file():
            raise DataError(f"Model file {path} is missing. Fit the model again.")
        if sha256(path) != expected:
            raise DataError(f"Model file {path} does not match its recorded hash: "
                            "it was truncated or changed after saving. Fit again "
                            "or restore the folder from a backup.")
    return files


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file of a verified folder, with a clear error if damaged."""
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise DataError(f"Cannot read {path}: {exc}. Fit the model again.") from None
