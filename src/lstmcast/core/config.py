"""Settings: one frozen dataclass per concern, serialisable to JSON.

The command-line flags, the Python estimator's parameters and (later) the
tuner's search space all map onto these fields, so a setting has one name and
one default everywhere. Field names are unique across sections, which lets a
flat ``{"lr": 0.01}`` override find its section. Unknown keys are errors.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields
from typing import Any

from lstmcast.core.errors import DataError

FORMAT_VERSION = 1
EMPTY_WORDS = ("none", "null", "auto", "off", "")


def _opt(default: Any, help: str, *, choices: tuple[str, ...] | None = None,
         low: float | None = None, high: float | None = None,
         low_open: bool = False, high_open: bool = False) -> Any:
    """A dataclass field with the metadata the CLI and the validator read."""
    meta = {"help": help, "choices": choices, "low": low, "high": high,
            "low_open": low_open, "high_open": high_open}
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class DataConfig:
    """What to read from the input and how to split it in time."""

    target: str | None = _opt(None, "Column to forecast.")
    id: str | None = _opt(
        None, "Column naming the series of a panel (long format: one row per "
        "series and step): fit trains one global model over all of them and "
        "predict forecasts every series (lstmcast fit only).")
    time: str | None = _opt(
        None, "Time column (auto-detected when one column parses as dates).")
    covariates: tuple[str, ...] = _opt(
        (), "Related series used as inputs (comma-separated column names).")
    future_covariates: tuple[str, ...] = _opt(
        (), "Inputs known in advance for the steps forecast (promotions, prices, "
        "holidays, weather forecasts; comma-separated columns): the network reads "
        "their values at the forecast steps. fit reads them from the data; "
        "predict needs them for the future rows (--future FILE).")
    sep: str | None = _opt(
        None, "Column separator of a CSV file (auto: a comma, else ';', tab or "
        "'|' when the header holds one); a character or tab, space, semicolon, "
        "comma, pipe.")
    decimal: str = _opt(
        ".", "Decimal mark of the numbers: '.' or ',' (as in 3,5; never "
        "guessed).")
    thousands: str | None = _opt(
        None, "Thousands separator of the numbers, e.g. ',' (10,000.12), '.' "
        "(with --decimal ','), \"'\" or space (auto: none; never guessed). "
        "Currency symbols and percent signs are stripped by themselves, as a "
        "recorded repair.")
    duplicates: str = _opt(
        "error", "What to do with duplicate timestamps.",
        choices=("error", "mean", "sum", "first", "last"))
    gaps: str = _opt(
        "report", "Missing timestamps: report and go on as a sequence, "
        "fill (insert the missing rows, then impute), or error.",
        choices=("report", "fill", "error"))
    resample: str | None = _opt(
        None, "Aggregate the rows onto a regular grid first, a pandas rule such "
        "as D, h, W, MS or 30min (counted as a repair; empty bins then follow "
        "--gaps).")
    resample_how: str = _opt(
        "mean", "How --resample combines the rows of one bin.",
        choices=("mean", "sum", "last"))
    unsorted: str = _opt(
        "error", "Rows out of time order: error, or sort them (the rows moved "
        "are counted).", choices=("error", "sort"))
    trim: str = _opt(
        "edges", "Leading/trailing rows with an empty target: drop them (edges) "
        "or keep them to be imputed (none).", choices=("edges", "none"))
    timezone: str | None = _opt(
        None, "Time zone of the stamps (e.g. Europe/Berlin): local times across "
        "daylight-saving changes are compared in UTC and forecast in this zone.")
    strict: bool = _opt(
        False, "Refuse data that needs any repair (sort, trim, fill, aggregate, "
        "time zone, currency or percent signs, missing values) instead of "
        "making and recording it.")
    test_size: float = _opt(
        0.2, "Test part: a fraction (at least 24 points) or a count of points.",
        low=0.0, low_open=True)
    val_size: float = _opt(
        0.2, "Validation part for early stopping, taken from the end of the "
        "training part: a fraction of it or a count.", low=0.0, low_open=True)
    season: int | None = _opt(
        None, "Season length in steps (auto-detected when not given; 1 = none).",
        low=1)


@dataclass(frozen=True)
class PreprocessConfig:
    """Transforms fitted on the training part only, then features."""

    impute: str = _opt("linear", "How to fill missing values.",
                       choices=("linear", "time", "ffill", "knn", "none"))
    outliers: str = _opt("none", "Outlier handling.",
                         choices=("none", "clip", "replace"))
    outlier_method: str = _opt("mad", "Outlier detection.",
                               choices=("mad", "hampel"))
    outlier_threshold: float = _opt(
        5.0, "Robust z-score above which a point is an outlier.", low=0.0,
        low_open=True)
    transform: str = _opt("none", "Variance-stabilising transform.",
                          choices=("none", "log", "boxcox"))
    difference: int = _opt(0, "Order of differencing.", low=0, high=2)
    seasonal_difference: int = _opt(
        0, "Seasonal differencing period (0 = off).", low=0)
    decompose: str = _opt(
        "none", "Model the remainder of a decomposition; trend and season are "
        "carried forward.", choices=("none", "stl", "classical"))
    residual_of: str = _opt(
        "none", "Model the residual over a classical one-step forecast (ets, "
        "arima) fitted on the training part; the forecast adds it back, so a "
        "zero residual is the classical forecast (use with --target-mode level).",
        choices=("none", "ets", "arima"))
    network_weight: float = _opt(
        1.0, "Weight of the network in a forecast combination with its "
        "fallback (what a zero network forecasts: the classical forecast with "
        "--residual-of, else the last value of the modelled series): 1 = the "
        "network alone, 0 = the fallback alone.", low=0.0, high=1.0)
    scaler: str = _opt("standard", "Scaling.",
                       choices=("standard", "minmax", "robust", "none"))
    lags: tuple[int, ...] = _opt((), "Extra lagged copies of the target.")
    rolling: tuple[int, ...] = _opt(
        (), "Causal rolling-statistic windows of the target.")
    rolling_stats: tuple[str, ...] = _opt(
        ("mean", "std", "min", "max"), "Statistics computed over each rolling "
        "window (mean, std, min, max).")
    calendar: bool = _opt(False, "Add calendar features of the forecast time.")
    cycle: float | None = _opt(
        None, "Period in steps of a cycle that is not a calendar season (10.4 "
        "for a ten-year population cycle in yearly data; diagnose reports "
        "one it finds): sine and cosine terms of it at the forecast time become "
        "inputs, known for any step ahead. Unset: none (fit --auto tries the "
        "cycle it finds).", low=1.0, low_open=True)
    cycle_harmonics: int = _opt(
        2, "Harmonics of --cycle (each a sine and a cosine input).", low=1)
    covariate_lags: tuple[int, ...] = _opt((), "Lags of every covariate.")


@dataclass(frozen=True)
class ModelConfig:
    """The network and what it predicts."""

    window: int | None = _opt(
        None, "Input window length (auto: from the season and the data).", low=2)
    horizon: int = _opt(
        1, "Forecast horizon H: steps forecast from each origin (how: --strategy).",
        low=1)
    strategy: str = _opt(
        "auto", "How H > 1 steps are forecast: mimo (one network, H outputs), "
        "direct (one network per step), recursive (a one-step network fed its own "
        "forecasts; no --covariates, --future-covariates fed step by step). auto: "
        "mimo, and recursive beyond H.",
        choices=("auto", "mimo", "direct", "recursive"))
    target_mode: str = _opt(
        "delta", "Predict the change from the last input value (delta) or the "
        "value itself (level).", choices=("delta", "level"))
    hidden_size: int = _opt(64, "LSTM hidden units per layer.", low=1)
    num_layers: int = _opt(1, "Stacked LSTM layers.", low=1)
    dropout: float = _opt(0.0, "Dropout between LSTM layers and before the head.",
                          low=0.0, high=0.95)
    bidirectional: bool = _opt(False, "Read the window in both directions.")
    cell_activation: str = _opt(
        "tanh", "Cell activation (tanh uses the fast built-in LSTM).",
        choices=("tanh", "relu", "softsign", "sigmoid", "elu", "gelu", "linear"))
    head: str = _opt("linear", "Output head.", choices=("linear", "mlp"))
    head_hidden: int = _opt(64, "Hidden units of the MLP head.", low=1)
    head_activation: str = _opt("relu", "Activation of the MLP head.",
                                choices=("relu", "gelu", "tanh"))
    skip: int | None = _opt(
        None, "Steps of a linear autoregressive path added to the LSTM's output "
        "(auto: the whole window; 0 = off).", low=0)
    predictor: str = _opt(
        "lstm", "What forecasts: the trained LSTM, or naive (an untrained, "
        "all-zero network in delta mode: exactly the last value; what "
        "`fit --auto` recommends when no LSTM beats it on validation).",
        choices=("lstm", "naive"))
    levels: tuple[float, ...] = _opt(
        (80.0, 95.0), "Prediction interval levels in percent (comma-separated): "
        "forecast files get lo-80, hi-80, lo-95, hi-95 columns, calibrated on "
        "out-of-sample validation errors (none = point forecasts only).",
        low=0.0, high=100.0, low_open=True, high_open=True)
    quantiles: tuple[float, ...] = _opt(
        (), "Quantile levels (e.g. 0.1,0.5,0.9): forecast files get q-0.1, q-0.5, "
        "q-0.9 columns instead of the interval bounds.",
        low=0.0, high=1.0, low_open=True, high_open=True)
    ensemble: int = _opt(
        1, "Networks trained from seeds seed, seed+1, ... whose forecasts are "
        "averaged.", low=1)


@dataclass(frozen=True)
class TrainConfig:
    """The optimisation loop."""

    loss: str = _opt("mse", "Training loss.", choices=("mse", "mae", "huber"))
    optimizer: str = _opt("adam", "Optimizer.",
                          choices=("adam", "adamw", "rmsprop", "sgd"))
    lr: float = _opt(3e-3, "Learning rate.", low=0.0, low_open=True)
    momentum: float = _opt(0.9, "Momentum (SGD, RMSprop).", low=0.0, high=1.0)
    weight_decay: float = _opt(0.0, "L2 penalty on weight matrices (not biases).",
                               low=0.0)
    l1: float = _opt(0.0, "L1 penalty on weight matrices.", low=0.0)
    scheduler: str = _opt(
        "plateau", "Learning-rate schedule.",
        choices=("none", "step", "cosine", "onecycle", "plateau"))
    batch_size: int = _opt(64, "Windows per optimizer step (chunks with "
                           "--batching sequences).", low=1)
    batching: str = _opt(
        "auto", "Training examples: overlapping windows (every step is read "
        "once per window holding it), or sequences: contiguous chunks read once, "
        "scored at every step after a burn-in of one window (much faster; "
        "unidirectional LSTMs only; the test part is then forecast the same way, "
        "in chunks read once). auto: sequences when an epoch of windows would "
        "read more than 10^7 steps (a long series), else windows.",
        choices=("auto", "windows", "sequences"))
    chunk: int | None = _opt(
        None, "Scored steps per training sequence with --batching sequences "
        "(auto: see lstmcast.network.sequences.auto_chunk).", low=1)
    epochs: int = _opt(150, "Maximum passes over the training windows.", low=1)
    max_steps: int | None = _opt(None, "Cap on optimizer steps.", low=1)
    patience: int = _opt(15, "Epochs without validation improvement before "
                         "stopping (0 = never stop early).", low=0)
    refit_tail: bool = _opt(
        False, "After early stopping, train again on every row, the "
        "validation tail included, for as many epochs as the first fit ran: "
        "the model (and a classical residual model inside it) then knows the "
        "latest values. The intervals stay calibrated on the first fit's "
        "validation forecasts. fit --auto turns it on for short series (at most "
        "1,500 training rows), where the tail is much of what there is to "
        "learn from and one more fit takes seconds.")
    clip_grad: float | None = _opt(1.0, "Gradient-norm clipping (none = off).",
                                   low=0.0, low_open=True)
    seed: int = _opt(0, "One seed for every random number generator.", low=0)
    threads: int | None = _opt(None, "CPU threads for torch (auto: all cores).",
                               low=1)
    device: str = _opt("auto", "Device (auto picks a GPU where there is one).",
                       choices=("auto", "cpu", "cuda", "mps"))
    dask_scheduler: str | None = _opt(
        None, "Address of a Dask scheduler (tcp://HOST:8786) whose workers do "
        "the per-series work of a global model: the classical methods of every "
        "series and --references (fit --id only; pip install "
        "'lstmcast[distributed]'). Auto: in this process, one thread a core.")


SECTIONS: dict[str, type] = {
    "data": DataConfig,
    "preprocess": PreprocessConfig,
    "model": ModelConfig,
    "train": TrainConfig,
}


def _check_value(cls: type, f: dataclasses.Field, value: Any) -> Any:
    """Coerce one field's value to its type and check its rule."""
    name, meta = f.name, f.metadata
    kind = str(f.type)
    if (isinstance(value, str) and value.strip().lower() in EMPTY_WORDS
            and value not in (meta.get("choices") or ())):
        value = () if kind.startswith("tuple") else None
    if value is None:
        if "None" in kind:
            return None
        raise DataError(f"The '{name}' setting cannot be empty (null).")
    try:
        if kind.startswith("tuple"):
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            elif not isinstance(value, list | tuple):
                value = [value]
            item = int if "int" in kind else float if "float" in kind else str
            value = tuple(item(v) for v in value)
        elif kind.startswith("bool"):
            if isinstance(value, str):
                low = value.lower()
                if low not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError(value)
                value = low in ("true", "1", "yes")
            elif not isinstance(value, bool):
                raise ValueError(value)
        elif kind.startswith("int"):
            if isinstance(value, bool) or float(value) != int(float(value)):
                raise ValueError(value)
            value = int(float(value))
        elif kind.startswith("float"):
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(value)
        elif kind.startswith("str"):
            value = str(value)
    except (TypeError, ValueError):
        raise DataError(
            f"The '{name}' setting must be of type {kind}. Got {value!r} instead."
        ) from None
    choices = meta.get("choices")
    items = value if isinstance(value, tuple) else (value,)
    for v in items:
        if choices and v not in choices:
            raise DataError(
                f"The '{name}' setting must be one of {', '.join(choices)}. "
                f"Got {v!r} instead.")
        if isinstance(v, int | float) and not isinstance(v, bool):
            low, high = meta.get("low"), meta.get("high")
            if low is not None and (v < low or (meta.get("low_open") and v == low)):
                op = ">" if meta.get("low_open") else ">="
                raise DataError(
                    f"The '{name}' setting must be {op} {low}. Got {v!r} instead.")
            if high is not None and (v > high or (meta.get("high_open") and v == high)):
                op = "<" if meta.get("high_open") else "<="
                raise DataError(
                    f"The '{name}' setting must be {op} {high}. Got {v!r} instead.")
    return value


def make_section(cls: type, values: dict[str, Any]) -> Any:
    """Build one section from a dict, rejecting unknown keys and bad values."""
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(values) - set(known))
    if unknown:
        raise DataError(
            f"Unknown setting(s) {', '.join(unknown)} in section "
            f"'{_section_name(cls)}'. Known settings: {', '.join(known)}.")
    checked = {k: _check_value(cls, known[k], v) for k, v in values.items()}
    return cls(**checked)


def _section_name(cls: type) -> str:
    return next(k for k, v in SECTIONS.items() if v is cls)


def field_index() -> dict[str, tuple[str, dataclasses.Field]]:
    """Map every field name to (section, field); names are unique by design."""
    index: dict[str, tuple[str, dataclasses.Field]] = {}
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            if f.name in index:  # pragma: no cover - guarded by a test
                raise RuntimeError(f"duplicate setting name {f.name}")
            index[f.name] = (section, f)
    return index


@dataclass(frozen=True)
class ForecastConfig:
    """Every setting of a fit: data, preprocessing, model and training."""

    data: DataConfig = field(default_factory=DataConfig)
    preprocess: PreprocessConfig = field(default_factory=PreprocessConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, dict[str, Any]]:
        """Nested plain dict (tuples become lists), ready for JSON."""
        out = {}
        for name in SECTIONS:
            section = dataclasses.asdict(getattr(self, name))
            out[name] = {k: list(v) if isinstance(v, tuple) else v
                         for k, v in section.items()}
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> ForecastConfig:
        """Build from a nested dict; missing keys take defaults, unknown fail."""
        if not isinstance(values, dict):
            raise DataError("A config must be a JSON object with sections "
                            f"{', '.join(SECTIONS)}. Got {type(values).__name__}.")
        values = {k: v for k, v in values.items() if k != "format_version"}
        unknown = sorted(set(values) - set(SECTIONS))
        if unknown:
            raise DataError(
                f"Unknown config section(s) {', '.join(unknown)}. Sections: "
                f"{', '.join(SECTIONS)}.")
        parts = {}
        for name, section_cls in SECTIONS.items():
            section = values.get(name, {})
            if not isinstance(section, dict):
                raise DataError(f"Config section '{name}' must be an object.")
            parts[name] = make_section(section_cls, section)
        return cls(**parts)

    def replace(self, **flat: Any) -> ForecastConfig:
        """A copy with flat overrides, e.g. ``replace(lr=0.01, window=48)``."""
        index = field_index()
        unknown = sorted(set(flat) - set(index))
        if unknown:
            raise DataError(
                f"Unknown setting(s) {', '.join(unknown)}. Known settings: "
                f"{', '.join(sorted(index))}.")
        nested = self.to_dict()
        for key, value in flat.items():
            nested[index[key][0]][key] = value
        return ForecastConfig.from_dict(nested)

    def flat(self) -> dict[str, Any]:
        """All settings in one flat dict (field names are unique)."""
        return {k: v for section in self.to_dict().values() for k, v in section.items()}

    def to_json(self) -> str:
        return json.dumps({"format_version": FORMAT_VERSION, **self.to_dict()},
                          indent=2)

    @classmethod
    def from_json_file(cls, path: str) -> ForecastConfig:
        """Read a config file written by ``to_json`` (or by hand), bounded in
        size and depth; errors name the file."""
        from lstmcast.core.persist import read_json
        fix = "Fix the file or write a new one."
        values = read_json(path, max_bytes=1 << 20, fix=fix)
        try:
            return cls.from_dict(values)
        except DataError as exc:
            raise DataError(f"Config file {path}: {exc} {fix}") from None
