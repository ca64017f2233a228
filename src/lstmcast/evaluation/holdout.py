"""Hold-out evaluation: fit on the past, forecast the future, compare honestly.

The test part is the last ``max(ceil(0.2 n), 24)`` rows (``test_size``), as in
the benchmark catalog, so numbers compare with other libraries'. The LSTM and
every baseline forecast the very same test points, one step ahead from the true
history with fixed parameters, and are scored on the original scale.

Then the evaluated settings are fitted once more on every row, the test part
included (:meth:`FitResult.refit`, ``refit=True``, the default): that model is
what ``save`` writes, so it forecasts after the last row of the data. The
refit is the same recipe as the evaluated fit (season, window, settings; the
last ``val_size`` rows, now the newest, held out to stop early and restore the
best epoch's weights), so the test scores describe how it was made.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.core.persist import atomic_write_csv, atomic_write_json
from lstmcast.data.loading import SeriesSource, as_series
from lstmcast.data.series import SeriesData
from lstmcast.data.split import check_length, count_test_rows

if TYPE_CHECKING:
    from matplotlib.figure import Figure


@dataclass
class FitResult:
    """A fitted forecaster and its evaluation on the test part."""

    forecaster: Any
    metrics: dict[str, dict[str, Any]]
    predictions: pd.DataFrame
    split: dict[str, Any]
    config: ForecastConfig
    seconds: float
    horizon_metrics: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    series: SeriesData | None = None
    doctor: list[Any] = field(default_factory=list)
    auto: dict[str, Any] | None = None  # what `fit --auto` chose and why
    refitted: Any = None  # the same settings fitted on every row (see refit)
    refit_seconds: float = 0.0
    intervals: dict[str, Any] = field(default_factory=dict)  # levels, method, notes

    @property
    def saved(self) -> Any:
        """The forecaster ``save`` writes: the refit when there is one, else
        the evaluated forecaster."""
        return self.refitted if self.refitted is not None else self.forecaster

    def refit(self, *, progress: bool = False) -> FitResult:
        """Fit the evaluated settings again on every row of the series (training
        and test part) and keep that forecaster as the one ``save`` writes; the
        scores and predictions stay those of the evaluated fit. Returns self."""
        from lstmcast.forecaster.estimator import LSTMForecaster
        if self.series is None:
            raise DataError("This FitResult holds no series to refit on; run "
                            "fit_evaluate(data, config, refit=True).")
        started = time.perf_counter()
        est = LSTMForecaster.from_config(self.config)
        est.fit(self.series, progress=progress)
        first = self.forecaster.state_.calibration
        if first is not None and first.source == "search":  # as evaluated
            step = first.errors[:, 0]
            _first_step_from(est, step[np.isfinite(step)])
        evaluated = self.forecaster.state_.data.train_range
        est.state_ = replace(est.state_, config=self.config, data=replace(
            est.state_.data, evaluated_range=evaluated))
        self.refitted = est
        self.refit_seconds = time.perf_counter() - started
        return self

    def saved_model(self) -> dict[str, Any]:
        """What ``save`` writes, in words and ranges (``saved_model`` of
        metrics.json): the refit on every row, or the evaluated fit."""
        state, history = self.saved.state_, self.saved.history_
        fitted, evaluated = state.data.train_range, \
            self.forecaster.state_.data.train_range
        said = (f"refitted on all {fitted['rows']} rows ({fitted['first']} to "
                f"{fitted['last']}) after scoring, with the same settings; the "
                f"scores are of the fit on the training part ({evaluated['first']} "
                f"to {evaluated['last']})" if self.refitted is not None else
                f"the evaluated fit, trained on the training part only "
                f"({evaluated['first']} to {evaluated['last']}): without data, "
                "predict forecasts from the end of the training part")
        return {"refit": self.refitted is not None, "said": said,
                "train_range": fitted, "evaluated_range": evaluated,
                "stopped": history.stopped, "best_epoch": history.best_epoch,
                "seconds": self.refit_seconds}

    @property
    def verdict(self) -> str:
        """The doctor's verdict in one plain sentence."""
        from lstmcast.evaluation.doctor import explain_summary
        return explain_summary(self.doctor)

    def table(self) -> pd.DataFrame:
        """One row per model (lstm first, then the baselines)."""
        from lstmcast.evaluation.metrics import metrics_table
        return metrics_table(self.metrics)

    def plot(self) -> Figure:
        """The test forecasts of every model against the actual values (a
        matplotlib Figure, shown inline in notebooks)."""
        from lstmcast.figures.plots import forecasts
        return forecasts(self.predictions)

    def to_frame(self) -> pd.DataFrame:
        """The scores as a DataFrame (the same as :meth:`table`)."""
        return self.table()

    def __repr__(self) -> str:
        def num(value: Any) -> str:
            return "undefined" if value is None else f"{value:+.3f}"
        lstm = self.metrics.get("lstm", {})
        best = max(((m, v.get("r2")) for m, v in self.metrics.items()
                    if m != "lstm" and v.get("r2") is not None),
                   key=lambda item: item[1], default=("none", None))
        return (f"FitResult(target={self.config.data.target!r}, "
                f"r2={num(lstm.get('r2'))}, "
                f"skill_vs_naive={num(lstm.get('skill_vs_naive'))}, "
                f"best_baseline={best[0]!r} r2={num(best[1])}, "
                f"n_test={self.split['n_test']}, seconds={self.seconds:.1f})")

    def to_dict(self) -> dict[str, Any]:
        est = self.forecaster
        return {"models": self.metrics, "horizon_metrics": self.horizon_metrics,
                "split": self.split, "config": self.config.to_dict(),
                "season": est.season_, "window": est.window_,
                "training": {k: v for k, v in est.history_.to_dict().items()
                             if k != "history"},
                "seconds": self.seconds, "verdict": self.verdict,
                "saved_model": self.saved_model(),
                "doctor": [f.to_dict() for f in self.doctor],
                **({"auto": self.auto} if self.auto is not None else {}),
                **({"intervals": self.intervals} if self.intervals else {})}

    def save(self, out: str | Path) -> Path:
        """Write the run's files into folder ``out`` and return it: the model
        folder plus ``metrics.json``, ``test_predictions.csv``, ``series.csv``
        (the target, thinned to at most 20,000 rows, for plots) and
        ``auto.json`` (after ``fit --auto``: the candidates and the choice),
        ``future_forecast.csv`` (the forecast after the data with its bands).
        :func:`lstmcast.report.runs.write_report` builds the page from them."""
        out = Path(out)
        self.saved.save(str(out))
        atomic_write_json(out / "metrics.json", self.to_dict())
        if self.auto is not None:
            atomic_write_json(out / "auto.json", self.auto)
        atomic_write_csv(out / "test_predictions.csv", self.predictions)
        if self.series is not None:
            atomic_write_csv(out / "series.csv", _plot_series(self.series))
        future = self.future_forecast()
        if future is not None:
            atomic_write_csv(out / "future_forecast.csv", future)
        return out

    def future_forecast(self) -> pd.DataFrame | None:
        """The saved model's forecast after the data with its bands, as far as
        its intervals are calibrated (``future_forecast.csv``, the report's
        fan chart); None for a model without intervals or that needs future
        covariates."""
        from lstmcast.forecaster.bands import missing_note
        state = self.saved.state_
        if missing_note(state) is not None or state.features.future:
            return None
        try:
            frame = self.saved.predict(state.calibration.horizon)
        except DataError:
            return None
        return frame.rename_axis("timestamp").reset_index()


def fit_evaluate(data: SeriesSource, config: ForecastConfig | None = None, *,
                 progress: bool = False, doctor: bool = True,
                 refit: bool = True,
                 forward_errors: np.ndarray | None = None) -> FitResult:
    """Split in time, fit on the training part, score every model on the test
    part; then (``refit=True``) fit the same settings on every row, the model
    ``save`` writes (:meth:`FitResult.refit`).

    ``data`` is a path, a DataFrame or Series (read with ``config``'s data
    settings) or a SeriesData; ``config`` None means the defaults.
    ``doctor=False`` skips the findings after the fit (they retrain a copy of
    the network; the tuner's validation folds do not need them).
    ``forward_errors``: scaled one-step errors of forecasts made further from
    their training rows (``fit --auto``'s search,
    :func:`~lstmcast.search.validation.score`) that calibrate step 1 of a
    network's bands, of the evaluated fit and the refit alike, instead of the
    validation part's errors.
    """
    from lstmcast.forecaster.estimator import LSTMForecaster
    from lstmcast.forecaster.shape import resolve_shape
    started = time.perf_counter()
    config = config if config is not None else ForecastConfig()
    series = as_series(data, config.data)
    n_train, n_eval = split_rows(series, config)
    n_test = n_eval - n_train
    train_part = series.head(n_train)
    season, window, warm, n_val = resolve_shape(train_part, config)
    check_length(n_eval, window=window + warm, horizon=config.model.horizon,
                 n_test=n_test, n_val=n_val)
    config = config.replace(season=season, window=window,
                            future_covariates=series.future)
    est = LSTMForecaster.from_config(config)
    est.fit(train_part, progress=progress)
    _first_step_from(est, forward_errors)
    config = config.replace(batching=est.state_.config.train.batching)  # resolved
    est.state_ = replace(est.state_, config=config, data=replace(
        est.state_.data, evaluated_range=est.state_.data.train_range))
    rows = np.arange(n_train, n_eval)
    forecasts = {"lstm": est.predict_one_step(series, rows)}
    forecasts.update(_baseline_forecasts(series.y, n_train, rows, season))
    metrics = _score(series.y, n_train, rows, forecasts, season)
    bands, intervals = _intervals(est, series, n_train, rows, forecasts,
                                  season, metrics)
    predictions = pd.DataFrame({"timestamp": series.index[rows],
                                "actual": series.y[rows], **forecasts, **bands})
    del forecasts  # copied into predictions; not held through the refit
    split = _split_facts(series, n_train, n_val, n_eval)
    result = FitResult(est, metrics, predictions, split, config,
                       time.perf_counter() - started, series=series,
                       intervals=intervals)
    if est.horizon_ > 1:
        result.horizon_metrics = _horizon_metrics(est, series, n_train, n_eval,
                                                  season)
    if doctor:
        from lstmcast.evaluation.doctor import explain
        result.doctor = explain(result, series)
    return result.refit(progress=progress) if refit else result


def _first_step_from(est: Any, errors: np.ndarray | None) -> None:
    """Calibrate step 1 of ``est``'s bands on ``errors`` (the search's forward
    errors), where there are any and its calibration rests on a validation
    part a network was early-stopped on (a forecast without a network keeps
    its history: :func:`~lstmcast.forecaster.calibrate.network_free`)."""
    cal = est.state_.calibration
    if (cal is not None and cal.source == "validation" and cal.scale == "changes"
            and errors is not None and len(errors)):
        est.state_ = replace(est.state_,
                             calibration=cal.with_first_step(errors, "search"))


def _intervals(est: Any, series: SeriesData, n_train: int, rows: np.ndarray,
               forecasts: dict[str, np.ndarray], season: int,
               metrics: dict[str, dict[str, Any]]
               ) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The LSTM's test bands (columns ``lstm-lo-80`` ...) and, into
    ``metrics``, every model's interval scores; returns the bands and the
    ``intervals`` entry of metrics.json (levels, how each model's bands were
    made, notes)."""
    from lstmcast.evaluation.intervals import holdout_intervals
    model = est.config_.model
    bands, scores, how = holdout_intervals(est, series, n_train, rows, forecasts,
                                           season, model.levels, model.quantiles)
    for name, values in scores.items():
        metrics[name].update(values)
    cal = est.state_.calibration
    if not how:
        return bands, {}
    return bands, {"levels": list(model.levels), "quantiles": list(model.quantiles),
                   "method": how,
                   "validation_errors": int(cal.counts()[0]) if cal else 0,
                   "notes": cal.notes(model.levels) if cal and model.levels
                   else []}


def split_rows(series: SeriesData, config: ForecastConfig) -> tuple[int, int]:
    """(n_train, n_eval): the test part is rows n_train .. n_eval - 1. A model
    reading future covariates L steps ahead (L = H, see
    :func:`~lstmcast.forecaster.shape.future_leads`) needs them L - 1 rows past
    the row it forecasts: the last L - 1 rows are then the known future of the
    rows before them, and not scored."""
    from lstmcast.forecaster.shape import future_leads
    mcfg = config.model
    ahead = future_leads(mcfg.strategy, mcfg.horizon) - 1 if series.future else 0
    n_eval = len(series) - ahead
    return n_eval - count_test_rows(n_eval, config.data.test_size), n_eval


def _plot_series(series: SeriesData, limit: int = 20_000) -> pd.DataFrame:
    step = max(1, -(-len(series) // limit))
    rows = np.arange(0, len(series), step)
    return pd.DataFrame({"timestamp": series.index[rows], "actual": series.y[rows]})


def _baseline_forecasts(y: np.ndarray, n_train: int, rows: np.ndarray,
                        season: int) -> dict[str, np.ndarray]:
    from lstmcast.baselines.simple import make_baselines
    models = make_baselines(season)
    return {name: model.fit(y[:n_train]).predict_one_step(y, rows)
            for name, model in models.items()}


def _score(y: np.ndarray, n_train: int, rows: np.ndarray,
           forecasts: dict[str, np.ndarray], season: int) -> dict[str, dict]:
    from lstmcast.evaluation.metrics import evaluate
    return {name: evaluate(y[rows], pred, y_train=y[:n_train],
                           y_naive=forecasts["naive"], season=season)
            for name, pred in forecasts.items()}


def _split_facts(series: SeriesData, n_train: int, n_val: int,
                 n_eval: int) -> dict[str, Any]:
    def stamp(i: int) -> str:
        return str(series.index[i])
    ahead = len(series) - n_eval
    return {"n": len(series), "n_train": n_train - n_val, "n_val": n_val,
            "n_test": n_eval - n_train,
            "train": [stamp(0), stamp(n_train - n_val - 1)],
            "validation": [stamp(n_train - n_val), stamp(n_train - 1)],
            "test": [stamp(n_train), stamp(n_eval - 1)],
            **({"known_future_rows": ahead} if ahead else {})}


def _horizon_metrics(est: Any, series: SeriesData, n_train: int, n_eval: int,
                     season: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Metrics of the h-step forecasts (h = 1..K) from every test origin."""
    from lstmcast.baselines.simple import make_baselines
    from lstmcast.evaluation.metrics import evaluate
    from lstmcast.forecaster.predict import multi_step
    k, y = est.horizon_, series.y
    origins = np.arange(n_train - 1, n_eval - k)
    if len(origins) == 0:
        raise DataError(f"The test part is shorter than the horizon ({k}).")
    paths = {"lstm": multi_step(est.state_, series, origins)}
    for name, model in make_baselines(season).items():
        model.fit(y[:n_train])
        paths[name] = np.stack([model.forecast(y[: t + 1], k) for t in origins])
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for h in range(k):
        truth = y[origins + 1 + h]
        out[f"h{h + 1}"] = {name: evaluate(truth, p[:, h], y_train=y[:n_train],
                                           y_naive=paths["naive"][:, h],
                                           season=season)
                            for name, p in paths.items()}
    _horizon_bands(est, out, paths["lstm"], series, origins, n_train, season)
    return out


def _horizon_bands(est: Any, out: dict[str, dict[str, dict[str, Any]]],
                   paths: np.ndarray, series: SeriesData, origins: np.ndarray,
                   n_train: int, season: int) -> None:
    """Add the interval scores of the LSTM's h-step bands to ``out``."""
    from lstmcast.evaluation.intervals import scale_of
    from lstmcast.intervals.scores import band_scores
    cal, levels = est.state_.calibration, est.config_.model.levels
    if cal is None or not levels:
        return
    from lstmcast.forecaster.calibrate import origin_scale
    y = series.y
    bands = cal.bands(paths, origin_scale(est.state_, series, origins), levels)
    scale = scale_of(y[:n_train], season)
    for h in range(paths.shape[1]):
        out[f"h{h + 1}"]["lstm"].update(band_scores(
            y[origins + 1 + h], {c: v[:, h] for c, v in bands.items()}, levels,
            scale=scale, point=paths[:, h]))
