"""The figures of a fit and of a diagnosis, as matplotlib Figures (no pyplot
state, no display).

Each function takes plain frames/dicts read from a run folder, so a report can
be rebuilt from the saved files alone (``lstmcast report DIR``); the figures of
the other runs are in :mod:`lstmcast.figures.backtest`,
:mod:`lstmcast.figures.tune` and :mod:`lstmcast.figures.ladder`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from pandas.api import types as ptypes

COLORS = {"lstm": "#d62728", "naive": "#7f7f7f", "seasonal_naive": "#17becf",
          "drift": "#bcbd22", "mean": "#9467bd", "actual": "#1f77b4"}
SHADES = {"train": "#e8f0fa", "validation": "#fdf1dc", "test": "#fbe3e3"}


def _figure(width: float = 9.0, height: float = 3.4, ncols: int = 1) -> tuple[
        Figure, Any]:
    fig = Figure(figsize=(width, height), layout="constrained")
    axes = fig.subplots(1, ncols)
    return fig, axes


def series_split(series: pd.DataFrame, split: dict[str, Any]) -> Figure:
    """The whole target series with the train / validation / test parts shaded."""
    fig, ax = _figure()
    stamps = to_stamps(series["timestamp"])
    ax.plot(stamps, series["actual"], color=COLORS["actual"], lw=0.9)
    for part in ("train", "validation", "test"):
        lo, hi = (to_stamps(pd.Series(split[part])))
        ax.axvspan(lo, hi, color=SHADES[part], zorder=0, label=part)
    ax.set_title(f"Series and split: train {split['n_train']}, validation "
                 f"{split['n_val']}, test {split['n_test']} points")
    ax.legend(loc="upper left", fontsize=8, ncols=3)
    return fig


MAX_LINE_POINTS = 20_000  # points per plotted line (as series.csv is thinned)


def thinned(frame: pd.DataFrame, limit: int = MAX_LINE_POINTS) -> pd.DataFrame:
    """Every k-th row of ``frame``, at most ``limit`` rows: a line of 2,000,000
    test points takes a minute to draw and shows no more than 20,000 do on a
    page (histograms and autocorrelations still use every row)."""
    step = max(1, -(-len(frame) // limit))
    return frame.iloc[::step] if step > 1 else frame


def forecasts(predictions: pd.DataFrame, models: tuple[str, ...] = (
        "lstm", "naive", "seasonal_naive")) -> Figure:
    """One-step forecasts of the test part against the actual values, with
    the LSTM's bands (columns ``lstm-lo-80`` ...) shaded where given (every
    k-th point of a long test part: :func:`thinned`)."""
    predictions = thinned(predictions)
    fig, ax = _figure()
    stamps = to_stamps(predictions["timestamp"])
    ax.plot(stamps, predictions["actual"], color=COLORS["actual"], lw=2,
            label="actual")
    if "lstm" in models:  # the LSTM's prediction intervals, where given
        from lstmcast.figures.intervals import draw_bands
        draw_bands(ax, stamps, predictions, prefix="lstm-")
    for model in models:
        if model in predictions:
            ax.plot(stamps, predictions[model], color=COLORS.get(model),
                    lw=1.6 if model == "lstm" else 1.0,
                    ls="-" if model == "lstm" else "--", label=model)
    ax.set_title("Test part: one-step forecasts from the true history")
    ax.legend(fontsize=8, ncols=4)
    return fig


def residuals(predictions: pd.DataFrame, max_lag: int = 24) -> Figure:
    """LSTM residuals over time, their histogram and autocorrelation."""
    fig, (ax_time, ax_hist, ax_acf) = _figure(11.0, 3.2, 3)
    resid = (predictions["actual"] - predictions["lstm"]).to_numpy(float)
    ok = np.isfinite(resid)
    line = thinned(pd.DataFrame({"t": to_stamps(predictions["timestamp"]),
                                 "r": resid})[ok])
    ax_time.plot(line["t"], line["r"], color=COLORS["lstm"], lw=0.9)
    ax_time.axhline(0, color="black", lw=0.6)
    ax_time.xaxis.set_major_locator(MaxNLocator(4))
    ax_time.tick_params(axis="x", labelrotation=30, labelsize=7)
    ax_time.set_title("Residuals over time")
    ax_hist.hist(resid[ok], bins=min(40, max(5, ok.sum() // 5)), color=COLORS["lstm"])
    ax_hist.set_title("Histogram")
    lags, acf = _acf(resid[ok], max_lag)
    ax_acf.bar(lags, acf, color=COLORS["lstm"], width=0.6)
    band = 1.96 / np.sqrt(max(ok.sum(), 1))
    ax_acf.axhspan(-band, band, color="#cccccc", zorder=0)
    ax_acf.set_title("Autocorrelation (95% band)")
    return fig


def learning_curves(history: list[dict[str, float]]) -> Figure:
    """Training and validation loss per epoch, and the learning rate."""
    fig, (ax_loss, ax_lr) = _figure(11.0, 3.2, 2)
    epochs = [h["epoch"] for h in history]
    ax_loss.plot(epochs, [h["train_loss"] for h in history], label="train")
    ax_loss.plot(epochs, [h["val_loss"] for h in history], label="validation")
    if history and all(h["train_loss"] > 0 for h in history):
        ax_loss.set_yscale("log")
    ax_loss.set_title("Loss per epoch")
    ax_loss.set_xlabel("epoch")
    ax_loss.legend(fontsize=8)
    ax_lr.plot(epochs, [h["lr"] for h in history], color="#2ca02c")
    ax_lr.set_title("Learning rate")
    ax_lr.set_xlabel("epoch")
    for ax in (ax_loss, ax_lr):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    return fig


def _acf(x: np.ndarray, max_lag: int) -> tuple[np.ndarray, np.ndarray]:
    x = x - x.mean() if len(x) else x
    denom = float(np.dot(x, x)) or 1.0
    lags = np.arange(1, min(max_lag, max(len(x) - 1, 1)) + 1)
    return lags, np.array([np.dot(x[k:], x[:-k]) / denom for k in lags])


def to_stamps(values: pd.Series) -> np.ndarray:
    """Plain step numbers where they are numbers, else datetimes (stamps with
    UTC offsets keep their zone, so the axis reads local time)."""
    if not ptypes.is_datetime64_any_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce")
        if numbers.notna().all():
            return numbers.to_numpy()
    return in_zone(values).to_numpy()


def in_zone(values: pd.Series, zone: str | None = None) -> pd.Series:
    """Stamps (ISO text or datetimes) as datetimes, in ``zone`` when they carry
    UTC offsets. Offsets that change within the column (daylight saving) are
    compared in UTC, then shown in ``zone`` (default: UTC)."""
    try:
        stamps = pd.to_datetime(values, format="ISO8601")
    except ValueError:  # mixed offsets: one zone's summer and winter time
        stamps = pd.to_datetime(values, format="ISO8601", utc=True)
    if zone is not None and stamps.dt.tz is not None:
        stamps = stamps.dt.tz_convert(zone)
    return stamps


def zoned(frame: pd.DataFrame, zone: str | None,
          columns: tuple[str, ...] = ("timestamp", "origin")) -> pd.DataFrame:
    """``frame`` read from a run's CSV with its stamp ``columns`` parsed and,
    when they carry UTC offsets, shown in the run's time ``zone``."""
    out = frame.copy()
    for name in columns:
        if name in out and pd.to_numeric(out[name], errors="coerce").isna().any():
            out[name] = in_zone(out[name], zone)
    return out


def decomposition(y: np.ndarray, stamps: np.ndarray, season: int) -> Figure:
    """STL decomposition of the training part (trend, season, remainder)."""
    from statsmodels.tsa.seasonal import STL
    filled = pd.Series(y).interpolate(limit_direction="both").to_numpy()
    fig = Figure(figsize=(9.0, 6.0), layout="constrained")
    axes = fig.subplots(4, 1, sharex=True)
    if season >= 2 and len(filled) >= 2 * season + 1:
        res = STL(filled, period=season, robust=True).fit()
        parts = [("series", filled), ("trend", res.trend),
                 ("season", res.seasonal), ("remainder", res.resid)]
    else:
        trend = pd.Series(filled).rolling(12, center=True, min_periods=1).mean()
        parts = [("series", filled), ("trend (moving average)", trend.to_numpy()),
                 ("season (none)", np.zeros_like(filled)),
                 ("remainder", filled - trend.to_numpy())]
    for ax, (name, values) in zip(axes, parts, strict=True):
        ax.plot(stamps, values, lw=0.8, color=COLORS["actual"])
        ax.set_ylabel(name, fontsize=8)
    axes[0].set_title("Training part: trend, season and remainder")
    return fig


def autocorrelation(y: np.ndarray, max_lag: int = 60) -> Figure:
    """ACF of the levels and of the changes (white changes: a random walk)."""
    fig, (ax_level, ax_change) = _figure(11.0, 3.0, 2)
    filled = pd.Series(y).interpolate(limit_direction="both").to_numpy()
    for ax, values, title in ((ax_level, filled, "ACF of the levels"),
                              (ax_change, np.diff(filled), "ACF of the changes")):
        lags, acf = _acf(values, max_lag)
        ax.bar(lags, acf, width=0.6, color=COLORS["actual"])
        band = 1.96 / np.sqrt(max(len(values), 1))
        ax.axhspan(-band, band, color="#cccccc", zorder=0)
        ax.set_title(title)
    return fig
