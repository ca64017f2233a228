"""Past one machine, tested with the real engines on 127.0.0.1: a Dask
scheduler with two `dask worker` processes fits the classical methods of a
panel exactly as this process does, and `torchrun` with two processes trains
the global network along the loss curve of one process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstmcast.baselines.chunked import chunk_bounds, classical_paths
from lstmcast.core import parallel
from lstmcast.core.errors import DataError

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LOSS_RTOL = 1e-4
"""Two processes sum each batch's gradient in two halves, one in one go: the
epoch losses agree to float32 summation order, far inside this."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"),
                                         env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def _histories(count: int = 8, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for k in range(count):
        t = np.arange(40 + 5 * k)
        out.append((50 + 5 * k + 0.4 * t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12))
                   * np.exp(rng.normal(0, 0.03, t.size)))
    return out


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """`dask scheduler` on 127.0.0.1 (a free port, read from its scheduler
    file) and two `dask worker` processes of one thread each."""
    pytest.importorskip("distributed")
    folder = tmp_path_factory.mktemp("dask")
    info = folder / "scheduler.json"
    dask = str(BIN / "dask")
    procs = [subprocess.Popen(
        [dask, "scheduler", "--host", "127.0.0.1", "--port", "0",
         "--no-dashboard", "--scheduler-file", str(info)],
        env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert info.exists(), "the dask scheduler did not start"
        address = json.loads(info.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            procs.append(subprocess.Popen(
                [dask, "worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--host", "127.0.0.1",
                 "--local-directory", str(folder)],
                env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        from distributed import Client
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_dask_workers_fit_the_same_baselines_as_this_process(dask_cluster,
                                                            monkeypatch,
                                                            quick_classical):
    from distributed import get_task_stream
    histories = _histories()
    monkeypatch.setattr("lstmcast.baselines.chunked.CHUNK_VALUES", 150)
    here = classical_paths(histories, 12, 6)
    with parallel.cluster(dask_cluster):
        assert parallel.workers() == 2  # the cluster's threads, not this machine's
        with get_task_stream(parallel._CLIENT.get()) as stream:
            there = classical_paths(histories, 12, 6)
    chunks = chunk_bounds([h.size for h in histories], 2, 150)
    assert len(chunks) > 2
    assert len(stream.data) == len(chunks)  # every chunk ran on the cluster
    assert len({task["worker"] for task in stream.data}) == 2
    assert set(there) == {"theta", "damped", "dtheta"}
    for name, paths in here.items():
        assert paths.shape == (len(histories), 6)
        np.testing.assert_allclose(there[name], paths, rtol=1e-9, atol=1e-9)


def test_an_unreachable_scheduler_is_a_clear_error(monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr(parallel, "CONNECT_SECONDS", 1)
    with pytest.raises(DataError, match=r"tcp://127\.0\.0\.1:9 .*dask scheduler"),\
            parallel.cluster("127.0.0.1:9"):
        pass


def _panel_csv(path: Path) -> Path:
    rng = np.random.default_rng(0)
    parts = []
    for k in range(10):
        n = 48 + 3 * k
        t = np.arange(n)
        y = (50 + 10 * k + 0.3 * t) * (1 + 0.2 * np.sin(2 * np.pi * (t + k) / 12)) \
            * np.exp(rng.normal(0, 0.03, n))
        parts.append(pd.DataFrame({"store": f"s{k}", "ds": pd.date_range(
            "2015-01-01", periods=n, freq="MS"), "sales": y}))
    pd.concat(parts).to_csv(path, index=False)
    return path


def _fit(tmp_path: Path, name: str, launcher: list[str]) -> tuple[list[float], list]:
    """The epoch losses of the saved network and each process's window count."""
    counts = tmp_path / f"counts-{name}"
    counts.mkdir()
    env = {**_env(), "COUNTS": str(counts), "OMP_NUM_THREADS": "1"}
    args = ["fit", str(tmp_path / "panel.csv"), "--id", "store", "--target",
            "sales", "--horizon", "4", "--network-weight", "0.5", "--epochs", "3",
            "--batch-size", "64", "--hidden-size", "8", "--no-refit",
            "--threads", "1", "--quiet", "--out", str(tmp_path / name)]
    done = subprocess.run([*launcher, str(ROOT / "tests" / "distributed_fit.py"),
                           *args], env=env, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    meta = json.loads((tmp_path / name / "model.json").read_text())
    losses = [epoch["train_loss"] for epoch in meta["history"]["history"]]
    ranks = sorted(counts.glob("rank*.json"))
    return losses, [json.loads(p.read_text()) for p in ranks]


def test_torchrun_with_two_processes_follows_the_loss_curve_of_one(tmp_path):
    torchrun = BIN / "torchrun"
    if not torchrun.exists():
        torchrun = shutil.which("torchrun")
    assert torchrun, "torchrun comes with torch"
    _panel_csv(tmp_path / "panel.csv")
    one, (windows_one,) = _fit(tmp_path, "one", [sys.executable])
    two, per_rank = _fit(tmp_path, "two", [str(torchrun), "--standalone",
                                           "--nproc_per_node", "2"])
    assert len(one) == len(two) == 3
    np.testing.assert_allclose(two, one, rtol=LOSS_RTOL)
    assert len(per_rank) == 2  # each process trained on its half of every batch
    for count in per_rank:
        assert 0.45 * windows_one <= count <= 0.55 * windows_one
