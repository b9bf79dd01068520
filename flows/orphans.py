"""A flow run whose worker stops mid-run still ends (Cancelled), and frees its slot.

Prefect's process worker (3.9) starts each flow run in a session of its own, so a
terminal's Ctrl-C reaches the worker only. Stopping, the worker SIGKILLs the run's
process (anyio closes the process it was waiting on), which can report nothing, and
reports nothing itself: the run stayed Running, and its deployment's one slot
(``concurrency_limit: 1``) stayed taken until the slot's lease ran out, minutes later.

So a flow run that a worker or runner started has a watcher: a small process, in a
session of its own, that waits on the run's process and on the process that started
it. When the starter goes, the run goes with it (the run's process group is killed, as
the worker's own stop kills it), and the watcher marks the run, its subflows and task
runs Cancelled unless it reported an end. When the run's process ends and its starter
lives on, the starter reports the end (a worker marks a killed run Crashed). Shards a
run finished stay staged, and the next run finishes its plan (``_state/pending.json``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from uuid import UUID

FLOW_RUN_ID = "PREFECT__FLOW_RUN_ID"  # set by Prefect's runners and workers for the run
POLL_S = 0.25
STARTER_GRACE_S = 30.0  # a stopping worker kills its run first, then exits
STOPPED = "Its worker stopped mid-run; the next run finishes what it started"

_watchers: list[subprocess.Popen[bytes]] = []  # one per process; kept from the collector


def watch() -> None:
    """In a flow run's process that a worker or runner started (on POSIX): start its
    watcher, once. Elsewhere (the CLI, a flow called from Python, a test) nothing."""
    context = sys.modules.get("prefect.context")  # never import Prefect for this
    run_id = os.environ.get(FLOW_RUN_ID)
    if _watchers or not run_id or os.name != "posix" or os.getppid() <= 1:
        return
    if context is None or context.FlowRunContext.get() is None:
        return
    leads_group = os.getpgrp() == os.getpid()  # a worker's run: its children with it
    package_root = Path(__file__).resolve().parents[1]
    command = [sys.executable, "-m", __name__, run_id, str(os.getpid()), str(os.getppid())]
    _watchers.append(
        subprocess.Popen(
            [*command, "group" if leads_group else "pid"],
            cwd=package_root,  # finds this package however the run found it
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # neither a terminal's Ctrl-C nor a group kill
        )
    )


def alive(pid: int) -> bool:
    """Is ``pid`` running (a zombie is not)?

    >>> alive(os.getpid())
    True
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a finished child of this process is a zombie until reaped: reap it
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:  # not a child of ours
        pass
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # no /proc (macOS), or gone meanwhile
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def orphaned_run(run_alive: bool, starter_alive: bool) -> bool:
    """Has a worker stopped while its run still runs (its SIGKILL beat the worker's
    own kill of the run, or a second Ctrl-C killed the worker)? Then the watcher
    ends the run, as the worker meant to.

    >>> orphaned_run(run_alive=True, starter_alive=False)
    True
    >>> orphaned_run(run_alive=False, starter_alive=False)  # killed with its worker
    False
    """
    return run_alive and not starter_alive


def kill_run(pid: int, whole_group: bool) -> None:
    """SIGKILL the run's process, and with ``whole_group`` what it started (a
    process pool, a Dask cluster): as a stopping worker kills a run. The dataset
    takes it: a run killed anywhere resumes to the same dataset."""
    try:
        if whole_group:
            os.killpg(pid, signal.SIGKILL)  # the group outlives its leader's death
        else:
            os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def wait_while(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while condition() and time.monotonic() < deadline:
        time.sleep(POLL_S)


def cancel_if_unreported(flow_run_id: UUID, attempts: int = 10) -> None:
    """Mark the run (its subflows, task runs) Cancelled, unless it reported an end;
    a few tries, for a server that restarts with the machine."""
    from prefect.client.orchestration import get_client

    from .cancel import cancel_runs

    for _ in range(attempts):
        try:
            with get_client(sync_client=True) as client:
                state = client.read_flow_run(flow_run_id).state
        except Exception:
            time.sleep(3)
            continue
        if state is None or not state.is_final():
            cancel_runs([flow_run_id], STOPPED, subflows=True)
        return


def main(argv: list[str]) -> int:
    """The watcher: ``FLOW_RUN_ID RUN_PID STARTER_PID group|pid``."""
    flow_run_id, run, starter, scope = UUID(argv[0]), int(argv[1]), int(argv[2]), argv[3]
    wait_while(lambda: alive(run) and alive(starter), float("inf"))
    if orphaned_run(alive(run), alive(starter)):
        kill_run(run, scope == "group")
        wait_while(lambda: alive(run), 10.0)
    else:
        wait_while(lambda: alive(starter), STARTER_GRACE_S)
        if alive(starter):
            return 0  # the worker saw its run end: it reports the end
        if scope == "group":
            kill_run(run, whole_group=True)  # what the run started, left behind
    cancel_if_unreported(flow_run_id)
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(main(sys.argv[1:]))
