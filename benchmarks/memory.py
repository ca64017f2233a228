"""Peak memory of `lstmcast fit` against the series length and the window.

Generates univariate CSVs of 10^5, 10^6 and 10^7 points in a temporary folder
and runs the `lstmcast` command (from the same environment as this Python) on
each with windows 48 and 512, one epoch and a few optimizer steps
(`--max-steps`), and test and validation parts of 2,000 points each
(`--test-size`, `--val-size`: a 20% test part of 10^7 points would take hours
of forecasts on 2 cores), so the run measures the data path (load, split, transforms,
windows, one-step forecasts of the whole test part, saving) rather than
training time. The peak resident set size of each child process is read from
getrusage(RUSAGE_CHILDREN) after it exits (the largest child so far, so every
case runs in a fresh sub-process of its own). Windows are strided views, so the
peak should grow with the series, not with series x window: the table also
shows what one float32 copy of all windows (N x L x 4 bytes) would take.

A second table runs the default fit as a new user would, with the default
test and validation parts (20% each): `lstmcast fit FILE --no-auto --window
512 --max-steps 20` on 10^6 and 10^7 points (`--default-sizes`), where the
one-step forecasts of 200,000 and 2,000,000 test points and the validation
loss of 160,000 and 1,600,000 validation origins are the bulk of the work;
its target is under 1.5 GB and under 10 minutes on 2 cores.

usage: python benchmarks/memory.py [--quick] [--sizes 1e5 1e6 1e7]
       [--windows 48 512] [--max-steps 5] [--default-sizes 1e6 1e7]
       [--default-steps 20] [--only-default]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
from sections import write_section

ROOT = Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- memory:begin -->", "<!-- memory:end -->"
LIMIT_GB = 1.5
LIMIT_SECONDS = 600.0


def write_csv(path: Path, n: int) -> None:
    """A noisy daily-like sine with a trend, integer time steps."""
    rng = np.random.default_rng(0)
    t = np.arange(n)
    y = 10 + 0.00001 * t + np.sin(2 * np.pi * t / 24) + 0.3 * rng.normal(size=n)
    with path.open("w") as fh:
        fh.write("timestamp,value\n")
        chunk = 1_000_000
        for lo in range(0, n, chunk):
            block = np.column_stack([t[lo:lo + chunk], y[lo:lo + chunk]])
            np.savetxt(fh, block, fmt=["%d", "%.5f"], delimiter=",")


def measure(cmd: list[str]) -> tuple[float, float, int, str]:
    """Run ``cmd`` in a fresh child; (peak RSS in MB, seconds, exit code, stderr).

    A small Python wrapper runs the command and reports its child's
    ru_maxrss, so each case has its own RUSAGE_CHILDREN.
    """
    wrapper = ("import resource, subprocess, sys, json, time\n"
               "t = time.perf_counter()\n"
               "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
               "r = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
               "print(json.dumps([r / 1024, time.perf_counter() - t, p.returncode,"
               " p.stderr[-800:]]))\n")
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True,
                         text=True, check=True)
    mb, seconds, code, err = json.loads(out.stdout.strip().splitlines()[-1])
    return mb, seconds, code, err


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", type=float, default=[1e5, 1e6, 1e7])
    ap.add_argument("--windows", nargs="*", type=int, default=[48, 512])
    ap.add_argument("--max-steps", type=int, default=5)
    ap.add_argument("--test", type=int, default=2000,
                    help="test and validation points (a count: the one-step "
                         "forecasts of a 20%% test part of 10^7 points would "
                         "take hours on 2 cores)")
    ap.add_argument("--default-sizes", nargs="*", type=float, default=[1e6, 1e7],
                    help="points of the default-fit cases (default test and "
                         "validation parts, window 512)")
    ap.add_argument("--default-steps", type=int, default=20,
                    help="--max-steps of the default-fit cases")
    ap.add_argument("--only-default", action="store_true",
                    help="only the default-fit cases; the other rows from "
                         "memory.json")
    ap.add_argument("--quick", action="store_true", help="10^5 and 10^6 only")
    ap.add_argument("--batch-only", action="store_true",
                    help="only the inference-batch probe; fit rows from memory.json")
    a = ap.parse_args()
    store = ROOT / "benchmarks" / "memory.json"
    stored = json.loads(store.read_text()) if store.exists() else {}
    exe = Path(sys.executable).with_name("lstmcast")
    if a.batch_only:
        rows = stored.get("fits") or rows_from_markdown()
        batch = batch_probe(a.windows)
        write(rows, batch, a, exe, stored.get("defaults", []))
        return 0
    if a.only_default:
        stored["batch"] = stored.get("batch") or batch_probe(a.windows)
        stored["defaults"] = default_fits(a, exe)
        store.write_text(json.dumps(stored, indent=1))
        write(stored.get("fits") or rows_from_markdown(), stored["batch"], a, exe,
              stored["defaults"])
        return 0
    sizes = [int(s) for s in a.sizes if not (a.quick and s > 1e6)]
    rows: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="lstmcast-mem-") as tmp:
        for n in sizes:
            csv = Path(tmp) / f"s{n}.csv"
            write_csv(csv, n)
            for window in a.windows:
                cmd = [str(exe), "fit", str(csv), "--no-auto", "--target", "value",
                       "--time", "timestamp", "--window", str(window), "--season", "24",
                       "--epochs", "1", "--max-steps", str(a.max_steps),
                       "--hidden-size", "64", "--threads", "1", "--quiet",
                       "--test-size", str(a.test), "--val-size", str(a.test),
                       "--out", str(Path(tmp) / f"run{n}_{window}")]
                load = os.getloadavg()[0]
                mb, seconds, code, err = measure(cmd)
                rows.append({"n": n, "window": window, "peak_mb": mb,
                             "seconds": seconds, "exit": code, "load": load,
                             "error": err if code else ""})
                print(f"n {n:>10,} window {window:>4}: peak {mb:,.0f} MB, "
                      f"{seconds:.1f} s, exit {code}", flush=True)
                if code:
                    print(err, file=sys.stderr)
    batch = [] if a.quick else batch_probe(a.windows)
    defaults = default_fits(a, exe)
    store.write_text(json.dumps({"fits": rows, "batch": batch,
                                 "defaults": defaults}, indent=1))
    write(rows, batch, a, exe, defaults)
    return 0


def default_command(exe: Path, csv: Path, out: Path, steps: int) -> list[str]:
    """The default fit of a new user: default test and validation parts."""
    return [str(exe), "fit", str(csv), "--no-auto", "--target", "value",
            "--time", "timestamp", "--window", "512", "--max-steps", str(steps),
            "--quiet", "--out", str(out)]


def default_fits(a: argparse.Namespace, exe: Path) -> list[dict]:
    """Peak RSS and wall time of :func:`default_command` per size."""
    sizes = [int(s) for s in a.default_sizes if not (a.quick and s > 1e6)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="lstmcast-mem-") as tmp:
        for n in sizes:
            csv = Path(tmp) / f"s{n}.csv"
            write_csv(csv, n)
            out = Path(tmp) / f"default{n}"
            load = os.getloadavg()[0]
            mb, seconds, code, err = measure(default_command(exe, csv, out,
                                                             a.default_steps))
            facts = {}
            if code == 0:
                metrics = json.loads((out / "metrics.json").read_text())
                facts = {"n_test": metrics["split"]["n_test"],
                         "n_val": metrics["split"]["n_val"],
                         "batching": metrics["config"]["train"]["batching"],
                         "r2": metrics["models"]["lstm"]["r2"],
                         "naive_r2": metrics["models"]["naive"]["r2"]}
            rows.append({"n": n, "window": 512, "steps": a.default_steps,
                         "peak_mb": mb, "seconds": seconds, "exit": code,
                         "load": load, "load_end": os.getloadavg()[0],
                         "error": err if code else "", **facts})
            print(f"default fit, n {n:>10,}: peak {mb:,.0f} MB, {seconds:.1f} s, "
                  f"exit {code}", flush=True)
            if code:
                print(err, file=sys.stderr)
    return rows


def defaults_text(defaults: list[dict], exe: Path) -> str:
    """The table of the default fits and the verdict on their target."""
    if not defaults:
        return ""
    steps = defaults[0]["steps"]
    lines = ["| points | test points | validation points | training | peak RSS MB "
             "| seconds | load (1 min) start / end | R² (naive R²) | exit |",
             "|---:|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in defaults:
        r2 = (f"{r['r2']:.4f} ({r['naive_r2']:.4f})" if r.get("r2") is not None
              else "")
        lines.append(f"| {r['n']:,} | {r.get('n_test', 0):,} | {r.get('n_val', 0):,} "
                     f"| {r.get('batching', '')} | {r['peak_mb']:,.0f} | "
                     f"{r['seconds']:.1f} | {r['load']:.1f} / "
                     f"{r.get('load_end', r['load']):.1f} | {r2} | {r['exit']} |")
    ok = [r for r in defaults if r["exit"] == 0 and r["peak_mb"] < LIMIT_GB * 1024
          and r["seconds"] < LIMIT_SECONDS]
    met = "met" if len(ok) == len(defaults) else "MISSED"
    return ("\n\nThe default fit, as a new user runs it (default test and "
            f"validation parts): `{exe.name} fit FILE --no-auto --target value "
            f"--time timestamp --window 512 --max-steps {steps} --quiet` (all "
            "cores; one run per case, so the seconds carry the load beside them). "
            "`batching auto` trains such a series on sequences and forecasts its "
            "test part in chunks read once (lstmcast.network.sequences); the "
            "validation loss is taken the same way. The time includes reading the "
            "CSV, both fits (the evaluated one and the refit on every row), "
            "each with its interval calibration (48-step recursive paths from "
            "about 200 validation origins), the one-step forecasts and bands of "
            "the whole test part, the doctor and the report. The command line "
            "fixes glibc's mmap threshold at 4 MB (lstmcast.core.heap: 1.65 GB "
            "peak at 10^7 points without it, measured once).\n\n"
            + "\n".join(lines) + f"\n\nTarget (under {LIMIT_GB} "
            f"GB and under {LIMIT_SECONDS / 60:.0f} minutes on 2 cores, every "
            f"size): {met} ({len(ok)} of {len(defaults)}).")


PROBE = """
import json, resource, sys, time, torch
from lstmcast.network.model import LSTMNet, inference_batch
torch.set_num_threads(1)
window, hidden = int(sys.argv[1]), 64
net = LSTMNet(1, hidden, 1, skip_window=window).eval()
INFER_BATCH = inference_batch(net, window)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
x = torch.randn(INFER_BATCH, window, 1)
t = time.perf_counter()
with torch.no_grad():
    net(x)
print(json.dumps([INFER_BATCH, before, resource.getrusage(
    resource.RUSAGE_SELF).ru_maxrss / 1024, time.perf_counter() - t]))
"""


def rows_from_markdown() -> list[dict]:
    """The fit rows of the table this script last wrote into BENCHMARKS.md."""
    text = (ROOT / "BENCHMARKS.md").read_text()
    if BEGIN not in text:
        return []
    rows = []
    for line in text[text.index(BEGIN):text.index(END)].splitlines():
        cells = [c.strip().replace(",", "") for c in line.strip("|").split("|")]
        if len(cells) == 7 and cells[0].isdigit():
            rows.append({"n": int(cells[0]), "window": int(cells[1]),
                         "peak_mb": float(cells[2]), "seconds": float(cells[4]),
                         "load": float(cells[5]), "exit": int(cells[6])})
    return rows


def batch_probe(windows: list[int]) -> list[dict]:
    """Peak RSS of one inference batch of lstmcast's size (model.inference_batch)
    through the default network (hidden 64), in a fresh process per window."""
    out = []
    for window in windows:
        res = subprocess.run([sys.executable, "-c", PROBE, str(window)],
                             capture_output=True, text=True, check=True)
        batch, before, after, seconds = json.loads(res.stdout.strip())
        out.append({"window": window, "batch": batch, "before_mb": before,
                    "peak_mb": after, "seconds": seconds})
        print(f"inference batch {batch} x window {window}: peak {after:,.0f} MB "
              f"(before {before:,.0f} MB)", flush=True)
    return out


def batch_text(batch: list[dict]) -> str:
    if not batch:
        return ""
    lines = ["| inference batch (windows) | window | peak RSS MB | before MB | "
             "seconds |", "|---:|---:|---:|---:|---:|"]
    lines += [f"| {b['batch']:,} | {b['window']} | {b['peak_mb']:,.0f} | "
              f"{b['before_mb']:,.0f} | {b['seconds']:.1f} |" for b in batch]
    return ("\n\nThe fits above forecast 2,000 test points, fewer than one "
            "inference batch. With the default 20% test part of a long series, a "
            "network trained on windows forecasts in full batches of "
            "`model.inference_batch` windows (sized to keep activations near "
            "256 MB; one trained on sequences reads chunks of 2,048 forecasts, "
            "within 64 MB a batch: the table after this one); one batch of windows "
            "through the default network (hidden 64), in a fresh process:\n\n"
            + "\n".join(lines) + "\n\nThis peak "
            "does not depend on the series length: the batch shrinks as window x "
            "hidden grows.")


def write(rows: list[dict], batch: list[dict], a: argparse.Namespace,
          exe: Path, defaults: list[dict] | None = None) -> None:
    lines = ["| points | window | peak RSS MB | one N x L float32 copy MB | "
             "seconds | load (1 min) | exit |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['n']:,} | {r['window']} | {r['peak_mb']:,.0f} | "
                     f"{r['n'] * r['window'] * 4 / 2**20:,.0f} | {r['seconds']:.1f} | "
                     f"{r['load']:.1f} | {r['exit']} |")
    by = {(r["n"], r["window"]): r["peak_mb"] for r in rows if r["exit"] == 0}
    notes = []
    sizes = sorted({r["n"] for r in rows})
    windows = sorted({r["window"] for r in rows})
    if len(windows) > 1:
        for n in sizes:
            lo, hi = by.get((n, windows[0])), by.get((n, windows[-1]))
            if lo and hi:
                notes.append(f"{n:,} points: window {windows[-1]} / window "
                             f"{windows[0]} peak = {hi / lo:.2f}")
    if len(sizes) > 1:
        for w in windows:
            lo, hi = by.get((sizes[0], w)), by.get((sizes[-1], w))
            if lo and hi:
                grow = sizes[-1] / sizes[0]
                notes.append(f"window {w}: {sizes[-1]:,} / {sizes[0]:,} points "
                             f"peak = {hi / lo:.1f} (points x{grow:,.0f})")
    big = by.get((int(1e7), 512))
    met = "met" if big is not None and big < LIMIT_GB * 1024 else "MISSED"
    verdict = (f"Target (10^7 points, window 512, under {LIMIT_GB} GB): "
               + ("not measured in this run." if big is None else
                  f"{big / 1024:.2f} GB, {met}."))
    import torch
    text = (f"{BEGIN}\nMade by `python benchmarks/memory.py"
            f"{' --quick' if a.quick else ''}` on {platform.node()} "
            f"({os.cpu_count()} cores), Python {platform.python_version()}, torch "
            f"{torch.__version__}: `{exe.name} fit FILE --no-auto --window L "
            f"--season 24 --epochs 1 --max-steps {a.max_steps} --hidden-size 64 "
            f"--threads 1 --quiet --test-size {a.test} --val-size {a.test}` (test "
            "and validation parts given as counts, so the run time stays in "
            "minutes), one fresh process per case, peak RSS from "
            "getrusage(RUSAGE_CHILDREN); one run per case (peak memory does not "
            "depend on the load). The time includes reading the CSV, the one-step "
            "forecasts of the whole test part and saving the run folder.\n\n"
            + "\n".join(lines) + "\n\n" + "; ".join(notes) + ".\n\n" + verdict
            + batch_text(batch) + defaults_text(defaults or [], exe) + f"\n{END}")
    write_section(text, BEGIN, END, "Memory")


if __name__ == "__main__":
    sys.exit(main())
