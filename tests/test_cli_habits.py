"""The CLI's habits: -h is help everywhere, --version, --json FILE (or -) in
every command with results, switches shown as switches, and one set of data
options in every command that reads a series."""

import json

import pytest
import typer
from typer.testing import CliRunner

from conftest import ar_series
from lstmcast.cli.app import app
from lstmcast.cli.options import DATA_OPTIONS, HISTORY_OPTIONS
from lstmcast.core.version import __version__

runner = CliRunner()
COMMANDS = typer.main.get_command(app).commands
READS_DATA = ("fit", "diagnose", "backtest", "tune", "improve")
WITH_RESULTS = (*READS_DATA, "predict", "demo", "datasets")


def _flags(command: str) -> set[str]:
    return {opt for p in COMMANDS[command].params for opt in (*p.opts,
                                                               *p.secondary_opts)}


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


@pytest.mark.parametrize("command", [*COMMANDS, None])
def test_dash_h_is_help_in_every_command(command):
    args = [command, "-h"] if command else ["-h"]
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    assert "Usage:" in res.output and "Show this message and exit" in res.output


def test_predict_has_no_short_horizon_flag():
    assert "--horizon" in _flags("predict") and "-h" not in _flags("predict")


def test_version_prints_the_package_version():
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and res.stdout.strip() == f"lstmcast {__version__}"


@pytest.mark.parametrize("command", WITH_RESULTS)
def test_every_command_with_results_takes_json_file(command):
    (param,) = [p for p in COMMANDS[command].params if "--json" in p.opts]
    assert not param.is_flag and param.metavar == "FILE"
    assert "'-' prints them to stdout" in param.help


@pytest.mark.parametrize("command", [*COMMANDS, None])
def test_switches_show_as_switches_in_help(command):
    res = runner.invoke(app, [command, "--help"] if command else ["--help"])
    assert res.exit_code == 0
    assert "<bool>" not in res.output and "<str>" not in res.output.split(
        "Options")[1]


@pytest.mark.parametrize("command", READS_DATA)
def test_every_command_that_reads_data_has_every_data_option(command):
    assert {_flag(name) for name in DATA_OPTIONS} <= _flags(command)


def test_predict_has_the_options_that_read_a_history():
    flags = _flags("predict")
    assert {_flag(name) for name in HISTORY_OPTIONS} <= flags
    assert "--target" not in flags and "--test-size" not in flags


@pytest.fixture
def csv(tmp_path):
    path = tmp_path / "data.csv"
    ar_series(120).to_csv(path, index=False)
    return path


def test_json_dash_prints_pure_json_on_stdout(csv):
    res = runner.invoke(app, ["diagnose", str(csv), "--target", "y", "--json", "-"])
    assert res.exit_code == 0, res.output
    assert "findings" in json.loads(res.stdout)


def test_datasets_as_json():
    res = runner.invoke(app, ["datasets", "--json", "-"])
    assert res.exit_code == 0, res.output
    assert "airline" in {row["name"] for row in json.loads(res.stdout)}


def test_json_file_is_written(csv, tmp_path):
    out = tmp_path / "d.json"
    res = runner.invoke(app, ["diagnose", str(csv), "--target", "y", "--json",
                              str(out)])
    assert res.exit_code == 0, res.output
    assert "findings" in json.loads(out.read_text())


def test_json_followed_by_a_flag_is_refused_before_any_work(csv, tmp_path):
    res = runner.invoke(app, ["fit", str(csv), "--target", "y", "--out",
                              str(tmp_path / "r"), "--json", "--quiet"])
    assert res.exit_code == 2
    assert "--json takes a FILE" in res.output and "'--quiet'" in res.output
    assert not (tmp_path / "r").exists()


def test_diagnose_reads_the_data_like_fit(tmp_path):
    frame = ar_series(120)
    shuffled = frame.iloc[list(range(60, 120)) + list(range(60))]
    path = tmp_path / "unsorted.csv"
    shuffled.to_csv(path, index=False)
    res = runner.invoke(app, ["diagnose", str(path), "--target", "y"])
    assert res.exit_code == 2 and "not sorted" in res.output
    res = runner.invoke(app, ["diagnose", str(path), "--target", "y", "--unsorted",
                              "sort", "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["n"] == 120
