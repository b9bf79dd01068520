"""Prefect's production path end to end: the repository's prefect.yaml deployed with
`prefect deploy --all` to a real `prefect server start`, run by `prefect worker start`
on a process work pool. The scheduler's own cron run is waited for (nothing here
triggers one in its place); then parameterised `prefect deployment run`s."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from ..conftest import ROOT, SEEDS, dated_partitions
from ._terminal import ctrl_c

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]

POOL = "textwash"
PREFECT = [sys.executable, "-m", "prefect"]
QUIET = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    "PREFECT_UI_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(api: str, path: str, body: dict | None = None) -> Any:
    request = urllib.request.Request(
        f"{api}/{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.loads(resp.read())


def _flow_runs(api: str) -> list[dict]:
    return _api(api, "flow_runs/filter", {"limit": 200})


def _wait(what: str, check, procs: list[tuple[subprocess.Popen, Path]], timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for proc, log in procs:
            assert proc.poll() is None, f"{proc.args} exited:\n{log.read_text()[-3000:]}"
        try:
            found = check()
        except (OSError, duckdb.Error):  # the server or the dataset is not there yet
            found = None
        if found:
            return found
        time.sleep(2)
    logs = "\n".join(log.read_text()[-3000:] for _, log in procs)
    raise AssertionError(f"{what}: not within {timeout:.0f} s\n{logs}")


@pytest.fixture
def server(tmp_path: Path):
    """`prefect server start` on a free loopback port, its own PREFECT_HOME; yields the
    environment that points Prefect's CLI at it."""
    port = _free_port()
    env = {**os.environ, **QUIET, "PREFECT_HOME": str(tmp_path / "prefect-home")}
    env.pop("PREFECT_API_URL", None)
    log = tmp_path / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [*PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    api = f"http://127.0.0.1:{port}/api"
    try:
        _wait("the server", lambda: _api(api, "health") is True, [(proc, log)], 180)
        yield {**env, "PREFECT_API_URL": api}
    finally:
        proc.terminate()
        proc.wait(30)


def _prefect(env: dict[str, str], *args: str) -> str:
    """A `prefect` command run from the repository root (as a user does from a clone)."""
    proc = subprocess.run(
        [*PREFECT, *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _deployment_file(tmp_path: Path, inbox: Path, out: Path, **parameters: Any) -> Path:
    """The repository's prefect.yaml with only the folders and the cron replaced (and
    the incremental deployment's ``parameters``, if given)."""
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    by_name = {d["name"]: d for d in spec["deployments"]}
    incremental = by_name["textwash-incremental"]
    assert incremental["work_pool"]["name"] == POOL
    incremental["parameters"].update(input=str(inbox), output=str(out), **parameters)
    (schedule,) = incremental["schedules"]
    schedule["cron"] = "* * * * *"
    by_name["textwash-backfill"]["parameters"].update(output=str(tmp_path / "unused"))
    path = tmp_path / "prefect.yaml"
    path.write_text(yaml.safe_dump(spec, sort_keys=False))
    return path


def _documents(out: Path) -> list[str]:
    rows = duckdb.sql(f"select source from read_parquet('{out}/documents/*.parquet')").fetchall()
    return sorted(s for (s,) in rows)


def _start_worker(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen, Path]:
    """`prefect worker start --pool textwash` in ``cwd``, in a process group of its own
    (a terminal's foreground job); its output in ``cwd/worker.log``."""
    cwd.mkdir()
    log = cwd / "worker.log"
    with open(log, "wb") as fh:
        worker = subprocess.Popen(
            [*PREFECT, "worker", "start", "--pool", POOL],
            env={**env, "PREFECT_WORKER_QUERY_SECONDS": "2"},
            cwd=cwd,
            stdout=fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return worker, log


def _stop_worker(worker: subprocess.Popen) -> None:
    worker.terminate()
    try:
        worker.wait(30)
    except subprocess.TimeoutExpired:
        worker.kill()


def _run_id(stdout: str) -> str:
    match = re.search(r"UUID: ([0-9a-f-]{36})", stdout)
    assert match, stdout
    return match.group(1)


def _final(api: str, run_id: str) -> dict | None:
    run = _api(api, f"flow_runs/{run_id}")
    return run if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED") else None


def test_deployments_run_on_a_worker(server: dict[str, str], tmp_path: Path) -> None:
    api = server["PREFECT_API_URL"]
    inbox, out = tmp_path / "inbox", tmp_path / "out"
    inbox.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for p in seeds:
        shutil.copy(p, inbox / p.name)

    _prefect(server, "work-pool", "create", POOL, "--type", "process")
    deployed = _prefect(
        server, "deploy", "--all", "--prefect-file", str(_deployment_file(tmp_path, inbox, out))
    )
    assert "scheduled_clean/textwash-incremental" in deployed, deployed
    assert "backfill/textwash-backfill" in deployed, deployed

    # The worker starts elsewhere: the deployment's pull step finds the code.
    worker, log = _start_worker(server, tmp_path / "elsewhere")
    procs = [(worker, log)]
    try:
        # 1. The scheduler's own run of the cron deployment.
        def scheduled() -> list[dict]:
            return [
                r
                for r in _flow_runs(api)
                if r["deployment_id"] and r["auto_scheduled"] and r["state_type"] == "COMPLETED"
            ]

        runs = _wait("a run the scheduler started", scheduled, procs, 240)
        assert _documents(out) == [p.name for p in seeds]
        assert all(r["auto_scheduled"] for r in runs)

        # 2. A parameterised run of the backfill deployment; a missing day is skipped.
        raw = tmp_path / "raw"
        dated_partitions(raw)
        backfilled = tmp_path / "backfilled"
        started = _prefect(
            server,
            "deployment",
            "run",
            "backfill/textwash-backfill",
            "--param",
            f"template={raw}/date={{date}}",
            "--param",
            "start=2025-01-01",
            "--param",
            "end=2025-01-03",
            "--param",
            f"output={backfilled}",
            "--param",
            "dedup=exact",
        )
        run_id = _run_id(started)
        run = _wait("the backfill run", lambda: _final(api, run_id), procs, 180)
        assert run["state"]["type"] == "COMPLETED", run["state"]
        assert run["parameters"]["dedup"] == "exact"
        counts = duckdb.sql(
            f"select date::varchar, count(*) from read_parquet('{backfilled}/*/documents/*.parquet'"
            ", hive_partitioning = true) group by 1 order by 1"
        ).fetchall()
        assert counts == [("2025-01-01", 2), ("2025-01-02", 1)]
        manifest = json.loads((backfilled / "date=2025-01-01" / "_manifest.json").read_text())
        assert manifest["dedup"] == "exact"

        # 3. A bad parameter fails the run with the CLI's own line.
        cli = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", str(inbox), "--runner", "spark"],
            env={**server, "PREFECT_API_URL": "http://127.0.0.1:9/api"},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert cli.returncode == 2
        line = cli.stderr.strip().removeprefix("error: ")
        bad = _run_id(
            _prefect(
                server,
                "deployment",
                "run",
                "scheduled_clean/textwash-incremental",
                "--param",
                "runner=spark",
            )
        )
        run = _wait("the bad run", lambda: _final(api, bad), procs, 180)
        assert run["state"]["type"] == "FAILED"
        assert run["state"]["message"] == line
    finally:
        _stop_worker(worker)


def _started_runs(api: str, out: Path) -> list[dict]:
    """The flow runs that left Scheduled and write ``out`` (a deployment's run and its
    clean_corpus subflow), each with its task runs' states under "task_states"."""
    started = {"state": {"type": {"not_any_": ["SCHEDULED"]}}}
    runs = _api(api, "flow_runs/filter", {"flow_runs": started, "limit": 200})
    runs = [r for r in runs if r["parameters"].get("output") == str(out)]
    for run in runs:
        of_run = {"flow_runs": {"id": {"any_": [run["id"]]}}, "limit": 200}
        run["task_states"] = {t["state_type"] for t in _api(api, "task_runs/filter", of_run)}
    return runs


def test_ctrl_c_on_the_worker_mid_run_ends_the_run(server: dict[str, str], tmp_path: Path) -> None:
    """Ctrl-C on the worker (SIGINT to its process group, as a terminal sends it) while
    a run cleans: the worker exits, the run ends (it was left Running, holding the
    deployment's one slot, so no later run could start), and a new worker runs the
    scheduler's next run, which finishes the dataset an uninterrupted run gives."""
    from bench.workloads.crash import snapshot

    from .test_interrupt import make_corpus

    api = server["PREFECT_API_URL"]
    corpus, out, reference = make_corpus(tmp_path), tmp_path / "out", tmp_path / "reference"
    cli = [sys.executable, "-m", "flows.cli", "run", str(corpus), "-o", str(reference)]
    flags = ["--runner", "thread", "--shard-mb", "0.5", "--incremental"]
    subprocess.run([*cli, *flags], env=server, check=True, capture_output=True, timeout=300)

    _prefect(server, "work-pool", "create", POOL, "--type", "process")
    spec = _deployment_file(tmp_path, corpus, out, shard_mb=0.5)
    _prefect(server, "deploy", "--all", "--prefect-file", str(spec))
    worker, log = _start_worker(server, tmp_path / "first")
    _prefect(server, "deployment", "run", "scheduled_clean/textwash-incremental")
    progress = out / "_state" / "progress"
    _wait("a run cleaning", lambda: list(progress.glob("clean-*.json")), [(worker, log)], 240)
    ctrl_c(worker)

    def ended() -> list[dict]:
        runs = _started_runs(api, out)
        final = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}
        return runs if runs and all(r["state_type"] in final for r in runs) else []

    # No worker runs now: what ends the run must not need one.
    runs = _wait("the run the worker was running to end", ended, [], 120)
    assert len(runs) == 2, runs  # scheduled_clean and its clean_corpus subflow
    assert {r["state_type"] for r in runs} <= {"CANCELLED", "CRASHED"}, runs
    assert all({"RUNNING", "PENDING"}.isdisjoint(r["task_states"]) for r in runs), runs

    second, log = _start_worker(server, tmp_path / "second")
    try:

        def next_run() -> bool:
            runs = _started_runs(api, out)
            return any(r["auto_scheduled"] and r["state_type"] == "COMPLETED" for r in runs)

        _wait("the scheduler's next run", next_run, [(second, log)], 240)
    finally:
        _stop_worker(second)
    assert snapshot(out) == snapshot(reference)
