"""Write one marked section of BENCHMARKS.md, shared by the benchmark scripts."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_section(
    text: str, begin: str, end: str, heading: str, path: Path = ROOT / "BENCHMARKS.md"
) -> None:
    """Replace the text from ``begin`` to ``end`` in ``path`` (BENCHMARKS.md by
    default) with ``text`` (which carries both markers), or append it under
    ``## heading``; written through a temp file and a rename, so a killed run
    leaves the old file."""
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in old:
        new = old[: old.index(begin)] + text + old[old.index(end) + len(end) :]
    else:
        new = old.rstrip() + f"\n\n## {heading}\n\n" + text + "\n"
    tmp = path.with_suffix(".md.tmp")
    tmp.write_text(new)
    os.replace(tmp, path)
