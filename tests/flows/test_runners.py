"""Every runner and shard size gives the same dataset (a real Dask LocalCluster too)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import SEEDS

pytestmark = pytest.mark.usefixtures("prefect_server")


def dataset(out: Path) -> tuple[list, list]:
    con = duckdb.connect()
    docs = con.execute(
        "select * exclude (cleaned_at) from "
        f"read_parquet('{out}/documents/*.parquet') order by doc_id"
    ).fetchall()
    removals = con.execute(
        f"select * from read_parquet('{out}/removals/*.parquet') order by doc_id, line_no"
    ).fetchall()
    return docs, removals


def test_same_output_on_every_runner_and_shard_size(tmp_path: Path) -> None:
    runs = {
        "thread-one-shard": ["--runner", "thread"],
        "thread-small-shards": ["--runner", "thread", "--workers", "2", "--shard-files", "1"],
        "process": ["--runner", "process", "--workers", "2", "--shard-files", "2"],
        "dask": ["--runner", "dask", "--workers", "2", "--shard-files", "3"],
    }
    results = {}
    for name, flags in runs.items():
        out = tmp_path / name
        result = CliRunner().invoke(app, ["run", str(SEEDS), "-o", str(out), *flags])
        assert result.exit_code == 0, result.output + repr(result.exception)
        results[name] = dataset(out)
    reference = results.pop("thread-one-shard")
    assert len(reference[0]) == 5
    for name, data in results.items():
        assert data == reference, name
