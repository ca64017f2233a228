"""Tests of lstmcast.data.bundled: the catalog matches the files it describes."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from lstmcast.core.errors import DataError
from lstmcast.data.bundled import (
    dataset_info,
    dataset_path,
    list_datasets,
    load_dataset,
)

NAMES = list(list_datasets()["name"])
REQUIRED = ["airline", "co2_weekly", "sunspots_monthly", "uschange_cons",
            "taylor_elec", "msft_close"]


def test_required_datasets_are_bundled():
    assert set(REQUIRED) <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_each_dataset_loads_as_catalogued(name):
    info = dataset_info(name)
    data = load_dataset(name)
    assert len(data) == info["n"]
    assert data.freq == info["freq"]
    assert data.target == info["target"]
    assert data.covariates == tuple(info["covariates"])
    assert isinstance(info["season"], int) and info["season"] >= 1
    assert info["season"] < len(data) // 2


@pytest.mark.parametrize("name", NAMES)
def test_each_entry_states_source_and_licence(name):
    info = dataset_info(name)
    for key in ("title", "description", "licence", "file", "time"):
        assert isinstance(info[key], str) and info[key].strip(), key
    assert {"package", "loader", "publisher"} <= set(info["source"])
    assert all(info["source"][k].strip() for k in ("package", "loader", "publisher"))
    assert info["kind"] in ("real", "synthetic")
    assert dataset_path(name).is_file()


def test_list_datasets_columns():
    table = list_datasets()
    assert list(table.columns) == ["name", "n", "freq", "season", "title", "source",
                                   "licence"]
    assert table["name"].is_unique and table["licence"].str.len().min() > 10


def test_season_values():
    seasons = dict(zip(list_datasets()["name"], list_datasets()["season"],
                       strict=True))
    assert seasons["airline"] == 12 and seasons["co2_weekly"] == 52
    assert seasons["uschange_cons"] == 4 and seasons["taylor_elec"] == 48


def test_dataset_info_is_a_copy():
    dataset_info("airline")["n"] = 0
    assert dataset_info("airline")["n"] == 144


def test_load_dataset_kwargs_override_catalog():
    data = load_dataset("uschange_cons", covariates=())
    assert data.covariates == () and data.target == "value"


def test_msft_trading_days_report_gaps():
    data = load_dataset("msft_close")
    assert data.freq == "B" and any("'B' grid" in n for n in data.notes)
    assert len(load_dataset("msft_close", gaps="fill")) > len(data)


def test_unknown_name_lists_names():
    with pytest.raises(DataError, match=r"Unknown dataset 'airlines'\. Bundled "
                                        r"datasets: airline, .*Did you mean 'airline'"):
        load_dataset("airlines")


def test_csv_files_are_small():
    files = [dataset_path(name) for name in NAMES]
    assert sum(path.stat().st_size for path in files) < 1_000_000
    assert all(pd.read_csv(path, nrows=1).shape[0] == 1 for path in files)


def test_catalog_is_valid_json_with_version():
    text = (dataset_path("airline").parent / "catalog.json").read_text("utf-8")
    assert json.loads(text)["format_version"] == 1
