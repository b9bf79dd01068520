"""The CLI end to end: real flow runs on a real Prefect server, Parquet read back."""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from cleaners import clean_text
from flows.cli import app
from flows.commit import CRASH_AT
from flows.data.schema import DOCUMENTS_SCHEMA, REJECTS_SCHEMA, REMOVALS_SCHEMA, SCHEMA_VERSION
from tests.conftest import SEEDS, dated_partitions, load_golden

pytestmark = pytest.mark.usefixtures("prefect_server")
runner = CliRunner()


def run_cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


@pytest.fixture(scope="module")
def seeds_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("seeds-out")
    run_cli("run", str(SEEDS), "-o", str(out))
    return out


def test_seeds_dataset_matches_golden(seeds_output: Path) -> None:
    con = duckdb.connect()
    docs = {
        row[0]: row[1:]
        for row in con.execute(
            "select source, doc_id, title, text from "
            f"read_parquet('{seeds_output}/documents/*.parquet')"
        ).fetchall()
    }
    removals = con.execute(
        f"select doc_id, line_no, category, text from "
        f"read_parquet('{seeds_output}/removals/*.parquet')"
    ).fetchall()
    assert len(docs) == 5
    for gold in load_golden():
        doc_id, title, text = docs[f"{gold['id']}.txt"]
        may = {m["text"] for m in gold["may_remove"]}
        assert title == gold["title"]
        assert [x for x in text.split("\n") if x not in may] == [
            x for x in gold["text"].split("\n") if x not in may
        ]
        mine = {(line, cat, t) for d, line, cat, t in removals if d == doc_id}
        assert {(r["line"], r["category"], r["text"]) for r in gold["removed"]} <= mine


def test_dataset_has_the_declared_schema(seeds_output: Path) -> None:
    for table, schema in [
        ("documents", DOCUMENTS_SCHEMA),
        ("removals", REMOVALS_SCHEMA),
        ("rejects", REJECTS_SCHEMA),
    ]:
        part = next((seeds_output / table).glob("part-*.parquet"))
        file_schema = pq.read_schema(part)
        assert file_schema.equals(schema, check_metadata=False)
        assert file_schema.metadata[b"textwash.schema_version"] == SCHEMA_VERSION.encode()
        assert all(f.metadata and f.metadata[b"description"] for f in file_schema)
    frame = pl.read_parquet(seeds_output / "documents" / "*.parquet")
    assert frame.schema["fixes"] == pl.List(pl.String)
    assert frame.schema["cleaned_at"] == pl.Datetime("us", "UTC")
    assert frame["doc_id"].n_unique() == frame.height == 5
    assert (
        frame["n_removed"].sum() == pl.read_parquet(seeds_output / "removals" / "*.parquet").height
    )
    manifest = json.loads((seeds_output / "_manifest.json").read_text())
    assert manifest["summary"]["documents"] == 5
    assert manifest["schema_version"] == SCHEMA_VERSION


def test_rerun_skips_finished_shards_and_force_redoes(seeds_output: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    shutil.copytree(seeds_output, out)
    (part,) = (out / "documents").glob("part-00000*.parquet")
    before = part.stat().st_mtime_ns
    assert "1 / 0" not in run_cli("run", str(SEEDS), "-o", str(out))  # 0 run, 1 skipped
    assert part.stat().st_mtime_ns == before
    assert json.loads((out / "_manifest.json").read_text())["summary"]["shards_skipped"] == 1
    run_cli("run", str(SEEDS), "-o", str(out), "--force")
    assert json.loads((out / "_manifest.json").read_text())["summary"]["shards_run"] == 1


def _write_input(kind: str, folder: Path) -> int:
    raw = (SEEDS / "003_8eaeedee96198040.txt").read_text(encoding="utf-8")
    if kind == "jsonl":
        lines = [
            json.dumps({"id": i, "text": raw, "url": f"https://a.example/{i}"}) for i in range(3)
        ]
        (folder / "in.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
        return 3
    if kind == "parquet":
        pq.write_table(
            pa.table({"text": [raw, raw[:500]], "id": ["a", "b"]}), folder / "in.parquet"
        )
        return 2
    paragraphs = "".join(f"<p>{p}</p>" for p in raw.split("\n") if p.strip())
    html = (
        f"<html><head><title>El Salvador offer</title></head><body><nav>Home</nav>"
        f"<article>{paragraphs}</article></body></html>"
    )
    if kind == "html":
        (folder / "page.html").write_text(html, encoding="utf-8")
    else:
        with gzip.open(folder / "page.html.gz", "wt", encoding="utf-8") as fh:
            fh.write(html)
    return 1


@pytest.mark.parametrize("kind", ["jsonl", "parquet", "html", "gz"])
def test_each_input_format_through_the_cli(kind: str, tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    expected = _write_input(kind, src)
    out = tmp_path / "out"
    run_cli("run", str(src), "-o", str(out))
    docs = pl.read_parquet(out / "documents" / "*.parquet")
    assert docs.height == expected
    assert pl.read_parquet(out / "rejects" / "*.parquet").height == 0
    assert all("ADVERTISEMENT" not in t for t in docs["text"])
    removals = pl.read_parquet(out / "removals" / "*.parquet")
    assert "advertisement" in removals["category"].to_list()


def test_rejects_are_accounted_and_strict_fails(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "ok.txt").write_text("A title here\nSome real text.", encoding="utf-8")
    (src / "bad.jsonl").write_text('{"text": "fine"}\n{oops\n', encoding="utf-8")
    (src / "empty.txt").write_text("", encoding="utf-8")
    out = tmp_path / "out"
    output = run_cli("run", str(src), "-o", str(out))
    assert "rejected" in output
    docs = pl.read_parquet(out / "documents" / "*.parquet")
    rejects = pl.read_parquet(out / "rejects" / "*.parquet")
    assert docs.height + rejects.height == 4
    assert sorted(rejects["error"].to_list()) == ["bad_json", "empty"]
    strict = runner.invoke(app, ["run", str(src), "-o", str(tmp_path / "o2"), "--strict"])
    assert strict.exit_code == 1


def with_rejects(folder: Path) -> Path:
    """One clean input, one bad JSONL line and an empty file."""
    folder.mkdir()
    (folder / "ok.txt").write_text("A title here\nSome real text.", encoding="utf-8")
    (folder / "bad.jsonl").write_text('{"text": "fine"}\n{oops\n', encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")
    return folder


def killed_before_its_first_commit(src: Path, out: Path, api: str) -> None:
    """A first run killed once its shards are staged, before any manifest."""
    env = {**os.environ, "PREFECT_API_URL": api, CRASH_AT: "staged"}
    cmd = [sys.executable, "-m", "flows.cli", "run", str(src), "-o", str(out)]
    killed = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert any((out / "_staging" / "_shards").iterdir())
    assert not (out / "_manifest.json").exists()


def test_strict_judges_the_run_at_hand(tmp_path: Path, prefect_server: str) -> None:
    """--strict fails a run that rejected something, a run that commits the rejects an
    interrupted one staged, and not a rerun with nothing to do."""
    src, out = with_rejects(tmp_path / "in"), tmp_path / "out"
    strict = ["run", str(src), "-o", str(out), "--strict"]
    first = runner.invoke(app, strict)
    assert first.exit_code == 1 and "rejected" in first.output
    again = runner.invoke(app, strict)
    assert again.exit_code == 0, again.output
    assert "Nothing to do" in again.output and "rejected" not in again.output

    resumed = tmp_path / "resumed"
    killed_before_its_first_commit(src, resumed, prefect_server)
    result = runner.invoke(app, ["run", str(src), "-o", str(resumed), "--strict"])
    assert result.exit_code == 1 and "rejected" in result.output


def test_missing_input_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "nope"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 2
    assert "input not found" in result.output


def test_explain_shows_fixes_and_removals() -> None:
    seed = SEEDS / "000_534eac6734c502e5.txt"
    output = run_cli("explain", str(seed))
    assert "fix_spaced_mojibake" in output
    # Every removal's category and rule, as the cleaner gives them.
    removed = clean_text(seed.read_bytes()).removed
    assert any(r.category == "photo_credit" for r in removed)
    for r in removed:
        assert r.category in output and r.rule in output


def test_console_script_runs(tmp_path: Path, prefect_server: str) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PREFECT_API_URL": prefect_server}
    exe = Path(sys.executable).parent / "textwash"
    proc = subprocess.run(
        [str(exe), "run", str(SEEDS), "-o", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "documents" in proc.stdout
    assert "Traceback" not in proc.stderr
    assert pl.read_parquet(out / "documents" / "*.parquet").height == 5


TOPICS = [
    "harbour",
    "bridge",
    "library",
    "market",
    "stadium",
    "school",
    "river",
    "museum",
    "station",
    "hospital",
    "park",
]
FOOTER = "Follow Example News on WhatsApp for breaking stories every day"
SHARED_QUOTE = "The minister said the budget would be balanced by the end of 2027."


def _site_docs(n: int, start: int = 0, quote_in: tuple[int, ...] = ()) -> str:
    lines = []
    for i in range(start, start + n):
        # Lines that differ only in digits count as one (cc_net's normalization), so
        # each article differs in words.
        topic = TOPICS[i % len(TOPICS)]
        body = [
            f"A story about the {topic}",
            f"Reporters covered the {topic} in detail, with interviews and photos.",
            f"Residents said the {topic} had never been discussed so widely.",
        ]
        if i in quote_in:
            body.append(SHARED_QUOTE)
        body.append(FOOTER)
        lines.append(
            json.dumps(
                {"id": i, "url": f"https://www.example.com/news/{i}", "text": "\n".join(body)}
            )
        )
    return "\n".join(lines) + "\n"


def test_lines_repeated_across_a_site_are_removed_and_learned(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (src / "site.jsonl").write_text(_site_docs(4, quote_in=(0, 1)), encoding="utf-8")
    out = tmp_path / "out"
    run_cli("run", str(src), "-o", str(out))
    removals = pl.read_parquet(out / "removals" / "*.parquet")
    repeated = removals.filter(pl.col("category") == "repeated_line")
    assert repeated["text"].to_list() == [FOOTER] * 4
    # A quote two articles share is below the threshold of 3 documents.
    assert all(
        SHARED_QUOTE in t
        for t in pl.read_parquet(out / "documents" / "*.parquet").filter(
            pl.col("source_id").is_in(["0", "1"])
        )["text"]
    )
    stats = pl.read_parquet(out / "_state" / "line_stats.parquet")
    assert stats.filter(pl.col("source") == "example.com")["n_docs"].max() == 4

    # A later run with one new article of the site: the footer is known from the state.
    (src / "site.jsonl").write_text(_site_docs(1, start=10), encoding="utf-8")
    run_cli("run", str(src), "-o", str(out))
    docs = pl.read_parquet(out / "documents" / "*.parquet")
    assert docs.height == 1 and FOOTER not in docs["text"][0]
    stats = pl.read_parquet(out / "_state" / "line_stats.parquet")
    assert stats.filter(pl.col("source") == "example.com")["n_docs"].max() == 5
    # Re-running the same input counts nothing twice.
    run_cli("run", str(src), "-o", str(out), "--force")
    stats = pl.read_parquet(out / "_state" / "line_stats.parquet")
    assert stats.filter(pl.col("source") == "example.com")["n_docs"].max() == 5


def test_inspect_summarizes_a_dataset(seeds_output: Path) -> None:
    output = run_cli("inspect", str(seeds_output))
    assert "documents" in output and "removals" in output
    assert "advertisement" in output and "1.0" in output


def test_inspect_says_an_interrupted_first_run_is_incomplete(
    tmp_path: Path, prefect_server: str
) -> None:
    src, out = with_rejects(tmp_path / "in"), tmp_path / "out"
    killed_before_its_first_commit(src, out, prefect_server)
    result = runner.invoke(app, ["inspect", str(out)])
    assert result.exit_code == 1
    assert "incomplete" in result.output and "same command" in result.output
    runner.invoke(app, ["run", str(src), "-o", str(out)])  # resumed: now complete
    assert run_cli("inspect", str(out))


def test_inspect_rejects_a_missing_folder(tmp_path: Path) -> None:
    result = runner.invoke(app, ["inspect", str(tmp_path / "nope")])
    assert result.exit_code == 2


def test_backfill_partitions_resume_and_read_as_hive(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    dated_partitions(raw)
    out = tmp_path / "out"
    output = run_cli(
        "backfill",
        "--template",
        f"{raw}/date={{date}}",
        "--start",
        "2025-01-01",
        "--end",
        "2025-01-03",
        "-o",
        str(out),
    )
    assert "date=2025-01-01" in output and "date=2025-01-02" in output
    counts = duckdb.sql(
        f"select date::varchar, count(*) from read_parquet('{out}/*/documents/*.parquet', "
        "hive_partitioning = true) group by 1 order by 1"
    ).fetchall()
    assert counts == [("2025-01-01", 2), ("2025-01-02", 1)]
    # Resumable: the same partitions again run no shard.
    run_cli("backfill", "--partitions", f"{raw}/date=*", "-o", str(out))
    for day in ("2025-01-01", "2025-01-02"):
        manifest = json.loads((out / f"date={day}" / "_manifest.json").read_text())
        assert manifest["summary"]["shards_run"] == 0


def test_backfill_without_partitions_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["backfill", "--partitions", str(tmp_path / "none-*")])
    assert result.exit_code == 2


def test_inspect_prints_how_to_read_each_table(seeds_output: Path) -> None:
    """The lines inspect prints read each table, as DuckDB and Polars take them."""
    import re

    output = run_cli("inspect", str(seeds_output))
    sql = re.findall(r"SELECT \* FROM '([^']+)'", output)
    polars_globs = re.findall(r"pl\.read_parquet\('([^']+)'\)", output)
    tables = ("documents", "removals", "rejects")
    assert sql == polars_globs == [f"{seeds_output}/{t}/*.parquet" for t in tables]
    for table, glob in zip(tables, sql, strict=True):
        rows = duckdb.sql(f"SELECT * FROM '{glob}'")
        assert rows.columns == TABLE_SCHEMAS[table].names
        assert pl.read_parquet(glob).height == len(rows.fetchall())


TABLE_SCHEMAS = {
    "documents": DOCUMENTS_SCHEMA,
    "removals": REMOVALS_SCHEMA,
    "rejects": REJECTS_SCHEMA,
}
