"""``fit --auto``: choose the target representation, size and fallback on validation.

The candidate configs (:mod:`lstmcast.search.candidates`), each a reasoned
guess from the diagnosis of the training part, are fitted on the training part
minus its validation tail and scored on that tail, or on a few rolling folds
of a short series (:mod:`lstmcast.search.validation`: one-step forecasts from the
true history, original scale, pooled MSE). The naive forecast (the last
value) is always a candidate: when no LSTM beats it by :data:`MIN_SKILL` on
validation, it is the recommended model, an untrained network
(``predictor="naive"``) that repeats the last value, and says so. The winner
is then refitted on the whole training part (on a short one, trained again
on its validation tail: ``refit_tail``, :data:`REFIT_TAIL_ROWS`) and scored
on the test part exactly as
:func:`~lstmcast.evaluation.holdout.fit_evaluate` does (and, with
``refit=True``, fitted once more on every row: the model saved); the test
part never chooses anything.

The best LSTM (after the runoff on windows, when the candidates trained on
sequences and the final fit will not: :func:`_runoff`) is then tried with a
two-layer MLP head; where its validation curve says it underfits
(:func:`~lstmcast.search.validation.underfits`) and the data has room, as two LSTM
layers of twice the units (``wider``; each kept if it lowers the validation
MSE by :data:`~lstmcast.search.candidates.CAPACITY_GAIN`); as the average of
:data:`~lstmcast.search.candidates.ENSEMBLE` seeds (``ensemble``), kept if
that lowers its validation MSE by :data:`ENSEMBLE_GAIN`, and as the
equal-weight combination with its fallback (``combined``), kept if that does
not raise it.

Settings the user gave (``fixed``) are never overridden: candidates keep them,
or are skipped when one of them is what defines the candidate
(:data:`~lstmcast.search.candidates.DEFINES`); when no candidate but
``levels`` is left, there is nothing to choose and the user's settings are
fitted as they are.

The search stops when :data:`SEARCH_SHARE` of the time budget is spent and
the final fit's epochs are capped to what is left.

The intervals of a chosen network, on a series scored on several folds,
are calibrated on the search's *forward* errors (each fold's fit forecasting
the later folds' rows; :func:`~lstmcast.search.validation.score`), not on
the final fit's validation errors: those are the errors early stopping
picked the epoch by and the search the candidate by, and understate a
network's errors on new data. Measured on 200 M3 monthly series of 120+
values fitted alone (``benchmarks/short_intervals.py``), on the 121 where a
network was chosen: 80% / 95% bands covered 77.8% / 92.5% of the test
points from the validation errors, 80.4% / 93.8% from the forward errors
(95% bands 4.7% wider; rescored on the same fits), the two pooled 75.7% /
92.4%; the benchmark rerun with the rule built in, 80.3% / 93.9% (123
series). ETS and naive choices are calibrated on their training rows and
validation part instead (:func:`~lstmcast.forecaster.calibrate.network_free`:
79.5% / 94.9%, from 84.5% / 95.1% on the validation part alone; forward
errors made them 14% wider). On long series (one fold)
there are none, and the search fit's own fold errors were no better than
the final fit's validation errors (catalog series at an earlier origin).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Collection

import numpy as np

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.core.findings import Finding
from lstmcast.data.loading import SeriesSource, as_series
from lstmcast.data.series import SeriesData
from lstmcast.evaluation.holdout import FitResult, fit_evaluate, split_rows
from lstmcast.search.candidates import (
    CAPACITY_GAIN,
    ENSEMBLE,
    FALLBACKS,
    Candidate,
    fit_to_user,
    plan_candidates,
    variants,
    wider_units,
)
from lstmcast.search.training import (
    reads_per_row,
    search_levers,
    trains_on_sequences,
)
from lstmcast.search.validation import (
    Search,
    count_folds,
    curve_said,
    score,
    underfits,
    validation_setup,
)

__all__ = ["DEFAULT_BUDGET", "count_folds", "fit_auto"]

DEFAULT_BUDGET = 240.0  # seconds for the whole of --auto
SEARCH_SHARE = 0.6  # of the budget for the candidates; the rest for the final fit
MIN_SKILL = 0.02  # validation skill vs naive an LSTM needs to be recommended
ENSEMBLE_GAIN = 0.01  # an ensemble must lower the validation MSE by this share
MIN_FINAL_EPOCHS = 10
FINAL_SHARE = 0.85  # of the time left for training the final fit (then: scoring)
#: The final fit of a training part this short is trained again on every row,
#: its validation tail included (``refit_tail``; see
#: :func:`lstmcast.forecaster.fit._refit_tail` for what it gained and cost).
REFIT_TAIL_ROWS = 1500


def fit_auto(data: SeriesSource, config: ForecastConfig | None = None, *,
             budget: float | None = None, progress: bool = False,
             fixed: Collection[str] = (), refit: bool = True) -> FitResult:
    """Choose a config on validation folds of the training part, refit it on
    the whole training part, and score it on the test part.

    ``data`` is a path, a DataFrame or Series (read with ``config``'s data
    settings) or a SeriesData; ``config`` None means the defaults. Returns the
    :class:`~lstmcast.evaluation.holdout.FitResult` of the chosen config (as
    ``fit_evaluate`` would), with ``result.auto`` the record of the search:
    every candidate with its settings, reason and validation score, the choice
    and why. ``budget`` is the time in seconds (default :data:`DEFAULT_BUDGET`).

    ``fixed`` names the settings the user gave explicitly: their values in
    ``config`` are never overridden. A candidate that would change one keeps
    the user's value, or is skipped (with a note) when the setting is what
    defines it (see :data:`~lstmcast.search.candidates.DEFINES`).

    ``refit`` (default True, as ``lstmcast fit``) fits the chosen config once
    more on every row after scoring (:meth:`FitResult.refit`): the model
    ``save`` writes. The final fits' epochs are capped to share the budget.
    """
    from lstmcast.forecaster.shape import resolve_shape
    started = time.perf_counter()
    config = config if config is not None else ForecastConfig()
    series = as_series(data, config.data)
    budget = DEFAULT_BUDGET if budget is None else float(budget)
    if not budget > 0:
        raise DataError(f"The time budget must be a positive number of seconds. "
                        f"Got {budget!r}; use e.g. --budget 240.")
    n = len(series)
    n_train, n_eval = split_rows(series, config)
    train_part = series.head(n_train)
    season, _, _, n_val = resolve_shape(train_part, config)
    config = config.replace(season=season)
    search = validation_setup(train_part, n_val, n - n_eval)
    window = resolve_shape(train_part, config)[1]
    search.training = search_levers(config, fixed, int(search.rows[0]) - window,
                                    window)
    planned = plan_candidates(series, config, season, n_train - n_val)
    skipped = [fit_to_user(cand, config, fixed) for cand in planned]
    if sum(not s for s in skipped) == 1:  # the user's settings fix every choice
        return _user_fit(series, config, planned, fixed, started, budget, progress,
                         refit)
    for cand, skip in zip(planned, skipped, strict=True):
        if skip:
            search.candidates.append(cand)
            continue
        elapsed = time.perf_counter() - started
        done = [c for c in search.candidates if c.val_mse is not None]
        cost = max((c.seconds for c in done), default=0.0) * len(search.folds)
        if cand.name != "naive" and done and elapsed + cost > SEARCH_SHARE * budget:
            cand.note = (f"skipped: it would take about {cost:.0f} s, and the "
                         f"search had {max(SEARCH_SHARE * budget - elapsed, 0):.0f}"
                         f" s left ({_search_share(budget)})")
        else:
            score(cand, config, search)
        search.candidates.append(cand)
        if progress:
            print(f"auto: {_line(cand)}", file=sys.stderr, flush=True)
    chosen, why = _choose(search.candidates, fixed)
    final_sequences = trains_on_sequences(config, n_train - n_val - window, window)
    scored_on = search.training  # how the chosen candidate's seconds were spent
    ran_off = bool(search.training) and not final_sequences and (
        chosen.name not in FALLBACKS)
    if ran_off:
        chosen, said = _runoff(chosen, planned, config, search, progress)
        why, scored_on = why + said, {}
    costed = chosen  # the fit whose seconds per epoch cap the final fit's epochs
    if chosen.name not in FALLBACKS:
        # the variants are tried on the search's training (cheap): from the
        # chosen candidate's own score there, when the runoff rescored it
        base = next((c for c in planned if c.name == chosen.name), chosen)
        units = wider_units(config, base.settings, n_train - n_val,
                            len(series.covariates))
        tried, said = _with_variants(base, config, search, fixed, final_sequences,
                                     units,
                                     SEARCH_SHARE * budget -
                                     (time.perf_counter() - started), progress)
        why += said
        if tried is not base:
            chosen = tried
            costed = costed if ran_off else tried  # the runoff timed windows
    final = config.replace(**chosen.settings)
    if n_train <= REFIT_TAIL_ROWS and "refit_tail" not in fixed:
        final = final.replace(refit_tail=True)
        why += (f"; trained again on the validation tail after early stopping "
                f"(at most {REFIT_TAIL_ROWS:,} training rows)")
    if chosen.name not in FALLBACKS and "epochs" not in fixed:
        left = FINAL_SHARE * (budget - (time.perf_counter() - started))
        if refit:  # the refit trains on n rows, after the fit on n_train
            left /= 1 + n / n_train
        if final.train.refit_tail:  # each trains again on its validation tail
            left /= 2
        growth = (n_train - n_val) / search.rows[0] * reads_per_row(
            final, window, final_sequences) / reads_per_row(
            config.replace(**scored_on), window, bool(scored_on))
        final = _cap_epochs(final, costed, left, growth)
    result = fit_evaluate(series, final, progress=progress, refit=refit,
                          forward_errors=chosen.forward_errors)
    if chosen.name in FALLBACKS:
        result.doctor.insert(0, _fallback_finding(chosen, search.candidates))
    result.auto = {"chosen": chosen.name, "why": why, "season": season,
                   "validation_rows": len(search.all_rows),
                   "validation_folds": len(search.folds),
                   "validation": [str(search.recent.index[search.all_rows[0]]),
                                  str(search.recent.index[search.rows[-1]])],
                   "naive_val_mse": search.naive_mse, "min_skill": MIN_SKILL,
                   "budget_seconds": budget, "user_settings": sorted(fixed),
                   "candidates": [c.to_dict() for c in search.candidates],
                   "seconds": time.perf_counter() - started}
    result.seconds = time.perf_counter() - started
    return result


def _user_fit(series: SeriesData, config: ForecastConfig,
              planned: list[Candidate], fixed: Collection[str], started: float,
              budget: float, progress: bool, refit: bool) -> FitResult:
    """The fit of the user's settings when they leave --auto nothing to choose
    (every other candidate skipped): no search, the plain fit, recorded."""
    levels = planned[0]
    result = fit_evaluate(series, config.replace(**levels.settings),
                          progress=progress, refit=refit)
    why = ("your settings fix every choice --auto makes (every other candidate "
           "needs a setting you gave): the plain fit of your settings")
    result.auto = {"chosen": levels.name, "why": why,
                   "season": result.config.data.season, "validation_rows": 0,
                   "validation_folds": 0, "validation": None,
                   "naive_val_mse": None, "min_skill": MIN_SKILL,
                   "budget_seconds": budget, "user_settings": sorted(fixed),
                   "candidates": [c.to_dict() for c in planned],
                   "seconds": time.perf_counter() - started}
    result.seconds = time.perf_counter() - started
    return result


def _choose(candidates: list[Candidate],
            fixed: Collection[str] = ()) -> tuple[Candidate, str]:
    """The lowest validation MSE among the candidates that beat naive by
    MIN_SKILL (the LSTMs and the ETS fallback), else naive (unless the user's
    settings ruled naive out: then the best candidate all the same)."""
    naive = next(c for c in candidates if c.name == "naive")
    scored = [c for c in candidates if c.name != "naive" and c.val_skill is not None
              and np.isfinite(c.val_mse)]
    if not scored:
        if naive.val_mse is None:
            raise DataError("No --auto candidate could be fitted with your "
                            f"settings ({', '.join(sorted(fixed))}): see the notes "
                            "above. Give fewer settings, or use --no-auto.")
        return naive, "no LSTM candidate could be scored on validation"
    best = min(scored, key=lambda c: c.val_mse)
    if best.val_skill < MIN_SKILL and naive.val_mse is None:
        return best, (f"lowest validation MSE ({best.val_mse:.4g}, skill "
                      f"{best.val_skill:+.3f} vs naive: not better than the last "
                      f"value, but your settings rule the naive forecast out: "
                      f"{naive.note.removeprefix('skipped: ')})")
    if best.val_skill < MIN_SKILL:
        return naive, (f"nothing beats persistence on validation: the best "
                       f"candidate ({best.name}) has skill {best.val_skill:+.3f} "
                       f"vs the last value (needs >= {MIN_SKILL:+.2f}); the "
                       "recommended model is the naive forecast")
    return best, (f"lowest validation MSE ({best.val_mse:.4g}, skill "
                  f"{best.val_skill:+.3f} vs naive) of {len(scored)} candidates")


def _fallback_finding(chosen: Candidate, candidates: list[Candidate]) -> Finding:
    """The doctor's plain statement that a model without a network is
    recommended (the naive or the ETS forecast)."""
    scores = {c.name: c.val_skill for c in candidates
              if c.name not in FALLBACKS and c.val_skill is not None}
    facts = {"validation_skill_vs_naive": scores, "min_skill": MIN_SKILL}
    if chosen.name == "ets":
        return Finding(
            "ets-recommended", "warning", "No LSTM beat the ETS forecast on "
            "validation: the recommended model is ETS (the 'lstm' row is that "
            "forecast: a network of weight 0 over the ETS residual).",
            {**facts, "ets_validation_skill_vs_naive": chosen.val_skill},
            "Use the ETS forecast. The network found nothing beyond it on "
            "validation.")
    return Finding(
        "naive-recommended", "warning", "No LSTM beat the last value on "
        "validation: the recommended model is the naive forecast (the 'lstm' row "
        "is that forecast, from an untrained zero network).", facts,
        "Use the last value. Nothing beyond it was predictable on validation (a "
        "random walk, or too little data for a network): `lstmcast diagnose` "
        "shows which.")


def _with_variants(chosen: Candidate, config: ForecastConfig, search: Search,
                   fixed: Collection[str], final_sequences: bool, units: int,
                   search_left: float, progress: bool) -> tuple[Candidate, str]:
    """``chosen`` with each variant that pays on validation (see
    :func:`_try_variant`), the variants the user's settings rule out noted,
    no wider network of ``units`` where the curve shows no underfit or the
    data has no room for it, and no seed ensemble where the final fit trains
    on windows."""
    started, why = time.perf_counter(), ""
    for variant in variants(chosen, units):
        if fit_to_user(variant, config, fixed):
            search.candidates.append(variant)
            why += f"; {variant.name} {variant.note}"
            continue
        if variant.kind == "width" and (skip := _no_wider(chosen, units)):
            variant.note = skip
            search.candidates.append(variant)
            continue
        if variant.kind == "ensemble" and not final_sequences:
            variant.note = (f"skipped: the final fit trains on windows, where "
                            f"{ENSEMBLE} seeds cost {ENSEMBLE} plain fits")
            search.candidates.append(variant)
            why += f"; no {variant.name} (the final fit trains on windows)"
            continue
        chosen, said = _try_variant(chosen, variant, config, search, search_left
                                    - (time.perf_counter() - started), progress)
        why += said
    return chosen, why


def _no_wider(chosen: Candidate, units: int) -> str | None:
    """Why the wider variant of ``units`` is not tried on ``chosen`` (the data
    has no room for it, or the validation curve shows no underfit), or None."""
    if units <= chosen.settings.get("hidden_size", units):
        return ("skipped: no room for it: the training windows have data for "
                f"two layers of {units} units at most (10 parameters a window)")
    if not underfits(chosen):
        return (f"skipped: {chosen.name}'s validation curve shows no underfit "
                f"({curve_said(chosen)})")
    return None


def _try_variant(chosen: Candidate, variant: Candidate, config: ForecastConfig,
                 search: Search, search_left: float,
                 progress: bool) -> tuple[Candidate, str]:
    """Score ``chosen`` with the variant's settings when that fits in the
    search's time left; it replaces ``chosen`` if it pays on validation: an
    ensemble must lower the MSE by :data:`ENSEMBLE_GAIN` (it costs
    :data:`ENSEMBLE` times the fit), a combination must not raise it (ties go
    to the more robust forecast), a nonlinear head must lower it by
    :data:`~lstmcast.search.candidates.CAPACITY_GAIN`. Returns the choice and
    what was decided."""
    ensemble = variant.kind == "ensemble"
    gain = {"ensemble": ENSEMBLE_GAIN, "capacity": CAPACITY_GAIN,
            "width": CAPACITY_GAIN}.get(variant.kind)
    name = variant.name if ensemble else f"{chosen.name} {variant.name}"
    cost = (ENSEMBLE if ensemble else 1) * chosen.seconds * len(search.folds)
    if cost > search_left:
        return chosen, (f"; no {name}: it would take about {cost:.0f} s, and the "
                        f"search had {max(search_left, 0):.0f} s left")
    trial = Candidate(name, variant.reason, {**chosen.settings, **variant.settings},
                      kind=variant.kind)
    score(trial, config, search)
    search.candidates.append(trial)
    if progress:
        print(f"auto: {_line(trial)}", file=sys.stderr, flush=True)
    bar = (1 - gain) * chosen.val_mse if gain is not None else chosen.val_mse
    if trial.val_mse is None or not (trial.val_mse < bar if gain is not None
                                     else trial.val_mse <= bar):
        return chosen, f"; {name} did not pay on validation"
    return trial, f"; {name} lowered the validation MSE to {trial.val_mse:.4g}"


def _runoff(chosen: Candidate, planned: list[Candidate], config: ForecastConfig,
            search: Search, progress: bool) -> tuple[Candidate, str]:
    """The best network and the best candidate of another kind, scored again
    trained on windows, as the final fit will be; the better one is fitted.

    Candidates trained on sequences rank representations cheaply but not
    exactly as windows do (on sunspots_monthly the change from the last value
    scored 190.7 on sequences and 186.1 on windows, the ETS residual 190.3
    and 194.9): two fits on windows settle the choice between the two that
    matter. The fallbacks (naive, ETS) train nothing and keep their score."""
    base = next((c for c in planned if chosen.name == c.name
                 or chosen.name.startswith(c.name + " ")), chosen)
    rivals = [c for c in planned if c.name != base.name and c.val_mse is not None
              and np.isfinite(c.val_mse)]
    if not rivals:
        return chosen, ""
    rival = min(rivals, key=lambda c: c.val_mse)
    trials = []
    for cand in (chosen, rival):
        if cand.name in FALLBACKS:
            trials.append(cand)
            continue
        trial = Candidate(cand.name, cand.reason, dict(cand.settings),
                          kind=cand.kind, note="scored again on windows, as the "
                          "final fit trains (the runoff)")
        score(trial, config, search, training={})
        search.candidates.append(trial)
        trials.append(trial)
        if progress:
            print(f"auto: {_line(trial)} (windows)", file=sys.stderr, flush=True)
    mine, theirs = trials
    if mine.val_mse is None or (theirs.val_mse is not None
                                and theirs.val_mse < mine.val_mse):
        if theirs.val_mse is None:
            return chosen, ""
        return theirs, (f"; on windows (the final fit's training) {theirs.name} "
                        f"scored {theirs.val_mse:.4g} against {mine.val_mse:.4g} "
                        f"for {chosen.name}: {theirs.name} is fitted")
    return mine, (f"; on windows (the final fit's training) {chosen.name} scored "
                  f"{mine.val_mse:.4g}, {rival.name} {fmt_mse(theirs.val_mse)}")


def fmt_mse(value: float | None) -> str:
    """A validation MSE in words (``n/a`` when it could not be scored)."""
    return "n/a" if value is None else f"{value:.4g}"


def _search_share(budget: float) -> str:
    """What the search may spend, in words."""
    return (f"the search has {SEARCH_SHARE * budget:.0f} s, {SEARCH_SHARE:.0%} of "
            f"--budget {budget:.0f} s; the rest is kept for the final fit")


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
