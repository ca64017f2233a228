"""``docs/options.md``, made from the commands and the config fields.

``python -m lstmcast.cli.optionsdoc docs/options.md`` writes it; a test fails
when the file differs from :func:`markdown`, so the page never drifts from
``--help``.
"""

from __future__ import annotations

import sys
from dataclasses import fields
from pathlib import Path
from typing import Any

import typer

from lstmcast.cli.options import _flag, option_help, shown_default
from lstmcast.core.config import SECTIONS

HEADER = """# Options

Made from the commands and the config fields by `python -m lstmcast.cli.optionsdoc
docs/options.md` (a test fails when this page is out of date); `lstmcast COMMAND -h`
shows the same.

Every setting is a field of one of four config sections: `--clip-grad` is the
field `clip_grad` of the `train` section. The same name works as a flag, as a key
of a `--config` file (`{"train": {"clip_grad": 0.5}}`; a fit's `config.json` is
one), and in Python (`ForecastConfig().replace(clip_grad=0.5)`,
`LSTMForecaster(clip_grad=0.5)`, `load(..., sep=";")` for the data options).
Flags override the `--config` file; a switch is turned off with its `--no-` form.
"""


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _commands() -> dict[str, Any]:
    from lstmcast.cli.app import app
    return typer.main.get_command(app).commands  # type: ignore[attr-defined]


def _config_flags() -> dict[str, str]:
    """{flag: section} of every config field."""
    return {_flag(f.name): section for section, cls in SECTIONS.items()
            for f in fields(cls)}


def _is_config_option(param: Any) -> bool:
    """Made from a config field (shown in its section's panel), not a
    command's own option of the same name (predict's --horizon)."""
    panel = getattr(param, "rich_help_panel", None)
    return panel is not None and panel.lower() in SECTIONS


def _which(command: Any) -> str:
    """The config options a command has: whole sections, then single flags."""
    flags = {opt for p in command.params if _is_config_option(p) for opt in p.opts}
    config = _config_flags()
    whole = [s for s in SECTIONS if all(f in flags for f, sec in config.items()
                                        if sec == s)]
    single = [f"`{f}`" for f, s in config.items() if f in flags and s not in whole]
    if not whole and not single:
        return "none"
    parts = [", ".join(whole)] if whole else []
    if single:
        parts.append(("the data options " if not whole else "") + ", ".join(single))
    return "; ".join(parts)


def _own_options(command: Any) -> list[str]:
    """Table rows of a command's arguments and options that are not config
    fields."""
    rows = []
    for p in command.params:
        if _is_config_option(p):
            continue
        if p.param_type_name == "argument":
            name = p.metavar or p.name.upper()
        else:
            name = ", ".join(f"`{o}`" for o in (*p.opts, *p.secondary_opts))
        default = "" if p.default is None or p.default is False or p.required \
            else p.default
        rows.append(f"| {name} | {_cell(default)} | {_cell(p.help or '')} |")
    return rows


def markdown() -> str:
    """The whole page."""
    commands = _commands()
    lines = [HEADER, "## Which command has which config options", "",
             "| command | config options |", "|---|---|"]
    lines += [f"| `{name}` | {_which(cmd)} |" for name, cmd in commands.items()]
    lines += ["", "Predict's data options say how to read the history it is given "
              "and default to the fit's values (the model fixes the columns).", ""]
    lines += ["## Each command's own options", ""]
    for name, cmd in commands.items():
        rows = _own_options(cmd)
        if rows:
            lines += [f"### {name}", "", "| argument or flag | default | meaning |",
                      "|---|---|---|", *rows, ""]
    lines += ["## Config options, by section", ""]
    for section, cls in SECTIONS.items():
        lines += [f"### {section}", "", "| flag | default | meaning |",
                  "|---|---|---|"]
        lines += [f"| `{_flag(f.name)}` | `{_cell(shown_default(f))}` | "
                  f"{_cell(option_help(f))} |" for f in fields(cls)]
        lines.append("")
    return "\n".join(lines)


def main() -> None:
    """Write the page to the path given (``docs/options.md``)."""
    Path(sys.argv[1]).write_text(markdown(), encoding="utf-8")


if __name__ == "__main__":
    main()
