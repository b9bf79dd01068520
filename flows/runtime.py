"""Prefect settings and the run's API server. Import this before ``prefect``.

With no ``PREFECT_API_URL``, Prefect starts a temporary server on the first API call
and waits for it: here that is 10-20 s, nearly all of it the server importing. We
start the same server (the command Prefect's own ``SubprocessASGIServer`` runs) at
the very start of a command instead, so it boots while this process imports Prefect
and plans the shards; and one server serves the whole run, so out-of-process workers
share it instead of each starting their own. With ``PREFECT_API_URL`` set, that
server is used and nothing is started.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

# Quiet and offline by default; any of these set by the user wins.
PREFECT_DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # The default 20 s is too short for a cold start on a small machine.
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    # Results stay in memory: the dataset on disk is the result.
    "PREFECT_RESULTS_PERSIST_BY_DEFAULT": "false",
}
VERBOSE_OVERRIDES = {"PREFECT_LOGGING_LEVEL": "INFO"}


def configure_prefect(verbose: bool = False) -> None:
    """Set textwash's Prefect defaults in the environment (before prefect is imported)."""
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if verbose:
        os.environ.update(VERBOSE_OVERRIDES)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _die_with_parent() -> None:
    """In the server's process, before exec: ask Linux for SIGTERM when the parent
    dies, so a killed run (SIGKILL, OOM) leaves no orphan server behind."""
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class TemporaryServer:
    """A Prefect API server on loopback for the life of one command."""

    def __init__(self, extra_env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server
        spec = importlib.util.find_spec("prefect")
        if spec is None or spec.origin is None:
            raise RuntimeError("prefect is not installed")
        app_dir = str(Path(spec.origin).parent.parent)
        env = {
            **os.environ,
            # As Prefect's SubprocessASGIServer: no UI, ephemeral-server semantics.
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
            **(extra_env or {}),
        }
        env.pop("PREFECT_API_URL", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                app_dir,
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
        )

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the Prefect server exited at start-up:\n{self._tail()}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the Prefect server did not start within {timeout:.0f} s")

    def _tail(self) -> str:
        self._log.seek(0)
        return self._log.read().decode("utf-8", "replace")[-2000:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


@contextlib.contextmanager
def prefect_api() -> Iterator[str | None]:
    """Make sure the run has one Prefect API; yield its URL (None: a configured one).

    Call it before importing prefect: the server then starts while the import runs;
    call ``wait_for_api()`` before the first API call.
    """
    if os.environ.get("PREFECT_API_URL"):
        yield None
        return
    server = TemporaryServer()
    os.environ["PREFECT_API_URL"] = server.api_url
    _pending.append(server)
    try:
        yield server.api_url
    finally:
        _flush_api_logs()  # before the server goes: else "Error logging to API"
        os.environ.pop("PREFECT_API_URL", None)
        _pending.remove(server)
        server.stop()


_pending: list[TemporaryServer] = []


def _flush_api_logs() -> None:
    if "prefect" not in sys.modules:
        return
    try:
        from prefect.logging.handlers import APILogHandler

        APILogHandler.flush()
    except Exception:  # logs are a convenience; never fail a finished run on them
        pass


def wait_for_api(timeout: float = 90.0) -> None:
    """Block until the server started by ``prefect_api`` answers (no-op otherwise)."""
    for server in _pending:
        server.wait_ready(timeout)
