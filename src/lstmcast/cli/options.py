"""The options several commands share, each declared once, and one option per
config field.

A shared option is an ``Annotated`` alias (``out: OutFolder = "runs/fit"``): its
flag and help text are written here only, so they read the same in every
command. :func:`with_config_options` gives a command one typed option per
field of :class:`~lstmcast.core.config.ForecastConfig` (``clip_grad`` ->
``--clip-grad``), grouped by section; :func:`with_options_of` gives it only
some (every command that reads a series has :data:`DATA_OPTIONS`, predict
:data:`HISTORY_OPTIONS`); :func:`build_config` lays the ones given over the
``--config`` file.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Collection
from dataclasses import Field, fields
from typing import Annotated, Any, TypeVar, get_type_hints

import typer

from lstmcast.core.config import SECTIONS, DataConfig, ForecastConfig

DataFile = Annotated[str, typer.Argument(help="CSV or Parquet file.",
                                         metavar="DATA")]
"""The series to read (every command that reads one)."""

DATA_OPTIONS = tuple(f.name for f in fields(DataConfig))
"""The data options (reading, repairs, split) of every command that reads a series."""

HISTORY_OPTIONS = tuple(name for name in DATA_OPTIONS if name not in (
    "target", "time", "id", "covariates", "test_size", "val_size", "season"))
"""The data options of predict: how to read a history (the model fixes its
columns and has no split)."""

_OUT = typer.Option("--out", "-o", metavar="FOLDER",
                    help="Output folder: the run's files and its report.html.")
OutFolder = Annotated[str, _OUT]
"""The run folder of fit, demo, tune and improve (each gives a default)."""

OptionalOutFolder = Annotated[str | None, _OUT]
"""The same option where the folder is optional (diagnose, backtest)."""

ConfigFile = Annotated[str | None, typer.Option(
    "--config", metavar="FILE", help="JSON settings file (flags override it).")]

JsonFile = Annotated[str | None, typer.Option(
    "--json", metavar="FILE", help="Write the results as JSON to FILE; '-' prints "
    "them to stdout instead of the tables.")]
"""Every command with results: ``--json FILE`` (see :mod:`lstmcast.cli.jsonout`)."""

Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors.")]

Force = Annotated[bool, typer.Option(
    "--force", help="Replace a model or run already in --out (without it the "
    "command refuses to overwrite one).")]

Command = TypeVar("Command", bound=Callable[..., None])


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _metavar(kind: str) -> str:
    for prefix, name in (("tuple[int", "INT,..."), ("tuple[float", "FLOAT,..."),
                         ("tuple[str", "TEXT,..."),
                         ("int", "INT"), ("float", "FLOAT")):
        if kind.startswith(prefix):
            return name
    return "TEXT"


def shown_default(f: Field) -> str:
    """A field's default as --help and docs/options.md show it."""
    default = f.default if f.default is not None else "auto"
    if isinstance(default, tuple):
        default = ",".join(f"{v:g}" if isinstance(v, float) else str(v)
                           for v in default) or "none"
    return str(default)


def option_help(f: Field) -> str:
    """A field's help with its choices, as --help and docs/options.md show it."""
    choices = f.metadata.get("choices")
    return f"{f.metadata['help']}" + (f" One of: {', '.join(choices)}." if choices
                                      else "")


def config_options(names: Collection[str] | None = None,
                   default: str | None = None) -> list[inspect.Parameter]:
    """One CLI option per config field (all, or those in ``names``), named after
    it (``clip_grad`` -> ``--clip-grad``); defaults None mean "keep the
    config's value", and ``default`` says what that is when it is not the
    field's own default (predict: the fit's)."""
    params = []
    for section, cls in SECTIONS.items():
        for f in fields(cls):
            if names is not None and f.name not in names:
                continue
            text = f"{option_help(f)} \\[default: {default or shown_default(f)}]"
            kind: object
            if str(f.type) == "bool":
                kind = Annotated[bool | None, typer.Option(
                    f"{_flag(f.name)}/--no-{f.name.replace('_', '-')}", help=text,
                    rich_help_panel=section.capitalize(), show_default=False)]
            else:
                kind = Annotated[str | None, typer.Option(
                    _flag(f.name), help=text, rich_help_panel=section.capitalize(),
                    show_default=False, metavar=_metavar(str(f.type)))]
            params.append(inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY,
                                            default=None, annotation=kind))
    return params


def with_config_options(func: Command) -> Command:
    """Give ``func`` (taking ``**settings``) one typed option per config field."""
    return _with_options(func, None)


def with_options_of(names: Collection[str], default: str | None = None
                    ) -> Callable[[Command], Command]:
    """Give ``func`` (taking ``**settings``) the options of the config fields
    ``names`` only, e.g. ``@with_options_of(DATA_OPTIONS)``; ``default`` as in
    :func:`config_options`."""
    return lambda func: _with_options(func, names, default)


def _with_options(func: Command, names: Collection[str] | None,
                  default: str | None = None) -> Command:
    sig = inspect.signature(func)
    hints = get_type_hints(func, include_extras=True)  # resolve string annotations
    own = [p.replace(annotation=hints.get(p.name, p.annotation))
           for p in sig.parameters.values() if p.kind != p.VAR_KEYWORD]
    params = own + config_options(names, default)
    func.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    func.__annotations__ = {p.name: p.annotation for p in params}
    return func


def build_config(config_file: str | None, settings: dict[str, Any]) -> ForecastConfig:
    """The ``--config`` file (or the defaults) with the flags given laid over it."""
    base = ForecastConfig.from_json_file(config_file) if config_file else \
        ForecastConfig()
    given = {k: v for k, v in settings.items() if v is not None}
    return base.replace(**given)


def explicit_settings(config_file: str | None, settings: dict[str, Any]) -> set[str]:
    """The settings the user gave: flags, and every key of the --config file."""
    from lstmcast.core.persist import read_json
    given = {k for k, v in settings.items() if v is not None}
    if config_file:
        values = read_json(config_file)
        if isinstance(values, dict):
            given |= {k for section in values.values() if isinstance(section, dict)
                      for k in section}
    return given


def given_flags(settings: dict[str, Any]) -> tuple[str, ...]:
    """The config fields given as flags (not those of the --config file)."""
    return tuple(k for k, v in settings.items() if v is not None)


def split_names(text: str) -> tuple[str, ...]:
    """A comma-separated list of names as a tuple: split on commas only, each
    name stripped of the spaces around it (``unit price`` stays one name)."""
    return tuple(name.strip() for name in text.split(",") if name.strip())
