"""Backtesting: time-series cross-validation of the LSTM and the reference models.

One split is one sample. :func:`backtest` cuts the series into ``folds``
(expanding or sliding training windows, each followed by its test part), and
in every fold fits the whole preprocessing pipeline and the network on that
fold's training part only, as :func:`lstmcast.evaluation.holdout.fit_evaluate` does for
one split; the reference models (naive, seasonal naive, drift, mean, AutoARIMA,
ETS) are fitted on the same rows. Then every model forecasts exactly the same
points: from every origin ``t`` in the test part (the row before it included),
the path of ``h = 1..H`` steps, cut at the end of the fold's test part. ``h = 1``
is therefore the one-step forecast of every test point from its true history;
``h = 2`` has one point less, and so on. Scores are on the original scale, per
fold and per step, with skill measured against the naive forecast of the same
step.

The folds come from :mod:`lstmcast.evaluation.folds`, the result class from
:mod:`lstmcast.evaluation.backtest_result`.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.loading import SeriesSource, as_series
from lstmcast.data.series import SeriesData
from lstmcast.evaluation.backtest_result import BacktestResult
from lstmcast.evaluation.folds import fold_bounds

if TYPE_CHECKING:
    from lstmcast.forecaster.estimator import LSTMForecaster

__all__ = ["DEFAULT_MODELS", "backtest"]

DEFAULT_MODELS = ("naive", "seasonal_naive", "drift", "mean", "arima", "ets")


def _positive(name: str, value: Any, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) \
            or value < low:
        raise DataError(f"The '{name}' parameter must be an int >= {low}. Got "
                        f"{value!r} instead.")
    return int(value)


def backtest(data: SeriesSource,
             config: ForecastConfig | LSTMForecaster | None = None, *, folds: int = 3,
             horizon: int | None = None, mode: str = "expanding",
             test_size: int | None = None, gap: int = 0,
             stride: int | None = None, train_size: int | None = None,
             refit: bool = True, strategy: str | None = None,
             models: Iterable[str] = DEFAULT_MODELS,
             progress: bool = False) -> BacktestResult:
    """Time-series cross-validation of an LSTM configuration and reference models.

    Parameters
    ----------
    data : path, DataFrame, Series or SeriesData
        Read with the config's data settings unless already a SeriesData.
    config : ForecastConfig, LSTMForecaster or None
        The settings to backtest (an LSTMForecaster's parameters; it is not
        modified). None: the defaults. The old order ``backtest(config,
        data)`` still works for one release, with a FutureWarning.
    folds : int
        Number of folds.
    horizon : int, optional
        Steps H forecast from every origin. Default: the model's horizon
        setting. The model's setting must be 1 or H.
    mode : {"expanding", "sliding"}
        Training parts growing from row 0, or of a constant ``train_size``.
    test_size : int, optional
        Test rows per fold. Default: the config's test fraction of the series
        (0.2) split across the folds, at least 24 rows each.
    gap, stride, train_size : int
        Rows left out between training and test; rows between consecutive
        test starts (default ``test_size``); training rows of sliding folds
        (default: as many as the first fold has).
    refit : bool
        Fit every model in every fold (default), or once on the first fold's
        training part and reuse the fits for the later folds.
    strategy : {"auto", "mimo", "direct", "recursive"}, optional
        The multi-step strategy. Default: the model's; a different explicit
        one on both sides is an error.
    models : names of reference models (see
        :data:`lstmcast.baselines.classical.MODELS`).
    progress : bool
        Show a progress bar over the folds, with the time left (on stderr).

    Returns
    -------
    BacktestResult
    """
    from lstmcast.baselines.classical import make_models
    from lstmcast.forecaster.shape import check_strategy
    if data is None or _is_settings(data):  # the old order: (config, data)
        warnings.warn("backtest(config, data) is the old order of the arguments; "
                      "use backtest(data, config). The old order stops working "
                      "in the next release.", FutureWarning, stacklevel=2)
        data, config = config, data  # type: ignore[assignment]
    cfg = _config_of(config)
    series = as_series(data, cfg.data)
    cfg = _resolve(cfg, horizon, strategy)
    h = cfg.model.horizon
    check_strategy(cfg.model.strategy, h, series.covariates)
    names = list(models)
    make_models(names, 1)  # unknown names fail before any fitting
    size = test_size if test_size is not None else _default_test_size(
        len(series), cfg.data.test_size, folds)
    if _positive("test_size", size) < h:
        raise DataError(f"Each fold's test part ({size} rows) must hold the horizon "
                        f"({h} steps). Use a larger test_size or a shorter horizon.")
    ahead = h - 1 if series.future else 0  # the future covariates of the last paths
    bounds = fold_bounds(len(series) - ahead, mode=mode, n_folds=folds,
                         test_size=size, gap=gap, stride=stride,
                         train_size=train_size, min_train=2)
    settings = {"folds": folds, "horizon": h, "mode": mode, "test_size": size,
                "gap": gap, "stride": stride or size, "refit": bool(refit),
                "strategy": cfg.model.strategy, "models": ["lstm", *names],
                "n": len(series), "config": cfg.to_dict(),
                **({"known_future_rows": ahead} if ahead else {})}
    run = _Run(series, cfg, names, h, False, ahead)
    bar = _fold_bar(len(bounds)) if progress else None
    for k, bound in enumerate(bounds):
        run.fold(k, bound, bounds[0] if not refit else bound, fit=refit or k == 0)
        if bar:
            bar.advance(bar.task_ids[0])
    if bar:
        bar.stop()
    return BacktestResult(pd.DataFrame(run.scores), pd.concat(run.forecasts,
                          ignore_index=True), pd.DataFrame(run.timings), run.facts,
                          settings, run.failures, run.fitted, series)


def _fold_bar(total: int) -> Any:
    """A started rich progress bar over the folds, on stderr."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    bar = Progress(TextColumn("backtest folds"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn(),
                   console=Console(stderr=True), transient=True)
    bar.add_task("folds", total=total)
    bar.start()
    return bar


def _is_settings(value: Any) -> bool:
    """A ForecastConfig or an LSTMForecaster (the settings, not the data)."""
    return isinstance(value, ForecastConfig) or (
        hasattr(value, "config") and hasattr(value, "get_params"))


def _config_of(model: Any) -> ForecastConfig:
    if model is None:
        return ForecastConfig()
    if isinstance(model, ForecastConfig):
        return model
    if hasattr(model, "config") and hasattr(model, "get_params"):
        return model.config()
    raise DataError(f"backtest() takes an LSTMForecaster, a ForecastConfig or None. "
                    f"Got {type(model).__name__}.")


def _resolve(cfg: ForecastConfig, horizon: int | None,
             strategy: str | None) -> ForecastConfig:
    """The config with the backtest's horizon and strategy; conflicts are errors."""
    own_h, own_s = cfg.model.horizon, cfg.model.strategy
    if horizon is not None:
        _positive("horizon", horizon)
        if own_h not in (1, horizon):
            raise DataError(f"backtest(horizon={horizon}) conflicts with the model's "
                            f"horizon setting ({own_h}). Give the same value, or "
                            "leave one of them out.")
    if strategy is not None and own_s not in ("auto", strategy):
        raise DataError(f"backtest(strategy={strategy!r}) conflicts with the model's "
                        f"strategy setting ({own_s!r}). Give the same value, or "
                        "leave one of them out.")
    return cfg.replace(horizon=horizon or own_h, strategy=strategy or own_s)


def _default_test_size(n: int, size: float, folds: int) -> int:
    from lstmcast.data.split import count_test_rows
    _positive("folds", folds)
    if size < 1:
        return count_test_rows(n, size / folds)
    return max(int(np.ceil(size / folds)), 1)


class _Run:
    """The state of one backtest while its folds run."""

    def __init__(self, series: SeriesData, cfg: ForecastConfig, names: list[str],
                 horizon: int, progress: bool, ahead: int = 0) -> None:
        self.series, self.cfg, self.names = series, cfg, names
        self.horizon, self.progress, self.ahead = horizon, progress, ahead
        self.scores: list[dict[str, Any]] = []
        self.forecasts: list[pd.DataFrame] = []
        self.timings: list[dict[str, Any]] = []
        self.facts: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.fitted: list[dict[str, Any]] = []
        self.current: dict[str, Any] = {}

    def fold(self, k: int, bound: tuple[int, int, int, int],
             fit_bound: tuple[int, int, int, int], *, fit: bool) -> None:
        """Fit (unless reusing) and forecast one fold; append its scores."""
        lo, hi = fit_bound[0], fit_bound[1]
        test_lo, test_hi = bound[2], bound[3]
        end = test_hi + self.ahead  # the rows after: known future covariates only
        part = replace(self.series, frame=self.series.frame.iloc[lo:end])
        y = part.y
        from lstmcast.forecaster.calibrate import origin_scale
        fit_seconds = self._fit(k, part.head(hi - lo), (lo, hi)) if fit else {}
        origins = np.arange(test_lo - 1, test_hi - 1) - lo  # rows of ``part``
        paths, seconds = self._paths(k, part, origins)
        steps = origins[:, None] + 1 + np.arange(self.horizon)  # (B, H)
        inside = steps < test_hi - lo  # cut at the end of the fold's test part
        truth = np.where(inside, y[np.minimum(steps, len(part) - 1)], np.nan)
        self._score(k, truth, paths, y[: hi - lo], inside,
                    origin_scale(self.current["lstm"].state_, part, origins))
        self._keep_forecasts(k, part, origins, steps, truth, paths, inside)
        for name in self._reported(paths):
            self.timings.append({"fold": k, "model": name,
                                 "fit_seconds": fit_seconds.get(name, 0.0),
                                 "forecast_seconds": seconds[name]})
        self.facts.append(self._facts(k, bound, fit_bound))

    def _fit(self, k: int, train: SeriesData, rows: tuple[int, int]
             ) -> dict[str, float]:
        from lstmcast.baselines.classical import make_models
        from lstmcast.forecaster.estimator import LSTMForecaster
        seconds: dict[str, float] = {}
        tick = time.perf_counter()
        est = LSTMForecaster.from_config(self.cfg)
        try:
            est.fit(train, progress=self.progress)
        except DataError as exc:
            raise DataError(f"Fold {k} (training rows {rows[0]}..{rows[1] - 1}, "
                            f"{rows[1] - rows[0]} rows): {exc}") from None
        seconds["lstm"] = time.perf_counter() - tick
        refs = make_models(dict.fromkeys(["naive", *self.names]), est.season_)
        fitted: dict[str, Any] = {"lstm": est}
        for name, ref in refs.items():
            tick = time.perf_counter()
            try:
                fitted[name] = ref.fit(train.y)
            except (ValueError, np.linalg.LinAlgError) as exc:
                self._failed(k, name, exc, "fit")
            seconds[name] = time.perf_counter() - tick
        self.current = fitted
        self.fitted.append(fitted)
        return seconds

    def _paths(self, k: int, part: SeriesData, origins: np.ndarray
               ) -> tuple[dict[str, np.ndarray], dict[str, float]]:
        """(B, H) paths of every model, and the seconds each took."""
        from lstmcast.forecaster.predict import multi_step
        y, h = part.y, self.horizon
        paths, seconds = {}, {}
        for name, fitted in self.current.items():
            tick = time.perf_counter()
            if name == "lstm":
                paths[name] = multi_step(fitted.state_, part, origins, h)
            else:
                try:
                    paths[name] = _reference_paths(fitted, y, origins, h)
                except (ValueError, np.linalg.LinAlgError) as exc:
                    self._failed(k, name, exc, "forecast")
                    continue
                if not np.isfinite(paths[name]).all():
                    self._failed(k, name, ValueError("non-finite forecasts"),
                                 "forecast")
                    del paths[name]
            seconds[name] = time.perf_counter() - tick
        if "naive" not in paths:
            raise DataError(f"Fold {k}: the naive forecast, the reference of every "
                            "skill score, failed; see the warning above.")
        return paths, seconds

    def _reported(self, paths: dict[str, np.ndarray]) -> list[str]:
        """The LSTM and the models asked for (naive is always run: the skill
        reference), in the order asked."""
        return [name for name in ["lstm", *self.names] if name in paths]

    def _failed(self, k: int, name: str, exc: Exception, what: str) -> None:
        message = f"{name} could not {what} in fold {k}: {exc}"
        warnings.warn(message, stacklevel=4)
        self.failures.append({"fold": k, "model": name, "message": str(exc)})

    def _score(self, k: int, truth: np.ndarray, paths: dict[str, np.ndarray],
               y_train: np.ndarray, inside: np.ndarray,
               local: np.ndarray | float = 1.0) -> None:
        from lstmcast.evaluation.metrics import evaluate
        season = self.current["lstm"].season_
        for step in range(self.horizon):
            keep = inside[:, step]
            naive = paths["naive"][keep, step]
            for name in self._reported(paths):
                path = paths[name]
                scores = evaluate(truth[keep, step], path[keep, step],
                                  y_train=y_train, y_naive=naive, season=season)
                for metric, value in scores.items():
                    if metric != "r2_undefined_reason":
                        self.scores.append({
                            "fold": k, "h": step + 1, "model": name,
                            "metric": metric,
                            "value": np.nan if value is None else float(value)})
        from lstmcast.evaluation.backtest_intervals import interval_scores
        lstm = self.current["lstm"]
        self.scores += interval_scores(k, truth, paths["lstm"],
                                       lstm.state_.calibration,
                                       self.cfg.model.levels, y_train, season, inside,
                                       local)

    def _keep_forecasts(self, k: int, part: SeriesData, origins: np.ndarray,
                        steps: np.ndarray, truth: np.ndarray,
                        paths: dict[str, np.ndarray], inside: np.ndarray) -> None:
        index = part.index
        rows, cols = np.nonzero(inside)
        base = pd.DataFrame({"fold": k, "origin": index[origins[rows]],
                             "h": cols + 1, "timestamp": index[steps[rows, cols]],
                             "actual": truth[rows, cols]})
        for name in self._reported(paths):
            self.forecasts.append(base.assign(model=name,
                                              forecast=paths[name][rows, cols]))

    def _facts(self, k: int, bound: tuple[int, int, int, int],
               fit_bound: tuple[int, int, int, int]) -> dict[str, Any]:
        index, est = self.series.index, self.current["lstm"]
        test_lo, test_hi = bound[2], bound[3]
        return {"fold": k, "train_rows": [fit_bound[0], fit_bound[1] - 1],
                "test_rows": [test_lo, test_hi - 1],
                "train": [str(index[fit_bound[0]]), str(index[fit_bound[1] - 1])],
                "test": [str(index[test_lo]), str(index[test_hi - 1])],
                "n_train": fit_bound[1] - fit_bound[0], "n_test": test_hi - test_lo,
                "fitted_in_fold": fit_bound == bound, "season": est.season_,
                "window": est.window_, "strategy": est.strategy_}


def _reference_paths(model: Any, y: np.ndarray, origins: np.ndarray,
                     horizon: int) -> np.ndarray:
    """(B, H) paths of a reference model: vectorised where it can, else one
    ``forecast`` per origin."""
    if hasattr(model, "forecast_paths"):
        return model.forecast_paths(y, origins, horizon)
    return np.stack([model.forecast(y[: t + 1], horizon) for t in origins])
