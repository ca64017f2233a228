"""lstmcast: LSTM time-series forecasting in PyTorch that works, and says honestly
when it does not.

The public names are imported lazily so that ``import lstmcast`` (and the
command line's ``--help``) stay fast: torch loads only when a model is used.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "DataError": "lstmcast.errors",
    "NotFittedError": "lstmcast.errors",
    "ForecastConfig": "lstmcast.config",
    "DataConfig": "lstmcast.config",
    "PreprocessConfig": "lstmcast.config",
    "ModelConfig": "lstmcast.config",
    "TrainConfig": "lstmcast.config",
    "load": "lstmcast.io",
    "SeriesData": "lstmcast.io",
    "load_dataset": "lstmcast.datasets",
    "list_datasets": "lstmcast.datasets",
    "LSTMForecaster": "lstmcast.forecaster",
    "fit_evaluate": "lstmcast.evaluate",
    "FitResult": "lstmcast.evaluate",
    "diagnose": "lstmcast.diagnosis",
    "Diagnosis": "lstmcast.diagnosis",
    "backtest": "lstmcast.backtesting",
    "BacktestResult": "lstmcast.backtesting",
    "fit_auto": "lstmcast.auto",
    "tune": "lstmcast.tuning",
    "TuneResult": "lstmcast.tune_result",
    "improve": "lstmcast.ladder",
    "LadderResult": "lstmcast.ladder",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lstmcast' has no attribute {name!r}")
