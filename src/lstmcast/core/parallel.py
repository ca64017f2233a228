"""Per-series work mapped over chunks of series: in this process, or on a Dask
cluster.

Work that is done for each series on its own (the classical methods fitted
beside a global model) is cut into chunks of series, and :func:`map_chunks`
runs one function over the chunks. By default the chunks run in a pool of
threads of this process, one a core (the numpy and torch inside release the
GIL). Inside :func:`cluster` with the address of a Dask scheduler
(``tcp://HOST:8786``, the ``--dask-scheduler`` setting), they run on that
cluster's workers through ``dask.distributed.Client`` instead: the same
function on the same chunks, so the results are the same. Dask is the
optional extra ``distributed`` (``pip install 'lstmcast[distributed]'``);
nothing here needs it without an address.
"""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from lstmcast.core.errors import DataError

__all__ = ["cluster", "local_workers", "map_chunks", "on_cluster", "workers"]

T = TypeVar("T")
R = TypeVar("R")
F = TypeVar("F", bound=Callable[..., Any])

CONNECT_SECONDS = 30
"""How long to wait for the scheduler to answer and for a worker to join."""
FIX = ("Start one with `dask scheduler` and its workers with `dask worker "
       "tcp://HOST:8786` (pip install 'lstmcast[distributed]' on every machine), "
       "or drop --dask-scheduler to work in this process.")

_CLIENT: ContextVar[Any] = ContextVar("dask_client", default=None)


def local_workers() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def workers() -> int:
    """How many chunks run at once: the threads of the cluster's workers inside
    :func:`cluster`, else this machine's cores."""
    client = _CLIENT.get()
    if client is None:
        return local_workers()
    return max(1, sum(client.nthreads().values()))


@contextmanager
def cluster(address: str | None) -> Iterator[None]:
    """Run :func:`map_chunks` inside the block on the Dask scheduler at
    ``address`` (None: in this process). A block inside another for the same
    address reuses its connection."""
    current = _CLIENT.get()
    if address is None or (current is not None and current.scheduler.address
                           == _normal(address)):
        yield
        return
    client = _connect(address)
    token = _CLIENT.set(client)
    try:
        yield
    finally:
        _CLIENT.reset(token)
        client.close()


def on_cluster(func: F) -> F:
    """Run ``func`` inside :func:`cluster` of the ``dask_scheduler`` of its
    ``config`` argument (a :class:`~lstmcast.core.config.ForecastConfig`)."""
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        config = signature.bind(*args, **kwargs).arguments["config"]
        with cluster(config.train.dask_scheduler):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def map_chunks(func: Callable[..., R], chunks: Sequence[T], *,
               threads: bool = True, **kwargs: Any) -> list[R]:
    """``[func(chunk, **kwargs) for chunk in chunks]``, the chunks run side by
    side (see the module's docstring); an error in one is raised here.

    ``threads=False`` runs them one after the other when there is no cluster
    (work that holds the GIL, or changes process-wide settings such as
    warning filters, gains nothing from threads)."""
    client = _CLIENT.get()
    if client is not None:
        futures = client.map(func, list(chunks), pure=False, **kwargs)
        return client.gather(futures)
    if len(chunks) <= 1 or not threads:
        return [func(chunk, **kwargs) for chunk in chunks]
    with ThreadPoolExecutor(min(len(chunks), local_workers())) as pool:
        return list(pool.map(functools.partial(func, **kwargs), chunks))


def _normal(address: str) -> str:
    return address if "://" in address else f"tcp://{address}"


def _connect(address: str) -> Any:
    """A client of the scheduler at ``address`` with at least one worker, or a
    DataError saying what is wrong and how to fix it."""
    try:
        from distributed import Client
    except ImportError:
        raise DataError(f"--dask-scheduler {address} needs Dask: pip install "
                        "'lstmcast[distributed]' (dask[distributed]).") from None
    target = _normal(address)
    try:
        client = Client(target, timeout=CONNECT_SECONDS, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else "no answer"
        raise DataError(f"Cannot reach the Dask scheduler at {target} "
                        f"({type(exc).__name__}: {reason}). {FIX}") from None
    try:
        client.wait_for_workers(1, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError):
        client.close()
        raise DataError(f"The Dask scheduler at {target} has no workers (none "
                        f"joined within {CONNECT_SECONDS} s). {FIX}") from None
    return client
