"""``fit --auto``: choose the target representation, size and fallback on validation.

A handful of candidate configs, each a reasoned guess from the diagnosis of the
training part, are fitted on the training part minus its validation tail and
scored on that tail (one-step forecasts from the true history, original
scale, MSE). The naive forecast (the last value) is always a candidate: when
no LSTM beats it by :data:`MIN_SKILL` on validation, it is the recommended
model, an untrained network (``predictor="naive"``) that repeats the last
value, and says so. The winner is then refitted on the whole training part and
scored on the test part exactly as :func:`~lstmcast.evaluate.fit_evaluate`
does; the test part never chooses anything.

Candidates (each only where it applies):

- ``levels``: the change from the last value on the raw levels (the default);
- ``diagnosis``: the settings ``lstmcast diagnose`` recommends (log / Box-Cox,
  differences, the target mode);
- ``seasonal-residual``: the network forecasts the residual over the seasonal
  naive forecast (seasonal differencing, target level): an all-zero network
  is the seasonal naive forecast plus the average yearly change;
- ``small``: 4 hidden units, L2 and a 4-step linear path, nearly an AR model
  (what few training windows or a linear series need);
- ``naive``: no network.

The best LSTM is then tried as the average of :data:`ENSEMBLE` seeds
(``ensemble``), kept if that lowers its validation MSE by
:data:`ENSEMBLE_GAIN`.

Every LSTM candidate gets a hidden size from its number of training windows
(at most 10 parameters per window, as ``diagnose``) and the window from the
season and the data length (as ``fit``). Candidate fits see at most the last
:data:`MAX_SEARCH_ROWS` training rows and at most :data:`SEARCH_EPOCHS` epochs;
the search stops when :data:`SEARCH_SHARE` of the time budget is spent and
the final fit's epochs are capped to what is left.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstmcast.config import ForecastConfig
from lstmcast.errors import DataError
from lstmcast.evaluate import FitResult, count_test_rows, fit_evaluate
from lstmcast.findings import Finding
from lstmcast.io import SeriesData

__all__ = ["DEFAULT_BUDGET", "Candidate", "fit_auto", "plan_candidates"]

DEFAULT_BUDGET = 240.0  # seconds for the whole of --auto
SEARCH_SHARE = 0.6  # of the budget for the candidates; the rest for the final fit
MAX_SEARCH_ROWS = 2000  # candidate fits use the most recent training rows only
SEARCH_EPOCHS, SEARCH_PATIENCE = 40, 8
MIN_SKILL = 0.02  # validation skill vs naive an LSTM needs to be recommended
ENSEMBLE = 3  # seeds averaged when that pays on validation ...
ENSEMBLE_GAIN = 0.01  # ... by lowering the validation MSE by this share
MIN_FINAL_EPOCHS = 10
FINAL_SHARE = 0.85  # of the time left for training the final fit (then: scoring)


@dataclass
class Candidate:
    """One config tried by ``--auto``, and how it did on validation."""

    name: str
    reason: str
    settings: dict[str, Any]
    val_mse: float | None = None
    val_skill: float | None = None
    seconds: float = 0.0
    epochs: int = 0
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "reason": self.reason, "settings": self.settings,
                "val_mse": self.val_mse, "val_skill_vs_naive": self.val_skill,
                "seconds": round(self.seconds, 2), "epochs": self.epochs,
                "note": self.note}


@dataclass
class _Search:
    """The validation set-up shared by every candidate."""

    recent: SeriesData  # the most recent training rows
    rows: np.ndarray  # validation rows of ``recent``
    naive_mse: float
    candidates: list[Candidate] = field(default_factory=list)


def fit_auto(series: SeriesData, config: ForecastConfig, *,
             budget: float | None = None, progress: bool = False) -> FitResult:
    """Choose a config on the validation tail of the training part, refit it on
    the whole training part, and score it on the test part.

    Returns the :class:`~lstmcast.evaluate.FitResult` of the chosen config (as
    ``fit_evaluate`` would), with ``result.auto`` the record of the search:
    every candidate with its settings, reason and validation score, the choice
    and why. ``budget`` is the time in seconds (default :data:`DEFAULT_BUDGET`).
    """
    from lstmcast.fitting import resolve_shape
    started = time.perf_counter()
    budget = DEFAULT_BUDGET if budget is None else float(budget)
    if not budget > 0:
        raise DataError(f"The time budget must be a positive number of seconds. "
                        f"Got {budget!r}; use e.g. --budget 240.")
    n = len(series)
    n_train = n - count_test_rows(n, config.data.test_size)
    train_part = series.head(n_train)
    season, _, _, n_val = resolve_shape(train_part, config)
    config = config.replace(season=season)
    search = _validation_setup(train_part, n_val)
    planned = plan_candidates(series, config, season, n_train - n_val)
    for cand in planned:
        elapsed = time.perf_counter() - started
        done = [c for c in search.candidates if c.val_mse is not None]
        cost = max((c.seconds for c in done), default=0.0)
        if cand.name != "naive" and done and elapsed + cost > SEARCH_SHARE * budget:
            cand.note = f"skipped: the time budget ({budget:.0f} s) was spent"
        else:
            _score(cand, config, search)
        search.candidates.append(cand)
        if progress:
            print(f"auto: {_line(cand)}", file=sys.stderr, flush=True)
    chosen, why = _choose(search.candidates)
    if chosen.name != "naive":
        why += _try_ensemble(chosen, config, search, SEARCH_SHARE * budget - (
            time.perf_counter() - started), progress)
    final = config.replace(**chosen.settings)
    if chosen.name != "naive":
        left = FINAL_SHARE * (budget - (time.perf_counter() - started))
        final = _cap_epochs(final, chosen, left, (n_train - n_val) / search.rows[0])
    result = fit_evaluate(series, final, progress=progress)
    if chosen.name == "naive":
        result.doctor.insert(0, _naive_finding(search.candidates))
    result.auto = {"chosen": chosen.name, "why": why, "season": season,
                   "validation_rows": len(search.rows),
                   "validation": [str(search.recent.index[search.rows[0]]),
                                  str(search.recent.index[search.rows[-1]])],
                   "naive_val_mse": search.naive_mse, "min_skill": MIN_SKILL,
                   "budget_seconds": budget,
                   "candidates": [c.to_dict() for c in search.candidates],
                   "seconds": time.perf_counter() - started}
    result.seconds = time.perf_counter() - started
    return result


def plan_candidates(series: SeriesData, config: ForecastConfig, season: int,
                    n_fit: int) -> list[Candidate]:
    """The candidate configs for a series, most promising first.

    ``n_fit`` is the number of rows the final fit trains on (the training part
    minus its validation tail); the diagnosis sees the training part only.
    """
    from lstmcast.diagnosis import diagnose
    diag = diagnose(series, test_size=config.data.test_size, season=season)
    keys = ("transform", "difference", "seasonal_difference", "target_mode")
    default, advised = ForecastConfig().flat(), diag.recommended.flat()
    recommended = {k: advised[k] for k in keys if advised[k] != default[k]}
    levels = {"target_mode": "delta", "transform": "none", "difference": 0,
              "seasonal_difference": 0}
    out = [Candidate("levels", "the change from the last value", dict(levels))]
    if recommended and {**levels, **recommended} != levels:
        said = ", ".join(f"{k}={v}" for k, v in recommended.items())
        out.append(Candidate("diagnosis", f"diagnose recommends {said}",
                             {**levels, **recommended}))
    if season > 1 and n_fit >= 4 * season:
        out.append(Candidate(
            "seasonal-residual", f"the residual over the seasonal naive (season "
            f"{season})", {**levels, "transform": recommended.get("transform",
                                                                  "none"),
                           "seasonal_difference": season, "target_mode": "level"}))
    for cand in out:
        cand.settings.update(_size(config.replace(**cand.settings), n_fit,
                                   len(series.covariates)))
    out.append(Candidate(
        "small", "4 units, L2, a 4-step linear path: nearly an AR model",
        {**levels, "hidden_size": 4, "skip": 4, "weight_decay": 1e-2}))
    out.append(Candidate("naive", "the last value, no network", {
        **levels, "predictor": "naive", "hidden_size": 1, "skip": 0,
        "decompose": "none"}))
    return out


def _windows(config: ForecastConfig, n_fit: int) -> int:
    from lstmcast.forecaster import auto_window
    window = config.model.window or auto_window(config.data.season or 1, n_fit)
    warm = config.preprocess.difference + config.preprocess.seasonal_difference
    return max(n_fit - window - warm, 1)


def _size(config: ForecastConfig, n_fit: int, n_covariates: int) -> dict[str, Any]:
    """The hidden size from the training windows (never above the given one)."""
    from lstmcast.diagnose_stats import suggest_hidden_size
    from lstmcast.forecaster import auto_window
    window = config.model.window or auto_window(config.data.season or 1, n_fit)
    hidden = suggest_hidden_size(config.model, _windows(config, n_fit),
                                 1 + n_covariates, window)
    return {"hidden_size": min(hidden, config.model.hidden_size)}


def _validation_setup(train_part: SeriesData, n_val: int) -> _Search:
    """The most recent training rows and the one-step naive MSE on their tail."""
    keep = min(len(train_part), MAX_SEARCH_ROWS)
    recent = train_part if keep == len(train_part) else SeriesData(
        frame=train_part.frame.iloc[-keep:], target=train_part.target,
        covariates=train_part.covariates, freq=train_part.freq)
    rows = np.arange(keep - n_val, keep)
    y = recent.y
    naive = _last_values(y, rows)
    return _Search(recent, rows, _mse(y[rows], naive))


def _last_values(y: np.ndarray, rows: np.ndarray) -> np.ndarray:
    from lstmcast.baselines import Naive
    return Naive().fit(y[: rows[0]]).predict_one_step(y, rows)


def _mse(actual: np.ndarray, pred: np.ndarray) -> float:
    ok = np.isfinite(actual) & np.isfinite(pred)
    if not ok.any():
        return float("nan")
    return float(np.mean((actual[ok] - pred[ok]) ** 2))


def _score(cand: Candidate, config: ForecastConfig, search: _Search) -> None:
    """Fit ``cand`` on the recent rows before the validation tail; score the tail."""
    from lstmcast.forecaster import LSTMForecaster
    tick = time.perf_counter()
    train = config.train
    cfg = config.replace(**cand.settings, epochs=min(train.epochs, SEARCH_EPOCHS),
                         patience=min(train.patience, SEARCH_PATIENCE) or
                         SEARCH_PATIENCE)
    inner = search.recent.head(int(search.rows[0]))
    try:
        est = LSTMForecaster.from_config(cfg)
        est.fit(inner)
        pred = est.predict_one_step(search.recent, search.rows)
    except DataError as exc:
        cand.note = f"could not be fitted: {exc}"
        return
    finally:
        cand.seconds = time.perf_counter() - tick
    cand.epochs = len(est.history_.history)
    cand.val_mse = _mse(search.recent.y[search.rows], pred)
    if np.isfinite(cand.val_mse) and search.naive_mse > 0:
        cand.val_skill = 1 - cand.val_mse / search.naive_mse


def _choose(candidates: list[Candidate]) -> tuple[Candidate, str]:
    """The best LSTM by validation MSE if it beats naive by MIN_SKILL, else naive."""
    naive = next(c for c in candidates if c.name == "naive")
    scored = [c for c in candidates if c.name != "naive" and c.val_skill is not None
              and np.isfinite(c.val_mse)]
    if not scored:
        return naive, "no LSTM candidate could be scored on validation"
    best = min(scored, key=lambda c: c.val_mse)
    if best.val_skill < MIN_SKILL:
        return naive, (f"nothing beats persistence on validation: the best LSTM "
                       f"({best.name}) has skill {best.val_skill:+.3f} vs the last "
                       f"value (needs >= {MIN_SKILL:+.2f}); the recommended model "
                       "is the naive forecast")
    return best, (f"lowest validation MSE ({best.val_mse:.4g}, skill "
                  f"{best.val_skill:+.3f} vs naive) of {len(scored)} LSTM "
                  "candidates")


def _naive_finding(candidates: list[Candidate]) -> Finding:
    """The doctor's plain statement that the naive forecast is recommended."""
    scores = {c.name: c.val_skill for c in candidates
              if c.name != "naive" and c.val_skill is not None}
    return Finding(
        "naive-recommended", "warning", "No LSTM beat the last value on "
        "validation: the recommended model is the naive forecast (the 'lstm' row "
        "is that forecast, from an untrained zero network).",
        {"validation_skill_vs_naive": scores, "min_skill": MIN_SKILL},
        "Use the last value. Nothing beyond it was predictable on validation (a "
        "random walk, or too little data for a network): `lstmcast diagnose` "
        "shows which.")


def _try_ensemble(chosen: Candidate, config: ForecastConfig, search: _Search,
                  search_left: float, progress: bool) -> str:
    """Average :data:`ENSEMBLE` seeds of ``chosen`` if that lowers its validation
    MSE by :data:`ENSEMBLE_GAIN`, when trying fits in the search's time left.
    Returns what was decided, for the record."""
    if ENSEMBLE * chosen.seconds > search_left:
        return f"; no seed ensemble (no time left to try {ENSEMBLE} seeds)"
    trial = Candidate(f"{chosen.name} x{ENSEMBLE}", f"{ENSEMBLE} seeds averaged",
                      {**chosen.settings, "ensemble": ENSEMBLE})
    _score(trial, config, search)
    search.candidates.append(trial)
    if progress:
        print(f"auto: {_line(trial)}", file=sys.stderr, flush=True)
    if trial.val_mse is None or not trial.val_mse < (1 - ENSEMBLE_GAIN) * \
            chosen.val_mse:
        return f"; a {ENSEMBLE}-seed ensemble did not pay on validation"
    chosen.settings, chosen.val_mse, chosen.val_skill = (
        trial.settings, trial.val_mse, trial.val_skill)
    chosen.seconds, chosen.epochs = trial.seconds, trial.epochs
    return f"; averaging {ENSEMBLE} seeds lowered the validation MSE to " \
        f"{trial.val_mse:.4g}"


def _cap_epochs(config: ForecastConfig, chosen: Candidate, seconds_left: float,
                growth: float) -> ForecastConfig:
    """Fewer epochs when the final fit would not fit in the time left."""
    if chosen.epochs < 1:
        return config
    per_epoch = chosen.seconds / chosen.epochs * growth
    fits = int(max(seconds_left, 0) / max(per_epoch, 1e-9))
    epochs = max(MIN_FINAL_EPOCHS, min(config.train.epochs, fits))
    return config.replace(epochs=epochs) if epochs < config.train.epochs else config


def _line(cand: Candidate) -> str:
    if cand.val_mse is None:
        return f"{cand.name}: {cand.note or 'not fitted'}"
    skill = f"{cand.val_skill:+.3f}" if cand.val_skill is not None else "n/a"
    return (f"{cand.name}: validation MSE {cand.val_mse:.4g}, skill vs naive "
            f"{skill} ({cand.seconds:.1f} s)")
