"""The HTML report of ``lstmcast diagnose``: findings first, then the evidence.

:func:`write_diagnosis_report` renders the page from the two files
:meth:`lstmcast.diagnosis.diagnose.Diagnosis.save` writes, ``diagnosis.json``
(``Diagnosis.to_dict``) and ``series.csv`` (timestamp, actual), so ``lstmcast
report DIR`` rebuilds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.core.persist import read_json
from lstmcast.figures import plots
from lstmcast.report import html

DIAGNOSIS = "diagnosis.json"


def stationarity_table(st: dict[str, Any]) -> str:
    """ADF and KPSS p-values and the verdict, before and after the suggested
    transform."""
    after = st.get("after") or {}
    rows = [["series as it is", st["adf_pvalue"], st["kpss_pvalue"],
             st["verdict"], st.get("ndiffs")]]
    if after and after.get("transform") not in (None, "none"):
        rows.append([f"after {after.get('transform')}", after.get("adf_pvalue"),
                     after.get("kpss_pvalue"), after.get("verdict"),
                     after.get("ndiffs")])
    return (html.table(["", "ADF p (unit root if > 0.05)",
                        "KPSS p (not stationary if < 0.05)", "verdict",
                        "differences needed"], rows, bold="")
            + "<p>ADF tests for a unit root, KPSS for stationarity: the verdict "
            "combines both (training part only).</p>")


def write_diagnosis_report(out: str | Path) -> Path:
    """Write ``report.html`` of a diagnose folder from its saved files."""
    out = Path(out)
    html.require_files(out, (DIAGNOSIS, "series.csv"), "diagnose")
    d = read_json(out / DIAGNOSIS)
    frame = pd.read_csv(out / "series.csv")
    st, n_train, season = d["stationarity"], d["n_train"], d["season_length"]
    stamps = plots.to_stamps(frame["timestamp"])
    y = frame["actual"].to_numpy(float)
    issues = [f for f in d["findings"] if f["severity"] != "info"]
    notes = [f for f in d["findings"] if f["severity"] == "info"]
    walk = ("yes: no model will beat repeating the last value"
            if d["random_walk"] else "no")
    verdict = (f"Stationarity: {st['verdict']} (ADF p = {_p(st['adf_pvalue'])}, "
               f"KPSS p = {_p(st['kpss_pvalue'])}); season: {season or 'none'}; "
               f"random walk: {walk}; {len(issues)} problem(s) or warning(s).")
    ts = frame["timestamp"].astype(str)
    split = {"n_train": n_train, "n_val": 0, "n_test": d["n_test"],
             "train": [ts[0], ts[n_train - 1]],
             "validation": [ts[n_train - 1], ts[n_train - 1]],
             "test": [ts[n_train], ts[len(ts) - 1]]}
    sections = [
        ("", html.verdict_block(verdict, "bad" if d["random_walk"] or any(
            f["severity"] == "problem" for f in issues) else
            "meh" if issues else "good")),
        ("Problems and recommendations", html.findings_block(issues)),
        ("Data", html.figure_block(plots.series_split(frame, split),
                                   "The series; the test part (shaded red) is not "
                                   "used to choose any setting.")),
        ("Stationarity", stationarity_table(st)),
        ("Trend and season", html.figure_block(
            plots.decomposition(y[:n_train], stamps[:n_train], season or 1),
            "STL decomposition of the training part.")),
        ("Autocorrelation", html.figure_block(
            plots.autocorrelation(y[:n_train]),
            "Bars outside the grey band are autocorrelation a model can use.")),
        ("Other facts", html.findings_block(notes)),
        ("Recommended settings", html.pre_json(d["recommended_config"]))]
    return html.write_page(out, f"lstmcast diagnose: {d['target']}",
                           f"{d['n']} points, frequency {d['frequency']}", sections)


def _p(value: Any) -> str:
    return "undefined" if value is None or not np.isfinite(value) else f"{value:.3g}"
