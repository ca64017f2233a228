"""The numbers behind :func:`lstmcast.diagnosis.diagnose`: pure functions.

Stationarity (ADF, KPSS, their verdict, the differences needed), Hyndman's
trend and season strengths, spread vs level, in-sample baselines, whiteness of
the changes, parameter counts, covariate relevance and leaks, spikes. Each
takes arrays and returns numbers or plain dicts; turning them into findings is
:mod:`lstmcast.diagnosis.checks`'s job.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd

from lstmcast.core.config import ModelConfig

ALPHA = 0.05  # significance level of ADF, KPSS and Ljung-Box
OUTLIER_Z = 5.0  # robust z-score of an outlier (the config default)
PARAMS_PER_WINDOW = 10.0  # more parameters per training window: too big a model
_CORR_Z = 2.87  # |corr| bound in standard errors: 5% over 12 lags (Bonferroni)
VARIANCE_SLOPE = 0.5  # log(spread) ~ slope * log(level): variance grows with level
HIDDEN_SIZES = (64, 32, 16, 8, 4)


def _filled(y: np.ndarray) -> np.ndarray:
    """Inner gaps interpolated linearly, missing ends filled with the nearest."""
    return pd.Series(y).interpolate(limit_direction="both").to_numpy(dtype=float)


def _filled_columns(X: np.ndarray) -> np.ndarray:
    return np.column_stack([_filled(X[:, j]) for j in range(X.shape[1])]) \
        if X.shape[1] else X


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, length) of each run of True."""
    edges = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)]


def _diff(x: np.ndarray, lag: int = 1) -> np.ndarray:
    return x[lag:] - x[:-lag]


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _r2_of(pred: np.ndarray, y: np.ndarray) -> float | None:
    sst = float(np.sum((y - y.mean()) ** 2))
    return None if sst == 0 else 1.0 - float(np.sum((y - pred) ** 2)) / sst


def _adf_design(x: np.ndarray, rows: np.ndarray, lags: int,
                trend: bool) -> tuple[np.ndarray, np.ndarray]:
    """ADF regression of dx_t on [1, x_{t-1}, (t), dx_{t-1}, ..., dx_{t-lags}]."""
    dx = np.diff(x)
    cols = [np.ones(rows.size), x[rows]] + ([rows.astype(float)] if trend else [])
    cols += [dx[rows - j] for j in range(1, lags + 1)]
    return np.column_stack(cols), dx[rows]


def _ols(design: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, float,
                                                            np.ndarray]:
    """Least squares by the normal equations of unit-norm columns.

    Returns the coefficients (of the scaled columns), the residual sum of
    squares and the inverse of the scaled cross-product (for standard errors,
    which, like t-statistics, do not depend on the column scaling). Small
    ``p x p`` solves instead of LAPACK's least squares on the ``n x p``
    matrix, which crawls when the cores are busy (threads waiting).
    """
    norms = np.sqrt((design ** 2).sum(axis=0))
    norms[norms == 0] = 1.0
    scaled = design / norms
    gram_inv = np.linalg.pinv(scaled.T @ scaled)
    coef = gram_inv @ (scaled.T @ target)
    resid = target - scaled @ coef
    return coef, float(resid @ resid), gram_inv


def adf_pvalue(x: np.ndarray, trend: bool = False) -> float:
    """Augmented Dickey-Fuller p-value (null: a unit root), lag order by AIC.

    The same test as statsmodels' ``adfuller(x, regression="c" or "ct",
    autolag="AIC")``, computed with plain least squares: statsmodels' own
    regressions take a full SVD of the data matrix, seconds on 4000 points.
    """
    from statsmodels.tsa.adfvalues import mackinnonp
    top = min(math.ceil(12 * (x.size / 100) ** 0.25), x.size // 2 - 2 - int(trend))
    rows = np.arange(max(top, 0), x.size - 1)
    best, best_aic = 0, np.inf
    for k in range(max(top, 0) + 1):  # one sample for every order, as statsmodels
        design, target = _adf_design(x, rows, k, trend)
        aic = rows.size * np.log(max(_ols(design, target)[1], 1e-300)
                                 / rows.size) + 2 * design.shape[1]
        if aic < best_aic:
            best, best_aic = k, aic
    design, target = _adf_design(x, np.arange(best, x.size - 1), best, trend)
    coef, ssr, gram_inv = _ols(design, target)
    sigma2 = ssr / (target.size - design.shape[1])
    stat = coef[1] / math.sqrt(sigma2 * gram_inv[1, 1])
    return float(mackinnonp(stat, regression="ct" if trend else "c", N=1))


def _tests(x: np.ndarray) -> dict[str, Any]:
    """ADF and KPSS p-values, with a constant (c) and with a trend (ct)."""
    from statsmodels.tsa.stattools import kpss
    out: dict[str, Any] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # KPSS p-values outside its table
        for suffix, trend in (("", False), ("_trend", True)):
            try:
                out["adf_pvalue" + suffix] = adf_pvalue(x, trend)
                out["kpss_pvalue" + suffix] = float(kpss(
                    x, regression="ct" if trend else "c", nlags="auto")[1])
            except (ValueError, np.linalg.LinAlgError, ZeroDivisionError):
                out["adf_pvalue" + suffix] = out["kpss_pvalue" + suffix] = None
    return out


def stationarity_verdict(t: dict[str, Any]) -> str:
    """ADF (null: unit root) and KPSS (null: stationary) combined; the rules
    are in :func:`stationarity`."""
    adf, kp, adf_t, kp_t = (t["adf_pvalue"], t["kpss_pvalue"], t["adf_pvalue_trend"],
                            t["kpss_pvalue_trend"])
    if None in (adf, kp, adf_t, kp_t):
        return "inconclusive"
    if adf < ALPHA and kp >= ALPHA:
        return "stationary"
    if adf_t < ALPHA and kp_t >= ALPHA:
        return "trend-stationary"
    if adf >= ALPHA and adf_t >= ALPHA and (kp < ALPHA or kp_t < ALPHA):
        return "difference"
    return "inconclusive"


def _ndiffs(x: np.ndarray, max_d: int = 2) -> int:
    """Differences until KPSS (level) no longer rejects stationarity; a
    constant (the changes of a straight line) is stationary, and KPSS cannot
    test it (its lag choice divides by the zero variance)."""
    from statsmodels.tsa.stattools import kpss
    d = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while d < max_d and x.size > 12 and np.ptp(x) > 0 and kpss(
                x, regression="c", nlags="auto")[1] < ALPHA:
            x, d = _diff(x), d + 1
    return d


def stationarity(y: np.ndarray) -> dict[str, Any]:
    """ADF and KPSS on ``y`` (no gaps), their verdict and suggested differences.

    The verdict: "stationary" when ADF rejects a unit root and KPSS does not
    reject stationarity (both with a constant); else "trend-stationary" when
    the same holds with a linear trend in both; else "difference" when ADF
    does not reject a unit root either way and KPSS rejects stationarity; else
    "inconclusive" (both reject, or neither does: often too few points).
    ``ndiffs`` is the number of differences (at most 2) after which KPSS no
    longer rejects.
    """
    x = np.asarray(y, dtype=float)
    if x.size < 16:
        return {"adf_pvalue": None, "kpss_pvalue": None, "adf_pvalue_trend": None,
                "kpss_pvalue_trend": None, "verdict": "inconclusive", "ndiffs": 0}
    out = _tests(x)
    out["verdict"] = stationarity_verdict(out)
    out["ndiffs"] = _ndiffs(x)
    return out


def _transformed(y: np.ndarray, plan: dict[str, Any]) -> np.ndarray:
    x = y if y.min() > 0 else y - y.min() + 1.0  # the shift Log and BoxCox use
    if plan["transform"] == "log":
        x = np.log(x)
    elif plan["transform"] == "boxcox":
        from scipy.stats import boxcox
        x = boxcox(x)[0]
    else:
        x = y
    for _ in range(plan["difference"]):
        x = _diff(x)
    return x


def _after(yf: np.ndarray, plan: dict[str, Any]) -> dict[str, Any]:
    """The tests again on the series as the recommended transforms leave it."""
    steps = [s for s in (plan["transform"] if plan["transform"] != "none" else "",
                         f"difference {plan['difference']}" if plan["difference"]
                         else "") if s]
    out = stationarity(_transformed(yf, plan))
    return {"transform": " + ".join(steps) or "none", **out}


def trend_season_strength(y: np.ndarray, season: int) -> dict[str, Any]:
    """Hyndman's strengths: ``F_T = max(0, 1 - var(R) / var(T + R))`` and
    ``F_S = max(0, 1 - var(R) / var(S + R))`` from an STL decomposition
    (season >= 2), or from a centred moving-average trend (no season)."""
    if season >= 2 and y.size >= 2 * season + 1:
        from statsmodels.tsa.seasonal import STL
        res = STL(y, period=season).fit()
        trend, seas, rem = res.trend, res.seasonal, res.resid
    else:
        width = max(3, (y.size // 10) | 1)
        if y.size < 2 * width:
            return {}
        trend = np.convolve(y, np.ones(width) / width, mode="valid")
        half = width // 2
        rem, seas = y[half: half + trend.size] - trend, None
    out = {"trend_strength": _strength(rem, trend + rem)}
    if seas is not None:
        out["seasonal_strength"] = _strength(rem, seas + rem)
    return out


def _strength(rem: np.ndarray, part: np.ndarray) -> float:
    total = float(np.var(part))
    return 0.0 if total == 0 else max(0.0, 1.0 - float(np.var(rem)) / total)


def variance_vs_level(y: np.ndarray, season: int) -> dict[str, Any]:
    """Does the spread grow with the level? Guerrero's regression.

    The training part is cut into blocks (a season each, or 20 blocks); the
    slope ``b`` of log(std of the changes in a block) on log(mean level of the
    block) is 0 for a constant spread and 1 for a spread proportional to the
    level; Box-Cox's lambda is about ``1 - b``. Positive series only.
    """
    block = season if season >= 4 else max(8, y.size // 20)
    blocks = y.size // block
    if y.min() <= 0 or blocks < 4:
        return {}
    parts = y[: blocks * block].reshape(blocks, block)
    level = parts.mean(axis=1)
    spread = np.diff(parts, axis=1).std(axis=1)
    if (spread <= 0).any():
        return {}
    lx, ly = np.log(level), np.log(spread)
    slope = float(np.polyfit(lx, ly, 1)[0]) if np.ptp(lx) > 0 else 0.0
    corr = _corr(lx, ly)
    out = {"slope": slope, "corr": corr, "boxcox_lambda": 1.0 - slope,
           "level_ratio": float(level.max() / level.min()), "blocks": blocks}
    if slope >= VARIANCE_SLOPE and corr >= 0.5 and out["level_ratio"] >= 1.5:
        out["transform"] = "log" if slope >= 0.75 else "boxcox"
    return out


def in_sample_baselines(y: np.ndarray, season: int) -> dict[str, Any]:
    """R² of the naive and seasonal-naive one-step forecasts on the training part."""
    naive = _r2_of(y[:-1], y[1:])
    snaive = _r2_of(y[:-season], y[season:]) if 1 < season < y.size - 2 else None
    return {"naive_r2": naive, "seasonal_naive_r2": snaive,
            "naive_mse": float(np.mean(_diff(y) ** 2))}


def change_whiteness(y: np.ndarray, season: int) -> dict[str, Any]:
    """Are the changes white noise? Ljung-Box, and an AR fit's adjusted R².

    The Ljung-Box test covers ``max(10, season)`` lags; the AR model of the
    same order, fitted by least squares on the changes, measures the effect
    size: what share of the changes' variance their own past explains.
    """
    from statsmodels.stats.diagnostic import acorr_ljungbox
    dy = _diff(y)
    lags = int(min(max(10, season), dy.size // 5))
    if lags < 1 or np.std(dy) == 0:
        return {"ljung_box_pvalue": 0.0, "ar_r2": 1.0, "lags": lags}
    lb = float(acorr_ljungbox(dy, lags=[lags]).iloc[0]["lb_pvalue"])
    rows = np.column_stack([dy[lags - k - 1: dy.size - k - 1] for k in range(lags)])
    target = dy[lags:]
    design = np.column_stack([np.ones(target.size), rows])
    ssr = _ols(design, target)[1]
    sst = float(np.sum((target - target.mean()) ** 2))
    r2 = 1.0 - ssr / sst if sst > 0 else 0.0
    dof = max(target.size - lags - 1, 1)
    adj = 1.0 - (1.0 - r2) * (target.size - 1) / dof
    return {"ljung_box_pvalue": lb, "ar_r2": max(0.0, adj), "lags": lags}


def count_parameters(model: ModelConfig, n_features: int, window: int) -> int:
    """Trainable parameters of the LSTMNet a ``ModelConfig`` builds."""
    h, d, k = model.hidden_size, 2 if model.bidirectional else 1, model.horizon
    total = 0
    for layer in range(model.num_layers):
        inputs = n_features if layer == 0 else h * d
        total += d * (4 * h * (inputs + h) + 8 * h)
    if model.head == "linear":
        total += (d * h + 1) * k
    else:
        total += (d * h + 1) * model.head_hidden + (model.head_hidden + 1) * k
    skip = window if model.skip is None else min(model.skip, window)
    return total + ((skip + 1) * k if skip else 0)


def suggest_hidden_size(model: ModelConfig, windows: int, n_features: int,
                        window: int) -> int:
    """The largest of 64, 32, 16, 8, 4 hidden units giving at most
    ``PARAMS_PER_WINDOW`` parameters per training window (else 4)."""
    for h in HIDDEN_SIZES:
        params = count_parameters(replace(model, hidden_size=h), n_features, window)
        if params <= PARAMS_PER_WINDOW * windows:
            return h
    return HIDDEN_SIZES[-1]


def leak_correlation(x: np.ndarray, y: np.ndarray, order: int = 3) -> float:
    """Partial correlation of ``x_t`` with ``y_{t+1}`` given ``y_t .. y_{t-order+1}``.

    A covariate value at ``t`` is an input for forecasting ``y_{t+1}``. What
    the target's own past cannot tell about ``y_{t+1}`` is its innovation; an
    honest covariate explains part of it, one computed from the future
    (``x_t = y_{t+1} + noise``) explains nearly all of it. NaN when ``x`` is a
    function of the target's past (nothing left to correlate).
    """
    t = np.arange(order - 1, y.size - 1)
    if t.size < 3 * order + 10:
        return float("nan")
    design = np.column_stack([np.ones(t.size)] + [y[t - j] for j in range(order)])

    def resid(v: np.ndarray) -> np.ndarray:
        norms = np.sqrt((design ** 2).sum(axis=0))
        return v - (design / norms) @ _ols(design, v)[0]

    rx, ry = resid(x[t]), resid(y[t + 1])
    if np.std(rx) <= 1e-9 * max(1.0, float(np.std(x[t]))):
        return float("nan")
    return _corr(rx, ry)


def _stationary(x: np.ndarray, d: int) -> np.ndarray:
    """``x`` differenced ``d`` times, kept on the same time axis (NaN first)."""
    for _ in range(d):
        x = np.concatenate([[np.nan], np.diff(x)])
    return x


def _mutual_info(sx: np.ndarray, sy: np.ndarray, lags: int) -> float:
    """Largest mutual information (nats) of ``x_{t-l}`` and ``y_t``, l = 1..lags."""
    from sklearn.feature_selection import mutual_info_regression
    rows = np.column_stack([np.concatenate([np.full(lag, np.nan), sx[:-lag]])
                            for lag in range(1, lags + 1)])
    ok = np.isfinite(rows).all(axis=1) & np.isfinite(sy)
    rows, target = rows[ok][-2000:], sy[ok][-2000:]
    if target.size < 20:
        return float("nan")
    return float(mutual_info_regression(rows, target, n_neighbors=3,
                                        random_state=0).max())


def _relevance(y: np.ndarray, x: np.ndarray, difference: int,
               lags: int) -> dict[str, Any]:
    """Correlation and mutual information of ``x_{t-l}`` with ``y_t``, l = 1..lags,
    both differenced as the target needs (levels of two trends always
    correlate, so a differenced target is compared with changes)."""
    sy, sx = _stationary(y, difference), _stationary(x, difference)
    corrs = [_corr(sx[:-lag], sy[lag:]) for lag in range(1, lags + 1)]
    best = int(np.nanargmax(np.abs(corrs))) if np.isfinite(corrs).any() else 0
    shuffled = np.random.default_rng(0).permutation(sx)
    return {"best_lag": best + 1, "corr": corrs[best], "corr_lag0": _corr(sx, sy),
            "corr_bound": _CORR_Z / math.sqrt(y.size),
            "mutual_info": _mutual_info(sx, sy, lags),
            "mutual_info_shuffled": _mutual_info(shuffled, sy, lags),
            "differenced": difference, "leak_pcorr": leak_correlation(x, y),
            "_series": sx}


def spikes(y: np.ndarray, threshold: float = OUTLIER_Z) -> np.ndarray:
    """Positions of isolated spikes: a jump in and a jump back out, each beyond
    ``threshold`` robust standard deviations of the changes.

    Working on the changes makes this hold for trending and random-walk series
    too, where a point-wise z-score flags whole stretches of a moving level;
    a single large change (a level shift) is not a spike.
    """
    dy = np.diff(np.asarray(y, dtype=float))
    finite = dy[np.isfinite(dy)]
    if finite.size < 10:
        return np.empty(0, dtype=int)
    center = float(np.median(finite))
    scale = 1.4826 * float(np.median(np.abs(finite - center))) \
        or 1.2533 * float(np.mean(np.abs(finite - center))) or 1.0
    with np.errstate(invalid="ignore"):
        z = (dy - center) / scale
        jump_in, jump_out = z[:-1], z[1:]
        hit = ((np.abs(jump_in) > threshold) & (np.abs(jump_out) > threshold)
               & (np.sign(jump_in) != np.sign(jump_out)))
    return np.flatnonzero(hit) + 1


def _column_stats(x: np.ndarray) -> dict[str, float]:
    x = x[np.isfinite(x)]
    return {"mean": float(x.mean()), "std": float(x.std()), "min": float(x.min()),
            "max": float(x.max()), "change_std": float(np.diff(x).std())
            if x.size > 1 else 0.0}
