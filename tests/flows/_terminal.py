"""What a terminal does to the command it runs, for tests that run one."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def ctrl_c(proc: subprocess.Popen, timeout: float = 60) -> None:
    """SIGINT to ``proc``'s process group (started with ``start_new_session``), as a
    terminal's Ctrl-C sends it; then wait for it to exit (a hang guard, not a timing
    check), killing the group if it does not."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
