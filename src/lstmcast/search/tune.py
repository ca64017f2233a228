"""`lstmcast tune`: an Optuna study over the settings of ``fit``.

Each trial lays its parameters (named after config fields, see
:mod:`lstmcast.search.tune_space`) over the base config and seeds itself from
``(seed, trial number)``. It is scored on expanding-window folds inside the
training part only: in fold k, :func:`lstmcast.evaluation.holdout.fit_evaluate` runs on
the rows up to the end of the fold's validation part with ``test_size`` equal
to the fold size, exactly what ``lstmcast fit`` does on that data. The
objective is the mean one-step MSE over the folds on the original scale (the
quantity the test table's RMSE squares; mean R² and skill vs naive are kept
beside it). The test part is touched once, at the end, when the best config is
refitted by ``fit_evaluate`` on the whole series.

Pruning reads the per-epoch validation loss. In ``target_mode="delta"`` (the
default) that loss is of steps divided by the training steps' spread, so it
compares across scalers and transforms; in ``level`` mode it does not, and
pruning is off. A trial whose training diverges (non-finite loss), whose
settings cannot go together or whose forecasts are not finite is FAILED with
its reason and the study goes on. ``trials`` counts every trial that ended
(complete, pruned or failed for its settings) across all workers and runs, so
a resumed study does only what is left; a trial of a killed worker is not
counted: it is FAILED and run again with its parameters
(:mod:`lstmcast.search.tune_storage`). ``timeout`` is the search's time budget: no
trial starts after it, and running ones stop (PRUNED) at their next epoch.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.loading import SeriesSource, as_series
from lstmcast.data.series import SeriesData
from lstmcast.search.tune_result import TuneResult, build_result
from lstmcast.search.tune_run import Job, open_study, quiet, search, threads, trial_seed
from lstmcast.search.tune_space import (
    Param,
    base_point,
    check_space,
    default_space,
    without,
)
from lstmcast.search.tune_storage import HEARTBEAT, JOURNAL

__all__ = ["PRUNERS", "TuneResult", "plan_search", "trial_seed", "tune"]

PRUNERS = ("percentile", "hyperband", "none")


@dataclass(frozen=True)
class Plan:
    """The validation layout inside the training part, fixed for the study."""

    base: ForecastConfig  # with the season detected on the training part
    n_train: int
    fold_size: int
    bounds: tuple[tuple[int, int, int, int], ...]  # (train lo, hi, val lo, hi)
    max_window: int


def plan_search(series: SeriesData, base: ForecastConfig, folds: int = 3) -> Plan:
    """Season and expanding folds inside the training part (the rows before the
    test part): about 20% of it (at least one season per fold, at most 40%)
    split into ``folds`` validation parts."""
    from lstmcast.data.split import count_of, count_test_rows
    from lstmcast.evaluation.folds import fold_bounds
    from lstmcast.forecaster.shape import resolve_shape
    n_train = len(series) - count_test_rows(len(series), base.data.test_size)
    season = resolve_shape(series.head(n_train), base)[0]
    base = base.replace(season=season)
    total = min(max(math.ceil(0.2 * n_train), folds * season), int(0.4 * n_train))
    fold_size = max(2, math.ceil(total / folds), base.model.horizon)
    bounds = tuple(fold_bounds(n_train, n_folds=folds, test_size=fold_size))
    first = bounds[0][1]
    max_window = (first - count_of(base.data.val_size, first)) // 3
    if max_window < 4:
        raise DataError(f"The training part ({n_train} rows) is too short for "
                        f"{folds} validation folds of {fold_size} rows: the first "
                        f"fold would fit on {first} rows. Use fewer --folds or a "
                        "longer series.")
    return Plan(base, n_train, fold_size, bounds, max_window)


def tune(data: SeriesSource, config: ForecastConfig | None = None, *,
         trials: int = 20, timeout: float | None = None, folds: int = 3,
         storage: str | None = None, study_name: str | None = None,
         out_dir: str | Path | None = None, workers: int = 1, seed: int = 0,
         progress: bool = False, pruner: str = "percentile",
         space: dict[str, Param] | None = None, fixed: tuple[str, ...] = (),
         heartbeat: int = HEARTBEAT) -> TuneResult:
    """Search the settings of ``fit`` on validation folds; refit the best once.

    ``data`` is a path, a DataFrame or Series (read with ``config``'s data
    settings) or a SeriesData; ``config`` is the base config the trials start
    from (None: the defaults). ``storage``: a database URL or a journal file
    (default: ``study.journal`` in ``out_dir``, else memory); the same call
    again resumes the study. ``workers`` processes share it. ``space``
    replaces the default search space; ``fixed`` names settings kept at the
    base config's value. ``progress`` shows a progress bar on stderr. ``seed``
    seeds the sampler and every trial's training (:func:`trial_seed`);
    ``heartbeat`` is the seconds between a database trial's signs of life.
    """
    _check_args(trials, timeout, folds, workers, pruner, seed)
    started = time.perf_counter()
    base = config if config is not None else ForecastConfig()
    series = as_series(data, base.data)
    plan = plan_search(series, base, folds)
    if space is None:
        space = default_space(series.y[:plan.n_train], plan.base.data.season,
                              plan.max_window)
    space = check_space(without(space, fixed))
    spec = storage or (str(Path(out_dir) / JOURNAL) if out_dir else None)
    if workers > 1 and spec is None:
        raise DataError(f"workers={workers} need a shared study: give out_dir "
                        "(a journal file there) or storage (a database URL).")
    if spec and "://" not in spec:
        Path(spec).parent.mkdir(parents=True, exist_ok=True)
    name = study_name or default_study_name(series, plan, space, seed)
    deadline = None if timeout is None else time.time() + timeout
    job = Job(series, plan, space, seed, trials, timeout, pruner, spec, name,
              heartbeat, workers, deadline)
    with quiet(), threads(workers):
        study = open_study(job)
        if not study.trials:  # a new study starts from the base settings
            from lstmcast.data.split import auto_window
            study.enqueue_trial(base_point(
                plan.base.flat(), space,
                auto_window(plan.base.data.season or 1, plan.bounds[0][1])))
        search(study, job, progress)
    result = build_result(study, plan, name, spec, seed,
                          time.perf_counter() - started)
    from lstmcast.evaluation.holdout import (
        fit_evaluate,  # the one look at the test part
    )
    result.test = fit_evaluate(series, result.best_config)
    if out_dir is not None:
        result.save(out_dir)
    return result


def default_study_name(series: SeriesData, plan: Plan, space: dict[str, Param],
                       seed: int) -> str:
    """A name fixed by the data, base config, folds, space and seed: the same
    command finds its study again (and resumes it)."""
    key = json.dumps({"config": plan.base.to_dict(), "n": len(series),
                      "target": series.target, "first": str(series.index[0]),
                      "last": str(series.index[-1]), "bounds": plan.bounds,
                      "space": {k: p.to_dict() for k, p in space.items()},
                      "seed": seed}, sort_keys=True, default=str)
    return f"lstmcast-{series.target}-{hashlib.sha1(key.encode()).hexdigest()[:10]}"


def _check_args(trials: int, timeout: float | None, folds: int, workers: int,
                pruner: str, seed: int) -> None:
    for name, value, low in (("trials", trials, 1), ("folds", folds, 1),
                             ("workers", workers, 1), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise DataError(f"The '{name}' setting must be an int >= {low}. Got "
                            f"{value!r} instead.")
    if timeout is not None and not timeout > 0:
        raise DataError(f"The 'timeout' setting must be > 0 seconds. Got {timeout!r} "
                        "instead.")
    if pruner not in PRUNERS:
        raise DataError(f"The 'pruner' setting must be one of {', '.join(PRUNERS)}. "
                        f"Got {pruner!r} instead.")
