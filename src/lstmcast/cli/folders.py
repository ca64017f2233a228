"""Run folders: one writer at a time, and each run swapped in whole.

Every command that writes a run folder (fit, demo, diagnose --out, backtest
--out, tune, improve, report) holds the folder's lock for the whole command
(:func:`writing_run`; a second writer is refused, naming the first), and
saves through :func:`save_run`: the run's files, its ``report.html`` (built
from those files alone by :func:`lstmcast.report.runs.write_report`) and the
manifest of every file are written into a staging folder beside --out, which
then replaces --out in one step (:mod:`lstmcast.core.runfolder`). A reader
sees the old run or the new, never a mix; a failed or killed command leaves
--out as it was.

A fit's checkpoints (``checkpoint/``) and a tune's study journal
(``study.journal``) are state, not results: they live in --out, are carried
into each new run folder, and are not hashed by the manifest.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from lstmcast.core.errors import DataError
from lstmcast.core.manifest import (
    AGAIN,
    MANIFEST,
    MAX_MANIFEST_BYTES,
    open_folder,
    seal,
)
from lstmcast.core.persist import read_json
from lstmcast.core.runfolder import locked, staged
from lstmcast.data.messages import show
from lstmcast.search.tune_storage import JOURNAL

CHECKPOINT = "checkpoint"
KEEP = (CHECKPOINT, JOURNAL, JOURNAL + ".lock")
# Files that show a folder already holds the result of a run (fit and improve:
# the model and metrics; backtest; improve; tune's refit).
RUN_FILES = ("manifest.json", "model.safetensors", "metrics.json", "backtest.json",
             "ladder.json", "best_config.json")
# Every file a command writes into its run folder (a folder of a release that
# listed only its model files in the manifest is known by these names).
RUN_NAMES = frozenset({
    *RUN_FILES, "config.json", "pipeline.json", "model.json", "report.html",
    "calibration.json",
    "auto.json", "test_predictions.csv", "series.csv", "per_fold.csv",
    "per_horizon.csv", "forecasts.csv", "diagnosis.json", "tune.json",
    "trials.csv", "importances.json", "ladder.csv", "per_series.csv",
    "test_forecasts.csv", "history.csv", "context.safetensors",
    "future_forecast.csv"})


@contextmanager
def writing_run(out: str | Path, command: str, *, force: bool | None,
                replaces: tuple[str, ...] = ()) -> Iterator[None]:
    """Hold the lock of ``out`` for the block; refuse a finished run in it
    unless ``force`` (None: never refuse, as tune and fit --resume reuse it)
    or unless it is a run of a kind in ``replaces``."""
    with locked(out, command, KEEP):
        refuse_foreign(out)
        if force is not None:
            refuse_existing_run(out, force, replaces)
        yield


def refuse_foreign(out: str | Path) -> None:
    """A DataError when ``out`` holds anything no lstmcast command wrote (the
    new run replaces the whole folder, which would delete it)."""
    folder = Path(out)
    if not folder.is_dir():
        return
    try:
        listed = read_json(folder / MANIFEST, max_bytes=MAX_MANIFEST_BYTES)["files"]
    except (DataError, KeyError, TypeError):
        listed = {}
    ours = RUN_NAMES | set(KEEP) | set(listed if isinstance(listed, dict) else ())
    foreign = sorted(p.name for p in folder.iterdir() if p.name not in ours)
    if foreign:
        raise DataError(f"{out} holds {show(foreign)}, which no lstmcast command "
                        "wrote: a run replaces its whole --out folder and would "
                        "delete them. Give a new or empty --out (e.g. runs/a), or "
                        "move them out of the folder.")


def refuse_existing_run(out: str | Path, force: bool,
                        replaces: tuple[str, ...] = ()) -> None:
    """A DataError when ``out`` already holds a saved model or run, unless
    ``force`` or the run is of a kind in ``replaces`` (then the new run
    replaces it whole). Nothing is deleted here."""
    from lstmcast.report.runs import KINDS, run_kind
    folder = Path(out)
    found = [folder / name for name in RUN_FILES if (folder / name).is_file()]
    markers = any((folder / marker).is_file() for _, marker in KINDS)
    if not found or force or (markers and run_kind(folder) in replaces):
        return
    from datetime import datetime
    stamp = datetime.fromtimestamp(max(p.stat().st_mtime for p in found))
    raise DataError(f"{folder} already holds a model or run from "
                    f"{stamp:%Y-%m-%d %H:%M} ({', '.join(p.name for p in found)}); "
                    "use --force to replace it, or another --out.")


def save_run(out: str | Path, save: Callable[[Path], object]) -> Path:
    """Write a run into ``out`` as one unit: ``save(folder)`` writes its data
    files into a staging folder, then its report and the manifest of every
    file are added and the folder replaces ``out``; returns ``out``. Call
    inside :func:`writing_run`."""
    with staged(out, KEEP) as stage:
        save(stage)
        _finish(stage)
    return Path(out)


def _finish(stage: Path) -> None:
    """The report of the run in ``stage``, then the manifest of every file."""
    from lstmcast.report.runs import write_report
    write_report(stage)
    seal(stage, state=KEEP)


def rebuild_report(run_dir: str | Path) -> Path:
    """Write ``report.html`` of a saved run again; returns its path.

    A folder whose manifest lists every file is checked whole first (a file
    changed, or one added after the run, is refused) and rebuilt as a new run
    folder from the same files; folders of earlier releases get the page
    written beside their files."""
    from lstmcast.report.runs import REPORT
    with locked(run_dir, "report", KEEP):
        if not (Path(run_dir) / MANIFEST).is_file():
            return _page(run_dir)
        with open_folder(run_dir, fix=AGAIN) as folder:
            if not folder.complete:
                return _page(run_dir)
            folder.check_all(skip=(REPORT,))  # the page is what is rebuilt
            extra = folder.unlisted()
            if extra:
                raise DataError(f"{run_dir} holds {', '.join(extra)}, which its "
                                f"{MANIFEST} does not list: added after the run "
                                "was saved, it is not part of it. Move it out of "
                                "the folder, then run `lstmcast report` again.")
            with staged(run_dir, KEEP) as stage:
                for name in folder.files:
                    if name != REPORT:
                        _link(Path(run_dir) / name, stage / name)
                _page(stage)
                seal(stage, state=KEEP)
    return Path(run_dir) / REPORT



def _page(run_dir: str | Path) -> Path:
    """``report.html`` of files on disk, which may have been changed by hand:
    a file the report cannot read is a DataError naming the folder."""
    from lstmcast.report.runs import write_report
    try:
        return write_report(run_dir)
    except DataError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        raise DataError(f"{run_dir} holds a file the report cannot read "
                        f"({type(exc).__name__}: {str(exc)[:200]}): it was changed "
                        f"after the run, or written by another program. {AGAIN}"
                        ) from None


def _link(source: Path, target: Path) -> None:
    """A hard link of ``source`` at ``target`` (a copy where links fail)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
