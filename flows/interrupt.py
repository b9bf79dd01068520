"""Stopping a run: SIGINT (Ctrl-C) or SIGTERM, in any phase, within seconds.

The first signal sets ``STOP`` and raises ``Interrupted`` in the main thread. Shard
tasks on threads see ``STOP`` at their next document and raise too; worker processes
ignore SIGINT (the terminal sends it to the whole group) and are terminated, so a
pool's shutdown does not wait for their shards. Whatever a task was writing is a
temporary file under ``_staging/``, which no reader globs and the next run ignores;
finished shards stay staged, and the same command resumes from them.

The commit (moving staged parts into place, then the manifest) is not cut in the
middle: a signal during it is acted on when it ends. If unwinding hangs (a call in C
code that does not return), a watchdog ends the process ``GRACE_S`` after the signal;
a second signal ends it at once.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

GRACE_S = 3.0
COMMIT_GRACE_S = 60.0  # a commit on a bucket copies objects: let it finish

STOP = threading.Event()
_critical = threading.Event()
_state: dict[str, Any] = {"signum": None, "planned": 0, "done": 0, "flow_runs": []}
_armed: dict[str, Any] = {"handler": None}


class Interrupted(BaseException):  # like KeyboardInterrupt: not an error
    """The run was asked to stop (SIGINT or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def check() -> None:
    """Raise ``Interrupted`` if the run was asked to stop (called between documents)."""
    if STOP.is_set():
        raise Interrupted(_state["signum"] or signal.SIGINT)


def planned(shards: int, done: int) -> None:
    """A plan of ``shards`` of which ``done`` were finished before this run."""
    _state["planned"] += shards
    _state["done"] += done


def shard_done() -> None:
    _state["done"] += 1


def progress_line() -> str:
    """What the user reads after an interruption."""
    return (
        f"interrupted: {_state['done']} of {_state['planned']} shards committed; "
        "run the same command again to resume"
    )


@contextlib.contextmanager
def committing() -> Iterator[None]:
    """The commit: a signal in it is acted on when it ends."""
    _critical.set()
    try:
        yield
    finally:
        _critical.clear()
    check()


def _stop_workers() -> None:
    """Terminate worker processes (a process pool's, a local Dask cluster's)."""
    for child in multiprocessing.active_children():
        with contextlib.suppress(Exception):
            child.terminate()


@contextlib.contextmanager
def interruptible(on_exit: Callable[[int], None]) -> Iterator[None]:
    """SIGINT and SIGTERM stop the block (in the main thread only; elsewhere a no-op).

    ``on_exit(signum)`` is called once, when the process is about to end because of
    a signal: by the caller after catching ``Interrupted``, or by the watchdog just
    before it ends the process.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    STOP.clear()
    _state.update(signum=None, planned=0, done=0, flow_runs=[])
    # The semaphores of a pool ended by a signal are not "leaked": keep the resource
    # tracker (a process started with this interpreter's -W options) from saying so.
    quiet = "ignore:resource_tracker:UserWarning"
    if quiet not in sys.warnoptions:
        sys.warnoptions.append(quiet)
    finished = threading.Lock()

    def final(signum: int) -> None:
        if finished.acquire(blocking=False):
            _cancel_flow_runs(signum)
            on_exit(signum)

    def watchdog(signum: int) -> None:
        waited = 0.0
        while waited < COMMIT_GRACE_S and (waited < GRACE_S or _critical.is_set()):
            if not threading.main_thread().is_alive():
                return
            threading.Event().wait(0.1)
            waited += 0.1
        final(signum)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(128 + signum)

    def handler(signum: int, frame: object) -> None:
        if STOP.is_set():  # a second signal: now
            final(signum)
            os._exit(128 + signum)
        _state["signum"] = signum
        STOP.set()
        _quiet_prefect()
        threading.Thread(target=watchdog, args=(signum,), daemon=True).start()
        _stop_workers()
        if not _critical.is_set():
            raise Interrupted(signum)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    _armed["handler"] = handler
    try:
        yield
    except Interrupted as exc:
        final(exc.signum)
        raise
    finally:
        _armed["handler"] = None
        for s, h in previous.items():
            signal.signal(s, h)


def rearm() -> None:
    """Put the run's handler back in front of SIGTERM inside a flow body.

    Prefect's flow engine swaps SIGTERM for its own handler while a flow runs, which
    logs "Crash detected!" before the run can act; a run started from the command
    line handles its own signals. A no-op outside ``interruptible`` (a worker's flow
    run keeps Prefect's handling, which reports cancellations to the server).
    """
    handler = _armed["handler"]
    if handler is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)


def record_flow_run() -> None:
    """Remember the Prefect flow run this flow body runs in (none without Prefect's
    API), so that an interruption marks it Cancelled rather than Crashed."""
    context = sys.modules.get("prefect.context")  # never import Prefect for this
    run_context = context.FlowRunContext.get() if context is not None else None
    if _armed["handler"] is not None and run_context is not None and run_context.flow_run:
        _state["flow_runs"].append(run_context.flow_run.id)


def _cancel_flow_runs(signum: int) -> None:
    """Mark the run's flow runs, and their task runs the signal cut short, Cancelled.

    Prefect's engine records an exception out of a flow as a crash, and the task runs
    of terminated workers stay Running: the UI would show a failure where the user
    asked to stop. Best effort: the server may be gone, and the exit must not wait.
    """
    if not _state["flow_runs"]:
        return
    from prefect.client.orchestration import get_client
    from prefect.client.schemas import filters
    from prefect.client.schemas.objects import StateType
    from prefect.settings import PREFECT_API_REQUEST_TIMEOUT, temporary_settings
    from prefect.states import Cancelled

    message = (
        f"Stopped by {signal.Signals(signum).name}: {_state['done']} of "
        f"{_state['planned']} shards committed"
    )
    unfinished = [StateType.PENDING, StateType.SCHEDULED, StateType.RUNNING]
    runs = filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=_state["flow_runs"]))
    cut_short = filters.TaskRunFilter(
        state=filters.TaskRunFilterState(type=filters.TaskRunFilterStateType(any_=unfinished))
    )
    try:
        with (
            temporary_settings(updates={PREFECT_API_REQUEST_TIMEOUT: 2.0}),
            get_client(sync_client=True) as client,
        ):
            for task_run in client.read_task_runs(flow_run_filter=runs, task_run_filter=cut_short):
                client.set_task_run_state(task_run.id, Cancelled(message=message), force=True)
            for flow_run_id in _state["flow_runs"]:
                client.set_flow_run_state(flow_run_id, Cancelled(message=message), force=True)
    except Exception:  # the exit line matters more than the UI's state
        pass


def _quiet_prefect() -> None:
    """Prefect logs "Crash detected!" and a traceback for an interrupted flow: the
    user asked for it, and reads one line instead."""
    import logging

    for name in ("prefect", "distributed", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
