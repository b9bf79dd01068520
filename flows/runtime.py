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
import shlex
import socket
import subprocess
import sys
import time
import tomllib
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
DEFAULT_PORT = 4200


def configure_prefect(verbose: bool = False) -> None:
    """Set textwash's Prefect defaults in the environment (before prefect is imported)."""
    for key, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(key, value)
    if verbose:
        os.environ.update(VERBOSE_OVERRIDES)


def prefect_home() -> Path:
    return Path(os.environ.get("PREFECT_HOME", Path.home() / ".prefect")).expanduser()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def port_free(port: int) -> bool:
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


def server_state_file() -> Path:
    """Where ``textwash server start`` records its server's port (in Prefect's home)."""
    return prefect_home() / "textwash-server.json"


def recorded_port() -> int | None:
    """The port ``textwash server start`` recorded, if any."""
    try:
        return int(json.loads(server_state_file().read_text(encoding="utf-8"))["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def local_server_url() -> str | None:
    """A Prefect server running on this machine: the one ``textwash server start``
    recorded, else one on Prefect's default port; None if neither answers."""
    recorded = recorded_port()
    ports = [recorded] if recorded else []
    ports += [DEFAULT_PORT] if DEFAULT_PORT not in ports else []
    for port in ports:
        url = f"http://127.0.0.1:{port}/api"
        if healthy(url, timeout=1.0):
            return url
    return None


def find_api_url() -> str | None:
    """The Prefect API this command should use, or None (see the module docstring)."""
    return configured_api_url() or local_server_url()


def command_line(command: str, **env: str | None) -> str:
    """``command`` as a new terminal must type it: ``NAME=value`` before it for each
    variable given a value. A new shell has none of this process's environment, and
    Prefect's CLI with no PREFECT_API_URL starts a temporary server of its own.

    >>> command_line("prefect flow-run ls", PREFECT_API_URL="http://127.0.0.1:4200/api")
    'PREFECT_API_URL=http://127.0.0.1:4200/api prefect flow-run ls'
    """
    names = [f"{name}={shlex.quote(value)}" for name, value in env.items() if value]
    return " ".join([*names, command])


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


@contextlib.contextmanager
def local_server(home: Path, *, ui: bool = False, timeout: float = 180.0) -> Iterator[str]:
    """``prefect server start`` on a free loopback port with a home (database) of its
    own, for the life of the block; yields its API URL. For tests and benches."""
    port = free_port()
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
