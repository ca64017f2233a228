"""The doctor after a fit: what went wrong (or right), with evidence and what to try.

:func:`explain` reads a :class:`~lstmcast.evaluation.holdout.FitResult` (the test
forecasts of the LSTM and the baselines, the metrics, the training history) and
returns :class:`~lstmcast.core.findings.Finding` objects, most serious first;
:func:`explain_summary` turns them into one plain sentence. Each check is a
small pure function of the numbers it needs, so it can be tested on made-up
forecasts and histories.

Losses are compared in the units the network was trained in. Its targets are
standardised (:func:`lstmcast.forecaster.inputs.targets`): by default the change
from the last value divided by the training changes' standard deviation
(``target_mode="delta"``), or the standardised differenced series. Predicting
zero then has an MSE of about 1: "no change" (the naive forecast) in delta
mode, the average change (the naive forecast plus drift) on a differenced
series. A training loss that stays near that reference has learned nothing
beyond it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.core.findings import Finding, by_severity
from lstmcast.evaluation.onebatch import check_one_batch

__all__ = ["explain", "explain_summary"]

FLAT_STD_RATIO = 0.3  # forecast std below this share of the actual std: flat
UNDERFIT_RATIO = 0.9  # best training loss above this share of the reference
OVERFIT_RISE = 0.1  # validation loss this much above its best at the end ...
OVERFIT_FALL = 0.05  # ... while the training loss fell this much further
EXPLODING_CLIP_RATIO = 10.0  # gradient norms this many times the clip value
VANISHING_NORM = 1e-6  # largest gradient norm below this: nothing flows back
PARAMS_PER_WINDOW = 10.0  # as in diagnose
R2_CI_WIDTH = 0.2  # a 95% bootstrap interval of R² wider than this: unstable
BOOTSTRAP_POINTS = 100_000  # points per bootstrap resample (more: m out of n)
MIN_TEST_POINTS = 30
LAG_COPY_SKILL = 0.1  # lag-copying only when the skill vs naive is below this
# expected loss of predicting 0 for a standard normal target, by loss
_REFERENCE_LOSS = {"mse": 1.0, "mae": math.sqrt(2 / math.pi), "huber": 0.4247}


def explain(result: Any, series: Any = None) -> list[Finding]:
    """What the fit's numbers say, most serious first.

    Parameters
    ----------
    result : FitResult
        From :func:`lstmcast.evaluation.holdout.fit_evaluate`.
    series : SeriesData, optional
        The series the fit was evaluated on. Needed for the extrapolation check
        (the training range is not kept in the result); skipped without it.

    Returns
    -------
    list of Finding
        Always one ``skill`` finding (info) with the headline numbers.
    """
    est, cfg, pred = result.forecaster, result.config, result.predictions
    history = est.history_
    differenced = cfg.preprocess.difference + cfg.preprocess.seasonal_difference > 0
    season = int(getattr(est, "season_", 1) or 1)
    found: list[Finding | None] = [
        check_skill(result.metrics, season),
        check_beaten(result.metrics, season, cfg),
        check_lag_copying(pred),
        check_flat(pred, cfg),
        check_underfitting(history.history, cfg,
                           est.state_.shape.target_mode == "delta"
                           or differenced),
        check_overfitting(history.history, history.best_epoch, cfg),
        check_gradients(history.history, cfg.train.clip_grad, history.diverged, cfg),
        check_r2(pred, result.metrics["lstm"]),
        check_model_size(est, cfg),
    ]
    if cfg.model.levels:
        from lstmcast.evaluation.interval_doctor import (
            check_calibration,
            check_test_coverage,
        )
        found += check_calibration(est.state_.calibration, cfg.model.levels)
        found += check_test_coverage(result.metrics["lstm"], cfg.model.levels,
                                     est.state_.calibration)
    if series is not None:
        n_train = result.split["n_train"] + result.split["n_val"]
        found.append(check_extrapolation(series.y[:n_train], pred, cfg))
        found = [check_one_batch(f, est, series, n_train)
                 if f is not None and f.code == "underfitting" else f for f in found]
    return by_severity([f for f in found if f is not None])


def explain_summary(findings: list[Finding]) -> str:
    """One plain-language sentence: the verdict and what to look at."""
    skill = next((f for f in findings if f.code == "skill"), None)
    issues = [f for f in findings if f.severity != "info"]
    worries = [f.code for f in issues if f.code not in ("beaten-by-naive",
                                                        "beaten-by-seasonal-naive")]
    tail = (f"see {', '.join(worries)}." if worries else "no other problems found.")
    if skill is None or skill.evidence.get("skill_vs_naive") is None:
        return "The LSTM's skill against the naive forecast is undefined; " + tail
    ev = skill.evidence
    s = ev["skill_vs_naive"]
    if s <= 0:
        return (f"The LSTM is no better than repeating the last value: skill vs "
                f"naive {s:+.3f} (R² {_fmt(ev.get('r2'))} vs the naive's "
                f"{_fmt(ev.get('naive_r2'))}); {tail}")
    head = f"The LSTM beats the naive forecast by {s:.0%} in squared error"
    if any(f.code == "beaten-by-seasonal-naive" for f in findings):
        head += (f" but not the seasonal naive (skill "
                 f"{ev.get('skill_vs_seasonal_naive', 0):+.3f})")
    if not worries:
        return f"{head}; no problems found."
    return f"{head}; {tail}"


# ------------------------------------------------------------------ helpers


def _fmt(value: Any) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _mse(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.mean((a[ok] - b[ok]) ** 2)) if ok.any() else float("nan")


def _columns(pred: pd.DataFrame, *names: str) -> list[np.ndarray]:
    return [pred[n].to_numpy(dtype=float) for n in names]


def _not_differenced(cfg: Any) -> bool:
    pre = cfg.preprocess
    return pre.difference == 0 and pre.seasonal_difference == 0 and \
        pre.decompose == "none"


# ------------------------------------------------------------------ checks


def check_skill(metrics: dict[str, dict[str, Any]], season: int) -> Finding:
    """The headline: R² and skill of the LSTM beside the naive forecasts."""
    lstm, naive = metrics["lstm"], metrics["naive"]
    snaive = metrics.get("seasonal_naive", {})
    evidence = {"r2": lstm.get("r2"), "skill_vs_naive": lstm.get("skill_vs_naive"),
                "naive_r2": naive.get("r2"), "rmse": lstm.get("rmse"),
                "naive_rmse": naive.get("rmse"), "mase": lstm.get("mase"),
                "n": lstm.get("n"), "season": season}
    if season > 1 and snaive.get("rmse"):
        evidence["seasonal_naive_rmse"] = snaive["rmse"]
        evidence["skill_vs_seasonal_naive"] = 1 - (lstm["rmse"] / snaive["rmse"]) ** 2
    s = evidence["skill_vs_naive"]
    title = (f"Test R² {_fmt(evidence['r2'])}, skill vs naive "
             f"{'n/a' if s is None else f'{s:+.3f}'} (naive R² "
             f"{_fmt(evidence['naive_r2'])}).")
    return Finding("skill", "info", title, evidence,
                   "Skill vs naive is 1 - MSE / MSE(last value): above 0 the LSTM "
                   "beats persistence. Judge the fit by it, not by R² on levels.")


def check_beaten(metrics: dict[str, dict[str, Any]], season: int,
                 cfg: Any) -> Finding | None:
    """Skill <= 0 against the naive or the seasonal-naive forecast."""
    lstm, naive = metrics["lstm"], metrics["naive"]
    s = lstm.get("skill_vs_naive")
    if s is not None and s <= 0:
        settings = {"target_mode": "delta"} if cfg.model.target_mode == "level" \
            and _not_differenced(cfg) else {}
        return Finding(
            "beaten-by-naive", "problem", f"No better than repeating the last "
            f"value: skill vs naive {s:+.3f} (RMSE {lstm['rmse']:.4g} vs "
            f"{naive['rmse']:.4g}).", {"skill_vs_naive": s, "rmse": lstm["rmse"],
                                       "naive_rmse": naive["rmse"],
                                       "r2": lstm.get("r2"),
                                       "naive_r2": naive.get("r2")},
            "Run `lstmcast diagnose`: if the series is a random walk nothing "
            "beats the last value and a high R² is the naive's. Otherwise give "
            "the network what the last value lacks (covariates, calendar=True, a "
            "season, differenced inputs) and a size that fits the data.", settings)
    snaive = metrics.get("seasonal_naive", {})
    if season > 1 and snaive.get("rmse") and lstm["rmse"] >= snaive["rmse"]:
        skill = 1 - (lstm["rmse"] / snaive["rmse"]) ** 2
        window = cfg.model.window or 0
        settings = ({"window": 2 * season} if window < 2 * season else
                    {"seasonal_difference": season}
                    if not cfg.preprocess.seasonal_difference else {})
        return Finding(
            "beaten-by-seasonal-naive", "problem", f"No better than repeating the "
            f"value one season ({season} steps) back: skill {skill:+.3f}.",
            {"skill_vs_seasonal_naive": skill, "rmse": lstm["rmse"],
             "seasonal_naive_rmse": snaive["rmse"], "season": season,
             "window": window},
            "The network has not learned the season: give it a window of at least "
            "two seasons, or remove the season first (seasonal_difference).",
            settings)
    return None


def check_lag_copying(pred: pd.DataFrame, max_lag: int = 3) -> Finding | None:
    """The forecast follows the actuals one step late: it repeats the last value.

    Cross-correlation of the forecast's changes with the actual changes ``k``
    steps earlier (k = 0..3); on changes, not levels, where every lag of a
    trending series correlates. A forecast that copies the last value peaks at
    k = 1; one that anticipates peaks at k = 0. Any one-step forecast of an
    autocorrelated series is built from the past and peaks at k = 1 too (the
    best forecast of an AR(1) is a multiple of the last value), so the
    finding needs the forecast to add little beyond the last value as well:
    skill vs naive under :data:`LAG_COPY_SKILL`.
    """
    actual, lstm, naive = _columns(pred, "actual", "lstm", "naive")
    if actual.size < 8:
        return None
    naive_mse = _mse(actual, naive)
    skill = 1 - _mse(actual, lstm) / naive_mse if naive_mse > 0 else float("nan")
    if skill >= LAG_COPY_SKILL:
        return None
    da, df = np.diff(actual), np.diff(lstm)
    xcorr = [_corr(df[k:], da[: da.size - k]) for k in range(max_lag + 1)]
    if not np.isfinite(xcorr).any():
        return None
    peak = int(np.nanargmax(xcorr))
    if peak == 0:
        return None
    change_corr = _corr(lstm - naive, actual - naive)
    return Finding(
        "lag-copying", "warning", f"The forecast trails the actuals by {peak} "
        f"step(s) and adds little to the last value (skill vs naive "
        f"{skill:+.3f}): its changes correlate best ({xcorr[peak]:.2f}) with the "
        f"actual changes {peak} step(s) earlier, not with the same step "
        f"({xcorr[0]:.2f}).",
        {"xcorr_changes": xcorr, "peak_lag": peak, "skill_vs_naive": skill,
         "corr_with_naive": _corr(lstm, naive),
         "predicted_vs_actual_change_corr": change_corr},
        "It mostly repeats the last value. On a random walk that is the best "
        "possible forecast; otherwise the network found nothing beyond the last "
        "value: give it covariates, calendar features (calendar=True), or a "
        "longer window, and check `lstmcast diagnose`.")


def check_flat(pred: pd.DataFrame, cfg: Any) -> Finding | None:
    """The forecast hardly moves compared with the actuals."""
    actual, lstm = _columns(pred, "actual", "lstm")
    ok = np.isfinite(actual)
    sd_a, sd_f = float(np.std(actual[ok])), float(np.std(lstm[ok]))
    if sd_a == 0 or sd_f >= FLAT_STD_RATIO * sd_a:
        return None
    settings = {"target_mode": "delta"} if cfg.model.target_mode == "level" \
        and _not_differenced(cfg) else {}
    return Finding(
        "flat-forecast", "problem", f"A flat forecast: its standard deviation is "
        f"{sd_f / sd_a:.1%} of the actuals' ({sd_f:.4g} vs {sd_a:.4g}).",
        {"forecast_std": sd_f, "actual_std": sd_a, "std_ratio": sd_f / sd_a},
        "The network predicts about the average. Predict changes from the last "
        "value (target_mode='delta') so that an unsure network repeats the last "
        "value instead; check that the loss fell during training.", settings)


def check_underfitting(history: list[dict[str, float]], cfg: Any,
                       standardised_change: bool) -> Finding | None:
    """The training loss stays near what predicting zero gives, or barely moves.

    The reference (about 1 for MSE) applies when the targets are standardised
    changes (delta mode, or a differenced series); otherwise only the loss's
    own progress is judged.
    """
    if len(history) < 2:
        return None
    train = np.array([h["train_loss"] for h in history], dtype=float)
    best, first = float(np.nanmin(train)), float(train[0])
    ref = _REFERENCE_LOSS.get(cfg.train.loss) if standardised_change else None
    ratio = best / ref if ref else None
    moved = 1 - best / first if first > 0 else 0.0
    high = ratio is not None and ratio >= UNDERFIT_RATIO
    stuck = moved < 0.05 and len(history) >= 5
    if not (high or stuck):
        return None
    all_epochs = len(history) >= cfg.train.epochs
    settings = {"epochs": 2 * cfg.train.epochs} if all_epochs else {}
    ref_text = (f"{ratio:.0%} of the loss of always predicting zero ({ref:.3g}: "
                "no change, or the average change of a differenced series)"
                if ratio is not None else "not compared with a reference")
    return Finding(
        "underfitting", "warning", f"The training loss stays high: its best, "
        f"{best:.4g}, is {ref_text}; it fell {moved:.0%} from the first epoch.",
        {"best_train_loss": best, "first_train_loss": first,
         "reference_loss": ref, "ratio_to_reference": ratio, "fell": moved,
         "epochs_run": len(history)},
        "Either nothing beyond the last value is predictable (a random walk: see "
        "`lstmcast diagnose`), or the network learns too little: train longer "
        "(epochs), with a larger learning rate (lr), or a larger network "
        "(hidden_size) when there is data for it.", settings)


def check_overfitting(history: list[dict[str, float]], best_epoch: int,
                      cfg: Any) -> Finding | None:
    """The validation loss rose after its best epoch while the training loss fell."""
    if len(history) < 5 or best_epoch < 1 or best_epoch > len(history):
        return None
    train = np.array([h["train_loss"] for h in history], dtype=float)
    val = np.array([h["val_loss"] for h in history], dtype=float)
    at_best = best_epoch - 1
    rise = val[-1] / val[at_best] - 1 if val[at_best] > 0 else 0.0
    fall = 1 - train[-1] / train[at_best] if train[at_best] > 0 else 0.0
    if rise < OVERFIT_RISE or fall < OVERFIT_FALL:
        return None
    hidden = cfg.model.hidden_size
    settings: dict[str, Any] = {"dropout": max(cfg.model.dropout, 0.2),
                                "weight_decay": max(cfg.train.weight_decay, 1e-4)}
    if hidden > 8:
        settings["hidden_size"] = hidden // 2
    return Finding(
        "overfitting", "warning", f"Overfitting: after epoch {best_epoch} the "
        f"validation loss rose {rise:.0%} while the training loss fell "
        f"{fall:.0%}.", {"best_epoch": best_epoch, "epochs_run": len(history),
                         "val_loss_best": val[at_best], "val_loss_end": val[-1],
                         "train_loss_at_best": train[at_best],
                         "train_loss_end": train[-1]},
        "The weights of the best epoch were kept, but the network memorises the "
        "training windows: regularise (dropout, weight_decay) or make it smaller.",
        settings)


def check_gradients(history: list[dict[str, float]], clip: float | None,
                    diverged: bool, cfg: Any) -> Finding | None:
    """Exploding (far above the clip value, growing, non-finite) or vanishing
    gradient norms (the largest norm of each epoch, before clipping)."""
    norms = np.array([h.get("grad_norm", np.nan) for h in history], dtype=float)
    norms = norms[np.isfinite(norms)]
    limit = EXPLODING_CLIP_RATIO * clip if clip else 100.0
    evidence = {"max_grad_norm": float(norms.max()) if norms.size else None,
                "median_grad_norm": float(np.median(norms)) if norms.size else None,
                "clip_grad": clip, "diverged": diverged}
    lr = cfg.train.lr
    if diverged or (norms.size and norms.max() > limit):
        return Finding(
            "exploding-gradients", "problem" if diverged else "warning",
            "Exploding gradients: " + ("the loss became non-finite." if diverged
                                       else f"norms up to {norms.max():.3g}, over "
                                       f"{limit:g}."), evidence,
            "Lower the learning rate and keep clipping on; check the inputs for "
            "extreme values (scaling, outliers).",
            {"lr": lr / 10, "clip_grad": min(clip or 1.0, 1.0)})
    if norms.size >= 2 and norms.max() < VANISHING_NORM:
        return Finding(
            "vanishing-gradients", "warning", f"Vanishing gradients: the largest "
            f"norm is {norms.max():.2g}; the weights hardly change.", evidence,
            "Raise the learning rate, use fewer layers, or keep tanh cells (other "
            "activations saturate more easily).", {"lr": lr * 10})
    return None


def _bootstrap_r2(actual: np.ndarray, forecast: np.ndarray,
                  reps: int = 500) -> tuple[float, float]:
    """95% interval of R² over test points resampled with replacement (seeded).

    Resamples are drawn in blocks of about 2^21 values (a test part of
    200,000 points took 3.6 GB at once). Above :data:`BOOTSTRAP_POINTS`
    points each resample holds m = BOOTSTRAP_POINTS of them and the spread
    around the full-sample R² is scaled by sqrt(m / n) (the m-out-of-n
    bootstrap): the same interval to sampling error, in a fixed time."""
    rng = np.random.default_rng(0)
    n = actual.size
    m = min(n, BOOTSTRAP_POINTS)
    block = max(1, 2**21 // m)
    r2 = np.concatenate([_r2_rows(actual, forecast, rng.integers(
        0, n, size=(min(block, reps - lo), m))) for lo in range(0, reps, block)])
    low, high = np.percentile(r2, 2.5), np.percentile(r2, 97.5)
    if m < n:  # spread scaled to n points, around the full-sample R²
        centre = float(_r2_rows(actual, forecast, np.arange(n)[None])[0])
        scale = np.sqrt(m / n)
        low, high = centre + (low - centre) * scale, centre + (high - centre) * scale
    return float(low), float(high)


def _r2_rows(actual: np.ndarray, forecast: np.ndarray,
             idx: np.ndarray) -> np.ndarray:
    """R² of each row of indices ``idx`` (R, m); rows of constant actuals are
    left out."""
    a, f = actual[idx], forecast[idx]
    sst = ((a - a.mean(axis=1, keepdims=True)) ** 2).sum(axis=1)
    ok = sst > 0
    return 1 - ((a - f) ** 2).sum(axis=1)[ok] / sst[ok]


def check_r2(pred: pd.DataFrame, lstm: dict[str, Any]) -> Finding | None:
    """R² undefined (a constant test part) or unstable (few points, or a test
    part that barely moves compared with its one-step noise)."""
    if lstm.get("r2") is None:
        reason = lstm.get("r2_undefined_reason") or "the test target is constant"
        return Finding(
            "r2-undefined", "warning", f"R² is undefined: {reason}.",
            {"reason": reason, "n": lstm.get("n")},
            "Judge the fit by MAE, RMSE and skill vs naive; use a longer test "
            "part (test_size) if the series moves elsewhere.")
    actual, lstm_f, naive = _columns(pred, "actual", "lstm", "naive")
    ok = np.isfinite(actual)
    actual, lstm_f, naive = actual[ok], lstm_f[ok], naive[ok]
    low, high = _bootstrap_r2(actual, lstm_f)
    var, naive_mse = float(np.var(actual)), _mse(actual, naive)
    calm = var <= naive_mse
    if high - low <= R2_CI_WIDTH and actual.size >= MIN_TEST_POINTS and not calm:
        return None
    why = []
    if actual.size < MIN_TEST_POINTS:
        why.append(f"only {actual.size} test points")
    if calm:
        why.append("the test part varies less than one step's noise "
                   f"(variance {var:.3g} vs naive MSE {naive_mse:.3g})")
    if high - low > R2_CI_WIDTH:
        why.append(f"its 95% bootstrap interval is [{low:.2f}, {high:.2f}]")
    return Finding(
        "r2-unstable", "info", f"R² {lstm['r2']:.3f} is not a stable summary: "
        + "; ".join(why) + ".", {"r2": lstm["r2"], "ci95": [low, high],
                                 "n": int(actual.size), "test_variance": var,
                                 "naive_mse": naive_mse},
        "Compare models by skill vs naive and MASE; a longer test part "
        "(test_size) narrows the interval.")


def check_model_size(est: Any, cfg: Any) -> Finding | None:
    """Too little data for the network: parameters vs training windows."""
    from lstmcast.diagnosis.stats import suggest_hidden_size
    params = int(sum(p.numel() for p in est.net_.parameters()))
    windows = int(est.state_.networks.n_train_windows)
    if params <= PARAMS_PER_WINDOW * windows:
        return None
    hidden = suggest_hidden_size(cfg.model, windows, len(est.feature_names_),
                                 est.window_)
    return Finding(
        "too-little-data", "warning", f"{windows} training windows for {params} "
        f"network parameters ({params / max(windows, 1):.0f} per window).",
        {"training_windows": windows, "parameters": params,
         "hidden_size": cfg.model.hidden_size},
        "A network this large can memorise the training windows. Use a smaller "
        "one, regularise (dropout, weight_decay), or get more data.",
        {"hidden_size": hidden} if hidden < cfg.model.hidden_size else {})


def check_extrapolation(y_train: np.ndarray, pred: pd.DataFrame,
                        cfg: Any) -> Finding | None:
    """Test actuals outside the training range, and the errors there."""
    actual, lstm = _columns(pred, "actual", "lstm")
    y = y_train[np.isfinite(y_train)]
    lo, hi = float(y.min()), float(y.max())
    outside = np.isfinite(actual) & ((actual > hi) | (actual < lo))
    if not outside.any():
        return None
    share = float(outside.mean())
    excess = max(float(np.nanmax(actual)) - hi, lo - float(np.nanmin(actual)),
                  0.0) / (hi - lo)
    err_out = math.sqrt(_mse(actual[outside], lstm[outside]))
    inside = np.isfinite(actual) & ~outside
    err_in = math.sqrt(_mse(actual[inside], lstm[inside])) if inside.any() else None
    levels = _not_differenced(cfg)
    settings = {"difference": 1, "target_mode": "level"} if levels else {}
    text = ("A network fed with levels must extrapolate there and its activations "
            "saturate. Feed it changes (difference=1), which stay in range."
            if levels else "The network is fed changes (differenced), which stay "
            "in range, so this matters less; compare the errors outside and inside.")
    hurts = err_in is None or err_out > err_in  # worse outside than inside
    severe = levels and hurts and (share >= 0.1 or excess >= 0.1)
    return Finding(
        "extrapolation", "warning" if severe else "info",
        f"{outside.sum()} of {actual.size} test values ({share:.0%}) lie outside "
        f"the training range [{lo:.4g}, {hi:.4g}], by up to {excess:.0%} of its "
        "width.", {"share_outside": share, "excess_of_range": excess,
                   "rmse_outside": err_out, "rmse_inside": err_in,
                   "train_min": lo, "train_max": hi}, text, settings)
