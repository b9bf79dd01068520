"""What a user meets in the first hour, through the real CLI and a real Prefect
server: copies of articles, a dataset inside its input, explain against run, stable
ids, the 1.1 contract, progress and an honest summary."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from flows.data.discovery import discover
from flows.runners import DASK_DASHBOARD_PORT

from ..conftest import SEEDS
from ..data.duplicates import three_copies, three_formats, write_jsonl

pytestmark = pytest.mark.usefixtures("prefect_server")


def run_cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def docs_of(out: Path) -> pl.DataFrame:
    return pl.read_parquet(out / "documents" / "*.parquet")


def test_copies_in_three_formats_keep_their_text(tmp_path: Path) -> None:
    """Three copies of one article (canonical, AMP, ?updated=1) as JSONL, gzip and
    Parquet under one root: nine documents, none emptied; --dedup exact keeps one."""
    root = three_formats(three_copies(), tmp_path / "in")
    run_cli("run", str(root), "-o", str(tmp_path / "out"))
    docs = docs_of(tmp_path / "out")
    assert docs.height == 9
    texts = set(docs["text"])
    assert len(texts) == 1 and len(texts.pop()) > 3000
    removals = pl.read_parquet(tmp_path / "out" / "removals" / "*.parquet")
    assert "repeated_line" not in removals["category"].to_list()
    assert "advertisement" in removals["category"].to_list()  # the seed's boilerplate goes

    run_cli("run", str(root), "-o", str(tmp_path / "dedup"), "--dedup", "exact")
    docs = docs_of(tmp_path / "dedup").sort("source")
    kept = docs.filter(pl.col("duplicate_of").is_null())
    assert kept.height == 1 and kept["text"][0] == next(
        iter(set(docs_of(tmp_path / "out")["text"]))
    )
    copies = docs.filter(pl.col("duplicate_of").is_not_null())
    assert copies.height == 8
    assert set(copies["duplicate_of"]) == {kept["doc_id"][0]}
    assert set(copies["text"]) == {""}


def test_a_dataset_inside_its_input_is_not_read_back(tmp_path: Path) -> None:
    src = tmp_path / "seedcopy"
    shutil.copytree(SEEDS, src)
    for _ in range(3):
        run_cli("run", str(src), "-o", str(src / "clean"))
        assert docs_of(src / "clean").height == 5
        assert pl.read_parquet(src / "clean" / "rejects" / "*.parquet").height == 0
    other = src / "old-dataset"  # another textwash dataset in the input: skipped too
    shutil.copytree(src / "clean", other)
    run_cli("run", str(src), "-o", str(tmp_path / "elsewhere"))
    assert docs_of(tmp_path / "elsewhere").height == 5


def _site_docs() -> list[dict]:
    footer = "Follow Example News on WhatsApp for breaking stories every day"
    topics = ["harbour", "bridge", "library", "market"]
    return [
        {
            "id": i,
            "url": f"https://www.example.com/news/{i}",
            "text": f"A story about the {t}\nReporters covered the {t} in detail, with "
            f"interviews and photos.\nADVERTISEMENT\nResidents said the {t} had never been "
            f"discussed so widely.\n{footer}",
        }
        for i, t in enumerate(topics)
    ]


def test_explain_gives_the_verdicts_of_a_run(tmp_path: Path) -> None:
    from flows.explain import explain_results
    from flows.options import RunOptions

    src = write_jsonl(_site_docs(), tmp_path / "in" / "site.jsonl")
    out = tmp_path / "out"
    run_cli("run", str(src), "-o", str(out))
    removals = duckdb.sql(
        f"select doc_id, line_no, category, rule from read_parquet('{out}/removals/*.parquet')"
    ).fetchall()
    assert {r[2] for r in removals} == {"advertisement", "repeated_line"}
    for dataset in (None, out):  # from the input alone, and with the dataset's counts
        explained = {
            (item.doc_id, r.line_no, r.category, r.rule)
            for item, result in explain_results(discover(src), RunOptions(), dataset)
            for r in result.removed  # type: ignore[union-attr]
        }
        assert explained == set(removals)
    output = run_cli("explain", str(src), "--limit", "1")
    assert "repeated_line" in output and "repeated_across_documents" in output


def test_sources_and_ids_do_not_depend_on_how_the_input_is_spelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "jsonl"
    write_jsonl(_site_docs(), folder / "docs.jsonl")
    monkeypatch.chdir(tmp_path)
    spellings = ["jsonl", "./jsonl/", str(folder), "jsonl/docs.jsonl", "jsonl/*.jsonl", "jsonl//"]
    seen = set()
    for i, spelling in enumerate(spellings):
        out = tmp_path / f"out{i}"
        run_cli("run", spelling, "-o", str(out))
        seen.add(tuple(docs_of(out).sort("source").select("source", "doc_id").rows()))
    assert len(seen) == 1
    sources = [s for s, _ in next(iter(seen))]
    assert sources[0] == "docs.jsonl#L1"


def test_backfill_sources_carry_the_partition(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    for day in ("2025-01-01", "2025-01-02"):  # the same file on two days
        write_jsonl(_site_docs(), raw / f"date={day}" / "docs.jsonl")
    out = tmp_path / "out"
    run_cli("backfill", "--partitions", f"{raw}/date=*", "-o", str(out))
    docs = duckdb.sql(
        f"select source, doc_id from read_parquet('{out}/*/documents/*.parquet') order by 1"
    ).fetchall()
    assert len(docs) == 8 and len({d for _, d in docs}) == 8
    assert docs[0][0] == "date=2025-01-01/docs.jsonl#L1"
    assert docs[-1][0] == "date=2025-01-02/docs.jsonl#L4"


def test_the_1_1_contract(tmp_path: Path) -> None:
    from flows.data.schema import TABLES

    src = tmp_path / "in"
    rows = [
        {
            "id": "a1",
            "url": "https://www.example.com/a1",
            "text": "Storm hits the coast\nThe storm cut power to thousands of homes.\n"
            "ADVERTISEMENT",
            "title": "Storm hits the coast",
            "published": "Tue, 04 Feb 2025 10:30:00 GMT",
            "lang": "en",
            "tags": ["weather", "coast"],
        },
        {"id": 7, "text": "  "},
        "not an object",
    ]
    src.mkdir()
    (src / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    out = tmp_path / "out"
    run_cli("run", str(src), "-o", str(out), "--shard-files", "1")
    for table, schema in TABLES.items():
        parts = list((out / table).glob("part-*.parquet"))
        assert len(parts) == 1, table  # rows, or one empty part: a glob always matches
        assert pq.read_schema(parts[0]).equals(schema, check_metadata=False)
        # The Parquet file itself says "required" (not only the Arrow schema in its
        # metadata): top-level lines of the physical schema read "required binary
        # field_id=-1 doc_id (String);" or "required group field_id=-1 fixes (List) {".
        top = [line.split() for line in str(pq.ParquetFile(parts[0]).schema).splitlines()[2:]]
        required = {
            w[3].rstrip(";") for w in top if len(w) > 3 and w[0] == "required" and not line_in(w)
        }
        assert required == {f.name for f in schema if not f.nullable}, table
    doc = docs_of(out).row(0, named=True)
    assert doc["title"] == "Storm hits the coast"
    assert doc["text"] == "The storm cut power to thousands of homes."
    assert json.loads(doc["meta"]) == {
        "id": "a1",
        "url": "https://www.example.com/a1",
        "title": "Storm hits the coast",
        "published": "Tue, 04 Feb 2025 10:30:00 GMT",
        "lang": "en",
        "tags": ["weather", "coast"],
    }
    assert doc["published"] == "Tue, 04 Feb 2025 10:30:00 GMT"
    assert doc["published_at"].isoformat() == "2025-02-04T10:30:00+00:00"
    assert doc["duplicate_of"] is None and doc["kept_repeated_lines"] is False
    removal = pl.read_parquet(out / "removals" / "*.parquet").row(0, named=True)
    assert (removal["source"], removal["url"]) == ("docs.jsonl#L1", "https://www.example.com/a1")
    rejects = pl.read_parquet(out / "rejects" / "*.parquet").sort("line")
    assert rejects.select("source", "source_id", "position", "line").rows() == [
        ("docs.jsonl#L2", "7", 1, 2),
        ("docs.jsonl#L3", None, 2, 3),
    ]


def line_in(words: list[str]) -> bool:
    """A nested field of a list (its element), not a column."""
    return words[3] in ("list", "element", "item")


def test_appending_to_a_1_0_dataset_stops_clearly(tmp_path: Path) -> None:
    out = tmp_path / "old"
    (out / "documents").mkdir(parents=True)
    old = pa.schema([pa.field("doc_id", pa.string())], metadata={"textwash.schema_version": "1.0"})
    pq.write_table(
        pa.table({"doc_id": ["x"]}, schema=old), out / "documents" / "part-00000.parquet"
    )
    result = CliRunner().invoke(app, ["run", str(SEEDS), "-o", str(out), "--incremental"])
    assert result.exit_code == 2
    assert "schema 1.0" in result.output and "new folder" in result.output


def test_progress_and_a_summary_of_this_run(tmp_path: Path) -> None:
    env = {**os.environ}
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "flows.cli", "run", str(SEEDS), "-o", str(out)]
    first = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    assert "cleaning" in first.stderr and "5 docs" in first.stderr  # the progress bar
    assert "this run" in first.stdout and "dataset" in first.stdout
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert "Nothing to do" in again.stdout
    manifest = json.loads((out / "_manifest.json").read_text())
    assert manifest["summary"]["documents"] == 0  # this run cleaned nothing
    assert manifest["summary"]["dataset"]["documents"] == 5


def test_a_dask_run_is_quiet(tmp_path: Path) -> None:
    """Quiet also when Dask's dashboard port is taken (another cluster on the machine)."""
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "flows.cli", "run", str(SEEDS), "-o", str(out)]
    with socket.socket() as holder:
        with contextlib.suppress(OSError):  # else it is held already, as on a busy machine
            holder.bind(("127.0.0.1", DASK_DASHBOARD_PORT))
            holder.listen()
        proc = subprocess.run(
            [*cmd, "--runner", "dask", "--workers", "1"],
            env=dict(os.environ),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert proc.returncode == 0, proc.stderr
    noise = [line for line in proc.stderr.splitlines() if "distributed" in line or "INFO" in line]
    assert noise == []
