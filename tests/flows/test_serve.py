"""`textwash serve` end to end: a real Prefect server, the serve process, real runs."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from flows.runtime import PREFECT_DEFAULTS, free_port

from ..conftest import SEEDS
from ._terminal import ctrl_c

pytestmark = pytest.mark.timeout(420)


def _wait_http(url: str, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the Prefect server exited"
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(url)


@pytest.fixture
def real_server(tmp_path: Path):
    """`prefect server start` on loopback (scheduler and all), its own database."""
    port = free_port()
    env = {
        **os.environ,
        **PREFECT_DEFAULTS,
        "PREFECT_HOME": str(tmp_path / "prefect-home"),
        "PREFECT_UI_ENABLED": "false",
    }
    env.pop("PREFECT_API_URL", None)
    log = open(tmp_path / "server.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prefect",
            "server",
            "start",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait_http(f"{api}/health", proc, 180)
        yield api
    finally:
        proc.terminate()
        proc.wait(30)
        log.close()


def _documents(out: Path) -> list[tuple[str, str]]:
    return duckdb.sql(
        f"select doc_id, source from read_parquet('{out}/documents/*.parquet') order by source"
    ).fetchall()


def _parts(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted((out / "documents").glob("*.parquet"))}


def _wait_for(what: str, check, serve: subprocess.Popen, log: Path, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert serve.poll() is None, log.read_text()
        try:
            if check():
                return
        except (OSError, duckdb.Error):  # the dataset is not there yet
            pass
        time.sleep(2)
    raise AssertionError(f"{what}: not within {timeout:.0f} s\n{log.read_text()[-3000:]}")


def _flow_runs(api: str) -> list:
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    async def read() -> list:
        async with get_client() as client:
            return await client.read_flow_runs()

    with temporary_settings(updates={PREFECT_API_URL: api}):
        return asyncio.run(read())


def _deployment_runs(api: str) -> list:
    """The deployment's finished runs (not their clean_corpus subflows)."""
    return [r for r in _flow_runs(api) if r.deployment_id and r.state and r.state.is_completed()]


def test_cron_deployment_fires_by_itself(real_server: str, tmp_path: Path) -> None:
    """The README's steps with a one-minute cron: the server's scheduler starts the
    runs (nothing here triggers one); each cleans only the new inputs and appends."""
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for p in seeds[:2]:
        shutil.copy(p, inbox / p.name)

    env = {**os.environ, "PREFECT_API_URL": real_server, "PREFECT_RUNNER_POLL_FREQUENCY": "2"}
    log = tmp_path / "serve.log"
    serve_log = open(log, "wb")  # noqa: SIM115
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "serve",
            str(inbox),
            "-o",
            str(out),
            "--cron",
            "* * * * *",
        ],
        env=env,
        stdout=serve_log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for("a first scheduled run", lambda: _deployment_runs(real_server), serve, log, 200)
        first_docs, first_parts = _documents(out), _parts(out)
        assert sorted(s for _, s in first_docs) == [p.name for p in seeds[:2]]
        runs = _deployment_runs(real_server)
        assert all(r.auto_scheduled for r in runs), [(r.name, r.auto_scheduled) for r in runs]

        for p in seeds[2:]:
            shutil.copy(p, inbox / p.name)
        os.utime(inbox / seeds[0].name)  # touched, not changed: not a new input
        _wait_for(
            "a run for the new inputs",
            lambda: len(_documents(out)) == 5 and len(_deployment_runs(real_server)) > len(runs),
            serve,
            log,
            150,
        )
        docs, parts = _documents(out), _parts(out)
        assert sorted(s for _, s in docs) == sorted(p.name for p in seeds)
        assert len({d for d, _ in docs}) == len(docs)  # no doc_id twice
        # Old parts untouched, new parts added, holding the new inputs only.
        assert all(parts[name] == mtime for name, mtime in first_parts.items())
        new = sorted(set(parts) - set(first_parts))
        assert new
        new_sources = duckdb.sql(
            "select source from read_parquet(["
            + ", ".join(f"'{out}/documents/{n}'" for n in new)
            + "]) order by source"
        ).fetchall()
        assert [s for (s,) in new_sources] == [p.name for p in seeds[2:]]
        runs = _deployment_runs(real_server)
        assert len(runs) >= 2 and all(r.auto_scheduled for r in runs), runs
        # serve's terminal says what each run did, logs quiet or not
        said = log.read_text(encoding="utf-8")
        assert ": 2 new documents, 0 rejects" in said and ": 3 new documents" in said, said
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            serve.kill()
        serve_log.close()


def test_ctrl_c_stops_serving_and_cancels_the_run(prefect_server: str, tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to serve's process group, as a terminal sends it) while a served
    run cleans: one line, exit 130, no traceback or "Crash detected!", and in the UI
    the run and its subflow are Cancelled with no task left Running or Crashed. (The
    run is triggered by hand: scheduling is the test above; this is stopping.)"""
    from prefect.deployments import run_deployment
    from prefect.exceptions import ObjectNotFound

    from .test_interrupt import make_corpus, prefect_states

    corpus, out = make_corpus(tmp_path), tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    cmd = [sys.executable, "-m", "flows.cli", "serve", str(corpus), "-o", str(out)]
    serve = subprocess.Popen(
        [*cmd, "--cron", "0 0 1 1 *", "--name", "ctrl-c", "--shard-mb", "0.5"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # its own group, as a terminal's foreground job
    )
    try:
        deadline, triggered = time.monotonic() + 180, False
        while not list((out / "_state" / "progress").glob("clean-*.json")):
            assert serve.poll() is None, serve.stdout.read()  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "no served run reached cleaning"
            if not triggered:
                with contextlib.suppress(ObjectNotFound):  # not registered yet
                    run_deployment("scheduled_clean/ctrl-c", timeout=0)
                    triggered = True
            time.sleep(0.2)
        os.killpg(serve.pid, signal.SIGINT)
        output, _ = serve.communicate(timeout=60)  # a hang guard, not a timing check
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)

    assert serve.returncode == 130, output
    stops = [line for line in output.splitlines() if "stopped serving" in line]
    assert len(stops) == 1 and "the run in progress Cancelled" in stops[0], output
    assert "Traceback" not in output and "Crash detected" not in output, output
    runs, task_states = prefect_states(prefect_server, out)
    assert len(runs) == 2, runs  # scheduled_clean and its clean_corpus subflow
    assert {r.state.type.value for r in runs} == {"CANCELLED"}, [r.state for r in runs]
    assert {"RUNNING", "CRASHED", "PENDING"}.isdisjoint(task_states), task_states


def _serve(api: str, inbox: Path, out: Path, name: str, log: Path) -> subprocess.Popen:
    """``textwash serve`` on a cron that does not fire soon, in its own process group
    (a terminal's foreground job), its output in ``log``."""
    env = {**os.environ, "PREFECT_API_URL": api, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    cmd = [sys.executable, "-m", "flows.cli", "serve", str(inbox), "-o", str(out)]
    with open(log, "wb") as fh:
        return subprocess.Popen(
            [*cmd, "--cron", "0 0 1 1 *", "--name", name],
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _printed(prefix: str, serve: subprocess.Popen, log: Path) -> str:
    """The rest of the first line of serve's output that starts with ``prefix``."""
    found: list[str] = []

    def line() -> bool:
        lines = log.read_text(encoding="utf-8").splitlines()
        found.extend(s.removeprefix(prefix) for s in lines if s.startswith(prefix))
        return bool(found)

    _wait_for(f"serve's line {prefix!r}", line, serve, log, 120)
    return found[0]


def _stop(serve: subprocess.Popen, log: Path) -> str:
    """Ctrl-C as a terminal sends it; what serve printed from "stopped serving" on."""
    ctrl_c(serve)
    text = log.read_text(encoding="utf-8")
    return text[text.find("stopped serving") :]


def test_the_run_now_line_works_from_a_new_terminal(prefect_server: str, tmp_path: Path) -> None:
    """The line serve prints to run the deployment now, typed in a new terminal (none
    of serve's environment: no PREFECT_API_URL, a Prefect home of its own) runs it on
    the server serve uses, not on a temporary server of Prefect's CLI."""
    inbox, out, log = tmp_path / "inbox", tmp_path / "out", tmp_path / "serve.log"
    inbox.mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[0], inbox)
    serve = _serve(prefect_server, inbox, out, "run-now", log)
    try:
        command = _printed("A run now: ", serve, log)
        assert command.split()[-4:-1] == ["prefect", "deployment", "run"], command
        # This environment's interpreter for `uv run` (which would sync the project's
        # .venv): what is tested is the rest of the line.
        command = command.replace("uv run prefect", f"{shlex.quote(sys.executable)} -m prefect")
        terminal = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        terminal["PREFECT_HOME"] = str(tmp_path / "another-home")
        typed = subprocess.run(
            ["sh", "-c", command], env=terminal, capture_output=True, text=True, timeout=300
        )
        assert typed.returncode == 0, typed.stdout + typed.stderr
        _wait_for("the run it started", lambda: _documents(out), serve, log, 150)
    finally:
        _stop(serve, log)


def test_stopping_serve_between_runs_cancels_nothing(prefect_server: str, tmp_path: Path) -> None:
    """Ctrl-C after a served run finished, none in progress: the stop line says the
    schedule is paused, and says nothing of a Cancelled run."""
    from prefect.deployments import run_deployment

    inbox, out, log = tmp_path / "inbox", tmp_path / "out", tmp_path / "serve.log"
    inbox.mkdir()
    shutil.copy(sorted(SEEDS.glob("*.txt"))[0], inbox)
    serve = _serve(prefect_server, inbox, out, "idle", log)
    try:
        _printed("A run now: ", serve, log)
        run_deployment("scheduled_clean/idle", timeout=0)
        _wait_for("the run", lambda: _deployment_finished(prefect_server, out), serve, log, 150)
    finally:
        stopped = _stop(serve, log)
    assert serve.returncode == 130, log.read_text()
    assert stopped.startswith("stopped serving scheduled_clean/idle: its schedule is paused")
    assert "Cancelled" not in stopped, stopped


def _deployment_finished(api: str, out: Path) -> bool:
    """The served run that writes ``out`` is Completed."""
    from .test_interrupt import prefect_states

    runs, _ = prefect_states(api, out)
    return any(r.deployment_id and r.state and r.state.is_completed() for r in runs)
