"""Running a study: worker processes, the objective, pruning, the progress bar.

Every worker (this process and ``workers - 1`` spawned ones) opens the storage
itself and runs ``study.optimize`` until the study has its ``trials``; see
:mod:`lstmcast.search.tune` for what a trial does and how it is scored.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
import time
import warnings
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from typing import Any

import numpy as np

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.series import SeriesData
from lstmcast.search.tune_space import Param, sample
from lstmcast.search.tune_storage import mark_owner, open_storage, recover_orphans

START_WAIT = 120.0  # seconds the workers wait for each other to start


class _TrialFailed(RuntimeError):
    """A trial that cannot give a score (its reason is in its user attrs)."""


@dataclass(frozen=True)
class Job:
    """Everything a worker process needs (picklable)."""

    series: SeriesData
    plan: Any  # lstmcast.search.tune.Plan
    space: dict[str, Param]
    seed: int
    trials: int
    timeout: float | None
    pruner: str
    storage: str | None
    study_name: str
    heartbeat: int
    workers: int
    deadline: float | None  # time.time() after which running trials stop


def trial_seed(seed: int, number: int) -> int:
    """The training seed of trial ``number`` of a study seeded with ``seed``."""
    return seed * 100_000 + number


def open_study(job: Job, *, worker: int = 0) -> Any:
    """Create or load the study, with a sampler seeded apart from every earlier
    run and worker (a resumed study does not redraw its first parameters)."""
    import optuna
    storage = open_storage(job.storage, heartbeat=job.heartbeat)
    try:
        existing = len(storage.get_all_trials(
            storage.get_study_id_from_name(job.study_name), deepcopy=False))
    except KeyError:  # a new study
        existing = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        sampler = optuna.samplers.TPESampler(
            seed=job.seed + 1000 * worker + existing, constant_liar=True,
            n_startup_trials=max(3, min(10, job.trials // 3)))
    study = optuna.create_study(study_name=job.study_name, storage=storage,
                                direction="minimize", load_if_exists=True,
                                sampler=sampler, pruner=_pruner(job))
    recover_orphans(study, storage)
    return study


def _pruner(job: Job) -> Any:
    import optuna
    epochs = job.plan.base.train.epochs
    if job.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=min(5, epochs), max_resource=epochs * len(job.plan.bounds))
    if job.pruner == "percentile":  # judged from epoch 10 of the first fold on
        # Only the worst quarter is cut: validation losses under different
        # differencing are not fully comparable, and a plain median cut 16 of 20
        # airline trials, good ones among them.
        return optuna.pruners.PercentilePruner(75.0, n_startup_trials=5,
                                               n_warmup_steps=min(10, epochs // 2))
    return optuna.pruners.NopPruner()


def search(study: Any, job: Job, progress: bool) -> None:
    """Run this process's worker plus ``workers - 1`` spawned ones, starting
    together once every worker has opened the study."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Barrier(job.workers)
    procs = [ctx.Process(target=_worker, args=(job, k, ready),
                         name=f"tune-worker-{k}") for k in range(1, job.workers)]
    for p in procs:
        p.start()
    try:
        _start_together(ready)
        _optimize(study, job, progress)
    except BaseException:
        for p in procs:  # their running trials are requeued on the next run
            p.terminate()
        raise
    finally:
        for p in procs:
            p.join()
    bad = [(p.name, p.exitcode) for p in procs if p.exitcode != 0]
    if bad:
        raise RuntimeError(f"tuning worker(s) failed: {bad}; see their tracebacks "
                           "above.")


def _worker(job: Job, worker: int, ready: Any) -> None:
    """Entry point of a spawned worker process."""
    with quiet(), threads(job.workers):
        study = open_study(job, worker=worker)
        _start_together(ready)
        _optimize(study, job, progress=False)


def _start_together(ready: Any) -> None:
    with suppress(threading.BrokenBarrierError):  # one did not start: go on
        ready.wait(timeout=START_WAIT)


def _optimize(study: Any, job: Job, progress: bool) -> None:
    from lstmcast.search.tune_result import ended
    if ended(study) >= job.trials:
        return
    bar = _Bar(job.trials, ended(study)) if progress else None

    def budget(study: Any, _trial: Any) -> None:
        done = ended(study)
        if bar:
            bar.update(study, done)
        if done >= job.trials:
            study.stop()

    try:
        study.optimize(lambda trial: _objective(trial, job), timeout=job.timeout,
                       catch=(_TrialFailed,), callbacks=[budget])
    finally:
        if bar:
            bar.close()


def _objective(trial: Any, job: Job) -> float:
    """Mean validation MSE of one trial's config over the folds."""
    mark_owner(trial)
    seed = trial_seed(job.seed, trial.number)
    trial.set_user_attr("seed", seed)
    params = sample(trial, job.space)
    try:
        cfg = job.plan.base.replace(**params, seed=seed)
    except DataError as exc:
        _fail(trial, str(exc))
    trial.set_user_attr("config", cfg.to_dict())
    folds = [_fold_score(trial, job, cfg, k) for k in range(len(job.plan.bounds))]
    for key in ("mse", "r2", "skill_vs_naive"):
        values = [f[key] for f in folds]
        trial.set_user_attr(f"fold_{key}", values)
        finite = [v for v in values if v is not None]
        trial.set_user_attr(key, float(np.mean(finite)) if finite else None)
    return float(np.mean([f["mse"] for f in folds]))


def _fold_score(trial: Any, job: Job, cfg: ForecastConfig, k: int
                ) -> dict[str, Any]:
    """``fit_evaluate`` on the rows up to the end of fold k's validation part."""
    import optuna

    from lstmcast.evaluation.holdout import fit_evaluate
    from lstmcast.network.train import watch_epochs
    epochs = cfg.train.epochs

    prune = job.pruner != "none" and cfg.model.target_mode == "delta"

    def watch(epoch: int, val_loss: float) -> None:
        if job.deadline is not None and time.time() > job.deadline:
            raise optuna.TrialPruned(f"time budget spent (fold {k + 1}, epoch "
                                     f"{epoch})")
        if not (prune and math.isfinite(val_loss)):
            return
        trial.report(val_loss, k * epochs + epoch)
        if trial.should_prune():
            raise optuna.TrialPruned(f"fold {k + 1}, epoch {epoch}: validation "
                                     f"loss {val_loss:.4g}")

    part = job.series.head(job.plan.bounds[k][3])
    try:
        with watch_epochs(watch) if prune or job.deadline else nullcontext():
            res = fit_evaluate(part, cfg.replace(test_size=job.plan.fold_size),
                               doctor=False, refit=False)
    except (DataError, ValueError, FloatingPointError) as exc:
        _fail(trial, f"fold {k + 1}: {exc}")
    for history in res.forecaster.histories_:
        if history.diverged:
            _fail(trial, f"fold {k + 1}: training diverged: {history.stopped}")
    pred = res.predictions
    err = (pred["actual"] - pred["lstm"]).to_numpy(dtype=float)
    lstm = res.metrics["lstm"]
    return {"mse": float(np.nanmean(err ** 2)), "r2": lstm["r2"],
            "skill_vs_naive": lstm["skill_vs_naive"]}


def _fail(trial: Any, reason: str) -> None:
    trial.set_user_attr("fail_reason", reason)
    raise _TrialFailed(reason)


@contextmanager
def quiet() -> Any:
    """Optuna's per-trial log lines and experimental warnings off."""
    import optuna
    level = optuna.logging.get_verbosity()
    optuna.logging.set_verbosity(optuna.logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        try:
            yield
        finally:
            optuna.logging.set_verbosity(level)


@contextmanager
def threads(workers: int) -> Any:
    """Share the CPU cores between the workers while searching."""
    import torch
    before = torch.get_num_threads()
    if workers > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))
    try:
        yield
    finally:
        torch.set_num_threads(before)


class _Bar:
    """A rich progress bar on stderr: trials ended and the best score so far."""

    def __init__(self, total: int, done: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
        self._bar = Progress(TextColumn("tuning"), BarColumn(),
                             TextColumn("{task.completed}/{task.total} trials"),
                             TextColumn("{task.fields[best]}"), TimeElapsedColumn(),
                             console=Console(stderr=True), transient=True)
        self._task = self._bar.add_task("tune", total=total, completed=done,
                                        best="")
        self._bar.start()

    def update(self, study: Any, done: int) -> None:
        from lstmcast.search.tune_result import best_complete
        best = best_complete(study)
        text = "" if best is None else (
            f"best MSE {best.value:.4g} (R² {_signed(best.user_attrs.get('r2'))}, "
            f"trial {best.number})")
        self._bar.update(self._task, completed=done, best=text)

    def close(self) -> None:
        self._bar.stop()


def _signed(value: float | None) -> str:
    return "undefined" if value is None else f"{value:+.3f}"
