"""What a backtest found: scores and forecasts of every model in every fold.

:class:`BacktestResult` is what :func:`lstmcast.evaluation.backtest.backtest`
returns: summaries, rankings and per-step tables computed from the tidy scores,
and :meth:`BacktestResult.save`, which writes the run folder that
:mod:`lstmcast.report.backtest` reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.core.errors import DataError
from lstmcast.core.persist import atomic_write_csv, atomic_write_json
from lstmcast.data.series import SeriesData
from lstmcast.evaluation.backtest_intervals import INTERVAL_METRICS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["SUMMARY_METRICS", "BacktestResult"]

SUMMARY_METRICS = ("r2", "mae", "rmse", "mase", "skill_vs_naive")
#: The point scores and the LSTM's interval scores (``backtest --levels``),
#: summarised per model; models without intervals show NaN for the latter.
SCORED_METRICS = SUMMARY_METRICS + INTERVAL_METRICS
_HIGHER_IS_BETTER = ("r2", "skill_vs_naive")


@dataclass
class BacktestResult:
    """Scores and forecasts of every model in every fold.

    Attributes
    ----------
    scores : DataFrame (fold, h, model, metric, value), every metric of
        :func:`lstmcast.evaluation.metrics.evaluate`; an undefined score is NaN.
    forecasts : DataFrame (fold, origin, h, timestamp, actual, model, forecast):
        ``origin`` is the stamp of the last row known, ``timestamp`` the one
        forecast.
    timings : DataFrame (fold, model, fit_seconds, forecast_seconds).
    folds : one dict per fold (rows and stamps of its parts, season, window).
    settings : the backtest's settings, resolved.
    failures : reference models that could not run in a fold (fold, model,
        message); they are left out of that fold's scores, never filled in.
    fitted : the fitted models of each fold, by name (not in ``to_dict``).
    series : the series backtested (for ``series.csv``; not in ``to_dict``).
    """

    scores: pd.DataFrame
    forecasts: pd.DataFrame
    timings: pd.DataFrame
    folds: list[dict[str, Any]]
    settings: dict[str, Any]
    failures: list[dict[str, Any]] = field(default_factory=list)
    fitted: list[dict[str, Any]] = field(default_factory=list, repr=False)
    series: SeriesData | None = field(default=None, repr=False, compare=False)

    def _per_fold(self, steps: str) -> pd.DataFrame:
        """(fold, model, metric) -> value at h = 1 or averaged over h."""
        table = self.scores[self.scores["metric"].isin(SCORED_METRICS)]
        if steps == "h1":
            table = table[table["h"] == 1]
        elif steps != "mean":
            raise DataError(f"The 'steps' parameter must be 'h1' or 'mean'. Got "
                            f"{steps!r} instead.")
        return table.groupby(["fold", "model", "metric"], sort=False)["value"] \
            .mean().reset_index()

    def summary(self) -> pd.DataFrame:
        """Per model: mean and std across folds of r2, mae, rmse, mase and
        skill_vs_naive, at h = 1 (``steps`` "h1") and, for H > 1, averaged over
        h = 1..H (``steps`` "mean"); ``folds`` counts the folds scored."""
        rows = []
        for steps in ("h1", "mean") if self.settings["horizon"] > 1 else ("h1",):
            per_fold = self._per_fold(steps)
            for model in self._models():
                own = per_fold[per_fold["model"] == model]
                row: dict[str, Any] = {"model": model, "steps": steps,
                                       "folds": int(own["fold"].nunique())}
                for metric in SCORED_METRICS:
                    values = own.loc[own["metric"] == metric, "value"]
                    row[f"{metric}_mean"] = values.mean()
                    row[f"{metric}_std"] = values.std(ddof=1) if len(values) > 1 \
                        else np.nan
                rows.append(row)
        return pd.DataFrame(rows)

    def ranking(self, metric: str = "mase", steps: str = "mean") -> pd.DataFrame:
        """Models from best to worst by ``metric`` (mean across folds, at h = 1
        or averaged over h), with each model's mean rank over the folds."""
        if metric not in SUMMARY_METRICS:
            raise DataError(f"The 'metric' parameter must be one of "
                            f"{', '.join(SUMMARY_METRICS)}. Got {metric!r} instead.")
        per_fold = self._per_fold(steps)
        per_fold = per_fold[per_fold["metric"] == metric]
        wide = per_fold.pivot(index="fold", columns="model", values="value")
        better_high = metric in _HIGHER_IS_BETTER
        ranks = wide.rank(axis=1, ascending=not better_high)
        table = pd.DataFrame({metric: wide.mean(), "mean_rank": ranks.mean(),
                              "folds": wide.notna().sum()})
        table = table.sort_values(metric, ascending=not better_high,
                                  na_position="last")
        table.insert(0, "rank", np.arange(1, len(table) + 1))
        return table.reset_index()

    def per_horizon(self, metric: str | None = None) -> pd.DataFrame:
        """Mean and std across folds of every metric at each step h (tidy), or
        for one ``metric`` a table of its mean: one row per h, one column per
        model."""
        grouped = self.scores.groupby(["h", "model", "metric"], sort=False)["value"]
        table = grouped.agg(["mean", "std"]).reset_index()
        if metric is None:
            return table
        own = table[table["metric"] == metric]
        if own.empty:
            raise DataError(f"No metric {metric!r}. Metrics: "
                            f"{', '.join(self.scores['metric'].unique())}.")
        return own.pivot(index="h", columns="model", values="mean")[self._models()]

    def _models(self) -> list[str]:
        return list(dict.fromkeys(self.scores["model"]))

    def to_dict(self, *, forecasts: bool = False) -> dict[str, Any]:
        """Plain JSON-ready dict (NaN becomes None; stamps become strings)."""
        out = {"settings": self.settings, "folds": self.folds,
               "summary": _records(self.summary()), "ranking": _records(
                   self.ranking()), "per_horizon": _records(self.per_horizon()),
               "scores": _records(self.scores), "timings": _records(self.timings),
               "failures": self.failures}
        if forecasts:
            out["forecasts"] = _records(self.forecasts)
        return out

    def to_frame(self) -> pd.DataFrame:
        """The summary as a DataFrame (see :meth:`summary`)."""
        return self.summary()

    def plot(self) -> Figure:
        """RMSE and skill vs naive per horizon step, every model (a matplotlib
        Figure, shown inline in notebooks)."""
        from lstmcast.figures.backtest import per_horizon_errors
        return per_horizon_errors(self.per_horizon())

    def save(self, out: str | Path) -> Path:
        """Write the run's files into folder ``out`` and return it:
        ``backtest.json`` (:meth:`to_dict`), ``per_fold.csv`` (fold, model and
        each summary metric averaged over h), ``per_horizon.csv``
        (:meth:`per_horizon`), ``forecasts.csv`` and, when the series is kept,
        ``series.csv`` (timestamp, actual: the fold layout shows it).
        :func:`lstmcast.report.runs.write_report` builds the page from them."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "backtest.json", self.to_dict())
        scores = self.scores[self.scores["metric"].isin(SCORED_METRICS)]
        per_fold = scores.pivot_table(index=["fold", "model"], columns="metric",
                                      values="value", aggfunc="mean", sort=False)
        atomic_write_csv(out / "per_fold.csv", per_fold.reset_index())
        atomic_write_csv(out / "per_horizon.csv", self.per_horizon())
        atomic_write_csv(out / "forecasts.csv", self.forecasts)
        if self.series is not None:
            atomic_write_csv(out / "series.csv", pd.DataFrame(
                {"timestamp": self.series.index, "actual": self.series.y}))
        return out

    def __repr__(self) -> str:
        best = self.ranking().iloc[0]
        return (f"BacktestResult(folds={len(self.folds)}, "
                f"horizon={self.settings['horizon']}, models={self._models()}, "
                f"best={best['model']!r} by mase)")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    def plain(v: Any) -> Any:
        if isinstance(v, float | np.floating):
            return float(v) if np.isfinite(v) else None
        if isinstance(v, np.integer):
            return int(v)
        if isinstance(v, pd.Timestamp):
            return v.isoformat()
        return v
    return [{k: plain(v) for k, v in row.items()} for row in frame.to_dict("records")]
