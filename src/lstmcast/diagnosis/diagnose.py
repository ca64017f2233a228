"""Diagnose a series before training: what it is, what will go wrong, what to set.

:func:`diagnose` runs small checks, each a pure function returning findings
(:class:`~lstmcast.core.findings.Finding`: severity, evidence, a recommendation and
the config settings that implement it), and merges their settings into a
recommended :class:`~lstmcast.core.config.ForecastConfig` that ``lstmcast fit
--config`` accepts unchanged. The numbers come from :mod:`lstmcast.diagnosis.stats`,
the checks from :mod:`lstmcast.diagnosis.checks`; the names other modules and
tests use from here are re-exported.

Every check that chooses a setting looks at the training part only: the test
part (the last ``max(ceil(0.2 n), 24)`` rows, as in the evaluation) must not
choose how the model is built. The one exception is
:func:`~lstmcast.diagnosis.checks.check_shift`, which is about the split itself
(test values outside the training range) and sets nothing.

Thresholds (module constants, beside the functions that use them) are
conventional: 5% tests, Hyndman's 0.64 for a strong trend or season, a robust
z-score of 5 for outliers, at most 10 network parameters per training window.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.core.findings import Finding, by_severity, findings_frame, json_ready
from lstmcast.core.persist import atomic_write_csv, atomic_write_json
from lstmcast.data.loading import SeriesSource, as_series
from lstmcast.data.series import SeriesData
from lstmcast.diagnosis.checks import (
    _p,
    check_covariates,
    check_missing,
    check_outliers,
    check_predictability,
    check_random_walk,
    check_scale,
    check_season,
    check_shift,
    check_stationarity,
    check_sufficiency,
    check_timestamps,
    check_variance,
)
from lstmcast.diagnosis.cycles import check_cycle
from lstmcast.diagnosis.stats import (
    _after,
    _filled,
    _filled_columns,
    change_whiteness,
    count_parameters,
    in_sample_baselines,
    stationarity,
    stationarity_verdict,
    suggest_hidden_size,
    trend_season_strength,
    variance_vs_level,
)
from lstmcast.diagnosis.stats import adf_pvalue as adf_pvalue
from lstmcast.diagnosis.stats import leak_correlation as leak_correlation
from lstmcast.diagnosis.stats import spikes as spikes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# Public here as before: the names in __all__, and adf_pvalue,
# leak_correlation and spikes (the ``x as x`` imports above).
__all__ = ["Diagnosis", "count_parameters", "diagnose", "stationarity",
           "stationarity_verdict", "suggest_hidden_size"]

RW_CHANGE_R2 = 0.01  # an AR on the changes explaining less: practically white
MIN_RW_POINTS = 40  # fewer training points cannot tell a random walk from noise


@dataclass
class Diagnosis:
    """What :func:`diagnose` found, and the config it recommends.

    Attributes
    ----------
    findings : list of Finding
        Most serious first.
    season_length : int or None
        Season in steps; None when there is none.
    stationarity : dict
        ``adf_pvalue``, ``kpss_pvalue``, ``verdict`` ("stationary",
        "trend-stationary", "difference" or "inconclusive"), ``ndiffs``, the
        trend-regression p-values, and ``after``: the same after the suggested
        transform (``transform`` says which).
    random_walk : bool
        The changes are white noise: the last value is the best forecast.
    frequency : str or None
    n, n_train, n_test : int
    recommended : ForecastConfig
    """

    findings: list[Finding]
    season_length: int | None
    stationarity: dict[str, Any]
    random_walk: bool
    frequency: str | None
    n: int
    n_train: int
    n_test: int
    target: str
    recommended: ForecastConfig
    series: SeriesData | None = field(default=None, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: season_length, stationarity, random_walk, findings,
        recommended_config and the sizes."""
        return {"target": self.target, "frequency": self.frequency, "n": self.n,
                "n_train": self.n_train, "n_test": self.n_test,
                "season_length": self.season_length,
                "stationarity": json_ready(self.stationarity),
                "random_walk": self.random_walk,
                "findings": [f.to_dict() for f in self.findings],
                "recommended_config": self.recommended.to_dict()}

    def table(self) -> pd.DataFrame:
        """One row per finding, most serious first (see ``findings_frame``)."""
        return findings_frame(self.findings)

    def to_frame(self) -> pd.DataFrame:
        """The findings as a DataFrame (the same as :meth:`table`)."""
        return self.table()

    def plot(self) -> Figure:
        """STL decomposition of the training part (a matplotlib Figure)."""
        from lstmcast.figures.plots import decomposition
        if self.series is None:
            raise DataError("This Diagnosis has no series to plot: it was not "
                            "made by lstmcast.diagnose().")
        return decomposition(self.series.y[:self.n_train],
                             self.series.index[:self.n_train].to_numpy(),
                             self.season_length or 1)

    def save(self, out: str | Path) -> Path:
        """Write the run's files into folder ``out`` and return it:
        ``diagnosis.json`` (:meth:`to_dict`) and ``series.csv`` (timestamp,
        actual). :func:`lstmcast.report.runs.write_report` builds the page
        from them."""
        if self.series is None:
            raise DataError("This Diagnosis has no series to save: it was not "
                            "made by lstmcast.diagnose().")
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out / "diagnosis.json", self.to_dict())
        atomic_write_csv(out / "series.csv", pd.DataFrame(
            {"timestamp": self.series.index.astype(str), "actual": self.series.y}))
        return out

    def __repr__(self) -> str:
        st, after = self.stationarity, self.stationarity.get("after", {})
        lines = [f"Diagnosis of '{self.target}': {self.n} rows (train "
                 f"{self.n_train}, test {self.n_test}), frequency "
                 f"{self.frequency!r}, season {self.season_length}",
                 f"  stationarity: {st['verdict']} (ADF p={_p(st['adf_pvalue'])}, "
                 f"KPSS p={_p(st['kpss_pvalue'])}); after {after.get('transform')}: "
                 f"{after.get('verdict')}",
                 f"  random walk: {'yes' if self.random_walk else 'no'}"]
        lines += [f"  [{f.severity}] {f.code}: {f.title}" for f in self.findings]
        changed = _changed_settings(self.recommended)
        lines.append("  recommended: " + (", ".join(
            f"{k}={v!r}" for k, v in changed.items()) or "the defaults"))
        return "\n".join(lines)


def diagnose(data: SeriesSource, config: ForecastConfig | None = None, *,
             target: str | None = None, time: str | None = None,
             covariates: Sequence[str] | None = None,
             test_size: float | None = None, season: int | None = None,
             window: int | None = None, duplicates: str | None = None,
             gaps: str | None = None) -> Diagnosis:
    """Check a series before training and recommend settings.

    Parameters
    ----------
    data : path, DataFrame, Series or SeriesData
        Anything :func:`lstmcast.data.loading.load` accepts, or a loaded series.
    config : ForecastConfig, optional
        Gives the data settings (columns, repair policies), ``test_size``,
        ``season`` and ``window``; None: the defaults. The keywords below,
        when given, override it.
    target, time, covariates, duplicates, gaps
        As in :func:`~lstmcast.data.loading.load` (ignored for a SeriesData).
    test_size : float
        The test part, as in ``fit``: a fraction (at least 24 rows) or a count.
    season : int, optional
        Season length in steps; detected on the training part when not given.
    window : int, optional
        The input window the model will use (auto, as in ``fit``, when not given).

    Returns
    -------
    Diagnosis

    Raises
    ------
    DataError
        For input that cannot be loaded (a constant target, missing columns,
        ...) or a test part that leaves nothing to train on.
    """
    from lstmcast.data.split import count_test_rows

    cfg = config if config is not None else ForecastConfig()
    given = {"target": target, "time": time, "duplicates": duplicates, "gaps": gaps,
             "covariates": None if covariates is None else tuple(covariates)}
    data_config = dataclasses.replace(
        cfg.data, **{k: v for k, v in given.items() if v is not None})
    time = data_config.time
    test_size = cfg.data.test_size if test_size is None else test_size
    season = cfg.data.season if season is None else season
    window = cfg.model.window if window is None else window
    if isinstance(data, SeriesData) and target is not None \
            and target != data.target:
        raise DataError(f"diagnose got a SeriesData whose target is "
                        f"'{data.target}', but target='{target}'. Load the "
                        "data again with that target, or leave target out.")
    series = as_series(data, data_config)
    n = len(series)
    n_test = count_test_rows(n, ForecastConfig().replace(test_size=test_size)
                             .data.test_size)
    n_train = n - n_test
    y = series.y[:n_train]
    yf = _filled(y)
    if np.ptp(yf) == 0:
        raise DataError(f"The training part of '{series.target}' (the first "
                        f"{n_train} rows) is constant ({yf[0]:g}): nothing can be "
                        "learned from it. Use a smaller test_size or more data.")
    facts = _Facts(series, n_train, y, yf, season, window)
    findings = _run_checks(facts)
    recommended = _recommend(facts, findings, time, test_size)
    p = facts.season
    return Diagnosis(by_severity(findings), p if p > 1 else None, facts.stationarity,
                     facts.random_walk, series.freq, n, n_train, n_test,
                     series.target, recommended, series)


# ------------------------------------------------------------------ the facts


class _Facts:
    """What the checks share, computed once on the training part."""

    def __init__(self, series: SeriesData, n_train: int, y: np.ndarray,
                 yf: np.ndarray, season: int | None, window: int | None) -> None:
        from lstmcast.data.seasonality import detect_season
        self.series, self.n_train, self.y, self.yf = series, n_train, y, yf
        self.index = series.index[:n_train]
        self.window = window
        self.season = int(season) if season else detect_season(yf, series.freq)
        self.strength = trend_season_strength(yf, self.season)
        self.variance = variance_vs_level(yf, self.season)
        self.stationarity = stationarity(yf)
        self.baselines = in_sample_baselines(yf, self.season)
        self.changes = change_whiteness(yf, self.season)
        self.random_walk = bool(
            yf.size >= MIN_RW_POINTS and self.stationarity["verdict"] != "stationary"
            and (self.changes["ljung_box_pvalue"] >= 0.01
                 or self.changes["ar_r2"] < RW_CHANGE_R2))
        self.plan = self._plan()
        changes = {**self.plan, "difference": max(self.plan["difference"],
                                                  int(self.random_walk))}
        self.stationarity["after"] = _after(yf, changes)

    def _plan(self) -> dict[str, Any]:
        """The target transform the checks recommend: log/Box-Cox, differences."""
        plan: dict[str, Any] = {"transform": self.variance.get("transform", "none"),
                                "difference": 0}
        verdict, ndiffs = self.stationarity["verdict"], self.stationarity["ndiffs"]
        if not self.random_walk and (verdict in ("difference", "trend-stationary")
                                     or (verdict == "inconclusive" and ndiffs)):
            plan["difference"] = max(1, ndiffs)
        return plan


def _run_checks(f: _Facts) -> list[Finding]:
    series, n_train = f.series, f.n_train
    found: list[Finding | None] = [*check_timestamps(series),
                                   check_missing(series, n_train, f.season)]
    found += [check_stationarity(f.stationarity, f.plan, f.strength, f.random_walk),
              check_random_walk(f.changes, f.baselines, f.random_walk),
              check_season(f.season, series.freq, f.strength),
              check_cycle(f.yf, f.season),
              check_variance(f.variance),
              check_predictability(f.baselines, f.season)]
    found.append(check_outliers(f.y, f.index))
    found += check_scale(series.frame.iloc[:n_train])
    found += check_covariates(f.yf, _filled_columns(series.X[:n_train]),
                              series.covariates, f.plan["difference"])
    kept = _kept_covariates(series.covariates, found)
    found.append(check_sufficiency(n_train, f.season, f.window,
                                   f.plan["difference"], len(kept)))
    found.append(check_shift(series.frame, n_train))
    return [x for x in found if x is not None]


def _recommend(f: _Facts, findings: list[Finding], time: str | None,
               test_size: float) -> ForecastConfig:
    """The default config with every finding's settings applied."""
    settings: dict[str, Any] = {}
    for finding in findings:
        for key, value in finding.settings.items():
            if key != "covariates":
                settings.setdefault(key, value)
    extra: dict[str, Any] = {"target": f.series.target, "test_size": test_size,
                             "covariates": list(_kept_covariates(
                                 f.series.covariates, findings)),
                             "season": f.season}
    if time is not None:
        extra["time"] = time
    if f.window is not None:
        extra["window"] = f.window
    return ForecastConfig().replace(**{**settings, **extra})


def _kept_covariates(names: tuple[str, ...], findings: list[Finding | None]
                     ) -> tuple[str, ...]:
    """Covariates left once every finding that drops some has been applied."""
    kept = list(names)
    for finding in findings:
        if finding is not None and "covariates" in finding.settings:
            kept = [c for c in kept if c in finding.settings["covariates"]]
    return tuple(kept)


def _changed_settings(config: ForecastConfig) -> dict[str, Any]:
    default = ForecastConfig().flat()
    return {k: v for k, v in config.flat().items() if v != default[k]}
