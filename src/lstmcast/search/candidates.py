"""The candidate configs of ``fit --auto``, each a reasoned guess from the
diagnosis of the training part, and the variants tried on the best one.

Candidates (each only where it applies), most promising first:

- ``levels``: the change from the last value on the raw levels (the default);
- ``diagnosis``: the settings ``lstmcast diagnose`` recommends (log / Box-Cox,
  differences, the target mode);
- ``cycle``: windows of two cycles, a linear path of the PACF's order and
  the cycle's sine/cosine terms as inputs (``--cycle``), where the training
  rows hold a cycle that is not the season
  (:func:`lstmcast.data.cycles.detect_cycle`: animal populations, sunspots);
- ``seasonal-residual``: the network forecasts the residual over the seasonal
  naive forecast (seasonal differencing, target level): an all-zero network
  is the seasonal naive forecast plus the average yearly change;
- ``ets-residual``: the network forecasts the residual over an ETS one-step
  forecast fitted on the training rows (``residual_of="ets"``, target level):
  an all-zero network is the ETS forecast (when there are
  :data:`MIN_RESIDUAL_ROWS` rows and, for a seasonal series,
  :data:`MIN_RESIDUAL_SEASONS` seasons, for one-step models; the ETS fit is
  capped at :data:`~lstmcast.preprocess.residual.RESIDUAL_BUDGET` seconds); ``ets``:
  the ETS forecast alone (network weight 0), a fallback like ``naive``;
- ``small``: 4 hidden units, L2 and a 4-step linear path, nearly an AR model
  (what few training windows or a linear series need);
- ``naive``: no network.

Every LSTM candidate gets a hidden size from its number of training windows
(at most 10 parameters per window, as ``diagnose``) and the window from the
season and the data length (as ``fit``). The variants of the best network
(:func:`variants`) are a two-layer MLP head (nonlinear, threshold dynamics),
the average of :data:`ENSEMBLE` seeds and the
equal-weight combination with its fallback (``network_weight``
:data:`COMBINE_WEIGHT`: half the network, half what a zero network forecasts).

Settings the user gave (``fixed``) are never overridden: :func:`fit_to_user`
keeps them in a candidate, or skips the candidate when one of them is what
defines it (:data:`DEFINES`).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lstmcast.core.config import ForecastConfig
from lstmcast.data.series import SeriesData

__all__ = ["COMBINE_WEIGHT", "DEFINES", "ENSEMBLE", "FALLBACKS", "Candidate",
           "fit_to_user", "plan_candidates", "variants"]

ENSEMBLE = 3  # seeds averaged in the ensemble variant
MIN_RESIDUAL_ROWS = 60  # rows an ETS residual candidate needs ...
MIN_RESIDUAL_SEASONS = 4  # ... and seasons, for a seasonal ETS
COMBINE_WEIGHT = 0.5  # the network's weight in the combination with its fallback
CAPACITY_GAIN = 0.05  # a nonlinear head or a wider network must lower the
# validation MSE by this share
MAX_WIDER = 64  # units per layer of the wider variant at most
MAX_CYCLE_WINDOW = 200  # a cycle candidate's window (two cycles) at most
CYCLE_HARMONICS = 2  # sine/cosine pairs of the cycle a cycle candidate reads
FALLBACKS = ("naive", "ets")  # candidates without a trained network


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
    best_epoch: int = 0
    train_to_val: float | None = None  # the losses' ratio at the best epoch
    note: str = ""
    kind: str = ""  # the key of DEFINES (default: the name)
    fold_skills: list[float | None] = field(default_factory=list)
    #: one-step errors of each fold's fit on the later folds' rows, divided
    #: by the local scale at their origins (:func:`~lstmcast.search.validation.score`)
    forward_errors: np.ndarray = field(default_factory=lambda: np.empty(0))

    def __post_init__(self) -> None:
        self.kind = self.kind or self.name

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "reason": self.reason, "settings": self.settings,
                "val_mse": self.val_mse, "val_skill_vs_naive": self.val_skill,
                "val_skill_by_fold": self.fold_skills,
                "seconds": round(self.seconds, 2), "epochs": self.epochs,
                "best_epoch": self.best_epoch, "train_to_val": self.train_to_val,
                "forward_errors": int(self.forward_errors.size), "note": self.note}


def plan_candidates(series: SeriesData, config: ForecastConfig, season: int,
                    n_fit: int) -> list[Candidate]:
    """The candidate configs for a series, most promising first.

    ``n_fit`` is the number of rows the final fit trains on (the training part
    minus its validation tail); the diagnosis sees the training part only.
    """
    from dataclasses import replace

    from lstmcast.diagnosis.diagnose import diagnose
    # the target alone: the candidates use the recommended transforms, not
    # the covariates' relevance checks (mutual information, most of diagnose)
    target = replace(series, frame=series.frame[[series.target]], covariates=(),
                     future=())
    diag = diagnose(target, test_size=config.data.test_size, season=season)
    keys = ("transform", "difference", "seasonal_difference", "target_mode")
    default, advised = ForecastConfig().flat(), diag.recommended.flat()
    recommended = {k: advised[k] for k in keys if advised[k] != default[k]}
    levels = {"target_mode": "delta", "transform": "none", "difference": 0,
              "seasonal_difference": 0, "residual_of": "none",
              "network_weight": 1.0}
    out = [Candidate("levels", "the change from the last value", dict(levels))]
    if recommended and {**levels, **recommended} != levels:
        said = ", ".join(f"{k}={v}" for k, v in recommended.items())
        out.append(Candidate("diagnosis", f"diagnose recommends {said}",
                             {**levels, **recommended}))
    cycle = _cycle(series, season, n_fit)
    if cycle is not None:
        window, order, period = cycle
        out.append(Candidate(
            "cycle", f"windows of two cycles of {period:g} steps (a cycle, not "
            f"a calendar season), a {order}-step linear path (the PACF's order) "
            f"and the cycle's first {CYCLE_HARMONICS} harmonics as inputs",
            {**levels, "window": window, "skip": order, "cycle": period,
             "cycle_harmonics": CYCLE_HARMONICS,
             "transform": recommended.get("transform", "none")}))
    if season > 1 and n_fit >= 4 * season:
        out.append(Candidate(
            "seasonal-residual", f"the residual over the seasonal naive (season "
            f"{season})", {**levels, "transform": recommended.get("transform",
                                                                  "none"),
                           "seasonal_difference": season, "target_mode": "level"}))
    if config.model.horizon == 1 and n_fit >= MIN_RESIDUAL_ROWS and (
            season < 2 or n_fit >= MIN_RESIDUAL_SEASONS * season):
        out.append(Candidate(
            "ets-residual", "the residual over an ETS one-step forecast fitted "
            "on the training rows (a zero network is the ETS forecast)",
            {**levels, "residual_of": "ets", "target_mode": "level"}))
    for cand in out:
        cand.settings.update(_size(config.replace(**cand.settings), n_fit,
                                   len(series.covariates)))
    out.append(Candidate(
        "small", "4 units, L2, a 4-step linear path: nearly an AR model",
        {**levels, "hidden_size": 4, "skip": 4, "weight_decay": 1e-2}))
    if any(c.name == "ets-residual" for c in out):
        out.append(Candidate("ets", "the ETS one-step forecast alone (a network "
                             "of weight 0)", {
                                 **levels, "residual_of": "ets",
                                 "target_mode": "level", "network_weight": 0.0,
                                 "hidden_size": 1, "skip": 0, "epochs": 1}))
    out.append(Candidate("naive", "the last value, no network", {
        **levels, "predictor": "naive", "hidden_size": 1, "skip": 0,
        "decompose": "none", "residual_of": "none"}))
    return out


def _cycle(series: SeriesData, season: int,
           n_fit: int) -> tuple[int, int, float] | None:
    """(window, linear-path order, period rounded to 0.01) of a cycle the
    season does not explain, in
    the first ``n_fit`` rows (never the validation or test part); None when
    there is none, when the season is that cycle, or when two cycles would
    not fit in a third of the rows or in :data:`MAX_CYCLE_WINDOW`."""
    import math

    from lstmcast.data.cycles import detect_cycle, pacf_order
    y = series.y[:n_fit]
    cycle = detect_cycle(y)
    if cycle is None or (season > 1 and abs(cycle.period - season) <= 0.1 * season):
        return None
    window = math.ceil(2 * cycle.period)
    if window > min(n_fit // 3, MAX_CYCLE_WINDOW):
        return None
    return (window, max(2, min(pacf_order(y, window), window)),
            round(cycle.period, 2))


DEFINES: dict[str, tuple[str, ...]] = {
    "diagnosis": ("transform", "difference", "seasonal_difference", "target_mode"),
    "cycle": ("window", "skip", "cycle"),
    "seasonal-residual": ("seasonal_difference", "target_mode"),
    "ets-residual": ("residual_of", "target_mode"),
    "small": ("hidden_size", "skip", "weight_decay"),
    "ets": ("residual_of", "target_mode", "network_weight"),
    "naive": ("predictor", "target_mode", "difference", "seasonal_difference",
              "decompose", "residual_of", "network_weight"),
    "capacity": ("head",),
    "width": ("hidden_size", "num_layers"),
    "ensemble": ("ensemble",),
    "combination": ("network_weight",),
}
"""The settings that make each candidate what it is: when the user fixed one
of them to another value, the candidate is skipped (``levels`` is the user's
own representation and is never skipped)."""


def fit_to_user(cand: Candidate, config: ForecastConfig,
                fixed: Collection[str]) -> bool:
    """Keep the user's value of every fixed setting in ``cand``; return True
    (with a note) when that would unmake the candidate: skip it."""
    flat = config.flat()
    clash = {k: v for k, v in cand.settings.items()
             if k in fixed and v != flat[k]}
    if not clash:
        return False
    defining = [k for k in clash if k in DEFINES.get(cand.kind, ())]
    if defining:
        said = ", ".join(f"{k}={flat[k]}" for k in defining)
        cand.note = f"skipped: you set {said}; this candidate needs " + ", ".join(
            f"{k}={clash[k]}" for k in defining)
        return True
    cand.settings.update({k: flat[k] for k in clash})
    cand.note = "kept your " + ", ".join(f"{k}={flat[k]}" for k in clash)
    return False


def _windows(config: ForecastConfig, n_fit: int) -> int:
    from lstmcast.data.split import auto_window
    window = config.model.window or auto_window(config.data.season or 1, n_fit)
    warm = config.preprocess.difference + config.preprocess.seasonal_difference
    return max(n_fit - window - warm, 1)


def _room(config: ForecastConfig, n_fit: int, n_covariates: int) -> int:
    """The largest hidden size (of 64, 32, ..., 4) whose network, as
    ``config`` builds it, has at most 10 parameters a training window."""
    from lstmcast.data.split import auto_window
    from lstmcast.diagnosis.stats import suggest_hidden_size
    window = config.model.window or auto_window(config.data.season or 1, n_fit)
    return suggest_hidden_size(config.model, _windows(config, n_fit),
                               1 + n_covariates, window)


def _size(config: ForecastConfig, n_fit: int, n_covariates: int) -> dict[str, Any]:
    """The hidden size from the training windows (never above the given one)."""
    return {"hidden_size": min(_room(config, n_fit, n_covariates),
                               config.model.hidden_size)}


def wider_units(config: ForecastConfig, settings: dict[str, Any], n_fit: int,
                n_covariates: int) -> int:
    """Units per layer of the largest two-layer network (of 64, 32, ..., 4,
    at most :data:`MAX_WIDER`) the training windows of a fit with
    ``settings`` have data for: at most 10 parameters a window, the budget
    every candidate's size keeps (:func:`_size`)."""
    return min(_room(config.replace(**{**settings, "num_layers": 2}), n_fit,
                     n_covariates), MAX_WIDER)


def variants(chosen: Candidate, units: int = MAX_WIDER) -> list[Candidate]:
    """What is tried on top of the best network: a nonlinear head and, where
    its validation curve says it underfits, two LSTM layers of ``units``
    (:func:`wider_units`; each kept if it lowers the validation MSE by
    :data:`CAPACITY_GAIN`), a seed ensemble, then the combination with its
    fallback (kept if not worse on validation)."""
    return [Candidate("mlp head", "a two-layer MLP head: room for nonlinear "
                      "(threshold, regime) dynamics the linear head cannot bend to",
                      {"head": "mlp"}, kind="capacity"),
            Candidate("wider", f"two LSTM layers of {units} units: more room "
                      "where the validation curve says the network underfits",
                      {"num_layers": 2, "hidden_size": units}, kind="width"),
            Candidate(f"{chosen.name} x{ENSEMBLE}", f"{ENSEMBLE} seeds averaged",
                      {"ensemble": ENSEMBLE}, kind="ensemble"),
            Candidate("combined", f"{COMBINE_WEIGHT:g} x the network + "
                      f"{1 - COMBINE_WEIGHT:g} x its fallback (what a zero "
                      "network forecasts)", {"network_weight": COMBINE_WEIGHT},
                      kind="combination")]
