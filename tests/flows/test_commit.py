"""The commit: a run killed (SIGKILL, a real process) at each step of publishing leaves
a dataset that a reader following the manifest sees as before or as after, never a
mix; the next run finishes the commit, to the dataset an uninterrupted run gives."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from flows.commit import CRASH_AT, JOURNAL

from .test_crash import TABLES, make_corpus, snapshot
from .test_object_storage import download, s3  # noqa: F401 - the bucket fixture

pytestmark = [pytest.mark.timeout(900), pytest.mark.integration]

# Before the journal, after it (no file moved yet), while moving staged files, before
# the manifest is replaced, and after the deletions (the journal not yet gone).
POINTS = ["staged", "journal", "move-4", "manifest", "deleted"]
AFTER = {"deleted"}  # the points past the manifest's replacement


def textwash(
    corpus: Path, out: str, api: str, crash: str | None = None
) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "flows.cli", "run", str(corpus), "-o", out, "--shard-files", "1"]
    env = {**os.environ, "PREFECT_API_URL": api}
    env.pop(CRASH_AT, None)
    if crash:
        env[CRASH_AT] = crash
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=400)


def by_manifest(out: Path) -> dict[str, list[tuple]]:
    """Every table's rows as a reader following ``_manifest.json`` reads them: the
    parts it lists, no others (run timestamps aside)."""
    manifest = json.loads((out / "_manifest.json").read_text())
    data = {}
    for table, order in TABLES.items():
        files = [str(out / p) for p in manifest["parts"][table]]
        stamp = {"documents": " exclude (cleaned_at)", "rejects": " exclude (rejected_at)"}
        data[table] = duckdb.sql(
            f"select *{stamp.get(table, '')} from read_parquet({files}) order by {order}"
        ).fetchall()
    return data


def change(corpus: Path) -> None:
    """A second version of the inputs: one file changed, one gone, one new (the shards
    after the gone file are numbered again: most are cleaned again)."""
    files = sorted(p for p in corpus.iterdir() if p.suffix == ".txt")
    files[0].write_text(files[0].read_text(encoding="utf-8") + "\nA line added later.\n")
    files[3].unlink()
    shutil.copy(files[1], corpus / "zz-new.txt")


@pytest.fixture(scope="module")
def versions(prefect_server: str, tmp_path_factory: pytest.TempPathFactory):
    """The inputs before and after, and the datasets uninterrupted runs give."""
    root = tmp_path_factory.mktemp("commit")
    before = make_corpus(root, copies=2)
    after = root / "after"
    shutil.copytree(before, after)
    change(after)
    first, second = root / "first", root / "second"
    assert textwash(before, str(first), prefect_server).returncode == 0
    shutil.copytree(first, second)
    assert textwash(after, str(second), prefect_server).returncode == 0
    old, new = by_manifest(first), by_manifest(second)
    assert old != new and snapshot(second) == new
    return root, before, after, first, old, new


@pytest.mark.parametrize("point", POINTS)
def test_a_run_killed_in_its_commit_is_old_or_new_then_finished(
    point: str, versions: tuple, prefect_server: str
) -> None:
    root, _, after, first, old, new = versions
    out = root / f"killed-{point}"
    shutil.copytree(first, out)
    killed = textwash(after, str(out), prefect_server, crash=point)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    assert by_manifest(out) == (new if point in AFTER else old)
    assert (out / "_state" / JOURNAL).exists() == (point != "staged")

    assert textwash(after, str(out), prefect_server).returncode == 0
    assert by_manifest(out) == new
    assert snapshot(out) == new  # and a glob reader: the old parts are gone
    assert not (out / "_state" / JOURNAL).exists()
    assert not [p for p in out.glob("_staging/**/*") if p.is_file()]
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize("point", ["move-4"])  # a bucket's copies: mid-move (35 s a case)
def test_a_bucket_run_killed_in_its_commit(
    point: str,
    versions: tuple,
    s3,  # noqa: F811 - the fixture
    prefect_server: str,
    tmp_path: Path,
) -> None:
    _, before, after, _, old, new = versions
    url = f"s3://clean/commit-{point}"
    assert textwash(before, url, prefect_server).returncode == 0
    killed = textwash(after, url, prefect_server, crash=point)
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    seen = by_manifest(download(s3, url.removeprefix("s3://"), tmp_path / "killed"))
    assert seen == (new if point in AFTER else old)

    assert textwash(after, url, prefect_server).returncode == 0
    local = download(s3, url.removeprefix("s3://"), tmp_path / "finished")
    assert by_manifest(local) == snapshot(local) == new
    assert not s3.exists(f"{url.removeprefix('s3://')}/_state/{JOURNAL}")
