"""Bundled series: real benchmarks with their sources, and synthetic checks.

Each series is a CSV file beside this module, described in ``catalog.json``
(title, columns, frequency, season length, size, where it came from and under
what licence). The real ones come from data that statsmodels, sktime and
pmdarima ship; the synthetic ones have a known best possible forecast, so they
tell whether a model learned what there was to learn.

>>> from lstmcast.data.bundled import list_datasets, load_dataset
>>> data = load_dataset("airline")
>>> len(data), data.freq
(144, 'MS')
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from lstmcast.core.errors import DataError
from lstmcast.data.loading import load
from lstmcast.data.series import SeriesData

__all__ = ["dataset_info", "dataset_path", "list_datasets", "load_dataset"]

_FILES = "lstmcast.data.datasets"  # the CSVs and catalog.json
_COLUMNS = ["name", "n", "freq", "season", "title", "source", "licence"]


@cache
def _catalog() -> dict[str, dict[str, Any]]:
    """The catalog entries by name, read once."""
    text = resources.files(_FILES).joinpath("catalog.json").read_text("utf-8")
    return {entry["name"]: entry for entry in json.loads(text)["datasets"]}


def dataset_info(name: str) -> dict[str, Any]:
    """Everything the catalog says about one dataset (a fresh copy).

    Raises
    ------
    DataError
        For an unknown name, listing the known ones.
    """
    catalog = _catalog()
    if name not in catalog:
        close = difflib.get_close_matches(str(name), list(catalog), n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise DataError(f"Unknown dataset {name!r}. Bundled datasets: "
                        f"{', '.join(catalog)}.{hint}")
    return json.loads(json.dumps(catalog[name]))


def dataset_path(name: str) -> Path:
    """The path of a dataset's CSV file inside the installed package."""
    file = dataset_info(name)["file"]
    return Path(str(resources.files(_FILES).joinpath(file)))


def list_datasets() -> pd.DataFrame:
    """One row per dataset: name, n, freq, season, title, source, licence.

    ``source`` is the package and loader the data came from; the full entry
    (publisher, description, columns) is in :func:`dataset_info`.
    """
    rows = []
    for entry in _catalog().values():
        source = entry["source"]
        rows.append({**{k: entry[k] for k in _COLUMNS if k != "source"},
                     "source": f"{source['package']}: {source['loader']}"})
    return pd.DataFrame(rows, columns=_COLUMNS)


def load_dataset(name: str, **load_kwargs: Any) -> SeriesData:
    """Load a bundled dataset with :func:`lstmcast.data.loading.load`.

    The catalog's target, time column and covariates are used unless given in
    ``load_kwargs`` (e.g. ``covariates=()`` to drop the covariates); the other
    keywords (``duplicates``, ``gaps``) pass through.
    """
    info = dataset_info(name)
    kwargs = {"target": info["target"], "time": info["time"],
              "covariates": tuple(info["covariates"]), **load_kwargs}
    return load(dataset_path(name), **kwargs)
