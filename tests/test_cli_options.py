"""The options several commands share are declared once: the same flags and
help text in every command that has them."""

import pytest
import typer

from lstmcast.cli.app import app

COMMANDS = typer.main.get_command(app).commands
SHARED = ["--out", "--config", "--quiet", "--force", "--json"]


def _declarations(name: str) -> dict[str, tuple]:
    """{command: (flags, help)} of the option ``name`` in every command."""
    return {command: (tuple(sorted(p.opts)), p.help)
            for command, cli in COMMANDS.items() for p in cli.params
            if name in p.opts and command != "predict"}  # predict --out: a CSV


@pytest.mark.parametrize("name", SHARED)
def test_a_shared_option_reads_the_same_everywhere(name):
    found = _declarations(name)
    assert len(found) >= 3, found
    assert len(set(found.values())) == 1, found


def test_out_is_shared_by_every_command_writing_a_run_folder():
    assert set(_declarations("--out")) == {"fit", "demo", "diagnose", "backtest",
                                           "tune", "improve"}


def test_the_data_argument_reads_the_same_everywhere():
    helps = {command: p.help for command, cli in COMMANDS.items()
             for p in cli.params if p.name == "data" and command != "predict"}
    assert set(helps) == {"fit", "diagnose", "backtest", "tune", "improve"}
    assert set(helps.values()) == {"CSV or Parquet file."}


def test_docs_options_md_is_up_to_date():
    from pathlib import Path

    from lstmcast.cli.optionsdoc import markdown
    page = Path(__file__).resolve().parents[1] / "docs" / "options.md"
    assert page.read_text(encoding="utf-8") == markdown(), (
        "docs/options.md is out of date: python -m lstmcast.cli.optionsdoc "
        "docs/options.md")
