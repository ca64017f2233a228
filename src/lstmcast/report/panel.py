"""The HTML report of a panel run (one global model fitted over many series
and scored on the last H values of each), rebuilt from the files of its folder.

Files read, as :meth:`lstmcast.evaluation.panel.PanelResult.save` writes them:
``metrics.json`` (kind "panel": mean sMAPE and MASE per model, the split, the
series left out and the notes, which model was saved, the config),
``per_series.csv`` (sMAPE and MASE of every scored series and model, under
two header rows), ``test_forecasts.csv`` (id, time, actual, a column per
model) and ``history.csv`` (id, time, actual: the end of the training part of
the series to plot, the best and the worst by the lstm's sMAPE) and, where the
run has them, ``future_forecast.csv`` (the saved model's forecast of those
series with its bands) and the ``intervals`` entry of metrics.json.
:func:`write_panel_report` writes ``report.html`` beside them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.core.persist import read_json
from lstmcast.figures import plots
from lstmcast.figures.panel import error_distribution, fan_panels, series_panels
from lstmcast.report import html
from lstmcast.report.runs import run_zone

FILES = ("metrics.json", "per_series.csv", "test_forecasts.csv", "history.csv")
SAID = {"lstm": "lstmcast: its network and classical methods combined",
        "network": "its network alone", "theta": "Theta",
        "damped": "damped-trend ETS", "dtheta": "dynamic optimised Theta",
        "naive": "the last value repeated",
        "seasonal_naive": "the last season repeated"}
SPREAD = ("lstm", "theta", "naive")
"""The models whose per-series sMAPE the distribution figure shows."""


def per_series(path: Path) -> dict[str, pd.DataFrame]:
    """``per_series.csv`` (long: the series id, model, smape, mase) as
    {metric: one row per series id (text), one column per model}, for "smape"
    and "mase"."""
    frame = pd.read_csv(path, converters={0: str})
    frame = frame.set_axis(["id", *frame.columns[1:]], axis=1)
    return {metric: frame.pivot(index="id", columns="model", values=metric)
            .reindex(pd.unique(frame["id"])).rename_axis(columns=None)
            for metric in ("smape", "mase")}


def long_frame(path: Path, zone: str | None) -> pd.DataFrame:
    """A long CSV of the run (the series id, the time, then values) with its
    first two columns named id (read as text) and time (shown in ``zone``)."""
    frame = pd.read_csv(path, converters={0: str})
    frame = frame.set_axis(["id", "time", *frame.columns[2:]], axis=1)
    return plots.zoned(frame, zone, ("time",))


def _f(value: Any, digits: int = 3) -> str:
    return "undefined" if value is None else f"{value:.{digits}g}"


def _smape(models: dict[str, dict[str, Any]], model: str) -> float:
    """A model's mean sMAPE, undefined (None in the JSON) sorting last."""
    value = models[model]["smape"]
    return np.inf if value is None else float(value)


def _beats(smape: pd.DataFrame, model: str) -> tuple[int, int, int]:
    """Series where the lstm's sMAPE is below ``model``'s, above it, equal."""
    both = smape[["lstm", model]].dropna()
    return (int((both["lstm"] < both[model]).sum()),
            int((both["lstm"] > both[model]).sum()),
            int((both["lstm"] == both[model]).sum()))


def panel_verdict(metrics: dict[str, Any], smape: pd.DataFrame) -> tuple[str, str]:
    """lstmcast's mean sMAPE and MASE against the best other model, and on how
    many series it beats Theta, in plain words; and the tone."""
    models, split = metrics["models"], metrics["split"]
    lstm = models["lstm"]
    best = min((m for m in models if m != "lstm"), key=lambda m: _smape(models, m))
    wins, losses, ties = _beats(smape, "theta")
    text = (f"Over {split['series']} series (the last {split['horizon']} values "
            f"of each held out), lstmcast's mean sMAPE is {_f(lstm['smape'])}% "
            f"and its MASE {_f(lstm['mase'])}; the best other model, {best}, has "
            f"sMAPE {_f(models[best]['smape'])}% and MASE "
            f"{_f(models[best]['mase'])}. lstmcast beats Theta on {wins} of "
            f"{wins + losses + ties} series.")
    if _smape(models, "lstm") >= _smape(models, "naive"):
        return (text + " It does no better than repeating the last value: use "
                "the naive forecast here.", "bad")
    if _smape(models, "lstm") <= _smape(models, best):
        return text + " It is the most accurate model here.", "good"
    return text, "meh"


def metrics_table(models: dict[str, dict[str, Any]],
                  scores: dict[str, pd.DataFrame]) -> str:
    """Mean and median sMAPE and MASE over the series, one row per model, best
    mean sMAPE first, lstmcast's row marked; and which series MASE leaves out."""
    order = sorted(models, key=lambda m: _smape(models, m))
    rows = [[m, SAID.get(m, ""), models[m]["smape"],
             float(scores["smape"][m].median()), models[m]["mase"],
             float(scores["mase"][m].median())] for m in order]
    text = html.table(["model", "what it is", "mean sMAPE %", "median sMAPE %",
                       "mean MASE", "median MASE"], rows)
    flat = scores["mase"].index[scores["mase"]["lstm"].isna()].tolist()
    if flat:
        text += (f"<p>MASE is undefined for {len(flat)} series whose training "
                 f"part has no change to scale by ({html.esc(', '.join(flat))}): "
                 "the MASE columns leave them out.</p>")
    return text


def spread_block(smape: pd.DataFrame, models: list[str]) -> str:
    """The distribution of the per-series sMAPE, then the share of series on
    which the lstm beats each other model."""
    figure = html.figure_block(
        error_distribution(smape[list(SPREAD)]), "Each dot a series. A mean over "
        "series can hide a few series gone badly wrong, or a model that wins "
        "on most series by a little and loses on some by a lot.")
    rows = []
    for model in (m for m in models if m != "lstm"):
        wins, losses, ties = _beats(smape, model)
        total = wins + losses + ties
        rows.append([model, wins, losses, ties,
                     f"{wins / total:.0%}" if total else None])
    return figure + html.table(["lstm against", "series lstm does better on",
                                "worse on", "tied", "share better"], rows, bold="")


def plotted(history: pd.DataFrame, smape: pd.Series
            ) -> tuple[list[str], list[str], dict[str, str]]:
    """The series of ``history.csv`` split into the best (in the better half
    of the lstm's sMAPE ranking, best first) and the worst (worst first), and
    each one's title."""
    ranked = smape.dropna().sort_values(kind="stable")
    rank = {key: r for r, key in enumerate(ranked.index, start=1)}
    ids = sorted(dict.fromkeys(history["id"]), key=lambda key: rank[key])
    best = [key for key in ids if rank[key] - 1 < len(ranked) / 2]
    worst = [key for key in reversed(ids) if key not in best]
    titles = {key: f"{key}: rank {rank[key]} of {len(ranked)}, sMAPE "
                   f"{_f(ranked[key])}%" for key in ids}
    return best, worst, titles


def _series_block(history: pd.DataFrame, tests: pd.DataFrame, ids: list[str],
                  titles: dict[str, str], which: str) -> str:
    figure = series_panels(history, tests, ids, titles)
    return html.figure_block(figure, f"The {which} series by the lstm's sMAPE: "
                             f"{'; '.join(titles[key] for key in ids)}. The end "
                             "of the training part, the test actuals (dots), "
                             "and the lstm and Theta forecasts of them, with "
                             "the lstm's prediction intervals (shaded).")


def intervals_block(metrics: dict[str, Any]) -> str:
    """The prediction intervals of the models that have them: coverage of
    each level beside its nominal, MSIS, pinball (and CRPS), how each was
    made, and the calibration's notes; empty for a run without intervals."""
    info = metrics.get("intervals")
    if not info:
        return ""
    models = metrics["models"]
    keys = [f"coverage_{level:g}" for level in info["levels"]]
    keys += [k for k in ("msis", "pinball", "crps")
             if any(models[m].get(k) is not None for m in models)]
    shown = sorted((m for m in models if any(models[m].get(k) is not None
                                             for k in keys)),
                   key=lambda m: (models[m].get("msis") is None,
                                  models[m].get("msis") or 0))
    heads = {"msis": "MSIS", "pinball": "pinball (scaled)", "crps": "CRPS (scaled)"}
    rows = [[m, info["method"].get(m, ""), *(models[m].get(k) for k in keys)]
            for m in shown]
    text = html.table(["model", "how its bands were made",
                       *(heads.get(k, k.replace("coverage_", "coverage ") + " %")
                         for k in keys)], rows)
    text += ("<p>Coverage: the share of test values inside the band, to set "
             "beside its level. MSIS (M4, alpha 0.05): the 95% band's width "
             "plus 40 times each miss, over the series' MASE scale; pinball: "
             "the quantile loss of the bounds and the forecast, on the same "
             "scale; lower is better for both. lstmcast's bands were "
             f"calibrated on {info.get('calibration_errors', 0)} errors per "
             "step, none from the test part.</p>")
    for note in info.get("notes", []):
        text += f"<p>{html.esc(note)}</p>"
    return text


def _fan_block(history: pd.DataFrame, tests: pd.DataFrame, future: pd.DataFrame,
               ids: list[str], titles: dict[str, str]) -> str:
    figure = fan_panels(history, tests, future, ids, titles)
    return html.figure_block(figure, "The forecast after the end of each "
                             "plotted series by the saved model, with its "
                             "prediction intervals (darker: the narrower "
                             "level).")


def notes_block(metrics: dict[str, Any]) -> str:
    """Every series left out at loading, not scored, or noted, with why."""
    not_scored = set(metrics["split"]["not_scored"])
    rows = [[key, "left out", reason] for key, reason in metrics["dropped"].items()]
    rows += [[key, "not scored" if key in not_scored else "scored, with a note", note]
             for key, notes in metrics["notes"].items() for note in notes]
    if not rows:
        return "<p>Every series was scored; loading noted nothing.</p>"
    return html.table(["series", "status", "why, or what was noted"], rows,
                      bold="")


def write_panel_report(run_dir: str | Path) -> Path:
    """Write ``report.html`` of a panel run folder from its files; return its
    path."""
    run = Path(run_dir)
    html.require_files(run, FILES, "fit")
    metrics = read_json(run / "metrics.json")
    zone = run_zone(metrics)
    scores = per_series(run / "per_series.csv")
    tests = long_frame(run / "test_forecasts.csv", zone)
    history = long_frame(run / "history.csv", zone)
    split = metrics["split"]
    text, tone = panel_verdict(metrics, scores["smape"])
    sections = [("", html.verdict_block(text, tone)),
                ("Accuracy on the test part, over the series",
                 metrics_table(metrics["models"], scores)
                 + f"<p>The saved model: {html.esc(metrics['saved_model'])}.</p>"),
                ("Errors across series", spread_block(scores["smape"],
                                                      list(metrics["models"])))]
    best, worst, titles = plotted(history, scores["smape"]["lstm"])
    if intervals_block(metrics):
        sections.append(("Prediction intervals on the test part",
                         intervals_block(metrics)))
    for heading, ids, which in (("Best series", best, "best"),
                                ("Worst series", worst, "worst")):
        if ids:
            sections.append((heading, _series_block(history, tests, ids, titles,
                                                    which)))
    if (run / "future_forecast.csv").is_file():
        future = long_frame(run / "future_forecast.csv", zone)
        ids = [key for key in best + worst if key in set(future["id"])]
        if ids:
            sections.append(("Forecasts after the end of the series",
                             _fan_block(history, tests, future, ids, titles)))
    sections += [("Series left out, not scored or noted", notes_block(metrics)),
                 ("Settings", html.pre_json({"split": split,
                                             "seconds": metrics["seconds"],
                                             "config": metrics["config"]}))]
    target = metrics["config"]["data"].get("target")
    subtitle = (f"{split['series']} series scored on their last "
                f"{split['horizon']} values; season {split['season']}; "
                f"{len(metrics['dropped'])} left out, "
                f"{len(split['not_scored'])} not scored")
    return html.write_page(run, "lstmcast panel" + (f": {target}" if target
                                                    else ""), subtitle, sections)
