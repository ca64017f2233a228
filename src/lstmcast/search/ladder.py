"""The R² ladder: what each step of the usual advice adds, on the same test rows.

:func:`improve` starts from the plain recipe of the articles (window of 10, one
LSTM layer of 50 units, min-max scaling, Adam at 1e-3, batch 32, 100 epochs,
predicting the level) and adds one thing per rung, cumulatively:

1. ``article``: the recipe. lstmcast fits its scaler on the training part
   only, so the articles' scaler leak (min-max fitted on all the data) is not
   reproduced.
2. ``stationarity``: the log/Box-Cox and differencing that :func:`~lstmcast.
   diagnosis.diagnose` recommends from the training part.
3. ``delta``: predict the change from the last value, plus a linear
   autoregressive path over the window (lstmcast's defaults).
4. ``features``: seasonal lags the window does not reach, rolling mean and
   std, calendar features of the forecast time, covariates with lag 1.
5. ``regularise``: dropout, L2 on the weights, gradient clipping, early
   stopping on the validation tail that restores the best weights.
6. ``schedule``: learning rate 3e-3, reduced on plateaus.

Then two rungs that are not cumulative: ``default``, the config ``lstmcast
fit`` uses (the base), for reference; and ``tuned``, an Optuna search
(:func:`lstmcast.search.tune.tune`, when ``trials > 0``) starting from the best rung
so far.

Every rung runs :func:`~lstmcast.evaluation.holdout.fit_evaluate`: same split, same test
rows, scored on the original scale beside the same naive baselines; AutoARIMA
and ETS are scored once on those rows too. Settings of the base that differ
from lstmcast's defaults (``epochs=20`` for a quick ladder, the target, the
split, ``threads``) hold in every rung; covariates enter at the features rung.

The best rung is chosen on the validation tail of the training part: R² of
one-step forecasts of those rows, on the original scale. The test part chooses
nothing; its scores are reported beside. (Rungs with early stopping used the
same tail to pick their epoch, and the tuner's folds cover it too, so their
validation R² is somewhat optimistic; on a short series a tail of a few dozen
rows is a noisy judge, which the ladder shows rather than hides.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.loading import SeriesSource, as_series
from lstmcast.data.series import SeriesData
from lstmcast.evaluation.holdout import FitResult, fit_evaluate

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["ARTICLE", "LadderResult", "Rung", "improve", "validation_r2",
           "with_covariates"]

ARTICLE: dict[str, Any] = {
    "window": 10, "num_layers": 1, "hidden_size": 50, "dropout": 0.0,
    "bidirectional": False, "cell_activation": "tanh", "head": "linear",
    "target_mode": "level", "skip": 0, "scaler": "minmax", "transform": "none",
    "difference": 0, "seasonal_difference": 0, "decompose": "none",
    "lags": (), "rolling": (), "calendar": False, "covariates": (),
    "covariate_lags": (), "loss": "mse", "optimizer": "adam", "lr": 1e-3,
    "weight_decay": 0.0, "l1": 0.0, "scheduler": "none", "batch_size": 32,
    "epochs": 100, "patience": 0, "clip_grad": None,
}
"""The articles' recipe as lstmcast settings (rung 1)."""

REGULARISE: dict[str, Any] = {"dropout": 0.2, "weight_decay": 1e-4,
                              "clip_grad": 1.0, "patience": 15}
SCHEDULE: dict[str, Any] = {"lr": 3e-3, "scheduler": "plateau"}
STATIONARITY_KEYS = ("transform", "difference", "seasonal_difference", "decompose")
LADDER_KEYS = ("covariates", "covariate_lags")  # managed by the ladder itself
CLASSICAL = ("arima", "ets")


@dataclass
class Rung:
    """One rung: what it adds, its config, and its evaluation."""

    name: str
    description: str
    config: ForecastConfig
    result: FitResult
    val_r2: float | None
    seconds: float  # wall time of this rung (0 when it reuses an earlier fit)
    same_as: str | None = None

    def metric(self, key: str) -> float | None:
        """A test metric of the LSTM (``r2``, ``skill_vs_naive``, ``mae``, ...)."""
        return self.result.metrics["lstm"].get(key)


@dataclass
class LadderResult:
    """Every rung, the reference models, and the rung chosen on validation."""

    rungs: list[Rung]
    baselines: dict[str, dict[str, Any]]
    best_index: int
    notes: list[str] = field(default_factory=list)

    @property
    def best(self) -> FitResult:
        """The fit of the rung with the highest validation R²."""
        return self.rungs[self.best_index].result

    @property
    def best_rung(self) -> Rung:
        return self.rungs[self.best_index]

    def to_frame(self) -> pd.DataFrame:
        """One row per rung: test R², skill vs naive, MAE, RMSE, validation R²,
        seconds, and what the rung adds."""
        return pd.DataFrame([{
            "rung": r.name, "r2": r.metric("r2"), "skill": r.metric("skill_vs_naive"),
            "mae": r.metric("mae"), "rmse": r.metric("rmse"), "val_r2": r.val_r2,
            "seconds": r.seconds, "best": i == self.best_index,
            "description": r.description} for i, r in enumerate(self.rungs)]
        ).set_index("rung")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: best_rung, baselines {name: test R²}, and the details."""
        best = self.best_rung
        return {
            "best_rung": best.name,
            "chosen_on": "validation R² (the tail of the training part); the test "
                         "part chose nothing",
            "best_test_r2": best.metric("r2"), "best_val_r2": best.val_r2,
            "baselines": {k: v["r2"] for k, v in self.baselines.items()},
            "baseline_details": self.baselines,
            "split": best.result.split,
            "season": best.result.forecaster.season_,
            "rungs": [{"rung": r.name, "description": r.description,
                       "r2": r.metric("r2"), "skill": r.metric("skill_vs_naive"),
                       "mae": r.metric("mae"), "rmse": r.metric("rmse"),
                       "val_r2": r.val_r2, "seconds": r.seconds,
                       "same_as": r.same_as, "config": r.config.to_dict()}
                      for r in self.rungs],
            "notes": self.notes}

    def _rung_table(self) -> pd.DataFrame:
        """The rows of ``ladder.csv``: rung, description, test r2, skill, mae,
        rmse, seconds and the rung's settings as JSON (config_json)."""
        return pd.DataFrame([{
            "rung": r.name, "description": r.description, "r2": r.metric("r2"),
            "skill": r.metric("skill_vs_naive"), "mae": r.metric("mae"),
            "rmse": r.metric("rmse"), "seconds": r.seconds,
            "config_json": json.dumps(r.config.to_dict(), sort_keys=True)}
            for r in self.rungs])

    def plot(self) -> Figure:
        """Test R² of every rung against the baselines (a matplotlib Figure,
        the ladder report's first figure)."""
        from lstmcast.figures.ladder import r2_ladder
        baselines = {k: v["r2"] for k, v in self.baselines.items()}
        return r2_ladder(self._rung_table(), baselines, self.best_rung.name)

    def save(self, out_dir: str | Path) -> Path:
        """Write the run's files into folder ``out_dir`` and return it: the
        best rung's fit (:meth:`lstmcast.evaluation.holdout.FitResult.save`),
        ``ladder.csv`` (one row per rung) and ``ladder.json``
        (:meth:`to_dict`). :func:`lstmcast.report.runs.write_report` builds
        the page from them."""
        from lstmcast.core.persist import atomic_write_csv, atomic_write_json
        out = Path(out_dir)
        self.best.save(out)
        atomic_write_csv(out / "ladder.csv", self._rung_table())
        atomic_write_json(out / "ladder.json", self.to_dict())
        return out

    def __repr__(self) -> str:
        lines = [f"LadderResult: {len(self.rungs)} rungs, best (on validation) "
                 f"'{self.best_rung.name}' with test R² "
                 f"{_num(self.best_rung.metric('r2'))}"]
        lines += [f"  {r.name:<13} test R² {_num(r.metric('r2'))}  skill "
                  f"{_num(r.metric('skill_vs_naive'))}  val R² {_num(r.val_r2)}  "
                  f"{r.seconds:6.1f} s" for r in self.rungs]
        lines.append("  reference: " + ", ".join(
            f"{k} {_num(v['r2'])}" for k, v in self.baselines.items()))
        return "\n".join(lines)


def _num(value: float | None) -> str:
    return "undefined" if value is None else f"{value:+.3f}"


def improve(data: SeriesSource, config: ForecastConfig | None = None, *,
            trials: int = 0, timeout: float | None = None, seed: int = 0,
            progress: bool = False, out_dir: str | Path | None = None,
            classical: tuple[str, ...] = CLASSICAL,
            on_rung: Callable[[Rung, int, int], None] | None = None,
            refit: bool = True) -> LadderResult:
    """Climb the R² ladder on ``data`` (see the module notes).

    Parameters
    ----------
    data : path, DataFrame, Series or SeriesData (read with the base config's
        data settings unless already a SeriesData).
    config : the base: the config of ``lstmcast fit`` (None: the defaults).
        Its settings that differ from the defaults hold in every rung.
    trials, timeout : the tuning rung's budget (``trials=0``: no tuning rung).
    seed : one seed for every rung.
    progress : progress bars while training and tuning.
    out_dir : write the ladder there (see :meth:`LadderResult.save`).
    classical : reference models scored once on the test rows.
    on_rung : called as each rung ends with the rung, its number (from 1) and
        the number of rungs planned.
    refit : fit the kept rung's settings once more on every row, the model
        saved (:meth:`~lstmcast.evaluation.holdout.FitResult.refit`).
    """
    base = (config if config is not None else ForecastConfig()).replace(seed=seed)
    if isinstance(trials, bool) or not isinstance(trials, int) or trials < 0:
        raise DataError(f"trials must be an int >= 0 (0 = no tuning rung). Got "
                        f"{trials!r} instead.")
    if isinstance(data, SeriesData) and base.data.covariates \
            and base.data.covariates != data.covariates:
        raise DataError(f"The base config names covariates {base.data.covariates} "
                        f"but the series carries {data.covariates}. Load the "
                        "series with those covariates, or leave them out of the "
                        "config.")
    series = as_series(data, base.data)
    covariates = series.covariates
    base = base.replace(covariates=covariates)
    pinned = _pinned(base)
    notes: list[str] = []
    tune = _tuner(notes) if trials > 0 else None
    planned = 7 + int(tune is not None)
    ladder = _Climb(series, progress, on_rung, planned)

    overridden = {k: v for k, v in pinned.items() if k in ARTICLE}
    if pinned:
        notes.append("Kept in every rung (they differ from the defaults): " + ", ".join(
            f"{k}={v}" for k, v in pinned.items()) + ".")
    cfg = ForecastConfig().replace(**{**ARTICLE, **pinned})
    ladder.add("article", "The articles' recipe: window 10, 1 LSTM layer x 50, "
               "min-max scaling, level target, no skip path, Adam lr 1e-3, batch "
               "32, 100 epochs, no early stopping. lstmcast fits the scaler on the "
               "training part only, so the articles' scaler leak is not "
               "reproduced." + (" Overridden by the base: " + ", ".join(
                   f"{k}={v}" for k, v in overridden.items()) + "."
                   if overridden else ""), cfg)
    season = ladder.rungs[0].result.forecaster.season_
    window = ladder.rungs[0].result.forecaster.window_

    stationary, text = _stationarity(series, cfg, window)
    cfg = cfg.replace(**{**stationary, **pinned})
    ladder.add("stationarity", text, cfg)

    cfg = cfg.replace(**{"target_mode": "delta", "skip": None, **pinned})
    ladder.add("delta", "+ predict the change from the last value, with a linear "
               "autoregressive path over the window (lstmcast's defaults).", cfg)

    feats, text = _features(series, season, window, covariates)
    cfg = cfg.replace(**{**feats, **pinned})
    ladder.add("features", text, cfg)

    cfg = cfg.replace(**{**REGULARISE, **pinned})
    ladder.add("regularise", "+ dropout 0.2 before the head, L2 1e-4 on the weight "
               "matrices, gradient clipping at 1.0, early stopping after 15 epochs "
               "without validation improvement (best weights restored).", cfg)

    cfg = cfg.replace(**{**SCHEDULE, **pinned})
    ladder.add("schedule", "+ learning rate 3e-3, reduced when the validation "
               "loss stops improving (plateau schedule).", cfg)

    ladder.add("default", "Reference, not cumulative: the settings `lstmcast fit "
               "--no-auto` uses (window of two seasons, 64 units, standard "
               "scaling, delta target + skip path, plateau schedule, early "
               "stopping).", base)

    if tune is not None:
        _tuned(ladder, tune, series, trials, timeout, seed, tuple(pinned), notes)
    best = ladder.best_index()
    kept = ladder.rungs[best].result
    if refit and kept.refitted is None:
        kept.refit(progress=progress)
    baselines = _references(series, ladder.rungs[0].result, season, classical)
    result = LadderResult(ladder.rungs, baselines, best, notes)
    if out_dir is not None:
        result.save(out_dir)
    return result


def _pinned(base: ForecastConfig) -> dict[str, Any]:
    """The base's settings that differ from the defaults (kept in every rung)."""
    default = ForecastConfig().flat()
    return {k: v for k, v in base.flat().items()
            if v != default[k] and k not in LADDER_KEYS}


class _Climb:
    """Fits rungs one after another; a config seen before is not refitted."""

    def __init__(self, series: SeriesData, progress: bool,
                 on_rung: Callable[[Rung, int, int], None] | None,
                 planned: int) -> None:
        self.series, self.progress, self.on_rung = series, progress, on_rung
        self.planned = planned
        self.rungs: list[Rung] = []

    def add(self, name: str, description: str, cfg: ForecastConfig) -> Rung:
        key = cfg.to_json()
        same = next((r for r in self.rungs if r.config.to_json() == key), None)
        if same is not None:
            rung = Rung(name, description + f" (Same settings as '{same.name}': "
                        "not refitted.)", cfg, same.result, same.val_r2, 0.0,
                        same_as=same.name)
        else:
            started = time.perf_counter()
            series = with_covariates(self.series, cfg.data.covariates)
            result = fit_evaluate(series, cfg, progress=self.progress, refit=False)
            rung = Rung(name, description, cfg, result,
                        validation_r2(result, series), time.perf_counter() - started)
        return self.record(rung)

    def record(self, rung: Rung) -> Rung:
        self.rungs.append(rung)
        if self.on_rung is not None:
            self.on_rung(rung, len(self.rungs), self.planned)
        return rung

    def best_index(self) -> int:
        """The rung with the highest validation R² (the first on ties)."""
        scores = [-np.inf if r.val_r2 is None else r.val_r2 for r in self.rungs]
        return int(np.argmax(scores))


def with_covariates(series: SeriesData, covariates: tuple[str, ...]) -> SeriesData:
    """``series`` carrying only ``covariates`` (a fit uses every covariate of
    the series it is given)."""
    return replace(series, frame=series.frame[[series.target, *covariates,
                                               *series.future]],
                   covariates=tuple(covariates))


def validation_r2(result: FitResult, series: SeriesData) -> float | None:
    """R² of the one-step forecasts of the validation tail of the training
    part, on the original scale (None when it has no rows or is constant)."""
    from lstmcast.evaluation.metrics import r2
    split = result.split
    stop = split["n_train"] + split["n_val"]
    rows = np.arange(stop - split["n_val"], stop)
    if len(rows) == 0:
        return None
    pred = result.forecaster.predict_one_step(series, rows)
    return r2(series.y[rows], pred)


def _stationarity(series: SeriesData, cfg: ForecastConfig, window: int
                  ) -> tuple[dict[str, Any], str]:
    """The diagnosis's target transform (training part only) and its story."""
    from lstmcast.diagnosis.diagnose import diagnose
    found = diagnose(series, test_size=cfg.data.test_size, season=cfg.data.season,
                     window=window)
    recommended = found.recommended.flat()
    settings = {k: recommended[k] for k in STATIONARITY_KEYS
                if recommended[k] != ARTICLE[k]}
    st = found.stationarity
    tests = (f"ADF p={st['adf_pvalue']:.3g}, KPSS p={st['kpss_pvalue']:.3g}, "
             f"verdict '{st['verdict']}'")
    if not settings:
        return {}, (f"+ stationarity: the diagnosis of the training part ({tests}) "
                    "recommends no transform, so nothing changes.")
    what = ", ".join(f"{k}={v}" for k, v in settings.items())
    return settings, (f"+ stationarity: {what}, as the diagnosis of the training "
                      f"part recommends ({tests}).")


def _features(series: SeriesData, season: int, window: int,
              covariates: tuple[str, ...]) -> tuple[dict[str, Any], str]:
    """Seasonal lags beyond the window, rolling stats, calendar, covariates."""
    lags = (season - 1, season) if season > 1 and season - 1 >= window else ()
    span = season if season > 1 else window
    calendar = isinstance(series.index, pd.DatetimeIndex)
    settings: dict[str, Any] = {
        "lags": lags, "rolling": (span,), "rolling_stats": ("mean", "std"),
        "calendar": calendar, "covariates": covariates,
        "covariate_lags": (1,) if covariates else ()}
    parts = ([f"target lags {lags[0]} and {lags[1]} (last season, beyond the "
              "window)"] if lags else [])
    parts.append(f"rolling mean and std over {span} steps")
    if calendar:
        parts.append("calendar features of the forecast time")
    if covariates:
        parts.append(f"covariates {', '.join(covariates)} and their lag 1")
    return settings, "+ features: " + "; ".join(parts) + "."


def _tuner(notes: list[str]) -> Callable[..., Any] | None:
    """:func:`lstmcast.search.tune.tune`, or None (with a note) when it is missing."""
    try:
        from lstmcast.search.tune import tune
    except ImportError:
        notes.append("No tuning rung: lstmcast.search.tune is not available.")
        return None
    return tune


def _tuned(ladder: _Climb, tune: Callable[..., Any], series: SeriesData,
           trials: int, timeout: float | None, seed: int,
           fixed: tuple[str, ...], notes: list[str]) -> None:
    """Tune from the best rung so far (chosen on validation), the pinned
    settings ``fixed``; add the rung. A search that finds nothing (every trial
    pruned or out of time) is a note: the other rungs stand."""
    start = ladder.rungs[ladder.best_index()]
    series = with_covariates(series, start.config.data.covariates)
    started = time.perf_counter()
    try:
        found = tune(series, start.config, trials=trials, timeout=timeout,
                     seed=seed, progress=ladder.progress, fixed=fixed)
    except DataError as exc:
        notes.append(f"No tuning rung: the search failed: {exc}")
        return
    result = found.test
    budget = f"{trials} trials" + (f" or {timeout:g} s" if timeout else "")
    ladder.record(Rung(
        "tuned", f"Tuned: an Optuna search ({budget}, time-series folds of the "
        f"training part) starting from '{start.name}', the best rung so far on "
        "validation.", found.best_config, result, validation_r2(result, series),
        time.perf_counter() - started))


def _references(series: SeriesData, first: FitResult, season: int,
                classical: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """Test scores of the baselines (from the first fit: same rows for every
    rung) and of the classical models, with their wall times."""
    from lstmcast.baselines.classical import make_models
    from lstmcast.evaluation.metrics import evaluate
    keep = ("r2", "skill_vs_naive", "mae", "rmse")
    out = {name: {k: m.get(k) for k in keep} | {"seconds": None}
           for name, m in first.metrics.items() if name != "lstm"}
    y, n_train = series.y, first.split["n_train"] + first.split["n_val"]
    rows = np.arange(n_train, len(series))
    naive = first.predictions["naive"].to_numpy()
    for name, model in make_models(classical, season).items():
        started = time.perf_counter()
        pred = model.fit(y[:n_train]).predict_one_step(y, rows)
        seconds = time.perf_counter() - started
        scores = evaluate(y[rows], pred, y_train=y[:n_train], y_naive=naive,
                          season=season)
        out[name] = {k: scores.get(k) for k in keep} | {"seconds": seconds}
    return out
