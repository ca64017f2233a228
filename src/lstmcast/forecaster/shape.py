"""The shape of a fit: season, window, warm-up, validation rows and strategy.

Multi-step strategies (``ModelConfig.strategy``), for a horizon of H steps:

- ``mimo``: one network with H outputs, trained on the H targets at once;
- ``direct``: H networks with one output each, network h trained on the
  h-step target (H times the training cost);
- ``recursive``: one one-step network whose forecasts are fed back as inputs
  (no covariates: they have no known future values; future covariates, known
  in advance, are fed step by step with the forecasts);
- ``auto`` (the default): ``mimo`` up to H, ``recursive`` beyond H.

At H = 1 all four fit the very same network. The holdout, the backtest and
the searches resolve the shape with the same functions as ``fit``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstmcast.core.config import ForecastConfig
from lstmcast.core.errors import DataError
from lstmcast.data.series import SeriesData
from lstmcast.preprocess.features import feature_warmup

STRATEGIES = ("auto", "mimo", "direct", "recursive")


def check_strategy(strategy: str, horizon: int, covariates: tuple[str, ...]) -> None:
    """Refuse settings that cannot go together (a DataError naming the fix)."""
    if strategy not in STRATEGIES:
        raise DataError(f"The 'strategy' setting must be one of "
                        f"{', '.join(STRATEGIES)}. Got {strategy!r} instead.")
    if strategy == "recursive" and covariates and horizon > 1:
        raise DataError(
            f"strategy='recursive' with horizon={horizon} feeds the network its own "
            f"forecasts, but the covariates ({', '.join(covariates)}) have no known "
            f"future values to feed with them. Use --strategy mimo or direct (both "
            f"forecast {horizon} steps from known inputs only), or drop the "
            "covariates (--covariates none).")


def network_steps(strategy: str, horizon: int) -> list[list[int]]:
    """The steps ahead each network is trained on, one list per network."""
    if strategy in ("auto", "mimo"):
        return [list(range(1, horizon + 1))]
    if strategy == "direct":
        return [[h] for h in range(1, horizon + 1)]
    return [[1]]


def future_leads(strategy: str, horizon: int) -> int:
    """Steps after each row whose future covariates the network reads: the
    steps it forecasts (H; 1 for the one-step network of ``recursive``)."""
    return 1 if strategy == "recursive" else horizon


def resolve_shape(series: SeriesData, cfg: ForecastConfig) -> tuple[int, int, int,
                                                                    int]:
    """Season, window, feature warm-up and validation rows for fitting ``series``.

    The season is detected on ``series`` (the training data) when not given;
    the window defaults to two seasons (see
    :func:`~lstmcast.data.split.auto_window`).
    """
    from lstmcast.data.seasonality import detect_season
    from lstmcast.data.split import auto_window, count_of
    pre = cfg.preprocess
    n_val = count_of(cfg.data.val_size, len(series))
    season = cfg.data.season or detect_season(_interpolated(series.y), series.freq)
    window = cfg.model.window or auto_window(season, len(series) - n_val)
    warm = (feature_warmup(pre.lags, pre.rolling, pre.covariate_lags)
            + pre.difference + pre.seasonal_difference)
    return season, window, warm, n_val


def _interpolated(y: np.ndarray) -> np.ndarray:
    return pd.Series(y).interpolate(limit_direction="both").to_numpy()
