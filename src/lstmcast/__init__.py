"""lstmcast: LSTM time-series forecasting in PyTorch that works, and says honestly
when it does not.

The public names are imported lazily so that ``import lstmcast`` (and the
command line's ``--help``) stay fast: torch loads only when a model is used.
"""

from __future__ import annotations

import importlib
from typing import Any

from lstmcast.core.version import __version__

_EXPORTS = {
    "DataError": "lstmcast.core.errors",
    "NotFittedError": "lstmcast.core.errors",
    "ForecastConfig": "lstmcast.core.config",
    "DataConfig": "lstmcast.core.config",
    "PreprocessConfig": "lstmcast.core.config",
    "ModelConfig": "lstmcast.core.config",
    "TrainConfig": "lstmcast.core.config",
    "load": "lstmcast.data.loading",
    "SeriesData": "lstmcast.data.series",
    "load_dataset": "lstmcast.data.bundled",
    "list_datasets": "lstmcast.data.bundled",
    "LSTMForecaster": "lstmcast.forecaster.estimator",
    "fit_evaluate": "lstmcast.evaluation.holdout",
    "FitResult": "lstmcast.evaluation.holdout",
    "diagnose": "lstmcast.diagnosis.diagnose",
    "Diagnosis": "lstmcast.diagnosis.diagnose",
    "backtest": "lstmcast.evaluation.backtest",
    "BacktestResult": "lstmcast.evaluation.backtest_result",
    "fit_auto": "lstmcast.search.auto",
    "tune": "lstmcast.search.tune",
    "TuneResult": "lstmcast.search.tune_result",
    "improve": "lstmcast.search.ladder",
    "LadderResult": "lstmcast.search.ladder",
    "write_report": "lstmcast.report.runs",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'lstmcast' has no attribute {name!r}")
