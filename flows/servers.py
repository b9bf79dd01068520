"""The Prefect servers textwash starts: a temporary one for a run (``--prefect``), and
one kept in the background (``textwash server start|stop|status``)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from .orphans import alive
from .runtime import (
    DEFAULT_PORT,
    PREFECT_DEFAULTS,
    free_port,
    healthy,
    port_free,
    prefect_home,
    recorded_port,
    server_state_file,
)


class TemporaryServer:
    """Prefect's own temporary server (``SubprocessASGIServer``, what Prefect starts
    when no API is configured), begun in a thread so that it boots while this process
    imports Prefect and plans; one server for the run, so out-of-process workers share
    it instead of each starting their own. Create it in the main thread (see _guard)."""

    def __init__(self) -> None:
        self.port = free_port()
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
        return server_state_file()

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
        port = recorded_port()
        return None if port is None else cls(port)

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
        if not port_free(port):
            port = free_port()
        home = prefect_home()
        home.mkdir(parents=True, exist_ok=True)
        pid = cls(port).pid
        if pid is not None and not alive(pid):  # a stale PID file blocks `--background`
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
            if time.monotonic() > deadline or (server.pid and not alive(server.pid)):
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
        while pid and alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        self.state_file().unlink(missing_ok=True)
