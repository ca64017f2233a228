"""The package layout: rooms in the order data flows, enforced by import-linter.

The layers contract in pyproject.toml is run on the real package (it must hold)
and on copies of it with one rule broken (it must fail, naming the import):
an upward import, and a room the contract does not name. Every room's
``__init__`` stays free of heavy imports, and a module over 500 lines says why
at its top.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "lstmcast"
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
MAX_LINES = 500
OVER_LIMIT_NOTE = "# Over 500 lines:"


def rooms() -> list[str]:
    """The children of the package: its subpackages (rooms) and its top-level
    modules other than ``__init__`` (adapters such as ``sktime``)."""
    modules = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__init__"]
    return sorted([p.parent.name for p in PACKAGE.glob("*/__init__.py")] + modules)


def lint_imports(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the contract of pyproject.toml on the package found under ``src``."""
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"),
                           "--no-cache"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


def copy_package(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(PACKAGE, src / "lstmcast",
                    ignore=shutil.ignore_patterns("__pycache__", "*.csv"))
    return src


def test_the_layers_contract_holds_on_the_package(tmp_path):
    result = lint_imports(ROOT / "src", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_the_contract_names_every_room():
    text = (ROOT / "pyproject.toml").read_text()
    layers = text.split("layers = [", 1)[1].split("]", 1)[0]
    named = sorted(name.strip(' "') for line in layers.splitlines()
                   for name in line.strip().rstrip(",").split("|") if name.strip(' "'))
    assert named == rooms()


def test_an_upward_import_breaks_the_contract(tmp_path):
    src = copy_package(tmp_path)
    low = src / "lstmcast" / "core" / "errors.py"
    low.write_text(low.read_text() + "\nfrom lstmcast.report import runs  # noqa\n")
    result = lint_imports(src, tmp_path)
    assert result.returncode != 0
    assert "lstmcast.core is not allowed to import lstmcast.report" in result.stdout
    assert "lstmcast.core.errors -> lstmcast.report.runs" in result.stdout


def test_an_import_between_independent_rooms_breaks_the_contract(tmp_path):
    src = copy_package(tmp_path)
    module = src / "lstmcast" / "network" / "model.py"
    module.write_text(module.read_text()
                      + "\nfrom lstmcast.diagnosis import stats  # noqa\n")
    result = lint_imports(src, tmp_path)
    assert result.returncode != 0
    assert "lstmcast.network.model -> lstmcast.diagnosis.stats" in result.stdout


def test_a_room_missing_from_the_contract_breaks_it(tmp_path):
    src = copy_package(tmp_path)
    (src / "lstmcast" / "newroom").mkdir()
    (src / "lstmcast" / "newroom" / "__init__.py").write_text('"""A new room."""\n')
    result = lint_imports(src, tmp_path)
    assert result.returncode != 0
    assert "lstmcast.newroom" in result.stdout


@pytest.mark.parametrize("room", [r for r in rooms() if (PACKAGE / r).is_dir()])
def test_a_room_imports_nothing_heavy(room):
    """A room's ``__init__`` (an adapter module is its library's import)."""
    code = (f"import sys, lstmcast.{room}; "
            "print(sorted(m for m in ('torch', 'pandas', 'numpy', 'matplotlib') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True,
                         text=True, check=True).stdout.strip()
    assert out == "[]"


def test_a_module_over_500_lines_says_why_at_its_top():
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        lines = path.read_text().splitlines()
        if len(lines) > MAX_LINES and not any(
                line.startswith(OVER_LIMIT_NOTE) for line in lines[:3]):
            long.append(f"{path.relative_to(PACKAGE)} ({len(lines)} lines)")
    assert not long, ("Split these modules, or give the reason in a line "
                      f"'{OVER_LIMIT_NOTE} ...' at their top: {', '.join(long)}")
