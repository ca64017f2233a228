"""The HTML report of ``lstmcast diagnose``: findings first, then the evidence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from lstmcast.persist import atomic_write_bytes
from lstmcast.report import html, plots


def write_diagnosis_report(diagnosis: Any, series: Any, out: str | Path) -> Path:
    """Write ``report.html`` for a diagnosis of ``series`` into folder ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    st = diagnosis.stationarity
    n_train = diagnosis.n_train
    stamps = series.index.to_numpy()
    issues = [f.to_dict() for f in diagnosis.findings if f.severity != "info"]
    notes = [f.to_dict() for f in diagnosis.findings if f.severity == "info"]
    walk = ("yes: no model will beat repeating the last value"
            if diagnosis.random_walk else "no")
    verdict = (f"Stationarity: {st['verdict']} (ADF p = {st['adf_pvalue']:.3g}, "
               f"KPSS p = {st['kpss_pvalue']:.3g}); season: "
               f"{diagnosis.season_length or 'none'}; random walk: {walk}.")
    split = {"n_train": n_train, "n_val": 0, "n_test": diagnosis.n_test,
             "train": [str(stamps[0]), str(stamps[n_train - 1])],
             "validation": [str(stamps[n_train - 1]), str(stamps[n_train - 1])],
             "test": [str(stamps[n_train]), str(stamps[-1])]}
    frame = pd.DataFrame({"timestamp": series.index.astype(str), "actual": series.y})
    sections = [
        ("", html.verdict_block(verdict, "bad" if diagnosis.random_walk or issues
                                else "good")),
        ("Problems and recommendations", html.findings_block(issues)),
        ("Data", html.figure_block(plots.series_split(frame, split),
                                   "The series; the test part (shaded red) is not "
                                   "used to choose any setting.")),
        ("Trend and season", html.figure_block(
            plots.decomposition(series.y[:n_train], stamps[:n_train],
                                diagnosis.season_length or 1),
            "STL decomposition of the training part.")),
        ("Autocorrelation", html.figure_block(
            plots.autocorrelation(series.y[:n_train]),
            "Bars outside the grey band are autocorrelation a model can use.")),
        ("Other facts", html.findings_block(notes)),
        ("Recommended settings", html.pre_json(diagnosis.recommended.to_dict()))]
    page = html.page(f"lstmcast diagnose: {diagnosis.target}",
                     f"{diagnosis.n} points, frequency {diagnosis.frequency}",
                     sections)
    path = out / "report.html"
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
