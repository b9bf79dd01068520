"""Ctrl-C and SIGTERM through the CLI: the run stops with one line and exit 130 / 143,
shows no part it did not commit, and the same command finishes the dataset an
uninterrupted run gives."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from bench.workloads.crash import assert_no_partial_files, snapshot

from ..conftest import SEEDS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(600)]


def make_corpus(root: Path, docs: int = 800) -> Path:
    """The seeds as many distinct documents of a few sites, in one JSONL (~4 MB): a
    counting and a cleaning pass of several seconds each, over many shards."""
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    path = root / "corpus.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(docs):
            record = {
                "id": f"doc-{i}",
                "url": f"https://site{i % 5}.example/story-{i}",
                "text": f"Story number {i}.\n{texts[i % len(texts)]}",
            }
            fh.write(json.dumps(record) + "\n")
    return path


def textwash(
    corpus: Path, out: Path, home: Path, *extra: str, api: str | None = None
) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(home)  # no background server: the in-process run
    if api is not None:  # a Prefect server: a Prefect flow run
        env["PREFECT_API_URL"] = api
    cmd = [sys.executable, "-m", "flows.cli", "run", str(corpus), "-o", str(out)]
    return subprocess.Popen(
        [*cmd, "--shard-mb", "0.5", *extra],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("interrupt")
    corpus = make_corpus(root)
    out = root / "reference"
    proc = textwash(corpus, out, root / "home")
    _, stderr = proc.communicate(timeout=500)
    assert proc.returncode == 0, stderr
    return corpus, snapshot(out), root


def prefect_states(api: str, out: Path) -> tuple[list[Any], set[str]]:
    """The flow runs that wrote ``out`` (a flow and its subflows), and the states
    their task runs ended in."""
    from prefect.client.orchestration import SyncPrefectClient
    from prefect.client.schemas import filters
    from prefect.client.schemas.sorting import FlowRunSort

    with SyncPrefectClient(api) as client:
        runs = client.read_flow_runs(sort=FlowRunSort.START_TIME_DESC, limit=20)
        runs = [r for r in runs if r.parameters.get("output") == str(out)]
        by_id = filters.FlowRunFilter(id=filters.FlowRunFilterId(any_=[r.id for r in runs]))
        task_runs = client.read_task_runs(flow_run_filter=by_id)
    return runs, {t.state.type.value for t in task_runs if t.state}


def _in_phase(out: Path, phase: str) -> bool:
    """A task of ``phase`` (count, clean) is running: its progress file exists."""
    return any((out / "_state" / "progress").glob(f"{phase}-*.json"))


@pytest.mark.parametrize(
    ("phase", "signum", "runner", "prefect"),
    [
        # Each signal in each phase, on threads and processes, with and without
        # Prefect's API (four runs: each case costs an interrupted and a resumed run).
        ("count", signal.SIGINT, "thread", False),
        ("clean", signal.SIGTERM, "process", False),
        ("count", signal.SIGTERM, "process", True),
        ("clean", signal.SIGINT, "thread", True),
    ],
)
def test_signal_stops_the_run_and_the_rerun_finishes_it(
    reference: tuple, phase: str, signum: int, runner: str, prefect: bool, request
) -> None:
    corpus, expected, root = reference
    api = request.getfixturevalue("prefect_server") if prefect else None
    out = root / f"{phase}-{signum}-{runner}-{prefect}"
    flags = ("--runner", runner, "--workers", "2")
    proc = textwash(corpus, out, root / "home", *flags, api=api)
    deadline = time.monotonic() + 300
    while not _in_phase(out, phase):
        assert proc.poll() is None, f"the run ended before {phase}: {proc.stderr.read()}"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    proc.send_signal(signum)
    # A hang guard, not a timing assertion: the bench measures how fast it stops.
    stdout, stderr = proc.communicate(timeout=60)

    assert proc.returncode == 128 + signum, stderr
    lines = [line for line in stderr.splitlines() if line.startswith("interrupted:")]
    assert len(lines) == 1, stderr
    assert "run the same command again to resume" in lines[0]
    assert "Traceback" not in stderr + stdout
    assert "Crash detected" not in stderr + stdout
    assert "leaked" not in stderr, stderr
    assert_no_partial_files(out)
    for table in ("documents", "removals", "rejects"):  # nothing was committed
        assert not list((out / table).glob("*.parquet")), table
    assert not list((out / "_state" / "progress").glob("*")), "progress files left behind"
    if api is not None:  # what the Prefect UI shows: a stop, not a crash
        (flow_run,), task_states = prefect_states(api, out)
        assert flow_run.state.type.value == "CANCELLED", flow_run.state
        assert signal.Signals(signum).name in flow_run.state.message
        assert {"RUNNING", "PENDING", "SCHEDULED"}.isdisjoint(task_states), task_states

    again = textwash(corpus, out, root / "home", *flags, api=api)
    _, stderr = again.communicate(timeout=500)
    assert again.returncode == 0, stderr
    assert snapshot(out) == expected
    assert not list(out.rglob("*.tmp"))
    assert not (out / "_state" / "progress").exists()
    assert not (out / "_staging").exists(), "a commit leaves no staging folders"


STOP_THEN_FAIL = """
import os, signal, sys, time
from flows.interrupt import Interrupted, interruptible
ends = []
try:
    with interruptible(ends.append):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises here
        except Interrupted:
            # what a library's lock did while the stop unwound it
            raise RuntimeError("release unlocked lock")
except Interrupted as exc:
    print("interrupted", exc.signum, ends)
    sys.exit(exc.exit_code)
"""


def test_a_failure_while_a_stop_unwinds_is_the_stop() -> None:
    """A signal lands wherever the main thread is, inside a library's lock too; the
    error the unwinding raises then must end the run as the stop, not as a failure
    (CI once saw "the run failed: RuntimeError: release unlocked lock", exit 1)."""
    done = subprocess.run([sys.executable, "-c", STOP_THEN_FAIL], capture_output=True, text=True)
    assert done.returncode == 128 + signal.SIGTERM, done.stderr
    assert done.stdout.split() == [
        "interrupted",
        str(int(signal.SIGTERM)),
        f"[{int(signal.SIGTERM)}]",
    ]
