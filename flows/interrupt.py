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
import time
from collections.abc import Callable, Iterator
from typing import Any

GRACE_S = 3.0
SAME_SIGNAL_S = 1.0  # a repeat within this is the same signal, delivered twice
COMMIT_GRACE_S = 60.0  # a commit on a bucket copies objects: let it finish

STOP = threading.Event()
_critical = threading.Event()
_state: dict[str, Any] = {"signum": None, "at": 0.0, "planned": 0, "done": 0, "flow_runs": []}
_armed: dict[str, Any] = {"handler": None}


class Interrupted(BaseException):  # like KeyboardInterrupt: not an error
    """The run was asked to stop (SIGINT or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def delivered_twice(first_at: float) -> bool:
    """Is a signal now the first one again? Outside a terminal, ``uv run`` forwards
    Ctrl-C to a child that the process group's Ctrl-C reached too."""
    return time.monotonic() - first_at < SAME_SIGNAL_S


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
        # a shard cleaned before the stop is staged, not committed: the resume keeps it
        f"interrupted: {_state['done']} of {_state['planned']} shards done and kept; "
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

    ``on_exit(signum)`` is called once, when a signal is about to end the process: by
    the caller after catching ``Interrupted``, or by the watchdog before it ends it.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    STOP.clear()
    _state.update(signum=None, planned=0, done=0, flow_runs=[])
    _quiet_resource_tracker()
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
        if STOP.is_set():
            if delivered_twice(_state["at"]):
                return
            final(signum)  # a second signal: now
            os._exit(128 + signum)
        _state["signum"], _state["at"] = signum, time.monotonic()
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
    except (Interrupted, Exception) as exc:  # Interrupted is no Exception, as Ctrl-C's
        if (stop := _as_stop(exc)) is None:
            raise
        final(stop.signum)
        raise stop from None
    finally:
        _armed["handler"] = None
        for s, h in previous.items():
            signal.signal(s, h)


def _quiet_resource_tracker() -> None:
    """The semaphores of a pool ended by a signal are not "leaked": keep the resource
    tracker (a process started with this interpreter's -W options) from saying so."""
    quiet = "ignore:resource_tracker:UserWarning"
    if quiet not in sys.warnoptions:
        sys.warnoptions.append(quiet)


def _as_stop(exc: BaseException) -> Interrupted | None:
    """The stop ``exc`` is: itself, or, raised while a stop unwinds, that stop. The
    handler raises where the main thread is; inside a library's lock the unwinding can
    fail in turn ("release unlocked lock"). After a stop, any failure is the stop's."""
    if isinstance(exc, Interrupted):
        return exc
    if STOP.is_set():
        return Interrupted(_state["signum"] or signal.SIGINT)
    return None


SERVED = "TEXTWASH_SERVED"  # set by ``textwash serve`` for the flow runs it starts


def rearm() -> None:
    """Inside a flow body, make SIGINT and SIGTERM stop the shards within seconds.

    From the command line (inside ``interruptible``): put the run's handler back.
    Prefect's flow engine swaps SIGTERM for its own handler while a flow runs, which
    logs "Crash detected!" before the run can act.

    In a flow run a runner or worker started: keep Prefect's handler, which records
    the runner's SIGTERM as a cancellation, but stop the shards first, so the run
    ends at the next document instead of after its shards. Under ``textwash serve``
    the terminal's Ctrl-C reaches this process too; it is ignored here, because the
    serve process cancels its run in order.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    handler = _armed["handler"]
    if handler is not None:
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)
        return
    context = sys.modules.get("prefect.context")
    if context is None or context.FlowRunContext.get() is None:
        return  # no flow run: a plain run from Python keeps the caller's handlers
    prefects = signal.getsignal(signal.SIGTERM)
    if getattr(prefects, "stops_shards", False):
        return  # a subflow in the same process: already in place
    STOP.clear()

    def stop_shards_then_prefects(signum: int, frame: object) -> None:
        _state["signum"] = signum
        STOP.set()
        _quiet_prefect()
        _stop_workers()
        if callable(prefects):
            prefects(signum, frame)

    stop_shards_then_prefects.stops_shards = True  # type: ignore[attr-defined]
    signal.signal(signal.SIGTERM, stop_shards_then_prefects)
    if os.environ.get(SERVED):
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def record_flow_run() -> None:
    """Remember the Prefect flow run this flow body runs in (none without Prefect's
    API), so that an interruption marks it Cancelled rather than Crashed."""
    context = sys.modules.get("prefect.context")  # never import Prefect for this
    run_context = context.FlowRunContext.get() if context is not None else None
    if _armed["handler"] is not None and run_context is not None and run_context.flow_run:
        _state["flow_runs"].append(run_context.flow_run.id)


def _cancel_flow_runs(signum: int) -> None:
    """Show the run's flow runs Cancelled in Prefect's UI (``cancel.py``), if any."""
    if _state["flow_runs"]:
        from .cancel import cancel_runs

        message = (
            f"Stopped by {signal.Signals(signum).name}: {_state['done']} of "
            f"{_state['planned']} shards finished and kept for the next run"
        )
        cancel_runs(_state["flow_runs"], message)


def _quiet_prefect() -> None:
    """Prefect logs "Crash detected!" and a traceback for an interrupted flow: the
    user asked for it, and reads one line instead."""
    import logging

    for name in ("prefect", "distributed", "asyncio"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
