"""Inputs and the dataset on an object store: a real S3 server on loopback (moto's
server mode, as s3fs's own tests use), reached only through the AWS environment."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bench.workloads.crash import kill_when, make_corpus, snapshot
from flows.cli import app
from flows.data.discovery import discover
from flows.data.readers import read_file

from .data.test_readers import check_cut_gzip, cut_gzip_lines
from .test_runners import corpus, dataset

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

SECRET = "textwash-test-secret-never-written"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory):
    """An S3 server on loopback, two buckets, and the AWS variables pointing at it."""
    pytest.importorskip("s3fs", reason="the s3 extra (s3fs) is not installed")
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    nowhere = tmp_path_factory.mktemp("aws") / "none"
    env = {
        "AWS_ENDPOINT_URL": f"http://{host}:{port}",
        "AWS_ACCESS_KEY_ID": "textwash-test-key",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(nowhere),  # no profile of this machine's user
        "AWS_SHARED_CREDENTIALS_FILE": str(nowhere),
    }
    with pytest.MonkeyPatch.context() as mp:
        for key, value in env.items():
            mp.setenv(key, value)
        import fsspec

        fs = fsspec.filesystem("s3", use_listings_cache=False, skip_instance_cache=True)
        for bucket in ("raw", "clean"):
            if not fs.exists(bucket):  # moto keeps its buckets per process: another
                fs.mkdir(bucket)  # module's server (test_commit's) made them
        yield fs
    server.stop()


def upload(fs, local: Path, prefix: str) -> str:  # type: ignore[no-untyped-def]
    """The files under ``local`` as objects under ``prefix`` (same relative names)."""
    for path in sorted(local.rglob("*")):
        if path.is_file():
            fs.put_file(str(path), f"{prefix.rstrip('/')}/{path.relative_to(local).as_posix()}")
    return f"s3://{prefix}"


def download(fs, prefix: str, local: Path) -> Path:  # type: ignore[no-untyped-def]
    fs.get(prefix, str(local), recursive=True)
    return local


def run(*args: str) -> None:
    result = CliRunner().invoke(app, ["run", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)


def test_a_bucket_gives_the_dataset_a_folder_gives(s3, prefect_server: str, tmp_path: Path) -> None:
    src = corpus(tmp_path)
    (src / ".hidden.txt").write_text("never read", encoding="utf-8")
    url = upload(s3, src, "raw/same")
    run(str(src), "-o", str(tmp_path / "local"))
    reference = dataset(tmp_path / "local")
    assert len(reference[0]) == 5 + 60 + 40
    small = ["--shard-mb", "0.05"]  # the JSONL and the Parquet are read in pieces
    runs = {
        # Its own output inside the input prefix, run twice: never read back.
        "s3://raw/same/inside": ["--shard-files", "1"],
        "s3://clean/thread": ["--workers", "2", *small],
        "s3://clean/process": ["--runner", "process", "--workers", "2", *small],
        "s3://clean/dask": ["--runner", "dask", "--workers", "2", "--shard-files", "3", *small],
    }
    for out, flags in runs.items():
        run(url, "-o", out, *flags)
        if out.endswith("inside"):
            run(url, "-o", out, *flags)
        local = download(s3, out.removeprefix("s3://"), tmp_path / out.rsplit("/", 1)[1])
        assert dataset(local) == reference, out
        manifest = json.loads((local / "_manifest.json").read_text())
        assert manifest["summary"]["output"] == out
        assert not [p for p in local.glob("_staging/**/*") if p.is_file()], "all moved or gone"
        # Each document was repaired once: the cleaning pass took the counting pass's.
        repaired = sum(m["repaired_by_counting"] for m in manifest["shards"])
        assert repaired == manifest["summary"]["dataset"]["documents"] == len(reference[0])
        for path in local.rglob("*"):
            if path.is_file():
                assert SECRET.encode() not in path.read_bytes(), path


def test_parts_stay_out_of_the_tables_until_commit(s3) -> None:
    from flows.commit import Publication, apply
    from flows.data.dataset import read_marker, write_shard
    from flows.data.schema import TABLES
    from flows.data.storage import as_path
    from flows.options import RunOptions
    from flows.state.markers import Recipe, ShardMarker

    out = as_path("s3://clean/staging")
    marker = ShardMarker(index=0, key="k", recipe=Recipe.of(RunOptions()), parts=["documents"])
    staged = write_shard(out, 0, dict.fromkeys(TABLES), marker)
    assert staged == replace(marker, parts=[], tag=staged.tag)
    assert read_marker(out, 0) == staged
    assert not s3.glob("clean/staging/documents/*.parquet")
    assert s3.exists("clean/staging/_staging/_shards/shard-00000.json")
    move = ("_staging/_shards/shard-00000.json", "_shards/shard-00000.json")
    publication = Publication((move,), (), {"parts": {}, "shards": [staged.to_dict()]})
    apply(out, publication)
    apply(out, publication)  # idempotent: a commit cut short is replayed
    assert read_marker(out, 0) == staged
    assert s3.exists("clean/staging/_shards/shard-00000.json")
    assert s3.exists("clean/staging/_manifest.json")


def test_one_writer_per_bucket_dataset(s3) -> None:
    from flows.data.storage import as_path
    from flows.state.lock import DatasetBusy, dataset_lock

    out = as_path("s3://clean/locked")
    held = dataset_lock(out)
    held.__enter__()
    with pytest.raises(DatasetBusy, match="another textwash run"), dataset_lock(out):
        pass
    held.__exit__(None, None, None)
    with dataset_lock(out):  # released: the next run gets it
        pass
    assert not s3.exists("clean/locked/_state/lock")

    # A lock left by a process that died (SIGKILL never releases it) is taken over.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    import socket

    holder = {"host": socket.gethostname(), "pid": dead.pid, "token": "x", "renewed": time.time()}
    s3.pipe_file("clean/locked/_state/lock", json.dumps(holder).encode())
    with dataset_lock(out):
        assert json.loads(s3.cat("clean/locked/_state/lock"))["pid"] == os.getpid()


def test_killed_bucket_run_resumes_to_the_same_dataset(
    s3, prefect_server: str, tmp_path: Path
) -> None:
    src = make_corpus(tmp_path)
    url = upload(s3, src, "raw/crash")
    run(str(src), "-o", str(tmp_path / "reference"), "--shard-files", "1")
    expected = snapshot(tmp_path / "reference")

    out = "s3://clean/killed"
    cmd = [sys.executable, "-m", "flows.cli", "run", url, "-o", out, "--shard-files", "1"]
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    staged = lambda: len(s3.glob("clean/killed/_staging/_shards/*.json")) >= 3  # noqa: E731
    assert kill_when(proc, staged), "the run finished before the kill point"
    # Nothing was committed: a glob reader of the tables sees no part of the killed run.
    for table in ("documents", "removals", "rejects"):
        assert not s3.glob(f"clean/killed/{table}/*.parquet"), table

    run(url, "-o", out, "--shard-files", "1")
    assert snapshot(download(s3, "clean/killed", tmp_path / "killed")) == expected


def test_inspect_a_bucket_and_clear_errors(s3, tmp_path: Path) -> None:
    from flows.data.storage import as_path

    out = "s3://clean/inspect"
    as_path(out).joinpath("documents", "part-00000.parquet").write_bytes(_empty_documents_part())
    result = CliRunner().invoke(app, ["inspect", out])
    assert result.exit_code == 1, result.output  # parts, but no run has committed them
    assert "incomplete" in result.output and "no _manifest.json" in result.output

    result = CliRunner().invoke(app, ["run", "seeds", "-o", "s3://no-such-bucket/x"])
    assert result.exit_code == 2 and "no bucket 'no-such-bucket'" in result.output
    result = CliRunner().invoke(app, ["run", "s3://raw/nothing-here/", "-o", str(tmp_path)])
    assert result.exit_code == 2 and "input not found: s3://raw/nothing-here/" in result.output


def _empty_documents_part() -> bytes:
    import io

    import pyarrow.parquet as pq

    from flows.data.schema import TABLES

    buf = io.BytesIO()
    pq.write_table(TABLES["documents"].empty_table(), buf)
    return buf.getvalue()


def test_incremental_runs_and_backfills_on_a_bucket(
    s3, prefect_server: str, tmp_path: Path
) -> None:
    """Scheduled runs append only what is new; backfill partitions are prefixes; a
    gzip JSONL streams from the bucket; `explain` reads a bucket dataset's counts."""
    import gzip

    src = corpus(tmp_path)
    records = [json.loads(line) for line in (src / "batch.jsonl").read_text().splitlines()]
    (src / "batch.jsonl").unlink()
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    for p in sorted(src.iterdir()):
        p.rename(first / p.name)
    with gzip.open(second / "later.jsonl.gz", "wt", encoding="utf-8") as fh:
        fh.write("\n".join(json.dumps(r) for r in records) + "\n")

    # The same two steps into a folder and into a bucket give the same dataset.
    inbox = tmp_path / "inbox"
    for step in (first, second):
        upload(s3, step, "raw/inbox/")
        for p in step.iterdir():
            (inbox / p.name).parent.mkdir(exist_ok=True)
            (inbox / p.name).write_bytes(p.read_bytes())
        run(str(inbox), "-o", str(tmp_path / "local"), "--incremental")
        run("s3://raw/inbox/", "-o", "s3://clean/incremental", "--incremental")
    local = download(s3, "clean/incremental", tmp_path / "incremental")
    assert dataset(local) == dataset(tmp_path / "local")
    assert len(dataset(local)[0]) == 5 + 40 + 60
    shards = json.loads((local / "_manifest.json").read_text())["shards"]
    assert [m["index"] for m in shards] == [0, 1]  # the second run appended a shard

    for day, step in (("date=2025-01-01", first), ("date=2025-01-02", second)):
        upload(s3, step, f"raw/days/{day}/")
    result = CliRunner().invoke(
        app, ["backfill", "--partitions", "s3://raw/days/date=*", "-o", "s3://clean/days"]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)
    assert SECRET not in result.output
    days = download(s3, "clean/days", tmp_path / "days")
    sources = {
        row[0].split("/")[0]
        for row in __import__("duckdb")
        .sql(f"select source from read_parquet('{days}/*/documents/*.parquet')")
        .fetchall()
    }
    assert sources == {"date=2025-01-01", "date=2025-01-02"}

    result = CliRunner().invoke(
        app, ["explain", "s3://raw/inbox/later.jsonl.gz", "--dataset", "s3://clean/incremental"]
    )
    assert result.exit_code == 0, result.output + repr(result.exception)


def test_a_cut_gzip_object_keeps_the_lines_before_the_break(s3) -> None:  # type: ignore[no-untyped-def]
    """The same reader as a local file's: fsspec, compression inferred from the name."""
    lines, cut = cut_gzip_lines()
    s3.pipe("raw/cut/cut.jsonl.gz", cut)
    check_cut_gzip([item for f in discover("s3://raw/cut") for item in read_file(f)], lines)
