"""Which Prefect API a command uses, found before ``prefect`` is imported.

Prefect reads its settings once, at import: a command must know its server before
anything imports Prefect. In order:

1. ``PREFECT_API_URL`` set in the environment, or in the active Prefect profile;
2. a server on this machine: the one ``textwash server start`` recorded, else one on
   Prefect's default address (http://127.0.0.1:4200, where ``prefect server start``
   listens), if it answers;
3. with ``--prefect``, a temporary server for the run: Prefect's own
   ``SubprocessASGIServer``, started in a thread while this process imports Prefect;
4. otherwise none: the run executes the same flow bodies in this process, without
   Prefect's API (``flows.runners.plain``). A temporary server costs 10-50 s here,
   more than most one-off runs, and its records vanish with it from view.

``textwash server start|stop`` wrap ``prefect server start --background`` and
``prefect server stop``, so Prefect's own commands see the same server.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

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
DEFAULT_PORT = 4200


def configure_prefect(verbose: bool = False) -> None:
    """Set textwash's Prefect defaults in the environment (before prefect is imported)."""
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if verbose:
        os.environ.update(VERBOSE_OVERRIDES)


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def healthy(api_url: str, timeout: float = 2.0) -> bool:
    """Does a Prefect API answer at ``api_url``?"""
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout) as resp:
            return bool(resp.status == 200)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def profile_api_url() -> str | None:
    """``PREFECT_API_URL`` of the active Prefect profile (``prefect config set``),
    read from ``profiles.toml`` without importing Prefect."""
    try:
        data = tomllib.loads((prefect_home() / "profiles.toml").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or data.get("active")
    profile = data.get("profiles", {}).get(active, {}) if active else {}
    url = profile.get("PREFECT_API_URL") if isinstance(profile, dict) else None
    return str(url) if url else None


def configured_api_url() -> str | None:
    """An API the user configured: the environment's, else the active profile's."""
    return os.environ.get("PREFECT_API_URL") or profile_api_url()


def local_server_url() -> str | None:
    """A Prefect server running on this machine: the one ``textwash server start``
    recorded, else one on Prefect's default port; None if neither answers."""
    recorded = BackgroundServer.read()
    ports = [recorded.port] if recorded else []
    ports += [DEFAULT_PORT] if DEFAULT_PORT not in ports else []
    for port in ports:
        url = f"http://127.0.0.1:{port}/api"
        if healthy(url, timeout=1.0):
            return url
    return None


def find_api_url() -> str | None:
    """The Prefect API this command should use, or None (see the module docstring)."""
    return configured_api_url() or local_server_url()


@contextlib.contextmanager
def using_api(api_url: str) -> Iterator[None]:
    """``PREFECT_API_URL`` for the block. Prefect reads its settings once, at import:
    a second run in the same process (a notebook, a test runner) would otherwise talk
    to the first run's server, long stopped."""
    previous = os.environ.get("PREFECT_API_URL")
    os.environ["PREFECT_API_URL"] = api_url
    try:
        if "prefect" in sys.modules:
            from prefect.settings import PREFECT_API_URL, temporary_settings

            with temporary_settings(updates={PREFECT_API_URL: api_url}):
                yield
        else:
            yield
    finally:
        if previous is None:
            os.environ.pop("PREFECT_API_URL", None)
        else:
            os.environ["PREFECT_API_URL"] = previous
        flush_api_logs()


def flush_api_logs() -> None:
    """Send the logs and events still queued for the API before its server goes (else
    "Error logging to API", and a later run in this process retries a stopped server)."""
    if "prefect" not in sys.modules:
        return
    try:
        from prefect.events.worker import EventsWorker
        from prefect.logging.handlers import APILogHandler

        APILogHandler.flush()
        EventsWorker.drain_all(timeout=10, at_exit=False)
    except Exception:  # logs are a convenience; never fail a finished run on them
        pass


class TemporaryServer:
    """Prefect's own temporary server (``SubprocessASGIServer``, what Prefect starts
    when no API is configured), begun in a thread so that it boots while this process
    imports Prefect and plans; one server for the run, so out-of-process workers share
    it instead of each starting their own. Create it in the main thread (see _guard)."""

    def __init__(self) -> None:
        self.port = _free_port()
        # Known before Prefect is imported: the caller sets it in the environment, so
        # every thread of this process reads it (as after `prefect config set`).
        self.api_url = f"http://127.0.0.1:{self.port}/api"
        os.environ["PREFECT_API_URL"] = self.api_url
        self._server: Any = None
        self._error: BaseException | None = None
        self._guard = _guard()
        self._thread = threading.Thread(target=self._start, name="textwash-server", daemon=True)
        self._thread.start()

    def _start(self) -> None:
        try:
            from prefect.server.api.server import SubprocessASGIServer

            self._server = SubprocessASGIServer(self.port)
            threading.Thread(target=self._tell_guard, daemon=True).start()
            self._server.start()
        except BaseException as exc:  # reported by wait_ready, in the caller's thread
            self._error = exc

    def _tell_guard(self) -> None:
        """Hand the server's pid to the guard as soon as it exists."""
        while self._guard is not None and self._thread.is_alive():
            process = self._server.server_process
            if process is not None:
                with contextlib.suppress(OSError):
                    self._guard.stdin.write(f"{process.pid}\n".encode())  # type: ignore[union-attr]
                    self._guard.stdin.flush()  # type: ignore[union-attr]
                return
            time.sleep(0.02)

    def wait_ready(self) -> str:
        self._thread.join()
        if self._error is not None:
            raise RuntimeError(f"the temporary Prefect server did not start: {self._error}")
        return self.api_url

    def stop(self) -> None:
        self._thread.join()
        if self._server is not None and self._server.server_process is not None:
            self._server.stop()
        if self._guard is not None:
            self._guard.kill()
            self._guard.wait()


# Ends the server when it gets SIGTERM, which Linux sends when this process ends,
# however it ends (SIGKILL included): Prefect's temporary server would outlive it.
_GUARD = """import os, signal, sys
pids = []
def end(*_):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except OSError:
            pass
    os._exit(0)
signal.signal(signal.SIGTERM, end)
signal.signal(signal.SIGINT, signal.SIG_IGN)
for line in sys.stdin:
    pids.append(int(line))
while True:
    signal.pause()
"""


def _guard() -> subprocess.Popen[bytes] | None:
    """A tiny process that ends the server whose pid it is sent when this process
    ends (Linux only). Linux signals it when the *thread* that started it ends: start
    it from the main thread."""
    if not sys.platform.startswith("linux"):
        return None

    def die_with_parent() -> None:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG

    return subprocess.Popen(
        [sys.executable, "-S", "-c", _GUARD],
        stdin=subprocess.PIPE,
        preexec_fn=die_with_parent,
    )


# --- a Prefect server kept in the background: `textwash server start|stop|status` ---


class BackgroundServer:
    """``prefect server start --background`` (the UI on), found again by the port this
    file records in Prefect's home; ``prefect server stop`` stops it as well."""

    def __init__(self, port: int) -> None:
        self.port = port

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def state_file() -> Path:
        return prefect_home() / "textwash-server.json"

    @staticmethod
    def pid_file() -> Path:
        return prefect_home() / "server.pid"  # Prefect's own (prefect server start -b)

    @property
    def pid(self) -> int | None:
        try:
            return int(self.pid_file().read_text().strip())
        except (OSError, ValueError):
            return None

    @classmethod
    def read(cls) -> BackgroundServer | None:
        try:
            data = json.loads(cls.state_file().read_text(encoding="utf-8"))
            return cls(int(data["port"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    @classmethod
    def running(cls) -> BackgroundServer | None:
        """The recorded server, if its API answers."""
        server = cls.read()
        if server is None or not healthy(server.api_url):
            return None
        return server

    @classmethod
    def start(cls, port: int = DEFAULT_PORT, timeout: float = 120.0) -> BackgroundServer:
        if (server := cls.running()) is not None:
            return server
        if not _port_free(port):
            port = _free_port()
        home = prefect_home()
        home.mkdir(parents=True, exist_ok=True)
        pid = cls(port).pid
        if pid is not None and not _alive(pid):  # a stale PID file blocks `--background`
            cls.pid_file().unlink(missing_ok=True)
        env = {**os.environ, **{k: v for k, v in PREFECT_DEFAULTS.items() if k not in os.environ}}
        env.pop("PREFECT_API_URL", None)
        command = [sys.executable, "-m", "prefect", "server", "start", "--background"]
        done = subprocess.run(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        )
        server = cls(port)
        if done.returncode != 0:
            raise RuntimeError(f"prefect server start failed: {done.stderr.strip()[-500:]}")
        deadline = time.monotonic() + timeout
        while not healthy(server.api_url):
            if time.monotonic() > deadline or (server.pid and not _alive(server.pid)):
                server.stop()
                raise RuntimeError(f"the Prefect server did not answer on port {port}")
            time.sleep(0.5)
        cls.state_file().write_text(json.dumps({"port": port}), encoding="utf-8")
        return server

    def stop(self, timeout: float = 30.0) -> None:
        """``prefect server stop``, then wait until the process is gone."""
        pid = self.pid
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        subprocess.run(
            [sys.executable, "-m", "prefect", "server", "stop"],
            env=env,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while pid and _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
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


@contextlib.contextmanager
def local_server(home: Path, *, ui: bool = False, timeout: float = 180.0) -> Iterator[str]:
    """``prefect server start`` on a free loopback port with a home (database) of its
    own, for the life of the block; yields its API URL. For tests and benches."""
    port = _free_port()
    env = {**os.environ, **PREFECT_DEFAULTS, "PREFECT_HOME": str(home)}
    env["PREFECT_UI_ENABLED"] = "true" if ui else "false"
    env["PREFECT_SERVER_API_HOST"] = "127.0.0.1"
    env.pop("PREFECT_API_URL", None)
    home.mkdir(parents=True, exist_ok=True)
    with open(home / "server.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + timeout
        while not healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = (home / "server.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"the Prefect server did not start:\n{tail}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
