"""`textwash serve` end to end: a real Prefect server, the serve process, real runs."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest

from flows.runtime import PREFECT_DEFAULTS, _free_port

from ..conftest import SEEDS

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
    port = _free_port()
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


def test_serve_cleans_only_new_inputs(real_server: str, tmp_path: Path) -> None:
    from prefect.client.schemas.objects import StateType
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for p in seeds[:2]:
        shutil.copy(p, inbox / p.name)

    env = {**os.environ, "PREFECT_API_URL": real_server, "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    serve_log = open(tmp_path / "serve.log", "wb")  # noqa: SIM115
    serve = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flows.cli",
            "serve",
            str(inbox),
            "--output",
            str(out),
            "--cron",
            "0 0 1 1 *",  # yearly: the test triggers its runs itself
        ],
        env=env,
        stdout=serve_log,
        stderr=subprocess.STDOUT,
    )
    try:
        with temporary_settings(updates={PREFECT_API_URL: real_server}):

            def trigger() -> None:
                deadline = time.monotonic() + 120
                while True:  # the deployment exists once serve has registered it
                    try:
                        run = run_deployment("scheduled_clean/textwash", timeout=240)
                        break
                    except Exception:
                        assert serve.poll() is None, (tmp_path / "serve.log").read_text()
                        if time.monotonic() > deadline:
                            raise
                        time.sleep(1)
                assert run.state is not None and run.state.type == StateType.COMPLETED, (
                    run.state,
                    (tmp_path / "serve.log").read_text(),
                )

            trigger()
            first_docs, first_parts = _documents(out), _parts(out)
            assert sorted(s for _, s in first_docs) == [p.name for p in seeds[:2]]

            for p in seeds[2:]:
                shutil.copy(p, inbox / p.name)
            os.utime(inbox / seeds[0].name)  # touched, not changed: not a new input
            trigger()
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

            trigger()  # nothing new: nothing written
            assert _parts(out) == parts
    finally:
        serve.send_signal(signal.SIGINT)
        try:
            serve.wait(30)
        except subprocess.TimeoutExpired:
            serve.kill()
        serve_log.close()
