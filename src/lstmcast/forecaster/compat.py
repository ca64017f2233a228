"""Does data to forecast from fit the model? The same time zone (or none) and
the same frequency as the training data: the network has learned steps of one
length on one time axis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lstmcast.core.errors import DataError
from lstmcast.data.series import SeriesData
from lstmcast.data.timegrid import max_grid, regular_grid


def _mean_step(freq: str) -> pd.Timedelta:
    """The average step of a pandas frequency (a month is about 30.4 days)."""
    stamps = pd.date_range("2001-01-01", periods=121, freq=freq)
    return (stamps[-1] - stamps[0]) / 120


def check_same_zone(first: pd.Timestamp | int, index: pd.Index) -> None:
    """A DataError when the model's stamps carry a UTC offset and the data's do
    not, or the other way round (they cannot be placed on one time axis)."""
    if not isinstance(first, pd.Timestamp) or not isinstance(index,
                                                             pd.DatetimeIndex):
        return
    if (first.tz is None) == (index.tz is None):
        return
    if first.tz is None:
        raise DataError(
            f"The data's time stamps carry a time zone ({index.tz}), but the model "
            "was trained on stamps without one. Give the stamps as local times "
            "without offsets, or refit with --timezone.")
    raise DataError(
        f"The model was trained on stamps with UTC offsets (the first was "
        f"{first.isoformat()}), but the data's time stamps have none. Write them "
        "with their offsets (e.g. 2021-03-01T00:00:00+01:00), as the forecast and "
        "test_predictions.csv show them.")


def check_same_freq(trained: str | None, series: SeriesData) -> None:
    """A DataError when data to forecast from steps at another frequency than
    the training data (the network has learned steps of one length). Grids of
    one step anchored differently ('MS' and 'ME', 'W-SUN' and 'W-MON') agree,
    and so do a few stamps read as 'D' that lie one step apart on a 'B' grid."""
    given, index = series.freq, series.index
    if trained is None or given is None or trained == given:
        return
    step, other = _mean_step(trained), _mean_step(given)
    if abs(step - other) <= 0.01 * step:
        return
    span = (index[-1] - index[0]) / step
    if span <= max_grid(len(index)):
        grid = regular_grid(index, trained)
        if bool(index.isin(grid).all()) and np.median(
                np.diff(grid.get_indexer(index))) == 1:
            return
    raise DataError(
        f"The data has frequency '{given}', but the model was trained on "
        f"frequency '{trained}': it has learned steps of '{trained}' and forecasts "
        f"them. Resample the data to '{trained}' first (e.g. "
        f"df.resample('{trained}').mean(), as `lstmcast fit --resample "
        f"{trained}` does), or fit a model on the '{given}' data.")
