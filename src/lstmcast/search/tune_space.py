"""The tuner's search space: ranges over the very fields of ForecastConfig.

Every parameter is named after a config field (``hidden_size``, ``lr``,
``lags``...), so the best trial's parameters laid over the base config are a
config file that ``lstmcast fit --config`` reruns. Tuple fields (``lags``,
``rolling``) are searched as comma-separated strings, which the config reads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from lstmcast.core.config import field_index
from lstmcast.core.errors import DataError

KINDS = ("int", "float", "categorical")


@dataclass(frozen=True)
class Param:
    """One searched setting: an int or float range (log-spaced or not) or a
    list of choices."""

    kind: str
    low: float | None = None
    high: float | None = None
    log: bool = False
    choices: tuple[Any, ...] = ()

    def suggest(self, trial: Any, name: str) -> Any:
        """Ask an Optuna trial for this setting's value."""
        if self.kind == "int":
            return trial.suggest_int(name, int(self.low), int(self.high), log=self.log)
        if self.kind == "float":
            return trial.suggest_float(name, self.low, self.high, log=self.log)
        return trial.suggest_categorical(name, list(self.choices))

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["choices"] = list(self.choices)
        return out


def check_space(space: Mapping[str, Param]) -> dict[str, Param]:
    """Refuse parameters that are not config fields or have empty ranges."""
    known = field_index()
    unknown = sorted(set(space) - set(known))
    if unknown:
        raise DataError(f"The search space names unknown setting(s) "
                        f"{', '.join(unknown)}. Use config field names, e.g. "
                        "hidden_size, lr, window.")
    for name, p in space.items():
        if p.kind not in KINDS:
            raise DataError(f"Parameter '{name}' has kind {p.kind!r}; use one of "
                            f"{', '.join(KINDS)}.")
        if p.kind == "categorical" and not p.choices:
            raise DataError(f"Parameter '{name}' has no choices.")
        if p.kind != "categorical" and (p.low is None or p.high is None
                                        or p.low > p.high):
            raise DataError(f"Parameter '{name}' needs low <= high. Got low="
                            f"{p.low}, high={p.high}.")
    return dict(space)


def without(space: Mapping[str, Param], names: Iterable[str]) -> dict[str, Param]:
    """The space minus ``names`` (settings the user fixed)."""
    drop = set(names)
    return {k: v for k, v in space.items() if k not in drop}


def window_range(season: int, max_window: int) -> tuple[int, int]:
    """Windows from about one season up to three (at least 36 steps), never
    above ``max_window`` (a third of the smallest fold's fitting rows)."""
    high = max(4, min(max(3 * season, 36), max_window))
    low = max(4, min(season, high // 2))
    return low, high


def default_space(y_train: np.ndarray, season: int, max_window: int
                  ) -> dict[str, Param]:
    """A space sized for CPU budgets: preprocessing, architecture,
    regularisation and training settings, with ranges from the training
    part's season and length (never from the test part)."""
    low, high = window_range(season, max_window)
    positive = bool(np.nanmin(y_train) > 0)
    lags = ["none", "1,2"] + ([str(season)] if 1 < season < high else [])
    rolling = ["none"] + ([str(max(3, season))] if max(3, season) < high else [])
    return {
        # preprocessing
        "difference": Param("int", 0, 1),
        "seasonal_difference": Param("categorical", choices=(0, season)
                                     if season > 1 else (0,)),
        "transform": Param("categorical", choices=("none", "log", "boxcox")
                           if positive else ("none",)),
        "scaler": Param("categorical", choices=("standard", "minmax", "robust")),
        "lags": Param("categorical", choices=tuple(lags)),
        "rolling": Param("categorical", choices=tuple(rolling)),
        "window": Param("int", low, high),
        # architecture
        "num_layers": Param("int", 1, 2),
        "hidden_size": Param("int", 8, 128, log=True),
        "dropout": Param("float", 0.0, 0.5),
        "bidirectional": Param("categorical", choices=(False, True)),
        "head": Param("categorical", choices=("linear", "mlp")),
        "cell_activation": Param("categorical", choices=("tanh", "softsign", "relu")),
        # regularisation
        "weight_decay": Param("float", 1e-8, 1e-2, log=True),
        "l1": Param("float", 1e-8, 1e-3, log=True),
        # training
        "optimizer": Param("categorical", choices=("adam", "adamw", "rmsprop", "sgd")),
        "lr": Param("float", 1e-4, 3e-2, log=True),
        "scheduler": Param("categorical", choices=("none", "step", "cosine",
                                                   "onecycle", "plateau")),
        "batch_size": Param("categorical", choices=(32, 64, 128, 256)),
    }


def sample(trial: Any, space: Mapping[str, Param]) -> dict[str, Any]:
    """Flat config overrides for one trial, in the space's order."""
    return {name: p.suggest(trial, name) for name, p in space.items()}


def base_point(flat: Mapping[str, Any], space: Mapping[str, Param],
               window: int) -> dict[str, Any]:
    """The base config as a point of ``space``: the study's first trial, so the
    search starts from settings known to work (lstmcast's defaults, or the
    user's) and its best is never worse on validation than the base. Values
    are clamped into ranges (an L2 of 0 becomes the range's 1e-8); a setting
    the space cannot express is left to the sampler. ``window`` stands in for
    an automatic window."""
    point: dict[str, Any] = {}
    for name, p in space.items():
        value = flat.get(name)
        if name == "window" and value is None:
            value = window
        if isinstance(value, (list, tuple)):
            value = ",".join(str(v) for v in value) or "none"
        if p.kind == "categorical":
            if value in p.choices:
                point[name] = value
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            clamped = min(max(value, p.low), p.high)
            point[name] = round(clamped) if p.kind == "int" else float(clamped)
    return point
