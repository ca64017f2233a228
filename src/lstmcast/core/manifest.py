"""The manifest of a folder: each file's SHA-256 and size, written last.

``manifest.json`` holds ``files`` (plain file name -> SHA-256) and ``bytes``
(name -> size), and may hold ``run`` (how the files were made), ``complete``
(true: it lists every file of the folder) and ``state`` (entries that are the
run's live state, not its results: a tune's study journal, a fit's
checkpoints; later runs change them, so they are not hashed).

A reader opens the folder once (:func:`open_folder`) and reads every file by
plain name through that handle: when a newer run is swapped in meanwhile, it
finds its own run's files gone (a clear error), never one of the new run;
names with a separator or ``..``,
symbolic links and files larger than recorded are refused before anything is
opened or hashed. Model folders of earlier releases list only the model
files and no sizes: they are read as before, each file bounded by
``MAX_FILE_BYTES``.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path
from typing import Any

from lstmcast.core import schema
from lstmcast.core.errors import DataError
from lstmcast.core.persist import (
    MAX_JSON_BYTES,
    atomic_write_files,
    json_bytes,
    parse_json,
    read_json,
    sha256,
)

MANIFEST = "manifest.json"
AGAIN = "Run the command that wrote the folder again."
MAX_MANIFEST_BYTES = 1 << 20
MAX_FILE_BYTES = 4 << 30  # of any listed file whose size was not recorded
_HASH = schema.text(max_len=64)
_SPEC = schema.record(
    {"files": schema.mapping(_HASH, max_len=10_000)},
    {"bytes": schema.mapping(schema.integer(0), max_len=10_000),
     "run": schema.anything(), "complete": schema.boolean(),
     "state": schema.listof(schema.text(max_len=255), max_len=100)})


def plain_name(name: str) -> bool:
    """A file name inside the folder: no separator, not hidden, not ``..``."""
    return (0 < len(name) <= 255 and not name.startswith(".")
            and not any(c in name for c in "/\\\0"))


def write_with_manifest(folder: str | os.PathLike, files: dict[str, bytes],
                        run: dict[str, Any] | None = None) -> None:
    """Write ``files`` and ``manifest.json`` (their SHA-256 and sizes, and
    ``run``: how they were made) as one :func:`atomic_write_files`, the
    manifest renamed last: a folder whose manifest hashes match is complete."""
    manifest: dict[str, Any] = {
        "files": {name: hashlib.sha256(data).hexdigest()
                  for name, data in files.items()},
        "bytes": {name: len(data) for name, data in files.items()}}
    if run is not None:
        manifest["run"] = run
    atomic_write_files(folder, {**files, MANIFEST: json_bytes(manifest)})


def seal(folder: str | os.PathLike, *, state: tuple[str, ...] = ()) -> None:
    """Write the manifest of every file in ``folder`` (``complete``), keeping
    the ``run`` record of a model's manifest; entries named in ``state`` are
    recorded as state, not hashed."""
    folder = Path(folder)
    old = folder / MANIFEST
    run = read_json(old, max_bytes=MAX_MANIFEST_BYTES, fix=AGAIN).get("run") \
        if old.is_file() else None
    names = sorted(p.name for p in folder.iterdir() if p.is_file()
                   and p.name != MANIFEST and p.name not in state)
    manifest: dict[str, Any] = {
        "files": {name: sha256(folder / name) for name in names},
        "bytes": {name: (folder / name).stat().st_size for name in names},
        "complete": True, "state": list(state)}
    if run is not None:
        manifest["run"] = run
    atomic_write_files(folder, {MANIFEST: json_bytes(manifest)})


def record(folder: str | os.PathLike, name: str) -> None:
    """Update the entry of file ``name`` in the complete manifest of
    ``folder`` (a page rewritten after the run was sealed); a folder without
    one is left alone."""
    folder = Path(folder)
    path = folder / MANIFEST
    if not path.is_file():
        return
    manifest = read_json(path, max_bytes=MAX_MANIFEST_BYTES, fix=AGAIN)
    if not (isinstance(manifest, dict) and manifest.get("complete") is True
            and isinstance(manifest.get("files"), dict)
            and isinstance(manifest.get("bytes"), dict)):
        return
    manifest["files"][name] = sha256(folder / name)
    manifest["bytes"][name] = (folder / name).stat().st_size
    atomic_write_files(folder, {MANIFEST: json_bytes(manifest)})


class Folder:
    """A folder opened once, its manifest checked; files read by plain name.

    Use :func:`open_folder`; close it (or use ``with``) when done."""

    def __init__(self, path: Path, fd: int, fix: str) -> None:
        self.path, self._fd, self.fix = path, fd, fix
        self.sizes: dict[str, int] = {}
        raw = self._read(MANIFEST, MAX_MANIFEST_BYTES, missing=(
            f"{path} has no {MANIFEST}: it is not a complete lstmcast model folder "
            f"(was the save interrupted?). {fix}"))
        where = str(path / MANIFEST)
        self.manifest = schema.validate(parse_json(raw, where, fix), _SPEC, where,
                                        fix)
        self.files: dict[str, str] = self.manifest["files"]
        self.sizes = self.manifest.get("bytes", {})
        names = [*self.files, *self.sizes, *self.manifest.get("state", [])]
        bad = [n for n in names if not plain_name(n) or n == MANIFEST]
        if bad:
            raise DataError(f"{path / MANIFEST} lists {schema.shown(bad[0])}, which "
                            "is not a plain file name inside the folder: nothing "
                            f"outside {path} is opened. {fix}")

    @property
    def complete(self) -> bool:
        """Whether the manifest lists every file (folders written by a command
        of this release); earlier ones list the model files only."""
        return bool(self.manifest.get("complete"))

    def require(self, names: tuple[str, ...]) -> None:
        """A DataError unless the manifest lists every one of ``names``."""
        missing = [n for n in names if n not in self.files]
        if missing:
            raise DataError(f"{self.path / MANIFEST} does not list "
                            f"{', '.join(missing)}, which every model folder has: "
                            "it was damaged or forged and cannot vouch for the "
                            f"files. {self.fix}")

    def size(self, name: str) -> int:
        """The size of listed file ``name`` on disk (checked against the
        recorded one)."""
        fd = self._open(name)
        try:
            return self._checked_size(name, fd, MAX_FILE_BYTES)
        finally:
            os.close(fd)

    def read(self, name: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
        """The bytes of listed file ``name``, their size checked before reading
        and their hash before returning."""
        if name not in self.files:
            raise DataError(f"{self.path / MANIFEST} does not list {name}. "
                            f"{self.fix}")
        data = self._read(name, max_bytes)
        if hashlib.sha256(data).hexdigest() != self.files[name]:
            raise self._changed(name)
        return data

    def json(self, name: str, max_bytes: int = MAX_JSON_BYTES) -> Any:
        """Listed JSON file ``name``, checked and parsed with bounds."""
        return parse_json(self.read(name, max_bytes), str(self.path / name),
                          self.fix)

    def check_all(self, skip: tuple[str, ...] = ()) -> None:
        """Check the size and hash of every listed file but those in ``skip``
        (streamed)."""
        for name, expected in self.files.items():
            if name in skip:
                continue
            fd = self._open(name)
            try:
                self._checked_size(name, fd, MAX_FILE_BYTES)
                digest = hashlib.sha256()
                for block in iter(lambda fd=fd: os.read(fd, 1 << 20), b""):
                    digest.update(block)
            finally:
                os.close(fd)
            if digest.hexdigest() != expected:
                raise self._changed(name)

    def unlisted(self) -> list[str]:
        """Plain files in the folder that the manifest neither lists nor names
        as state."""
        known = {MANIFEST, *self.files, *self.manifest.get("state", [])}
        return sorted(n for n in os.listdir(self._fd)
                      if plain_name(n) and n not in known)

    def close(self) -> None:
        os.close(self._fd)

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _changed(self, name: str) -> DataError:
        return DataError(f"File {self.path / name} does not match its recorded "
                         "hash: it was truncated or changed after saving. "
                         f"{self.fix} Or restore the folder from a backup.")

    def _open(self, name: str, missing: str | None = None) -> int:
        """A read-only descriptor of regular file ``name`` (never following a
        symbolic link, never blocking on a pipe)."""
        where = self.path / name
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK,
                         dir_fd=self._fd)
        except FileNotFoundError:
            raise DataError(missing or f"File {where} is missing. "
                            f"{self.fix}") from None
        except OSError as exc:
            raise DataError(f"Cannot open {where}: {exc.strerror or exc} (a "
                            f"symbolic link or unreadable file). {self.fix}"
                            ) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise DataError(f"{where} is not a regular file. {self.fix}")
        return fd

    def _checked_size(self, name: str, fd: int, max_bytes: int) -> int:
        size = os.fstat(fd).st_size
        recorded = self.sizes.get(name)
        if recorded is not None and size != recorded:
            raise DataError(f"File {self.path / name} holds {size:,} bytes "
                            f"where the manifest recorded {recorded:,}: it was "
                            f"truncated or changed after saving. {self.fix}")
        if size > max_bytes:
            raise DataError(f"{self.path / name} holds {size:,} bytes, more than "
                            f"the {max_bytes:,} it may hold here. {self.fix}")
        return size

    def _read(self, name: str, max_bytes: int, missing: str | None = None) -> bytes:
        fd = self._open(name, missing)
        try:
            size = self._checked_size(name, fd, max_bytes)
            chunks, left = [], size + 1
            while left > 0 and (block := os.read(fd, min(left, 1 << 24))):
                chunks.append(block)
                left -= len(block)
        finally:
            os.close(fd)
        data = b"".join(chunks)
        if len(data) != size:
            raise DataError(f"{self.path / name} changed while it was read. "
                            f"{self.fix}")
        return data


def open_folder(path: str | os.PathLike, fix: str) -> Folder:
    """Open folder ``path`` and check its manifest (names, types); ``fix``
    ends every error message."""
    folder = Path(path)
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except FileNotFoundError:
        raise DataError(f"Model folder {folder} does not exist. Give the --out "
                        "folder of a finished `lstmcast fit`.") from None
    except OSError as exc:
        raise DataError(f"Cannot open the folder {folder}: {exc.strerror or exc}. "
                        "Give the --out folder of a finished `lstmcast fit`."
                        ) from None
    try:
        return Folder(folder, fd, fix)
    except BaseException:
        os.close(fd)
        raise
