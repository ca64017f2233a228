"""The HTML report of ``lstmcast improve`` (the R² ladder), rebuilt from files.

Files read: ``ladder.csv`` (rung, description, r2, skill, mae, rmse, seconds,
config_json: one row per rung, each adding one step to the one before),
``ladder.json`` (best_rung; baselines {name: R²}), both written by
:meth:`lstmcast.search.ladder.LadderResult.save`, and the best rung's files as
:meth:`lstmcast.evaluation.holdout.FitResult.save` writes them (``metrics.json``,
``test_predictions.csv``, ...), which are optional.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.core.errors import DataError
from lstmcast.core.persist import read_json
from lstmcast.figures import plots
from lstmcast.figures.ladder import r2_ladder, seconds_per_rung
from lstmcast.report import html
from lstmcast.report.runs import run_zone

LADDER = "ladder.json"


def ladder_verdict(ladder: pd.DataFrame, info: dict[str, Any]) -> tuple[str, str]:
    """The best rung's R² against the first rung and the best baseline."""
    best = info.get("best_rung")
    rows = ladder[ladder["rung"].astype(str) == str(best)]
    row = rows.iloc[0] if len(rows) else ladder.loc[ladder["r2"].idxmax()]
    first = ladder.iloc[0]
    refs = {k: v for k, v in (info.get("baselines") or {}).items() if v is not None}
    chosen = f", chosen on {info['chosen_on']}" if info.get("chosen_on") else ""
    text = (f"Best rung: {row['rung']}{chosen}. Test R² {row['r2']:.3f}, from "
            f"{first['r2']:.3f} at the first rung ({first['rung']}).")
    if not refs:
        return text, "meh"
    name, value = max(refs.items(), key=lambda item: item[1])
    if row["r2"] > value:
        return text + f" It beats every baseline (best: {name}, R² {value:.3f}).", \
            "good"
    tone = "bad" if row["r2"] <= refs.get("naive", -np.inf) else "meh"
    return text + (f" {name} still does better (R² {value:.3f}): use it, or keep "
                   "climbing."), tone


def write_ladder_report(out_dir: str | Path) -> Path:
    """Write ``report.html`` of an ``improve`` folder from its files."""
    out = Path(out_dir)
    html.require_files(out, ("ladder.csv", LADDER), "improve")
    ladder = pd.read_csv(out / "ladder.csv")
    if ladder.empty:
        raise DataError(f"{out / 'ladder.csv'} has no rungs: run `lstmcast "
                        "improve` again.")
    info = read_json(out / LADDER)
    baselines = info.get("baselines") or {}
    text, tone = ladder_verdict(ladder, info)
    rows = [[r["rung"], r["description"], r["r2"], r["skill"], r["mae"], r["rmse"],
             r["seconds"]] for _, r in ladder.iterrows()]
    sections = [("", html.verdict_block(text, tone)),
                ("The R² ladder", html.figure_block(
                    r2_ladder(ladder, baselines, info.get("best_rung")),
                    "Each rung adds one change to the one before; the dashed "
                    "lines are the baselines on the same test points. Bars below "
                    "-1 are cut at -1; the number is the true R².")),
                ("Rungs", html.table(["rung", "description", "R²",
                                      "skill vs naive", "MAE", "RMSE", "seconds"],
                                     rows, bold=str(info.get("best_rung")))),
                ("Time", html.figure_block(seconds_per_rung(ladder),
                                           "Wall time of each rung's fit."))]
    if info.get("notes"):
        sections.append(("Notes", "".join(f"<p>{html.esc(n)}</p>"
                                          for n in info["notes"])))
    metrics = read_json(out / "metrics.json") if (out / "metrics.json").is_file() \
        else None
    if metrics is not None:
        sections.append(("Best rung: test part, original scale",
                         html.metrics_table(metrics["models"])))
    if (out / "test_predictions.csv").is_file():
        sections.append(("Forecasts of the best rung", html.figure_block(
            plots.forecasts(plots.zoned(pd.read_csv(out / "test_predictions.csv"),
                                        run_zone(metrics))),
            "One step ahead from the true history over the test part.")))
    best = ladder[ladder["rung"].astype(str) == str(info.get("best_rung"))]
    if len(best) and isinstance(best.iloc[0]["config_json"], str):
        import json
        sections.append(("Settings of the best rung", html.pre_json(
            json.loads(best.iloc[0]["config_json"]))))
    target = (metrics or {}).get("config", {}).get("data", {}).get("target") \
        or "target"
    return html.write_page(out, f"lstmcast improve: {target}",
                           f"{len(ladder)} rungs; best: {info.get('best_rung')}",
                           sections)
