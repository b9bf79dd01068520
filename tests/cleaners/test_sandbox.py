"""The child process: it returns results and raises exceptions as the call would, ends a
blocked call at the limit, survives nothing it should not, and never outlives its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cleaners import sandbox

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


def ends(pid: int) -> bool:
    """Whether process ``pid`` ends (or is left a zombie) within a minute."""
    for _ in range(600):
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except FileNotFoundError:
            return True
        if state in "ZX":
            return True
        time.sleep(0.1)
    return False


def test_results_and_exceptions_come_back() -> None:
    assert sandbox.call(divmod, (7, 2), 30, ()) == (3, 1)
    with pytest.raises(ValueError, match="invalid literal"):
        sandbox.call(int, ("x",), 30, ())


@pytest.mark.timeout(60)
def test_a_call_blocked_in_c_ends_at_the_limit_and_the_next_has_a_new_child() -> None:
    sandbox.call(len, ("",), 30, ())
    first = sandbox._local.child.proc.pid
    with pytest.raises(sandbox.TimeLimit):
        sandbox.call(time.sleep, (3600,), 0.5, ())  # one C call: no bytecode to stop at
    assert ends(first)
    assert sandbox.call(len, ("abc",), 30, ()) == 3
    assert sandbox._local.child.proc.pid != first


def test_a_child_that_dies_in_a_call_is_replaced() -> None:
    with pytest.raises(sandbox.ChildDied, match=r"exited \(3\)"):
        sandbox.call(os._exit, (3,), 30, ())
    with pytest.raises(sandbox.ChildDied, match="SIGKILL"):
        sandbox.call(signal.raise_signal, (signal.SIGKILL,), 30, ())
    assert sandbox.call(len, ("ab",), 30, ()) == 2


def test_a_reply_that_does_not_pickle_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="does not pickle"):
        sandbox.call(threading.Lock, (), 30, ())


def test_a_child_exits_when_its_pipe_closes() -> None:
    child = sandbox._Child(())
    child.proc.stdin.close()  # type: ignore[union-attr]
    assert child.proc.wait(timeout=60) == 0


PARENT = """
import os, sys, time
from cleaners import sandbox
sandbox.call(len, ("",), 30, ())
print(sandbox._local.child.proc.pid, flush=True)
if sys.argv[1] == "wait":
    time.sleep(3600)
"""


@pytest.mark.integration
@pytest.mark.parametrize("end", ["exit", "killed"])
def test_a_child_never_outlives_its_parent(end: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, "exit" if end == "exit" else "wait"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    child = int(parent.stdout.readline())  # type: ignore[union-attr]
    if end == "killed":
        parent.kill()  # no finalizer runs: PR_SET_PDEATHSIG ends the child
    parent.wait(timeout=60)
    assert ends(child)


def test_a_stop_sent_to_the_process_group_is_left_to_the_parent() -> None:
    """Ctrl-C or SIGTERM to the group must not cut the page in flight short: the child
    ignores them (the parent stops it, or it ends with the parent)."""
    sandbox.call(len, ("",), 30, ())
    child = sandbox._local.child.proc
    for stop in (signal.SIGINT, signal.SIGTERM):
        child.send_signal(stop)
    assert sandbox.call(len, ("abc",), 30, ()) == 3
    assert sandbox._local.child.proc is child
