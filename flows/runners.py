"""Task runners for ``--runner``, submitting shards in plan order with a short queue, and
handing a task a large argument whole.

A run has Prefect's API (a server) or not. With it, tasks are submitted to Prefect's
task runner; without it (``plain``), the same task bodies go to the same kind of pool
from ``concurrent.futures`` (or a Dask client's executor), and the flow body runs as a
plain function: the dataset is the same, byte for byte, without a server's start-up.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import contextvars
import functools
import importlib
import inspect
import logging
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

from . import interrupt
from .options import RunOptions

T = TypeVar("T")
R = TypeVar("R")


class Whole(Generic[T]):
    """A task argument handed over as one object. Prefect walks every element of a
    dict or list it is given, twice, looking for futures (6.7 s for the 500,000 line
    counts of a large run, on each shard); Dask rebuilds tuples, so Prefect's own
    ``quote`` arrives there as a plain tuple. An object of a plain class is neither
    walked nor rebuilt, and pickles for processes and clusters."""

    __slots__ = ("value",)

    def __init__(self, value: T) -> None:
        self.value = value


def slots(options: RunOptions) -> int:
    """How many shards run at once: ``--workers``, else one thread, or all cores for
    a process pool or a local Dask cluster, or the workers of the Dask scheduler at
    ``--address``."""
    if options.workers:
        return options.workers
    if options.runner == "thread":
        return 1
    if options.address:
        return _dask_workers(options.address)
    return os.cpu_count() or 1


def default_runner(input_bytes: int) -> str:
    """The runner of a run given none: a process per core, unless the input is too small
    to make two shards (the plan's smallest is 1 MB) or there is one core, where
    starting processes would cost more than they save: one thread.

    >>> default_runner(100 << 20) == ("process" if (os.cpu_count() or 1) > 1 else "thread")
    True
    >>> default_runner(200_000)
    'thread'
    """
    from .plan import MIN_SHARD_BYTES

    if (os.cpu_count() or 1) > 1 and input_bytes >= 2 * MIN_SHARD_BYTES:
        return "process"
    return "thread"


def _dask_workers(address: str) -> int:
    from distributed import Client

    with Client(address, timeout=30) as client:
        info = client.scheduler_info(n_workers=-1)
        threads = sum(w.get("nthreads", 1) for w in info.get("workers", {}).values())
    return max(threads, 1)


def quiet_dask(verbose: bool) -> None:
    """distributed logs every worker start at INFO: keep a quiet run quiet."""
    level = logging.INFO if verbose else logging.WARNING
    for name in ("distributed", "distributed.scheduler", "distributed.nanny", "bokeh", "tornado"):
        logging.getLogger(name).setLevel(level)
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "info" if verbose else "warning")


def ignore_interrupts() -> None:
    """In a worker process: Ctrl-C reaches the whole process group, and the run's
    own process decides what stops (a worker would print its own traceback)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


DASK_DASHBOARD_PORT = 8787


def _cluster_kwargs(workers: int) -> dict[str, Any]:
    from .runtime import port_free

    return {
        "n_workers": workers,
        "threads_per_worker": 1,
        "processes": True,
        "silence_logs": logging.WARNING,
        # Dask's usual port, else any: another cluster on this machine (a second run,
        # a notebook) may hold it, and Dask would warn on the run's terminal.
        "dashboard_address": f":{DASK_DASHBOARD_PORT if port_free(DASK_DASHBOARD_PORT) else 0}",
    }


def task_runner(options: RunOptions) -> Any:
    """The Prefect task runner for ``options.runner``."""
    workers = slots(options)
    if options.runner == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=workers)
    if options.runner == "process":
        return _shard_pool_runner()(max_workers=workers)
    from prefect_dask import DaskTaskRunner

    quiet_dask(os.environ.get("PREFECT_LOGGING_LEVEL") == "INFO")
    if options.address:
        return DaskTaskRunner(address=options.address)
    return DaskTaskRunner(cluster_kwargs=_cluster_kwargs(workers))


def _process_pool(workers: int) -> concurrent.futures.ProcessPoolExecutor:
    return concurrent.futures.ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),  # as Prefect's: no fork of threads
        initializer=ignore_interrupts,
    )


_shard_pools: list[concurrent.futures.Executor] = []


@functools.cache
def _shard_pool_runner() -> type:
    """``--runner process`` with Prefect's API: Prefect's thread task runner, each
    shard's task handing its body to a process of a pool this runner holds.

    The task runs, their states and logs stay in this process, on Prefect's client;
    the workers import no Prefect and receive only the task body's arguments. Against
    Prefect's process task runner, which starts a task engine and its client in each
    worker for each task, that took a run of 22 tasks from 20 s to 14 s, and each
    worker about 75 MB lighter."""
    from prefect.task_runners import ThreadPoolTaskRunner

    class ShardPoolTaskRunner(ThreadPoolTaskRunner):
        def duplicate(self) -> ShardPoolTaskRunner:
            return type(self)(max_workers=self._max_workers)

        def __enter__(self) -> ShardPoolTaskRunner:
            super().__enter__()
            _shard_pools.append(_process_pool(self._max_workers))
            return self

        def __exit__(self, *exc: Any) -> None:
            try:
                super().__exit__(*exc)
            finally:
                _shard_pools.pop().shutdown(wait=True, cancel_futures=True)

    return ShardPoolTaskRunner


def in_shard_pool(body: Callable[..., R]) -> Callable[..., R]:
    """A task body that runs in the shard pool of the task runner running it, if it
    has one (``ShardPoolTaskRunner``), else here."""

    signature = inspect.signature(body)

    @functools.wraps(body)
    def run(*args: Any, **kwargs: Any) -> R:
        if not _shard_pools:
            return body(*args, **kwargs)
        named = signature.bind(*args, **kwargs).arguments  # Prefect passes some by position
        return _submit_body(_shard_pools[-1], body, named).result()

    return run


# --- without Prefect's API: the same task bodies on a concurrent.futures pool ---

_plain: contextvars.ContextVar[concurrent.futures.Executor | None] = contextvars.ContextVar(
    "textwash_plain_executor", default=None
)


def is_plain() -> bool:
    """Is this flow body running without Prefect's API (``plain``)?"""
    return _plain.get() is not None


@contextlib.contextmanager
def plain(options: RunOptions) -> Iterator[concurrent.futures.Executor]:
    """Run flow bodies in this block without Prefect: ``submit`` sends task bodies to
    a pool of ``options.runner``'s kind."""
    workers = slots(options)
    with contextlib.ExitStack() as stack:
        if options.runner == "thread":
            pool: Any = concurrent.futures.ThreadPoolExecutor(workers, "textwash-shard")
        elif options.runner == "process":
            pool = _process_pool(workers)
        else:
            from distributed import Client

            quiet_dask(os.environ.get("PREFECT_LOGGING_LEVEL") == "INFO")
            if options.address:
                client = stack.enter_context(Client(options.address))
            else:
                client = stack.enter_context(Client(**_cluster_kwargs(workers)))
            pool = client.get_executor(pure=False)
        stack.callback(pool.shutdown, wait=True)
        token = _plain.set(pool)
        stack.callback(_plain.reset, token)
        yield pool


_tasks: dict[str, Any] = {}


def register_tasks(*tasks: Any) -> None:
    """The Prefect tasks that wrap the phases' task bodies (clean_corpus.py registers them)."""
    for task in tasks:
        _tasks[task.fn.__name__] = task


def submit(body: Any, **kwargs: Any) -> Any:
    """Submit a task body (count.count_lines, clean.clean_shard): as its Prefect task
    to Prefect's task runner, or to the plain pool, by name (a worker imports no
    Prefect for it)."""
    pool = _plain.get()
    if pool is None:
        return _tasks[body.__name__].submit(**kwargs)
    return _submit_body(pool, body, kwargs)


def _submit_body(pool: concurrent.futures.Executor, body: Any, kwargs: dict[str, Any]) -> Any:
    """``body(**kwargs)`` on ``pool``, sent by its module and name (a worker process
    imports the body's module, never the Prefect task around it)."""
    return pool.submit(call_task_body, f"{body.__module__}:{body.__name__}", kwargs)


def call_task_body(name: str, kwargs: dict[str, Any]) -> Any:
    """A task's body, by its module and name."""
    module, attr = name.split(":")
    return getattr(importlib.import_module(module), attr)(**kwargs)


def _wait(futures: list[Any], timeout: float) -> set[Any]:
    if futures and isinstance(futures[0], concurrent.futures.Future):
        return concurrent.futures.wait(futures, timeout=timeout).done
    from prefect.futures import wait

    return wait(futures, timeout=timeout).done


def run_in_order(
    submit: Callable[[T], Any],
    items: Sequence[T],
    slots: int | None,
    poll: Callable[[], None] | None = None,
) -> Iterator[tuple[T, R]]:
    """Submit ``items`` in order with at most ``slots`` + 1 in flight (all when None);
    yield ``(item, result)`` as each finishes, calling ``poll`` twice a second while
    waiting (progress).

    A task runner may start queued tasks in any order (the process pool resolves
    submissions in threads); a short queue keeps the plan's order, largest shards
    first and the small tail last, so workers finish together. The one extra task in
    flight keeps a worker from waiting on the flow. Every future is resolved: an
    unresolved failure would let the flow end "Completed".
    """
    window = slots + 1 if slots else max(len(items), 1)
    running: dict[Any, T] = {}
    queue = iter(items)
    while True:
        while len(running) < window and (item := next(queue, _END)) is not _END:
            running[submit(item)] = item  # type: ignore[assignment]
        if not running:
            return
        done = _wait(list(running), timeout=0.5)
        interrupt.check()
        if not done and poll is not None:
            poll()
        for future in sorted(done, key=lambda f: list(running).index(f)):
            yield running.pop(future), future.result()


_END = object()
