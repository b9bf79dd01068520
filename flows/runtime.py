"""Prefect settings and the run's API server. Import this before ``prefect``.

With ``PREFECT_API_URL`` set, that server is used and nothing is started; else a
server kept in the background by ``textwash server start`` (``BackgroundServer``),
when it is up. Otherwise Prefect would start a temporary server on the first API call
and wait for it: here that is 10-20 s, nearly all of it the server importing. We
start the same server (the command Prefect's own ``SubprocessASGIServer`` runs) at
the very start of a command instead, so it boots while this process imports Prefect
and plans the shards; and one server serves the whole run, so out-of-process workers
share it instead of each starting their own.
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
    background = BackgroundServer.running()
    if background is not None:  # `textwash server start`: no start-up to pay
        try:
            with _using_api(background.api_url):
                yield None
        finally:
            _flush_api_logs()
        return
    server = TemporaryServer()
    _pending.append(server)
    try:
        with _using_api(server.api_url):
            try:
                yield server.api_url
            finally:
                _flush_api_logs()  # before the server goes: else "Error logging to API"
    finally:
        _pending.remove(server)
        server.stop()


@contextlib.contextmanager
def _using_api(api_url: str) -> Iterator[None]:
    """``PREFECT_API_URL`` for the block. Prefect reads its settings once, at import:
    a second run in the same process (a notebook, a test runner) would otherwise talk
    to the first run's server, long stopped."""
    os.environ["PREFECT_API_URL"] = api_url
    try:
        if "prefect" in sys.modules:
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: api_url}):
                yield
        else:
            yield
    finally:
        os.environ.pop("PREFECT_API_URL", None)


_pending: list[TemporaryServer] = []


def _flush_api_logs() -> None:
    if "prefect" not in sys.modules:
        return
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogHandler

        APILogHandler.flush()
        # Events go to the server too, over a connection kept open: send what is left
        # and close it, so a later run in this process does not retry a stopped server.
        EventsWorker.drain_all(timeout=10, at_exit=False)
    except Exception:  # logs are a convenience; never fail a finished run on them
        pass


def wait_for_api(timeout: float = 90.0) -> None:
    """Block until the server started by ``prefect_api`` answers (no-op otherwise)."""
    for server in _pending:
        server.wait_ready(timeout)


# --- a Prefect server kept in the background: `textwash server start|stop|status` ---


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()


def _health(api_url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


class BackgroundServer:
    """``prefect server start`` (the UI on) as a detached process, found again by the
    file it leaves in Prefect's home: every textwash command uses it while it is up."""

    def __init__(self, pid: int, port: int, log: str) -> None:
        self.pid, self.port, self.log = pid, port, log

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def state_file() -> Path:
        return prefect_home() / "textwash-server.json"

    @classmethod
    def read(cls) -> BackgroundServer | None:
        import json

        try:
            data = json.loads(cls.state_file().read_text(encoding="utf-8"))
            return cls(int(data["pid"]), int(data["port"]), str(data["log"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @classmethod
    def running(cls) -> BackgroundServer | None:
        """The background server, if its process is alive and its API answers."""
        server = cls.read()
        if server is None or not _alive(server.pid) or not _health(server.api_url):
            return None
        return server

    @classmethod
    def start(cls, port: int = 4200, timeout: float = 120.0) -> BackgroundServer:
        import json

        if (server := cls.running()) is not None:
            return server
        if not _port_free(port):
            port = _free_port()
        home = prefect_home()
        home.mkdir(parents=True, exist_ok=True)
        log = home / "textwash-server.log"
        env = {**os.environ, **{k: v for k, v in PREFECT_DEFAULTS.items() if k not in os.environ}}
        env.pop("PREFECT_API_URL", None)
        cmd = [sys.executable, "-m", "prefect", "server", "start"]
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [*cmd, "--host", "127.0.0.1", "--port", str(port)],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # outlives this command, and its terminal
            )
        server = cls(process.pid, port, str(log))
        deadline = time.monotonic() + timeout
        while not _health(server.api_url):
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                raise RuntimeError(f"the Prefect server did not start; see {log}")
            time.sleep(0.5)
        cls.state_file().write_text(
            json.dumps({"pid": server.pid, "port": port, "log": str(log)}), encoding="utf-8"
        )
        return server

    def stop(self, timeout: float = 30.0) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _alive(self.pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        self.state_file().unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a finished child of ours is a zombie until reaped
        waited, _ = os.waitpid(pid, os.WNOHANG)
        return waited == 0
    except ChildProcessError:
        return True


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True
