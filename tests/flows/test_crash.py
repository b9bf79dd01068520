"""SIGKILL a real `textwash run` part-way; the re-run must give the dataset an
uninterrupted run gives, with no doc_id twice and no partial file ever visible."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.workloads.crash import (
    SEEDS,
    TABLES,
    after,
    assert_no_partial_files,
    finish,
    kill_when,
    make_corpus,
    markers,
    snapshot,
    textwash,
)

pytestmark = [pytest.mark.timeout(600), pytest.mark.integration]


@pytest.fixture(scope="module")
def reference(prefect_server: str, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("crash")
    corpus = make_corpus(root)
    out = root / "reference"
    finish(corpus, out, prefect_server)
    return corpus, snapshot(out), root


@pytest.mark.parametrize(
    "point",
    ["planning", "after-1-shard", "after-12-shards", "random-time"],
)
def test_killed_run_resumes_to_the_same_dataset(
    point: str, reference: tuple, prefect_server: str
) -> None:
    corpus, expected, root = reference
    out = root / f"killed-{point}"
    proc = textwash(corpus, out, prefect_server)
    if point == "planning":
        ready = lambda: (out / "_state" / "lock").exists()  # noqa: E731
    elif point == "random-time":
        # Mid-shard at a random moment, measured from the run's own progress (a shard
        # count, then a few ms), never from a wall-clock time the run may beat.
        rng = random.Random(7)
        shards = rng.randint(2, 24)
        ready = after(lambda: markers(out) >= shards, rng.uniform(0.0, 0.05))
    else:
        n = int(point.split("-")[1])
        ready = lambda: markers(out) >= n  # noqa: E731
    killed = kill_when(proc, ready)
    assert killed, "the run finished before the kill point: make the corpus larger"
    assert_no_partial_files(out)
    for table in TABLES:  # nothing committed yet: a glob reader sees no part of it
        assert not list((out / table).glob("*.parquet")), table

    finish(corpus, out, prefect_server)
    got = snapshot(out)
    assert got == expected
    doc_ids = [row[0] for row in got["documents"]]
    assert len(doc_ids) == len(set(doc_ids))
    assert not [p for p in out.rglob("*.tmp")]


def _two_steps(root: Path, corpus: Path, name: str) -> tuple[Path, Path, list[Path]]:
    inbox, out = root / f"{name}-inbox", root / name
    inbox.mkdir()
    files = sorted(corpus.iterdir())
    for p in files[: len(files) // 2]:
        shutil.copy(p, inbox / p.name)
    return inbox, out, files[len(files) // 2 :]


def test_killed_incremental_run_resumes(reference: tuple, prefect_server: str) -> None:
    """The append-only mode: a killed run's pending plan is finished by the next one,
    and the dataset equals the one the same two runs give uninterrupted."""
    corpus, _, root = reference
    datasets = []
    for name in ("incremental-clean", "incremental-killed"):
        inbox, out, rest = _two_steps(root, corpus, name)
        finish(inbox, out, prefect_server, "--incremental")
        for p in rest:
            shutil.copy(p, inbox / p.name)
        if name.endswith("killed"):
            before, committed = markers(out), snapshot(out)
            proc = textwash(inbox, out, prefect_server, "--incremental")
            assert kill_when(proc, lambda out=out, before=before: markers(out) >= before + 3)
            assert_no_partial_files(out)
            assert snapshot(out) == committed  # the killed run's parts are not visible
        finish(inbox, out, prefect_server, "--incremental")
        datasets.append(snapshot(out))
    clean, killed = datasets
    assert killed == clean
    doc_ids = [r[0] for r in killed["documents"]]
    assert len(doc_ids) == len(set(doc_ids))


def _children(pid: int) -> list[str]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == str(pid):  # the field after the state is the parent's pid
            found.append(stat.parent.name)
    return found


def test_killed_run_leaves_no_server_behind(tmp_path: Path) -> None:
    """A run with its own temporary Prefect server: SIGKILL the run, the server goes
    too (else every killed run would leave a busy orphan process)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "home")  # no server of this machine's
    cmd = [sys.executable, "-m", "flows.cli", "run", str(SEEDS), "-o", str(tmp_path / "out")]
    proc = subprocess.Popen(
        [*cmd, "--prefect"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    children: list[str] = []
    deadline = time.monotonic() + 60
    while len(children) < 2 and time.monotonic() < deadline:  # the server and its guard
        children = _children(proc.pid)
        time.sleep(0.1)
    assert children, "the run started no server"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 30
    while any(Path(f"/proc/{c}").exists() for c in children) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(Path(f"/proc/{c}").exists() for c in children)
