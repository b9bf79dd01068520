"""Run `textwash run` on a small corpus and kill it part-way: the corpus, the run, the
kill and what a dataset holds. Shared by tests/flows/test_crash.py (a few fixed kill
points) and bench/crash.py (many random ones)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

TABLES = {
    "documents": "doc_id",
    "removals": "doc_id, line_no",
    "rejects": "source",
}


def make_corpus(root: Path, copies: int = 6) -> Path:
    """Seeds in varied copies (each copy a different document), a JSONL with a bad
    line, a binary file: enough shards that a kill lands in the middle."""
    corpus = root / "corpus"
    corpus.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for i in range(copies):
        for p in seeds:
            text = p.read_text(encoding="utf-8")
            (corpus / f"c{i}-{p.name}").write_text(f"{text}\nCopy {i} of this article.\n")
    records = [{"text": s.read_text(encoding="utf-8"), "url": "https://a.example/x"} for s in seeds]
    lines = [json.dumps(r) for r in records] + ["{broken"]
    (corpus / "batch.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (corpus / "noise.txt").write_bytes(bytes(range(256)) * 8)
    return corpus


def textwash(corpus: Path, out: Path, api: str, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "flows.cli", "run", str(corpus), "-o", str(out)]
    cmd += ["--shard-files", "1", *extra]
    env = {**os.environ, "PREFECT_API_URL": api}
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def finish(corpus: Path, out: Path, api: str, *extra: str) -> None:
    proc = textwash(corpus, out, api, *extra)
    stdout, _ = proc.communicate(timeout=400)
    assert proc.returncode == 0, stdout.decode()


def snapshot(out: Path) -> dict[str, list[tuple]]:
    """Every table's rows, run timestamps aside, in a stable order."""
    data = {}
    for table, order in TABLES.items():
        columns = "* exclude (cleaned_at)" if table == "documents" else "*"
        if table == "rejects":
            columns = "* exclude (rejected_at)"
        data[table] = duckdb.sql(
            f"select {columns} from read_parquet('{out}/{table}/*.parquet') order by {order}"
        ).fetchall()
    return data


def assert_no_partial_files(out: Path) -> None:
    for table in TABLES:
        for part in (out / table).glob("*.parquet"):
            pq.read_table(part)  # a visible part is a whole part


def kill_when(proc: subprocess.Popen, ready: Callable[[], bool], timeout: float = 300) -> bool:
    """SIGKILL ``proc`` once ``ready()`` holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while proc.poll() is None and time.monotonic() < deadline:
        if ready():
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    proc.wait()
    return False


def after(condition: Callable[[], bool], seconds: float) -> Callable[[], bool]:
    """A kill point: ``seconds`` after ``condition()`` first held (measured from the
    run's own progress, not from its start, which a fast machine beats)."""
    seen: list[float] = []

    def ready() -> bool:
        if not seen and condition():
            seen.append(time.monotonic())
        return bool(seen) and time.monotonic() - seen[0] >= seconds

    return ready


def markers(out: Path) -> int:
    """Finished shards: committed, or staged by a run not yet committed."""
    return len(list(out.glob("_shards/shard-*.json")) + list(out.glob("_staging/_shards/*.json")))
