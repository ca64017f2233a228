"""Scoring ``fit --auto``'s candidates on validation folds of the training part.

A candidate is fitted on the rows before each fold and forecasts the fold one
step at a time from the true history (original scale); the folds' squared
errors are pooled (:func:`score`). Each fold's fit also forecasts the later
folds' rows, which neither trained it, stopped it early nor chose it: the
*forward* errors that calibrate a chosen network's intervals (see
:mod:`lstmcast.search.auto`). A validation tail shorter than
:data:`MIN_VAL_ROWS` rows is a noisy judge (one lucky quarter decides), so
short series are scored on up to :data:`MAX_FOLDS` rolling origins, blocks of
the same length going back (:func:`count_folds`). Candidate fits see at most
the last :data:`MAX_SEARCH_ROWS` training rows and :data:`SEARCH_EPOCHS`
epochs; each records its validation curve (best epoch, training / validation
loss there), which says whether a network underfits (:func:`underfits`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.series import SeriesData
from lstmcast.preprocess.residual import keep_model_choice
from lstmcast.search.candidates import Candidate

__all__ = ["MAX_FOLDS", "MAX_SEARCH_ROWS", "MIN_VAL_ROWS", "SEARCH_EPOCHS",
           "SEARCH_PATIENCE", "UNDERFIT_RATIO", "Search", "count_folds",
           "curve_said", "mse", "score", "underfits", "validation_setup"]

MAX_SEARCH_ROWS = 2000  # candidate fits use the most recent training rows only
SEARCH_EPOCHS, SEARCH_PATIENCE = 40, 8
MIN_VAL_ROWS = 60  # a validation tail shorter than this is a noisy judge ...
MAX_FOLDS = 3  # ... so up to 3 rolling-origin folds are scored (pooled MSE)
UNDERFIT_RATIO = 0.9  # training / validation loss at the best epoch: underfit


@dataclass
class Search:
    """The validation set-up shared by every candidate."""

    recent: SeriesData  # the most recent training rows
    folds: list[np.ndarray]  # validation rows of ``recent`` per fold, latest first
    naive_mse: float
    candidates: list[Candidate] = field(default_factory=list)
    training: dict[str, Any] = field(default_factory=dict)  # batching levers

    @property
    def rows(self) -> np.ndarray:
        """The latest fold: the validation tail of the training part."""
        return self.folds[0]

    @property
    def all_rows(self) -> np.ndarray:
        return np.concatenate(self.folds[::-1])


def count_folds(n_rows: int, n_val: int) -> int:
    """Validation folds (rolling origins of ``n_val`` rows each, going back from
    the end of the training part): one when the tail alone has
    :data:`MIN_VAL_ROWS` rows; else up to :data:`MAX_FOLDS`, as long as every
    fold still fits on at least 2/3 of the rows the latest one fits on."""
    if n_val >= MIN_VAL_ROWS:
        return 1
    extra = (n_rows - n_val) // (3 * n_val)
    return 1 + max(0, min(MAX_FOLDS - 1, extra))


def validation_setup(train_part: SeriesData, n_val: int, ahead: int) -> Search:
    """The most recent training rows, the validation folds and the one-step
    naive MSE over them. The folds end ``ahead`` rows before the training part
    does: those rows are the known future covariates of the rows before them
    (see :func:`~lstmcast.evaluation.holdout.split_rows`)."""
    keep = min(len(train_part), MAX_SEARCH_ROWS)
    recent = train_part if keep == len(train_part) else SeriesData(
        frame=train_part.frame.iloc[-keep:], target=train_part.target,
        covariates=train_part.covariates, freq=train_part.freq,
        future=train_part.future)
    end = keep - ahead
    folds = [np.arange(end - (k + 1) * n_val, end - k * n_val)
             for k in range(count_folds(end, n_val))]
    search = Search(recent, folds, 0.0)
    rows, y = search.all_rows, recent.y
    search.naive_mse = mse(y[rows], _last_values(y, rows))
    return search


def _last_values(y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    from lstmcast.baselines.simple import Naive
    return Naive().fit(y[: rows[0]]).predict_one_step(y, rows)


def mse(actual: np.ndarray, pred: np.ndarray) -> float:
    ok = np.isfinite(actual) & np.isfinite(pred)
    if not ok.any():
        return float("nan")
    return float(np.mean((actual[ok] - pred[ok]) ** 2))


def score(cand: Candidate, config: ForecastConfig, search: Search,
           training: dict[str, Any] | None = None) -> None:
    """Fit ``cand`` on the rows before each validation fold; score the folds
    (the search's epochs and patience unless the candidate sets its own;
    ``training``: batching levers other than the search's)."""
    from lstmcast.forecaster.estimator import LSTMForecaster
    tick = time.perf_counter()
    train = config.train
    levers = search.training if training is None else training
    cfg = config.replace(**{"epochs": min(train.epochs, SEARCH_EPOCHS),
                            "patience": min(train.patience, SEARCH_PATIENCE)
                            or SEARCH_PATIENCE, **levers, **cand.settings})
    preds, forward = [], []
    folds = search.folds[::-1]
    try:
        with keep_model_choice():  # a later fold keeps the earlier one's ETS form
            for k, rows in enumerate(folds):
                est = LSTMForecaster.from_config(cfg)
                est.fit(search.recent.head(int(rows[0])))
                preds.append(est.predict_one_step(search.recent, rows))
                forward += _later_folds(est, search.recent, folds[k + 1:])
    except DataError as exc:
        cand.note = f"could not be fitted: {exc}"
        return
    finally:
        cand.seconds = (time.perf_counter() - tick) / max(len(preds), 1)
    cand.epochs = len(est.history_.history)
    cand.best_epoch, cand.train_to_val = _curve(est.history_)
    y = search.recent.y
    cand.val_mse = mse(y[search.all_rows], np.concatenate(preds))
    cand.forward_errors = _scaled_errors(y, forward)
    if len(search.folds) > 1:
        cand.fold_skills = [_skill(y, rows, pred) for rows, pred in
                            zip(search.folds[::-1], preds, strict=True)]
    if np.isfinite(cand.val_mse) and search.naive_mse > 0:
        cand.val_skill = 1 - cand.val_mse / search.naive_mse


def _later_folds(est: Any, recent: SeriesData, later: list[np.ndarray]
                 ) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(rows, one-step forecasts)] of a fold's fit over the ``later`` folds'
    rows; none when there are none or they cannot be forecast (the fold's
    score does not depend on them)."""
    if not later:
        return []
    rows = np.concatenate(later)
    try:
        return [(rows, est.predict_one_step(recent, rows))]
    except DataError:
        return []


def _scaled_errors(y: np.ndarray, forecasts: list[tuple[np.ndarray, np.ndarray]]
                   ) -> np.ndarray:
    """The known errors ``actual - forecast`` of (rows, one-step forecasts)
    pairs, each divided by the local scale at its origin (as the intervals'
    calibration, :func:`~lstmcast.forecaster.calibrate.local_scale`), in the
    time order of their rows."""
    from lstmcast.forecaster.calibrate import local_scale
    if not forecasts:
        return np.empty(0)
    rows = np.concatenate([r for r, _ in forecasts])
    errors = np.concatenate([(y[r] - f) / local_scale(y, r - 1)
                             for r, f in forecasts])
    errors = errors[np.argsort(rows, kind="stable")]
    return errors[np.isfinite(errors)]


def underfits(cand: Candidate) -> bool:
    """Whether ``cand``'s search fit underfits by its validation curve: still
    improving at the last of the search's epochs, or fitting its training
    rows about as badly as unseen ones (training / validation loss at the
    best epoch at least :data:`UNDERFIT_RATIO`)."""
    still = cand.best_epoch >= cand.epochs >= SEARCH_EPOCHS
    return still or (cand.train_to_val or 0.0) >= UNDERFIT_RATIO


def curve_said(cand: Candidate) -> str:
    ratio = "unknown" if cand.train_to_val is None else f"{cand.train_to_val:.2f}"
    return (f"best epoch {cand.best_epoch} of {cand.epochs}, training / validation "
            f"loss {ratio} there")


def _curve(history: Any) -> tuple[int, float | None]:
    """(best epoch, training loss / validation loss there) of a fit's
    history (the latest fold's): a ratio near 1 or above says the network
    fits its training rows no better than unseen ones."""
    best = history.best_epoch
    if not 1 <= best <= len(history.history):
        return best, None
    at = history.history[best - 1]
    ratio = at["train_loss"] / at["val_loss"] if at["val_loss"] > 0 else None
    return best, ratio if ratio is not None and np.isfinite(ratio) else None


def _skill(y: np.ndarray, rows: np.ndarray, pred: np.ndarray) -> float | None:
    """1 - MSE / naive MSE on one fold (None when the naive MSE is 0)."""
    naive = mse(y[rows], _last_values(y, rows))
    return 1 - mse(y[rows], pred) / naive if naive > 0 else None
