"""Task runners for ``--runner``, submitting shards in plan order with a short queue, and
handing a task a large argument whole."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Generic, TypeVar

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
    from .shards import MIN_SHARD_BYTES

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


def task_runner(options: RunOptions) -> Any:
    """The Prefect task runner for ``options.runner``."""
    workers = slots(options)
    if options.runner == "thread":
        from prefect.task_runners import ThreadPoolTaskRunner

        return ThreadPoolTaskRunner(max_workers=workers)
    if options.runner == "process":
        from prefect.task_runners import ProcessPoolTaskRunner

        return ProcessPoolTaskRunner(max_workers=workers)
    from prefect_dask import DaskTaskRunner

    quiet_dask(os.environ.get("PREFECT_LOGGING_LEVEL") == "INFO")
    if options.address:
        return DaskTaskRunner(address=options.address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": True,
            "silence_logs": logging.WARNING,
        }
    )


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
    from prefect.futures import wait

    window = slots + 1 if slots else max(len(items), 1)
    running: dict[Any, T] = {}
    queue = iter(items)
    while True:
        while len(running) < window and (item := next(queue, _END)) is not _END:
            running[submit(item)] = item  # type: ignore[assignment]
        if not running:
            return
        done, _ = wait(list(running), timeout=0.5)
        if not done and poll is not None:
            poll()
        for future in sorted(done, key=lambda f: list(running).index(f)):
            yield running.pop(future), future.result()


_END = object()
