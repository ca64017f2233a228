"""What a tuning run found, and the files it leaves in its output folder.

``best_config.json`` (accepted by ``lstmcast fit --config``), ``trials.csv``
(number, state, value, r2, duration_s and one ``param_<name>`` column per
searched setting), ``importances.json`` ({setting: importance}), ``tune.json``
(the summary: best_value, best_r2, n_trials, metric, folds, failures, the
refit's test metrics) and, from the refit, the model and run files of
:meth:`lstmcast.evaluation.holdout.FitResult.save`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.core.persist import (
    atomic_write_bytes,
    atomic_write_csv,
    atomic_write_json,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

METRIC = "mse"
OBJECTIVE = ("mean one-step MSE on the original scale over expanding-window "
             "validation folds inside the training part")


@dataclass
class TuneResult:
    """The best config, its validation scores, every trial and the refit."""

    best_config: ForecastConfig
    best_value: float
    best_r2: float | None
    best_trial: int
    importances: dict[str, float]
    summary: dict[str, Any]
    frame: pd.DataFrame = field(repr=False)
    test: Any = None  # FitResult of the refitted best config, scored on the test part

    def trials_frame(self) -> pd.DataFrame:
        """One row per trial: number, state, value, r2, duration_s, param_*."""
        return self.frame.copy()

    def to_dict(self) -> dict[str, Any]:
        """The summary written to ``tune.json``."""
        test = None if self.test is None else self.test.metrics
        return {**self.summary, "best_value": self.best_value,
                "best_r2": self.best_r2, "best_trial": self.best_trial,
                "importances": self.importances, "test": test}

    def plot(self) -> Figure:
        """The objective of every trial and the best so far (a matplotlib
        Figure, the tune report's optimisation history)."""
        from lstmcast.figures.tune import history
        return history(self.frame, METRIC, maximise=False)

    def save(self, out: str | Path) -> Path:
        """Write the end-of-run files into folder ``out`` and return it:
        ``best_config.json``, ``trials.csv``, ``importances.json``,
        ``tune.json`` and the refit's run files
        (:meth:`lstmcast.evaluation.holdout.FitResult.save`); the study's
        journal is written during the run.
        :func:`lstmcast.report.runs.write_report` builds the page from them."""
        out = Path(out)
        atomic_write_bytes(out / "best_config.json",
                           self.best_config.to_json().encode())
        atomic_write_csv(out / "trials.csv", self.frame)
        atomic_write_json(out / "importances.json", self.importances)
        atomic_write_json(out / "tune.json", self.to_dict())
        if self.test is not None:
            self.test.save(out)
        return out


def ended(study: Any) -> int:
    """Trials that count against the budget: complete, pruned, or failed for
    their own settings (not those of killed workers, which are run again)."""
    from optuna.trial import TrialState
    return sum(1 for t in study.get_trials(deepcopy=False)
               if t.state in (TrialState.COMPLETE, TrialState.PRUNED)
               or (t.state == TrialState.FAIL and "fail_reason" in t.user_attrs))


def best_complete(study: Any) -> Any:
    """The complete trial with the lowest value (None before the first)."""
    from optuna.trial import TrialState
    done = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    return min(done, key=lambda t: (t.value, t.number)) if done else None


def trials_frame(study: Any, names: list[str]) -> pd.DataFrame:
    """The trials as a table (value only for complete trials: a pruned trial's
    last report is a training loss, not the objective)."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        duration = t.duration.total_seconds() if t.duration else math.nan
        row = {"number": t.number, "state": t.state.name,
               "value": t.value if t.state.name == "COMPLETE" else math.nan,
               "r2": t.user_attrs.get("r2"), "duration_s": duration}
        row.update({f"param_{k}": t.params.get(k) for k in names})
        rows.append(row)
    columns = ["number", "state", "value", "r2", "duration_s",
               *(f"param_{k}" for k in names)]
    return pd.DataFrame(rows, columns=columns)


def importances(study: Any, seed: int) -> dict[str, float]:
    """fANOVA importance of each setting (empty below two complete trials)."""
    import optuna
    from optuna.trial import TrialState
    if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) < 2:
        return {}
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
        values = optuna.importance.get_param_importances(study, evaluator=evaluator)
    except (RuntimeError, ValueError):
        return {}
    return {k: float(v) for k, v in values.items()}


def build_result(study: Any, plan: Any, name: str, storage: str | None, seed: int,
                 seconds: float) -> TuneResult:
    """Collect the study into a TuneResult (DataError when no trial finished)."""
    from lstmcast.search.tune_storage import redact
    best = best_complete(study)
    if best is None:
        reasons = [t.user_attrs["fail_reason"] for t in study.trials
                   if "fail_reason" in t.user_attrs]
        raise DataError("No trial finished: " + (
            f"the first failed with: {reasons[0].rstrip('.')}" if reasons else
            "every trial was pruned or stopped") + ". Fix the base settings, "
            "give more --trials or a longer --timeout.")
    states = pd.Series([t.state.name for t in study.trials]).value_counts()
    names = list(dict.fromkeys(k for t in study.trials for k in t.params))
    summary = {
        "metric": METRIC, "objective": OBJECTIVE, "n_trials": ended(study),
        "states": {k: int(v) for k, v in states.items()}, "study_name": name,
        "storage": redact(storage) if storage else "memory", "seed": seed,
        "seconds": seconds, "season": plan.base.data.season,
        "fold_size": plan.fold_size, "n_train": plan.n_train,
        "folds": [{"fit_rows": [lo, hi], "validation_rows": [vlo, vhi]}
                  for lo, hi, vlo, vhi in plan.bounds],
        "best_skill_vs_naive": best.user_attrs.get("skill_vs_naive"),
        "best_fold_mse": best.user_attrs.get("fold_mse"),
        "failures": [{"number": t.number, "reason": t.user_attrs["fail_reason"]}
                     for t in study.trials if "fail_reason" in t.user_attrs]}
    return TuneResult(best_config=ForecastConfig.from_dict(best.user_attrs["config"]),
                      best_value=float(best.value), best_r2=best.user_attrs.get("r2"),
                      best_trial=best.number, importances=importances(study, seed),
                      summary=summary, frame=trials_frame(study, names))
