"""`textwash server start|status|stop`: a background Prefect server the commands use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from flows.runtime import free_port

from ..conftest import SEEDS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


def textwash(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "flows.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_a_background_server_serves_every_command(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "home")
    port = free_port()
    started = textwash("server", "start", "--port", str(port), env=env)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        assert f"http://127.0.0.1:{port}" in started.stdout
        assert f"export PREFECT_API_URL=http://127.0.0.1:{port}/api" in started.stdout
        status = textwash("server", "status", env=env)
        assert status.returncode == 0 and "running" in status.stdout
        again = textwash("server", "start", env=env)
        assert "already running" in again.stdout

        run = textwash("run", str(SEEDS), "-o", str(tmp_path / "out"), env=env)
        assert run.returncode == 0, run.stderr
        # The run was recorded by the background server, not by a temporary one.
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/flow_runs/filter",
            data=b"{}",
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            names = {r["name"] for r in json.loads(resp.read())}
        assert names, "no flow run on the background server"
    finally:
        stopped = textwash("server", "stop", env=env)
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    status = textwash("server", "status", env=env)
    assert status.returncode == 1 and "not running" in status.stdout


def test_two_runs_in_one_process_each_get_a_server(tmp_path: Path) -> None:
    """Prefect reads its settings at import: a second run in the same process (a
    notebook, a test runner) must not talk to the first run's stopped server."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "home")
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from flows.cli import app\n"
        "for out in sys.argv[2:]:\n"
        "    r = CliRunner().invoke(app, ['run', sys.argv[1], '-o', out])\n"
        "    print('EXIT', r.exit_code, r.output.strip().splitlines()[-1])\n"
    )
    outs = [str(tmp_path / "first"), str(tmp_path / "second")]
    res = subprocess.run(
        [sys.executable, "-c", code, str(SEEDS), *outs],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    exits = [line for line in res.stdout.splitlines() if line.startswith("EXIT")]
    assert [e.split()[1] for e in exits] == ["0", "0"], res.stdout + res.stderr[-2000:]
    for out in outs:
        manifest = json.loads((Path(out) / "_manifest.json").read_text())
        assert manifest["summary"]["documents"] == 5


def test_the_server_help_says_what_a_run_does_without_one(tmp_path: Path) -> None:
    """`textwash server --help` says what a run does while no server is up, in the
    words the run itself prints: it cleans without Prefect's API (it starts no
    temporary server unless asked to)."""
    import re

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "home")  # no background server
    shown = " ".join(re.sub(r"[│╭╮╰╯─]", " ", textwash("server", "--help", env=env).stdout).split())
    run = textwash("run", str(SEEDS), "-o", str(tmp_path / "out"), env=env)
    assert run.returncode == 0, run.stderr
    assert "without Prefect's API" in " ".join(run.stderr.split()), run.stderr
    assert "without Prefect's API" in shown, shown
