"""The README and docs/ stay true: links resolve inside the repository, every
flag they show exists, and the first screen has what a new user needs."""

import re
from pathlib import Path

import pytest
import typer

from lstmcast.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9](?![\w-])")
NOT_LSTMCAST = {"--index-url",  # pip's, in the install notes
                "--datasets",  # the benchmark scripts' folder of series
                "--nnodes", "--standalone", "--nthreads", "--port"}  # torchrun, dask


def _all_flags() -> set[str]:
    group = typer.main.get_command(app)
    flags = {opt for p in group.params for opt in (*p.opts, *p.secondary_opts)}
    for command in group.commands.values():
        flags |= {opt for p in command.params for opt in (*p.opts,
                                                          *p.secondary_opts)}
    return flags | {"--help"}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_links_resolve_inside_the_repository(page):
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if target.startswith(("http://", "https://")):
            continue
        path = (page.parent / target).resolve()
        assert path.is_relative_to(ROOT), f"{page.name} points outside: {target}"
        assert path.exists(), f"{page.name} links to a missing {target}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_nothing_points_outside_the_repository(page):
    assert "../shared" not in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_flag_shown_exists(page):
    shown = set(FLAG.findall(page.read_text(encoding="utf-8")))
    assert shown - _all_flags() - NOT_LSTMCAST == set()


def test_the_first_screen_has_install_fit_predict_and_the_numbers():
    first = "\n".join((ROOT / "README.md").read_text(encoding="utf-8")
                      .splitlines()[:60])
    for needed in ("pip install .", "make install", "lstmcast fit ",
                   "lstmcast predict ", "Skill vs naive", "MASE", "Doctor"):
        assert needed in first, needed
