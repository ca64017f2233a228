"""Several tuning workers on one PostgreSQL study: a real server on loopback.

The fixture finds Debian's PostgreSQL binaries (installed by `.ci/run`), starts
a throwaway cluster in a temporary folder (as the ``postgres`` or ``nobody``
user when the tests run as root, which PostgreSQL refuses), listening only on
127.0.0.1 on a free port. Without the binaries the tests skip, except under
CI=true, where they fail.
"""

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import optuna
import pytest
import torch

from conftest import ar_series
from lstmcast import ForecastConfig, load
from lstmcast.search.tune import tune
from lstmcast.search.tune_space import Param

torch.set_num_threads(1)
SPACE = {"lr": Param("categorical", choices=(3e-3, 1e12)),
         "window": Param("int", 7, 14), "hidden_size": Param("int", 4, 8)}
BASE = {"target": "y", "epochs": 10, "batch_size": 32, "patience": 0,
        "optimizer": "sgd", "clip_grad": None, "momentum": 0.5}


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


def _binaries() -> str | None:
    """The folder holding initdb and pg_ctl (PATH first, then Debian's)."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return os.path.dirname(os.path.realpath(found))
    folders = [f for f in glob.glob("/usr/lib/postgresql/*/bin")
               if os.path.exists(os.path.join(f, "initdb"))]
    version = re.compile(r"/(\d+)/bin$")
    folders.sort(key=lambda f: int(m.group(1)) if (m := version.search(f)) else 0)
    return folders[-1] if folders else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_user() -> tuple[list[str], str | None]:
    """The command prefix that drops root, and the user it drops to."""
    if os.geteuid() != 0:
        return [], None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"], name
    _missing("running as root and neither a 'postgres' nor a 'nobody' user exists")
    return [], None


@pytest.fixture(scope="module")
def postgres_url():
    try:
        import psycopg
    except ImportError:
        _missing("psycopg is not installed: pip install -e '.[dev]'")
    bindir = _binaries()
    if bindir is None:
        _missing("PostgreSQL server binaries (initdb, pg_ctl) not found: install "
                 "Debian's postgresql package (.ci/run does)")
    prefix, user = _as_user()
    root = tempfile.mkdtemp(prefix="lstmcast-pg-")
    data, log = os.path.join(root, "data"), os.path.join(root, "server.log")
    if user:
        shutil.chown(root, user)
    port = _free_port()
    subprocess.run([*prefix, os.path.join(bindir, "initdb"), "-D", data, "-U",
                    "postgres", "--auth=trust", "-E", "UTF8"], check=True,
                   capture_output=True)
    with open(os.path.join(data, "postgresql.conf"), "a") as conf:
        conf.write(f"listen_addresses = '127.0.0.1'\nport = {port}\n"
                   "unix_socket_directories = ''\nfsync = off\n"
                   "max_connections = 200\n")
    pg_ctl = os.path.join(bindir, "pg_ctl")
    subprocess.run([*prefix, pg_ctl, "-D", data, "-l", log, "-w", "start"],
                   check=True, capture_output=True)
    try:
        with psycopg.connect(host="127.0.0.1", port=port, user="postgres",
                             dbname="postgres", autocommit=True) as conn:
            conn.execute("CREATE DATABASE tune")
        yield f"postgresql://postgres@127.0.0.1:{port}/tune"
    finally:
        subprocess.run([*prefix, pg_ctl, "-D", data, "-m", "immediate", "stop"],
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("pgdata") / "data.csv"
    ar_series(200).drop(columns="x").to_csv(path, index=False)
    return path


def _study(url: str, name: str):
    return optuna.load_study(study_name=name, storage=url)


def test_workers_share_one_study_and_a_diverging_trial_fails(postgres_url, csv):
    """Three workers: every trial numbered once, none left running, the
    diverging one FAILED with its reason while the others complete."""
    series = load(csv, target="y")
    base = ForecastConfig().replace(**BASE)
    study = optuna.create_study(study_name="shared", storage=postgres_url)
    study.enqueue_trial({"lr": 1e12, "window": 7, "hidden_size": 4})
    result = tune(series, base, trials=6, workers=3, storage=postgres_url,
                  study_name="shared", space=SPACE, pruner="none", progress=False)
    trials = _study(postgres_url, "shared").trials
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(len(trials)))
    assert len({t._trial_id for t in trials}) == len(trials)
    assert {t.state.name for t in trials} <= {"COMPLETE", "FAIL"}
    assert 6 <= result.summary["n_trials"] == len(trials) <= 8
    assert trials[0].state.name == "FAIL"
    assert "diverged" in trials[0].user_attrs["fail_reason"]
    assert all(t.state.name == "COMPLETE" for t in trials if t.params["lr"] == 3e-3)
    assert len({t.user_attrs["pid"] for t in trials}) >= 2
    assert result.best_config.train.lr == 3e-3


WORKER = textwrap.dedent("""
    import sys
    from lstmcast import ForecastConfig, load
    from lstmcast.search.tune_space import Param
    from lstmcast.search.tune import tune
    space = {"window": Param("int", 7, 14), "hidden_size": Param("int", 4, 8)}
    base = ForecastConfig().replace(target="y", epochs=300, batch_size=32,
                                    patience=0)
    tune(load(sys.argv[1], target="y"), base, trials=2, storage=sys.argv[2],
         study_name="killed", space=space, heartbeat=1, progress=False)
""")


def test_killed_worker_trial_is_failed_and_retried(postgres_url, csv):
    proc = subprocess.Popen([sys.executable, "-c", WORKER, str(csv), postgres_url],
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    running = _wait_for_running(postgres_url, "killed", proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    time.sleep(3.5)  # the heartbeat's grace period (3 x 1 s) runs out
    space = {"window": Param("int", 7, 14), "hidden_size": Param("int", 4, 8)}
    base = ForecastConfig().replace(target="y", epochs=3, batch_size=32, patience=0)
    result = tune(load(csv, target="y"), base, trials=2, storage=postgres_url,
                  study_name="killed", space=space, heartbeat=1, progress=False)
    trials = _study(postgres_url, "killed").trials
    assert trials[running].state.name == "FAIL"
    assert "fail_reason" not in trials[running].user_attrs
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == running]
    assert len(retried) == 1 and retried[0].state.name == "COMPLETE"
    assert retried[0].params == trials[running].params
    assert result.summary["n_trials"] == 2  # the killed trial is not counted
    assert "RUNNING" not in {t.state.name for t in trials}


def _wait_for_running(url: str, name: str, proc, limit: float = 90.0) -> int:
    deadline = time.time() + limit
    while time.time() < deadline:
        assert proc.poll() is None, "the worker ended before it could be killed"
        if name in optuna.get_all_study_names(url):
            for t in _study(url, name).get_trials(deepcopy=False):
                if t.state.name == "RUNNING" and "config" in t.user_attrs:
                    return t.number
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("no trial started in time")
