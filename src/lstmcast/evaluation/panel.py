"""Hold-out evaluation of a global model as the M competitions do it.

The test part is the last H values of every series; the model is fitted on
the rest and forecasts H steps from there, beside the naive, seasonal naive,
Theta, damped-trend ETS and dynamic optimised Theta forecasts of the very
same points (each fitted per
series on the same training part). Scores: sMAPE (the mean over series of the
mean of 200 |y - f| / (|y| + |f|)) and MASE (the mean absolute error over the
in-sample mean absolute seasonal difference; season 1 where a series is not
longer than its season), per series and averaged. Then, unless
``refit=False``, the model is fitted again on all the data, so that the saved
model forecasts the real future.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.core.config import ForecastConfig
from lstmcast.core.parallel import on_cluster
from lstmcast.core.persist import atomic_write_csv, atomic_write_json
from lstmcast.data.panel import PanelData

__all__ = ["PanelResult", "evaluate_panel", "panel_scores"]

MODELS = ("lstm", "network", "theta", "damped", "dtheta", "naive", "seasonal_naive")
"""Columns of the test forecasts: lstmcast's combination, its network alone,
the classical methods it may combine it with alone (Theta, damped ETS, the
dynamic optimised Theta), and the two naive references."""
HISTORY_TAIL = 50
"""At most this many training values of each plotted series in history.csv."""


def _naive_paths(panel: PanelData, season: int, horizon: int
                 ) -> dict[str, np.ndarray]:
    last = panel.values[panel.starts[1:] - 1]
    naive = np.repeat(last[:, None], horizon, axis=1)
    seasonal = naive.copy()
    for i in range(len(panel)):
        y = panel.y(i)
        if season > 1 and y.size >= season:
            seasonal[i] = y[y.size - season + np.arange(horizon) % season]
    return {"naive": naive, "seasonal_naive": seasonal}


def panel_scores(train: PanelData, actual: np.ndarray, forecasts: dict[str, np.ndarray],
                 season: int) -> pd.DataFrame:
    """One row per series and model: sMAPE and MASE of (n, H) forecasts."""
    rows = []
    for i, key in enumerate(train.ids):
        y_train, y = train.y(i), actual[i]
        m = season if y_train.size > season else 1
        steps = np.abs(y_train[m:] - y_train[:-m])
        steps = steps[np.isfinite(steps)]
        scale = float(steps.mean()) if steps.size and steps.mean() > 0 else np.nan
        for model, paths in forecasts.items():
            f = paths[i]
            denom = np.abs(y) + np.abs(f)
            smape = 200 * np.divide(np.abs(y - f), denom, out=np.zeros_like(denom),
                                    where=denom > 0)
            rows.append({"id": key, "model": model, "smape": float(np.mean(smape)),
                         "mase": float(np.mean(np.abs(y - f)) / scale)})
    return pd.DataFrame(rows)


@dataclass
class PanelResult:
    """A global model fitted on a panel and its scores on the last H values of
    every series.

    ``forecaster`` is the model to keep (refitted on all the data unless
    ``refit=False``); ``scores`` one row per series and model;
    ``predictions`` the test forecasts (id, time, actual, one column a model,
    and the bands: ``lstm-lo-80``, ..., ``naive-lo-80``, ...); ``intervals``
    the levels, quantiles, how each model's bands were made and notes.
    """

    forecaster: Any
    scores: pd.DataFrame
    predictions: pd.DataFrame
    split: dict[str, Any]
    config: ForecastConfig
    seconds: float
    notes: dict[Any, tuple[str, ...]] = field(default_factory=dict)
    dropped: dict[Any, str] = field(default_factory=dict)
    refitted: bool = True
    intervals: dict[str, Any] = field(default_factory=dict)

    @property
    def saved_model(self) -> str:
        """Which model ``save`` keeps, in words."""
        if self.refitted:
            return ("refitted on every value of every series (predict forecasts "
                    "after the end of each)")
        return (f"the evaluated model, trained without the last "
                f"{self.split['horizon']} values of each series (--no-refit)")

    def summary(self) -> pd.DataFrame:
        """Mean sMAPE and MASE over the series, one row per model, best first;
        and the interval scores (coverage_80, ..., msis, pinball, crps) of the
        models that have bands (NaN for the others)."""
        columns = [c for c in self.scores.columns if c not in ("id", "model")]
        table = self.scores.groupby("model", sort=False)[columns].mean()
        return table.sort_values("smape").reset_index()

    def to_frame(self) -> pd.DataFrame:
        """The summary (see :meth:`summary`)."""
        return self.summary()

    def to_dict(self) -> dict[str, Any]:
        """metrics.json of a panel run."""
        summary = {row["model"]: {k: _number(v) for k, v in row.items()
                                  if k != "model"}
                   for row in self.summary().to_dict("records")}
        return {"kind": "panel", "models": summary, "split": self.split,
                **({"intervals": self.intervals} if self.intervals else {}),
                "config": self.config.to_dict(), "seconds": self.seconds,
                "saved_model": self.saved_model,
                "dropped": {str(k): v for k, v in self.dropped.items()},
                "notes": {str(k): list(v) for k, v in self.notes.items()}}

    def save(self, out: str | Path) -> Path:
        """The model folder, ``metrics.json``, ``test_forecasts.csv``,
        ``per_series.csv``, ``history.csv`` (the end of the training part of
        the series the report plots) and ``future_forecast.csv`` (the saved
        model's forecast of those series, with its bands); returns the
        folder."""
        folder = self.forecaster.save(out)
        atomic_write_json(folder / "metrics.json", self.to_dict())
        atomic_write_csv(folder / "test_forecasts.csv", self.predictions)
        atomic_write_csv(folder / "per_series.csv", self.scores.rename(
            columns={"id": self.forecaster.state_.context.id_name}))
        plotted = _plotted(self.scores)
        context = self.forecaster.state_.context
        atomic_write_csv(folder / "history.csv", _history(
            context, self.predictions, plotted,
            min(5 * self.split["horizon"], HISTORY_TAIL)))
        if plotted:
            atomic_write_csv(folder / "future_forecast.csv", self.forecaster.predict(
                data=context.subset(plotted)))
        return folder

    def __repr__(self) -> str:
        best = self.summary().iloc[0]
        lstm = self.summary().set_index("model").loc["lstm"]
        return (f"PanelResult(series={self.split['series']}, "
                f"horizon={self.split['horizon']}, lstm sMAPE={lstm.smape:.2f}, "
                f"best={best.model!r} sMAPE={best.smape:.2f}, "
                f"seconds={self.seconds:.0f})")


@on_cluster
def evaluate_panel(panel: PanelData, config: ForecastConfig, *, refit: bool = True,
                   progress: bool = False, given: frozenset[str] = frozenset(),
                   references: tuple[str, ...] = ()) -> PanelResult:
    """Fit on all but the last H values of every series, score the H-step
    forecasts beside the references, then (``refit``) fit on everything.

    ``references`` adds per-series AutoARIMA ("arima") and ETS ("ets") of
    :mod:`lstmcast.baselines` to the comparison. They are off by default:
    fitted one series at a time in statsmodels they take seconds a series
    (about 10 and 6 s here), an hour for a few hundred series, where the
    global model and its vectorised references take minutes for thousands;
    benchmarks/competitions.py compares against statsforecast's AutoARIMA and
    AutoETS instead (compiled, about 0.7 and 0.1 s a series)."""
    from lstmcast.forecaster.estimator import LSTMForecaster
    from lstmcast.panel.fit import panel_config, panel_season
    from lstmcast.panel.predict import forecast_panel, special_series
    started = time.perf_counter()
    config = panel_config(config, given)
    horizon = config.model.horizon
    lengths = panel.lengths()
    short = [panel.ids[i] for i in np.flatnonzero(lengths <= horizon + 2)]
    scored = panel if not short else panel.subset(
        [k for k in panel.ids if k not in set(short)])
    train = scored.drop_last(horizon)
    est = LSTMForecaster.from_config(config)
    est.fit_panel(train, progress=progress, given=given)
    forecast = forecast_panel(est.state_, train, horizon, every_component=True,
                              levels=(), quantiles=())
    season = panel_season(panel, config)
    paths = {"lstm": forecast.forecast, "network": forecast.network,
             **forecast.members, **_naive_paths(train, season, horizon),
             **_reference_paths(train, season, horizon, references)}
    actual = scored.last(horizon)
    scores = panel_scores(train, actual, paths, season)
    bands, scores, intervals = _intervals(est.state_, train, actual, paths,
                                          season, scores)
    predictions = _predictions(scored, horizon, actual, {**paths, **bands})
    split = {"series": len(scored), "horizon": horizon, "season": season,
             "test": f"the last {horizon} values of every series",
             "not_scored": [str(k) for k in short]}
    notes = dict(panel.notes)
    for key in short:
        notes[key] = (*notes.get(key, ()), f"too short to hold out {horizon} test "
                      "values: not scored (still forecast after a refit).")
    if refit:
        est = LSTMForecaster.from_config(config)
        est.fit_panel(panel, progress=progress, given=given)
    for key, how in special_series(panel, est.window_).items():
        notes[key] = (*notes.get(key, ()), f"forecast: {how}")
    return PanelResult(est, scores, predictions, split, config,
                       time.perf_counter() - started, notes, dict(panel.dropped),
                       refitted=refit, intervals=intervals)


def _number(value: Any) -> float | None:
    """A mean as JSON keeps it: None where it is undefined (NaN)."""
    return None if value is None or not np.isfinite(value) else float(value)


def _intervals(state: Any, train: PanelData, actual: np.ndarray,
               paths: dict[str, np.ndarray], season: int, scores: pd.DataFrame
               ) -> tuple[dict[str, np.ndarray], pd.DataFrame, dict[str, Any]]:
    """The test bands of lstmcast (calibrated on the validation origin, H
    steps before the test part) and of the naive references (textbook), as
    columns ``lstm-lo-80``, ...; ``scores`` with their interval scores per
    series; the ``intervals`` entry of metrics.json."""
    from lstmcast.evaluation.interval_doctor import panel_test_coverage
    from lstmcast.evaluation.panelbands import (
        REFERENCE_METHOD,
        mase_scales,
        reference_bands,
        series_scores,
    )
    from lstmcast.panel.bands import calibration_notes, panel_bands
    model = state.config.model
    levels, quantiles = model.levels, model.quantiles
    cal = state.calibration
    if cal is None or not (levels or quantiles):
        return {}, scores, {}
    histories = [train.y(i) for i in range(len(train))]
    point = paths["lstm"]
    recent = state.scale_recent
    own = {"lstm": {**panel_bands(cal, histories, point, season, levels=levels,
                                  recent=recent),
                    **panel_bands(cal, histories, point, season,
                                  quantiles=quantiles, recent=recent)}}
    if levels:
        own.update(reference_bands(train, paths, season, levels))
    scale = mase_scales(train, season)
    rows = []
    for name, bands in own.items():
        for key, values in zip(train.ids, series_scores(
                actual, paths[name], bands, scale,
                levels, quantiles if name == "lstm" else ()), strict=True):
            rows.append({"id": key, "model": name, **values})
    coverages = {level: np.array([r.get(f"coverage_{level:g}", np.nan)
                                  for r in rows if r["model"] == "lstm"],
                                 dtype=np.float64) for level in levels}
    scores = scores.merge(pd.DataFrame(rows), on=["id", "model"], how="left",
                          sort=False)
    columns = {f"{name}-{col}": values for name, bands in own.items()
               for col, values in bands.items()}
    method = {"lstm": "conformal: the errors of the combination forecasting "
                      "the last H values of every series from a model fitted "
                      "without them (H steps before the test part), per step, "
                      "over each series' RMS seasonal difference",
              **(REFERENCE_METHOD if levels else {})}
    return columns, scores, {
        "levels": list(levels), "quantiles": list(quantiles), "method": method,
        "calibration_errors": int(cal.counts().min()),
        "notes": [*calibration_notes(cal, levels),
                  *panel_test_coverage(coverages)] if levels else []}


def _plotted(scores: pd.DataFrame, count: int = 3) -> list[Any]:
    """The ids of the ``count`` best then the ``count`` worst series by the
    lstm's sMAPE, each from its own half of the ranking (fewer when the panel
    is small), so the report can show where the model does well and badly."""
    lstm = scores[(scores["model"] == "lstm") & np.isfinite(scores["smape"])]
    order = lstm.sort_values("smape", kind="stable")["id"].tolist()
    best = order[:min(count, (len(order) + 1) // 2)]
    return best + order[len(best):][-count:]


def _history(context: PanelData, predictions: pd.DataFrame, ids: list[Any],
             tail: int) -> pd.DataFrame:
    """The last ``tail`` training values (before the first test stamp, as the
    saved model may have been refitted on everything) of the series ``ids``,
    in long format: id, time, actual."""
    index = {key: i for i, key in enumerate(context.ids)}
    id_name, time_name = context.id_name, context.time_name
    parts = []
    for key in ids:
        i = index[key]
        start = predictions.loc[predictions[id_name] == key, time_name].min()
        stamps = context.stamps_of(i)
        rows = np.flatnonzero(stamps < start)[-tail:]
        parts.append(pd.DataFrame({id_name: [key] * rows.size,
                                   time_name: stamps[rows],
                                   "actual": context.y(i)[rows]}))
    if not parts:
        return pd.DataFrame(columns=[id_name, time_name, "actual"])
    return pd.concat(parts, ignore_index=True)


def _reference_paths(train: PanelData, season: int, horizon: int,
                     names: tuple[str, ...]) -> dict[str, np.ndarray]:
    """(n, H) forecasts of each named classical model, fitted per series (the
    last value where a series is too short for it or its fit fails), in
    chunks of series: one after the other here, side by side on a Dask
    cluster."""
    from lstmcast.baselines.chunked import chunk_bounds
    from lstmcast.baselines.classical import CLASSICAL
    from lstmcast.core.errors import DataError
    from lstmcast.core.parallel import map_chunks, workers
    unknown = [n for n in names if n not in CLASSICAL]
    if unknown:
        raise DataError(f"Unknown reference(s) {', '.join(map(repr, unknown))}: "
                        f"choose from {', '.join(CLASSICAL)}.")
    histories = [train.y(i) for i in range(len(train))]
    bounds = chunk_bounds([h.size for h in histories], workers())
    out = {}
    for name in names:
        parts = map_chunks(_reference_chunk, [histories[a:b] for a, b in bounds],
                           threads=False,  # statsmodels: the GIL, warning filters
                           name=name, season=season, horizon=horizon)
        out[name] = np.concatenate(parts) if parts else np.empty((0, horizon))
    return out


def _reference_chunk(histories: list[np.ndarray], *, name: str, season: int,
                     horizon: int) -> np.ndarray:
    """(k, H) forecasts of the classical model ``name`` for a chunk of series."""
    from lstmcast.baselines.classical import make_models
    from lstmcast.baselines.classical_base import quiet
    from lstmcast.core.errors import DataError
    paths = np.empty((len(histories), horizon))
    for i, y in enumerate(histories):
        try:
            with quiet():
                model = make_models([name], season)[name].fit(y)
                paths[i] = model.forecast(y, horizon)
        except (DataError, ValueError, np.linalg.LinAlgError):
            paths[i] = y[np.isfinite(y)][-1]
    return paths


def _predictions(panel: PanelData, horizon: int, actual: np.ndarray,
                 paths: dict[str, np.ndarray]) -> pd.DataFrame:
    """The test forecasts in long format: id, time, actual, one column a model."""
    n = len(panel)
    rows = panel.starts[1:, None] - horizon + np.arange(horizon)[None, :]
    ids = np.repeat(np.array(panel.ids, dtype=object), horizon)
    frame = pd.DataFrame({panel.id_name: ids,
                          panel.time_name: panel.stamps[rows.ravel()],
                          "actual": actual.reshape(n * horizon)})
    for model, values in paths.items():
        frame[model] = values.reshape(n * horizon)
    return frame
