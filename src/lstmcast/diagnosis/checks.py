"""The checks of :func:`lstmcast.diagnosis.diagnose`: numbers into findings.

Each ``check_*`` function takes the numbers of :mod:`lstmcast.diagnosis.stats`
(or the loaded series) and returns a :class:`~lstmcast.core.findings.Finding`, a
list of them, or None when there is nothing to report. Every check reads the
training part only, except :func:`check_shift`, which describes the split
itself and sets nothing.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.core.config import ModelConfig
from lstmcast.core.findings import Finding
from lstmcast.data.series import SeriesData
from lstmcast.diagnosis.stats import (
    OUTLIER_Z,
    PARAMS_PER_WINDOW,
    _column_stats,
    _corr,
    _relevance,
    _runs,
    count_parameters,
    spikes,
    suggest_hidden_size,
)

STRONG = 0.64  # F_T or F_S above this: a strong trend or season (Hyndman, fpp3)
OUTLIER_SHARE = 0.02  # more flagged points than this: heavy tails, not errors
MIN_WINDOWS = 30  # fewer training windows: too little data for any network
LEAK_PCORR = 0.9  # partial correlation with the next innovation: too good
REDUNDANT_CORR = 0.95  # covariates this correlated carry the same information


def _p(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g}"


def _stamps(index: pd.Index, positions: Any, limit: int = 10) -> list[str]:
    return [str(index[int(i)]) for i in list(positions)[:limit]]


_GAP_NOTE = r"(\d+) time stamps? (?:is|are) missing.*largest gap: (\d+) missing"


def check_timestamps(series: SeriesData) -> list[Finding]:
    """Frequency, irregular or missing stamps, combined duplicates.

    Taken from what loading noted: ``load`` refuses unsorted stamps always and
    duplicate stamps unless a ``duplicates`` policy was given.
    """
    import re

    from lstmcast.data.seasonality import season_from_freq
    index, out = series.index, []
    span = {"first": str(index[0]), "last": str(index[-1]), "rows": len(index)}
    if series.freq:
        out.append(Finding(
            "frequency", "info", f"Regular frequency {series.freq!r}.",
            {"frequency": series.freq,
             "calendar_season": season_from_freq(series.freq), **span},
            "Nothing to do: future time stamps and calendar features follow it."))
    elif not isinstance(index, pd.DatetimeIndex):
        out.append(Finding(
            "frequency", "info", "Integer steps: no calendar.", span,
            "The season is found from the data alone; calendar=True has no "
            "effect. Pass time=COLUMN if a column holds dates."))
    for note in series.notes:
        gap = re.search(_GAP_NOTE, note)
        if "irregular" in note:
            out.append(Finding(
                "irregular-timestamps", "warning", "The time stamps are irregular: "
                "no regular frequency fits them.", {"note": note},
                "The rows are used as consecutive steps. Resample to a regular "
                "frequency (e.g. df.resample('D').mean()) for calendar-aware "
                "forecasts; missing values are then imputed."))
        elif gap:
            out.append(_missing_stamps(note, gap, str(series.freq)))
        elif "combined into one row" in note:
            policy = re.search(r"duplicates='(\w+)'", note)
            out.append(Finding(
                "duplicate-timestamps", "info", "Rows sharing a time stamp were "
                "combined.", {"note": note},
                "Check that the policy fits the data (mean for readings, sum for "
                "counts).", {"duplicates": policy.group(1)} if policy else {}))
        elif "No time column" in note:
            out.append(Finding("no-time-column", "info", "No time column: the "
                               "rows are steps 0, 1, 2, ...", {"note": note},
                               "Pass time=COLUMN if a column holds the times."))
    return out


def _missing_stamps(note: str, gap: Any, freq: str) -> Finding:
    filled = "(gaps='fill')" in note
    evidence = {"missing_stamps": int(gap.group(1)),
                "largest_gap": int(gap.group(2)), "filled": filled}
    title = (f"{gap.group(1)} time stamps are missing from the regular {freq!r} "
             f"grid (largest gap {gap.group(2)}).")
    if filled:
        return Finding("missing-timestamps", "info", title, evidence,
                       "They were inserted as missing values and are imputed.",
                       {"gaps": "fill"})
    if freq[:1] in ("B", "C"):  # business days: the missing ones are holidays
        return Finding("missing-timestamps", "info", title, evidence,
                       "Missing business days are usually holidays, when nothing "
                       "happens: keep using the rows as consecutive steps.")
    return Finding("missing-timestamps", "warning", title, evidence,
                   "Rows on both sides of a gap are treated as neighbours; insert "
                   "the missing stamps as missing values (gaps='fill'), which are "
                   "then imputed.", {"gaps": "fill"})


def check_missing(series: SeriesData, n_train: int,
                  season: int = 1) -> Finding | None:
    """Missing values of the training part: how many, the longest gap, where."""
    frame, index = series.frame.iloc[:n_train], series.index
    mask = frame[series.target].isna().to_numpy()
    covs = {c: int(frame[c].isna().sum()) for c in series.covariates
            if frame[c].isna().any()}
    test_missing = int(series.frame[series.target].iloc[n_train:].isna().sum())
    if not mask.any() and not covs and not test_missing:
        return None
    runs = _runs(mask)
    longest = max((length for _, length in runs), default=0)
    evidence = {"count": int(mask.sum()), "share": float(mask.mean()),
                "longest_gap": longest, "gaps": len(runs),
                "positions": [s for s, _ in runs[:10]],
                "where": [f"{index[s]} ({length} rows)" for s, length in runs[:10]],
                "covariates_missing": covs, "test_missing": test_missing}
    irregular = isinstance(index, pd.DatetimeIndex) and series.freq is None
    method = "time" if irregular else "linear"
    long_gap = longest > max(3, season // 2)
    severity = "warning" if long_gap or mask.mean() > 0.05 else "info"
    text = (f"Fill them by {'interpolating in time' if irregular else 'linear '}"
            f"{'' if irregular else 'interpolation'} (impute='{method}'), fitted on "
            "the training part.")
    if long_gap:
        text += (f" The longest gap ({longest} rows) is long: a straight line "
                 "bridges it and any pattern inside it is lost; consider starting "
                 "the series after it.")
    if test_missing:
        text += f" {test_missing} test values are missing: they are not scored."
    return Finding("missing-values", severity,
                   f"{int(mask.sum())} missing target values in the training part "
                   f"({len(runs)} gaps, longest {longest}).", evidence, text,
                   {"impute": method})


def _clip_method(y: np.ndarray, found: np.ndarray) -> tuple[str | None, dict[str, int]]:
    """The config's detector (mad, then hampel) that flags at least half of
    ``found`` and not many more points; None when neither does."""
    from lstmcast.preprocess.outliers import detect_outliers
    counts: dict[str, int] = {}
    for method in ("mad", "hampel"):
        flagged = np.flatnonzero(detect_outliers(y, method=method,
                                                 threshold=OUTLIER_Z))
        counts[method] = int(flagged.size)
        if np.isin(found, flagged).mean() >= 0.5 and \
                flagged.size <= 2 * found.size + 2:
            return method, counts
    return None, counts


def check_outliers(y: np.ndarray, index: pd.Index) -> Finding | None:
    """Isolated spikes (:func:`spikes`), how many and where, and whether the
    config's outlier step (``transforms.detect_outliers``) would catch them."""
    pos = spikes(y)
    if pos.size == 0:
        return None
    share = pos.size / max(int(np.isfinite(y).sum()), 1)
    evidence = {"count": int(pos.size), "share": share, "threshold": OUTLIER_Z,
                "positions": pos[:10].tolist(), "where": _stamps(index, pos),
                "values": y[pos[:10]].tolist()}
    if share > OUTLIER_SHARE:
        return Finding(
            "heavy-tails", "info", f"{pos.size} spikes ({share:.1%}) beyond "
            f"{OUTLIER_Z:g} robust standard deviations of the changes.", evidence,
            "Too many to be errors: heavy tails. Clipping them would change the "
            "series; look at them before choosing outliers='clip'.")
    method, counts = _clip_method(y, pos)
    evidence["flagged_by"] = counts
    title = (f"{pos.size} outlier(s): isolated spikes beyond {OUTLIER_Z:g} robust "
             f"standard deviations of the changes, first at {evidence['where'][0]}.")
    if method is None:
        return Finding(
            "outliers", "warning", title, evidence,
            "Check them at the source. lstmcast's outlier step would not isolate "
            f"them (mad flags {counts['mad']} points, hampel {counts['hampel']}): "
            "if they are errors, blank them (they are then imputed).")
    return Finding(
        "outliers", "warning", title, evidence,
        "Check them at the source; if they are errors, clip them to the "
        f"threshold (outliers='clip', outlier_method='{method}', which flags "
        f"{counts[method]} point(s) of the training part).",
        {"outliers": "clip", "outlier_method": method,
         "outlier_threshold": OUTLIER_Z})


def check_scale(frame: pd.DataFrame) -> list[Finding]:
    """Magnitude and spread of the target and covariates (training part)."""
    stats = {str(c): _column_stats(frame[c].to_numpy(dtype=float))
             for c in frame.columns}
    target = str(frame.columns[0])
    t = stats[target]
    out = [Finding(
        "scale", "info", f"Target '{target}': mean {t['mean']:.4g}, std "
        f"{t['std']:.4g}, from {t['min']:.4g} to {t['max']:.4g}; typical change "
        f"{t['change_std']:.4g}.", t,
        "Nothing to do: the target and each covariate are standardised on the "
        "training part (scaler='standard', the default).")]
    spreads = {c: s["std"] for c, s in stats.items() if s["std"] > 0}
    if len(spreads) > 1:
        ratio = max(spreads.values()) / min(spreads.values())
        if ratio >= 1e3:
            out.append(Finding(
                "covariate-scales", "warning", f"The columns' spreads differ by "
                f"10^{math.log10(ratio):.0f} (std from {min(spreads.values()):.3g} "
                f"to {max(spreads.values()):.3g}).", {"stds": spreads,
                                                       "ratio": ratio},
                "Keep scaling on: unscaled, the largest column would dominate the "
                "network's inputs and gradients.", {"scaler": "standard"}))
    return out


def check_stationarity(st: dict[str, Any], plan: dict[str, Any],
                       strength: dict[str, Any],
                       random_walk: bool = False) -> Finding:
    """ADF and KPSS combined, on the series and after the suggested transform."""
    after, d = st["after"], plan["difference"]
    evidence = {k: st[k] for k in ("adf_pvalue", "kpss_pvalue", "adf_pvalue_trend",
                                   "kpss_pvalue_trend", "verdict", "ndiffs")}
    evidence.update({"trend_strength": strength.get("trend_strength"),
                     "after_transform": after["transform"],
                     "after_adf_pvalue": after["adf_pvalue"],
                     "after_kpss_pvalue": after["kpss_pvalue"],
                     "after_verdict": after["verdict"]})
    tests = f"ADF p={_p(st['adf_pvalue'])}, KPSS p={_p(st['kpss_pvalue'])}"
    settings: dict[str, Any] = {"difference": d, "target_mode": "level"} if d else {}
    after_text = (f" After {after['transform']}: {after['verdict']} (ADF "
                  f"p={_p(after['adf_pvalue'])}, KPSS p={_p(after['kpss_pvalue'])}).")
    verdict = st["verdict"]
    if verdict == "stationary":
        return Finding("stationarity", "info", f"Stationary ({tests}).", evidence,
                       "No differencing needed.", settings)
    how = (f"Difference {'once' if d == 1 else f'{d} times'} (difference={d}): the "
           "network then sees changes, which stay in the range of the training "
           "part, and predicts the next change (target_mode='level' on the "
           "differenced series; an unsure network falls back to the average "
           "change, i.e. the naive forecast plus drift)." if d else
           "The changes are white noise (see random-walk): the default "
           "target_mode='delta' already models changes, and differencing the "
           "inputs as well gains nothing." if random_walk else
           "No differencing suggested.")
    titles = {"trend-stationary": f"Stationary around a trend, not a constant "
                                  f"({tests}; with a trend: ADF p="
                                  f"{_p(st['adf_pvalue_trend'])}, KPSS p="
                                  f"{_p(st['kpss_pvalue_trend'])}).",
              "difference": f"Not stationary: a unit root ({tests}); {st['ndiffs']} "
                            "difference(s) make it stationary.",
              "inconclusive": f"ADF and KPSS do not agree ({tests}): too few "
                              "points, or a borderline series."}
    severity = "info" if verdict == "inconclusive" and not d else "warning"
    shown = d or random_walk or plan["transform"] != "none"
    return Finding("stationarity", severity, titles[verdict], evidence,
                   how + (after_text if shown else ""), settings)


def check_random_walk(changes: dict[str, Any], baselines: dict[str, Any],
                      random_walk: bool) -> Finding | None:
    """A random walk: its changes are white noise (Ljung-Box), so the last
    value is the best forecast and R² on levels flatters any model."""
    if not random_walk:
        return None
    naive = baselines["naive_r2"]
    return Finding(
        "random-walk", "warning", f"A random walk: the changes are white noise "
        f"(Ljung-Box p={_p(changes['ljung_box_pvalue'])} over {changes['lags']} "
        f"lags; their own past explains {changes['ar_r2']:.1%} of them).",
        {**changes, "naive_r2": naive},
        "The last value is the best forecast: no model will beat the naive one by "
        f"much, and R² on levels flatters every model (the naive reaches "
        f"{naive:.3f} on the training part). Model the changes, not the levels "
        "(target_mode='delta', the default), and judge the fit by its skill vs "
        "naive, not R².", {"target_mode": "delta"})


def check_season(season: int, freq: str | None,
                 strength: dict[str, Any]) -> Finding:
    """The season found (calendar confirmed by the ACF) and STL strengths."""
    from lstmcast.data.seasonality import season_from_freq
    calendar = season_from_freq(freq)
    evidence = {"season": season, "calendar_season": calendar, **strength}
    f_t = strength.get("trend_strength")
    trend = f", trend strength {f_t:.2f}" if f_t is not None else ""
    if season <= 1:
        unconfirmed = (f" The calendar suggests {calendar}, but the "
                       "autocorrelation does not confirm it." if calendar
                       and calendar > 1 else "")
        return Finding("no-season", "info", f"No season{trend}.{unconfirmed}",
                       evidence, "Nothing to do (season=1: none).", {"season": 1})
    f_s = strength.get("seasonal_strength")
    text = (f"season={season}; the window defaults to two seasons "
            f"({2 * season} steps) where the data allow, so the network sees the "
            "pattern it has to continue. Seasonal differencing is not suggested: "
            "on the bundled seasonal series it lost accuracy against a window "
            "that spans the season.")
    settings: dict[str, Any] = {"season": season}
    strong = f_s is not None and f_s >= STRONG
    return Finding("season", "info", f"Season of {season} steps (seasonal strength "
                   f"{_p(f_s)}{', strong' if strong else ''}{trend}).",
                   evidence, text, settings)


def check_variance(v: dict[str, Any]) -> Finding | None:
    """Spread growing with the level (Guerrero's slope): log or Box-Cox."""
    if "transform" not in v:
        return None
    kind = v["transform"]
    return Finding(
        "variance-grows-with-level", "warning", f"The spread grows with the level "
        f"(log spread ~ {v['slope']:.2f} x log level, corr {v['corr']:.2f}; Box-Cox "
        f"lambda about {v['boxcox_lambda']:.2f}).", v,
        f"Use transform='{kind}': changes then have a similar size at every "
        "level, and the network learns one pattern instead of one per level.",
        {"transform": kind})


def check_predictability(baselines: dict[str, Any], season: int) -> Finding:
    """How far the naive and seasonal-naive forecasts go on the training part."""
    naive, snaive = baselines["naive_r2"], baselines["seasonal_naive_r2"]
    title = (f"Repeating the last value gives R² {_p(naive)} on the training part"
             + (f" (seasonal naive: {_p(snaive)})." if snaive is not None else "."))
    text = "Judge the LSTM by its skill vs the naive forecast."
    if naive is not None and naive >= 0.9:
        text = (f"R² on levels will look high for any model (the naive already "
                f"reaches {naive:.3f}); {text[0].lower()}{text[1:]}")
    return Finding("baselines", "info", title,
                   {**baselines, "season": season}, text)


def check_sufficiency(n_train: int, season: int, window: int | None, warm: int,
                      n_covariates: int) -> Finding | None:
    """Training windows vs the parameters of the default network."""
    from lstmcast.data.split import auto_window, count_of
    n_val = count_of(0.2, n_train)
    n_fit = n_train - n_val
    w = window or auto_window(max(season, 1), n_fit)
    windows = n_fit - w - warm
    params = count_parameters(ModelConfig(), 1 + n_covariates, w)
    evidence = {"n_train": n_train, "n_val": n_val, "n_fit": n_fit, "window": w,
                "warm_up": warm, "training_windows": windows,
                "parameters": params, "parameters_per_window":
                params / max(windows, 1)}
    if windows < 10:
        largest = n_fit - warm - 10
        fix = {"window": largest} if 2 <= largest < w else {}
        return Finding(
            "too-short", "problem", f"Too short: {n_fit} training rows leave "
            f"{max(windows, 0)} windows of {w} steps; a fit needs 10.", evidence,
            (f"Use window={largest} or shorter, " if fix else "Use ")
            + "a smaller test part, or more data.", fix)
    if windows >= MIN_WINDOWS and params <= PARAMS_PER_WINDOW * windows:
        return None
    h = suggest_hidden_size(ModelConfig(), windows, 1 + n_covariates, w)
    evidence["suggested_parameters"] = count_parameters(
        ModelConfig(hidden_size=h), 1 + n_covariates, w)
    return Finding(
        "too-little-data", "problem" if windows < MIN_WINDOWS else "warning",
        f"{windows} training windows for {params} parameters of the default "
        "network (hidden_size=64).", evidence,
        f"A smaller network overfits less: hidden_size={h} has "
        f"{evidence['suggested_parameters']} parameters. More data helps most.",
        {"hidden_size": h} if h < ModelConfig().hidden_size else {})


def check_covariates(y: np.ndarray, X: np.ndarray, names: tuple[str, ...],
                     difference: int) -> list[Finding]:
    """Relevance, leaks and redundancy of the covariates (training part).

    Relevance: correlation and mutual information of each covariate with the
    target 1..k steps later (k = 12), after differencing what needs it. Leak:
    a covariate value explaining at least ``LEAK_PCORR`` (as a partial
    correlation) of the next target innovation (see :func:`leak_correlation`).
    Redundancy: two covariates correlated beyond ``REDUNDANT_CORR``.
    """
    if not names:
        return []
    lags = max(1, min(12, y.size // 10))
    rel = {name: _relevance(y, X[:, j], difference, lags)
           for j, name in enumerate(names)}
    series = {name: r.pop("_series") for name, r in rel.items()}
    out = [Finding(
        "covariate-relevance", "info", "How much each covariate tells about the "
        f"target 1 to {lags} steps later.", rel,
        "Correlation is on changes where a series needs differencing; mutual "
        "information (nats) also catches non-linear links.")]
    drop: set[str] = set()
    for name, r in rel.items():
        others = [c for c in names if c != name]
        if abs(r["leak_pcorr"]) >= LEAK_PCORR:  # NaN compares False
            drop.add(name)
            out.append(Finding(
                "covariate-leak", "problem", f"Covariate '{name}' predicts the next "
                f"target value too well to be true (partial correlation "
                f"{r['leak_pcorr']:.3f} with what the target's past cannot tell).",
                {"covariate": name, "leak_pcorr": r["leak_pcorr"]},
                f"It probably holds future information (computed from, or stamped "
                f"after, the target it should forecast). Check how '{name}' is made "
                "and shift it to when it is known; until then leave it out.",
                {"covariates": others}))
        elif (abs(np.nan_to_num(r["corr"])) < r["corr_bound"]
              and not np.nan_to_num(r["mutual_info"])
              > 2 * np.nan_to_num(r["mutual_info_shuffled"]) + 0.02):
            drop.add(name)
            out.append(Finding(
                "covariate-irrelevant", "info", f"Covariate '{name}' tells little "
                f"about the later target (best |corr| {abs(r['corr']):.3f}, mutual "
                f"information {_p(r['mutual_info'])} nats, "
                f"{_p(r['mutual_info_shuffled'])} when shuffled).",
                {"covariate": name, **{k: r[k] for k in (
                    "corr", "corr_bound", "mutual_info", "mutual_info_shuffled")}},
                "Leaving it out removes noise from the inputs (its correlation "
                "with the later target is within chance for this many points).",
                {"covariates": others}))
    out += _redundant(series, rel, drop, names)
    return out


def _redundant(series: dict[str, np.ndarray], rel: dict[str, Any], drop: set[str],
               names: tuple[str, ...]) -> list[Finding]:
    out = []
    kept = [c for c in names if c not in drop]
    for i, a in enumerate(kept):
        for b in kept[i + 1:]:
            r = _corr(series[a], series[b])
            if abs(r) < REDUNDANT_CORR or a in drop or b in drop:
                continue
            weaker = min((a, b), key=lambda c: abs(np.nan_to_num(rel[c]["corr"])))
            drop.add(weaker)
            out.append(Finding(
                "covariate-redundant", "warning", f"Covariates '{a}' and '{b}' "
                f"carry the same information (corr {r:.3f}).",
                {"pair": [a, b], "corr": r, "drop": weaker},
                f"Keep one: leaving out '{weaker}' (the less relevant) makes the "
                "inputs simpler without losing information.",
                {"covariates": [c for c in names if c != weaker]}))
    return out


def check_shift(frame: pd.DataFrame, n_train: int) -> Finding | None:
    """Test values outside the training range, and a change in volatility.

    The only check that reads the test part: it describes the split and sets
    nothing (the test part must not choose the model).
    """
    target = str(frame.columns[0])
    values = {c: frame[c].to_numpy(dtype=float) for c in frame.columns}
    y_tr, y_te = (v[np.isfinite(v)] for v in (values[target][:n_train],
                                               values[target][n_train:]))
    if y_te.size == 0:
        return None
    lo, hi = float(y_tr.min()), float(y_tr.max())
    span = hi - lo
    above, below = int((y_te > hi).sum()), int((y_te < lo).sum())
    excess = max(float(y_te.max()) - hi, lo - float(y_te.min()), 0.0) / span
    ratio = float(np.diff(y_te).std() / np.diff(y_tr).std()) \
        if y_te.size > 2 and np.diff(y_tr).std() > 0 else 1.0
    cov_out = {}
    for c in frame.columns[1:]:
        tr, te = values[c][:n_train], values[c][n_train:]
        share = float(np.mean((te > np.nanmax(tr)) | (te < np.nanmin(tr))))
        if share > 0:
            cov_out[str(c)] = share
    share = (above + below) / y_te.size
    if share < 0.01 and excess < 0.05 and 0.5 <= ratio <= 2 and not cov_out:
        return None
    evidence = {"train_min": lo, "train_max": hi, "test_min": float(y_te.min()),
                "test_max": float(y_te.max()), "above": above, "below": below,
                "share_outside": share, "excess_of_range": excess,
                "change_std_ratio": ratio, "covariates_outside": cov_out}
    severity = "warning" if share >= 0.1 or excess >= 0.1 or not \
        0.5 <= ratio <= 2 else "info"
    title = (f"{above + below} of {y_te.size} test values ({share:.1%}) lie outside "
             f"the training range [{lo:.4g}, {hi:.4g}], by up to {excess:.0%} of "
             "its width" if share else "The test values stay in the training range")
    title += f"; the test changes are {ratio:.2f} times as large as the training ones."
    return Finding(
        "test-outside-train-range", severity, title, evidence,
        "A network fed with levels must extrapolate there, which it cannot (its "
        "activations saturate); one fed with changes (difference=1) stays in "
        "range. This describes the split only, so it sets nothing itself.")
