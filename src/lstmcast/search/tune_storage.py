"""Where a study lives, and how trials of dead workers come back.

- no storage and no folder: in memory (one process only);
- a file path: an Optuna journal file (the default, ``study.journal`` in the
  output folder), shared by the processes of one machine. A trial whose
  process died (killed, machine reset) is found by its recorded host and pid
  when a worker starts, marked FAILED and queued again with its parameters;
- a database URL (``postgresql://``, ``sqlite:///``, ``mysql://``): workers on
  many machines share it. Each running trial sends a heartbeat; a trial whose
  heartbeat stops is marked FAILED by the next worker to start a trial, and
  queued again with its parameters.
"""

from __future__ import annotations

import os
import re
import socket
import warnings
from typing import Any

from lstmcast.core.errors import DataError

JOURNAL = "study.journal"
MAX_RETRY = 2
HEARTBEAT = 10


def redact(url: str) -> str:
    """The URL with any password replaced by ***."""
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


def open_storage(spec: str | None, *, heartbeat: int = HEARTBEAT) -> Any:
    """An Optuna storage for ``spec`` (None: memory; a URL: a database; else a
    journal file path)."""
    import optuna
    if spec is None:
        return optuna.storages.InMemoryStorage()
    if "://" not in spec:
        from optuna.storages.journal import JournalFileBackend, JournalStorage
        return JournalStorage(JournalFileBackend(str(spec)))
    retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                spec, engine_kwargs={"pool_pre_ping": True},
                heartbeat_interval=heartbeat, grace_period=3 * heartbeat,
                heartbeat_stale_trial_callback=retry)
    except ImportError as exc:
        raise DataError(f"The storage {redact(spec)} needs a database driver that "
                        f"is not installed ({exc}). For PostgreSQL: pip install "
                        "'lstmcast[postgres]'.") from None
    except Exception as exc:  # sqlalchemy's connection errors
        if type(exc).__module__.startswith("sqlalchemy"):
            raise DataError(f"Cannot open the storage {redact(spec)}: "
                            f"{str(exc).splitlines()[0]}. Check the host, port, "
                            "user, password and database name, and that the "
                            "database server is running.") from None
        raise


def mark_owner(trial: Any) -> None:
    """Record which process runs ``trial`` (to find it again if it dies)."""
    trial.set_user_attr("host", socket.gethostname())
    trial.set_user_attr("pid", os.getpid())


def recover_orphans(study: Any, storage: Any) -> list[int]:
    """Fail and requeue the running trials of dead processes on this host.

    Only for journal files: a database storage has heartbeats instead. Returns
    the numbers of the trials failed.
    """
    import optuna
    from optuna.trial import TrialState
    if not isinstance(storage, optuna.storages.JournalStorage):
        return []
    host, failed = socket.gethostname(), []
    retry = optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=MAX_RETRY)
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        pid = trial.user_attrs.get("pid")
        if trial.user_attrs.get("host") != host or pid is None or _alive(pid):
            continue
        if storage.set_trial_state_values(trial._trial_id, state=TrialState.FAIL):
            failed.append(trial.number)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                retry(study, storage.get_trial(trial._trial_id))
    return failed


def _alive(pid: int) -> bool:
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
