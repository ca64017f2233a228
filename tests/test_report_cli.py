"""The command line's help: an example on every command, and fast to answer
(no torch, pandas or matplotlib imported to print it)."""

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from lstmcast.cli.app import app

COMMANDS = ["fit", "predict", "diagnose", "backtest", "tune", "improve", "report",
            "datasets", "demo"]
HEAVY = ("torch", "pandas", "matplotlib", "statsmodels", "optuna", "sklearn")


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_an_example(command):
    res = CliRunner().invoke(app, [command, "--help"], terminal_width=200)
    assert res.exit_code == 0, res.output
    assert "Example: lstmcast " in res.output


def test_top_level_help_lists_every_command():
    res = CliRunner().invoke(app, ["--help"], terminal_width=200)
    assert res.exit_code == 0
    assert all(command in res.output for command in COMMANDS)
    assert "Start here: lstmcast demo" in res.output and "Exit codes" in res.output


def test_help_imports_nothing_heavy():
    """What makes `lstmcast --help` slow is importing torch & co: measure that
    (not wall time, which depends on the machine's load)."""
    code = ("import sys\nfrom lstmcast.cli.app import app\n"
            f"for args in [['--help'], *[[c, '--help'] for c in {COMMANDS!r}]]:\n"
            "    try:\n        app(args)\n    except SystemExit as exc:\n"
            "        assert exc.code == 0, (args, exc.code)\n"
            f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules) or 'none')")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == "none"
