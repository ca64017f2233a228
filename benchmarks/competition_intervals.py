"""Prediction intervals in the M3 benchmark (issue 15): their scores, the
independent rescoring of each forecast file by ../shared/tools/score_panel.py,
and the intervals table of a subset with issue 15's bar. Used by
competitions.py."""

from __future__ import annotations

import math
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from competition_jobs import LEVELS

ROOT = Path(__file__).resolve().parents[1]


def fmt(value: float | None, spec: str) -> str:
    return "" if value is None or not math.isfinite(value) else format(value, spec)


def interval_scores(merged: pd.DataFrame, scales: dict[str, float]) -> dict:
    """Coverage of each level given (percent of test points inside), MSIS
    (M4: interval score at alpha 0.05 over the MASE scale, mean over steps,
    then over series) and pinball (of the four bounds as quantiles and the
    point as the median, over the same scale, mean over series), by the
    interval scorers of lstmcast.intervals.scores."""
    from lstmcast.intervals.scores import band_scores

    levels = tuple(
        float(lv) for lv in LEVELS
        if {f"lo-{lv}", f"hi-{lv}"} <= set(merged.columns)
    )
    if not levels:
        return {}
    cols = [c for lv in levels for c in (f"lo-{lv:g}", f"hi-{lv:g}")]
    out = band_scores(
        merged["y"].to_numpy(float),
        {c: merged[c].to_numpy(float) for c in cols},
        levels,
    )
    keep = {f"coverage_{lv:g}": out[f"coverage_{lv:g}"] for lv in levels}
    per_series = []
    for uid, g in merged.groupby("unique_id", sort=False):
        s = scales[uid]
        if not (math.isfinite(s) and s > 0):
            continue
        one = band_scores(
            g["y"].to_numpy(float) / s,
            {c: g[c].to_numpy(float) / s for c in cols},
            levels,
            scale=1.0,
            point=g["forecast"].to_numpy(float) / s,
        )
        per_series.append((one.get("msis"), one["pinball"]))
    if per_series:
        if 95.0 in levels:
            keep["msis"] = float(np.mean([v[0] for v in per_series]))
        keep["pinball"] = float(np.mean([v[1] for v in per_series]))
    return keep


SCORE_PANEL = next(
    (p for p in (ROOT.parent / "shared" / "tools" / "score_panel.py",
                 Path("/work/shared/tools/score_panel.py")) if p.exists()),
    ROOT.parent / "shared" / "tools" / "score_panel.py",
)


def score_panel(folder: Path, name: str, m: int) -> dict:
    """../shared/tools/score_panel.py's own scores of a forecast file as
    written (sMAPE, MASE, coverage per level, MSIS), to set beside ours."""
    if not SCORE_PANEL.exists():
        return {"error": f"{SCORE_PANEL} not found"}
    run = subprocess.run(
        [sys.executable, str(SCORE_PANEL), "train.csv", "test.csv", name,
         "--season", str(m)],
        capture_output=True, text=True, cwd=folder,
    )
    out: dict = {}
    for line in run.stdout.splitlines():
        if found := re.match(r"forecast: sMAPE (\S+)\s+MASE (\S+)", line):
            out["smape"], out["mase"] = float(found[1]), float(found[2])
        if found := re.match(r"lo-(\S+)/hi-\S+: coverage (\S+)%", line):
            out[f"coverage_{found[1]}"] = float(found[2])
        if found := re.search(r"MSIS (\S+)", line):
            out["msis"] = float(found[1])
    return out or {"error": (run.stderr or run.stdout)[-400:]}


def intervals_table(methods: dict, marks: dict[str, str],
                    labels: dict[str, str]) -> str:
    """The prediction intervals of the methods that give them (lstmcast's
    calibrated bands, statsforecast's own level=[80, 95]), and issue 15's
    bar; empty when none has intervals."""
    rows = sorted(
        (k for k, e in methods.items() if e.get("msis") is not None),
        key=lambda k: methods[k]["msis"],
    )
    if not rows:
        return ""
    lines = [
        "",
        "",
        "Prediction intervals (80 and 95%) of the methods that give them:",
        "",
        "| method | coverage 80 % | coverage 95 % | MSIS | pinball (scaled) | "
        "score_panel.py: coverage 80 / 95, MSIS |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for method in rows:
        e = methods[method]
        label = f"{labels[method]} {marks.get(e['measured_at'], '')}".strip()
        if method == "lstmcast":
            label = f"**{label}**"
        check = e.get("score_panel", {})
        said = (
            f"{fmt(check.get('coverage_80'), '.1f')} / "
            f"{fmt(check.get('coverage_95'), '.1f')}, {fmt(check.get('msis'), '.3f')}"
            if "msis" in check else check.get("error", "")
        )
        lines.append(
            f"| {label} | {fmt(e.get('coverage_80'), '.1f')} | "
            f"{fmt(e.get('coverage_95'), '.1f')} | {fmt(e.get('msis'), '.3f')} | "
            f"{fmt(e.get('pinball'), '.4f')} | {said} |"
        )
    return "\n".join(lines) + "\n\n" + interval_bar(methods)


def interval_bar(methods: dict) -> str:
    """Issue 15's bar: lstmcast's coverage within 3 points of 80 and 95 and
    its MSIS below AutoETS's."""
    rule = "coverage within 3 points of 80 and 95, MSIS below AutoETS's"
    ours, ets = methods.get("lstmcast", {}), methods.get("autoets", {})
    if ours.get("msis") is None:
        return f"Issue 15's bar ({rule}): not evaluated, lstmcast has no intervals."
    near = all(
        abs(ours[f"coverage_{lv}"] - lv) <= 3 for lv in LEVELS
    )
    if ets.get("msis") is None:
        return (f"Issue 15's bar ({rule}): AutoETS not measured; coverage "
                f"{'within' if near else 'not within'} 3 points.")
    met = near and ours["msis"] < ets["msis"]
    return (
        f"Issue 15's bar ({rule}): **{'met' if met else 'not met'}**; lstmcast "
        f"coverage {ours['coverage_80']:.1f} / {ours['coverage_95']:.1f}, MSIS "
        f"{ours['msis']:.3f} against AutoETS {ets['msis']:.3f}."
    )
