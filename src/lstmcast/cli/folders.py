"""Run folders: refuse to overwrite a finished run, and write its report once.

Every command that writes a run folder (fit, demo, diagnose --out, backtest
--out, tune, improve) saves its data there and then calls
:func:`write_run_report`, which builds ``report.html`` from those files alone
(:func:`lstmcast.report.runs.write_report`).
"""

from __future__ import annotations

from pathlib import Path

from lstmcast.core.errors import DataError

# Files that show a folder already holds the result of a run (fit and improve:
# the model and metrics; backtest; improve; tune's refit).
RUN_FILES = ("manifest.json", "model.safetensors", "metrics.json", "backtest.json",
             "ladder.json", "best_config.json")


def refuse_existing_run(out: str | Path, force: bool) -> None:
    """A DataError when ``out`` already holds a saved model or run, unless
    ``force`` (then the files are replaced, one by one, atomically). Nothing is
    ever deleted here. ``tune`` does not call this: its --out holds the study
    journal that a second run resumes."""
    folder = Path(out)
    found = [folder / name for name in RUN_FILES if (folder / name).is_file()]
    if not found or force:
        return
    from datetime import datetime
    stamp = datetime.fromtimestamp(max(p.stat().st_mtime for p in found))
    raise DataError(f"{folder} already holds a model or run from "
                    f"{stamp:%Y-%m-%d %H:%M} ({', '.join(p.name for p in found)}); "
                    "use --force to replace it, or another --out.")


def write_run_report(out: str | Path) -> Path:
    """Write ``report.html`` of the run just saved in ``out``; return its path."""
    from lstmcast.report.runs import write_report
    return write_report(out)
