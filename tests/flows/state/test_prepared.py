"""Repair once: what the counting pass prepared is what the cleaning pass would have."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from flows.clean import process_shard
from flows.data.dataset import STAGING
from flows.data.discovery import discover
from flows.options import RunOptions
from flows.pipeline import count_shard
from flows.plan import plan_shards
from flows.state.prepared import open_prepared, prepared_path
from tests.conftest import SEEDS


def corpus(root: Path) -> Path:
    """Seeds (one garbled), an HTML page, a JSONL with a copy, a bad line and a URL."""
    src = root / "in"
    src.mkdir()
    texts = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    for i, text in enumerate(texts):
        (src / f"{i}.txt").write_text(text, encoding="utf-8")
    (src / "garbled.txt").write_bytes(texts[0].encode("utf-8").decode("cp1252", "replace").encode())
    (src / "page.html").write_text(
        "<html><body><article><h1>Title</h1><p>" + texts[1] + "</p></article></body></html>",
        encoding="utf-8",
    )
    records = [{"text": texts[2], "url": "https://a.example/1"}, {"text": texts[2]}, "{broken"]
    lines = [r if isinstance(r, str) else json.dumps(r) for r in records]
    (src / "b.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return src


def staged(out: Path) -> dict[str, list]:
    tables = {}
    for table in ("documents", "removals", "rejects"):
        path = out / STAGING / table
        got = list(path.glob("*.parquet"))
        tables[table] = (
            duckdb.sql(f"select * from read_parquet('{path}/*.parquet') order by all").fetchall()
            if got
            else []
        )
    return tables


def test_cleaning_from_the_counting_pass_gives_the_same_rows(tmp_path: Path) -> None:
    src = corpus(tmp_path)
    (shard,) = plan_shards(discover(src))
    opts = RunOptions(dedup="exact")  # the copy is cleaned as a duplicate: its row is skipped
    started = datetime(2025, 1, 1, tzinfo=UTC)
    a, b = tmp_path / "a", tmp_path / "b"
    measured = count_shard(shard, a, opts, set(), None, keep=True)
    assert prepared_path(a, shard.index).exists()
    duplicates = {measured.doc_ids[-1]: measured.doc_ids[-2]}
    key, fingerprint = shard.key, opts.config.fingerprint()
    with open_prepared(a, shard.index, key, fingerprint) as prepared:
        reused = process_shard(
            shard, a, opts.config, opts.read, started, {}, duplicates, None, prepared
        )
    alone = process_shard(shard, b, opts.config, opts.read, started, {}, duplicates)
    assert staged(a) == staged(b)
    assert reused.counts == alone.counts
    # Every document the counting pass prepared and the cleaning pass cleaned: 6 texts,
    # the HTML page (dedup measures pages) and the JSONL's first record.
    assert reused.repaired_by_counting == 8
    assert alone.repaired_by_counting == 0


def test_a_file_of_another_shard_or_config_is_ignored(tmp_path: Path) -> None:
    src = corpus(tmp_path)
    (shard,) = plan_shards(discover(src))
    opts = RunOptions()
    count_shard(shard, tmp_path, opts, set(), None, keep=True)
    changed = RunOptions.from_dict({**opts.to_dict(), "config": {"strip_boilerplate": False}})
    for key, config in (
        (shard.key, changed.config.fingerprint()),
        ("other", opts.config.fingerprint()),
    ):
        with open_prepared(tmp_path, shard.index, key, config) as prepared:
            assert prepared.take("anything") is None
            assert prepared.taken == 0


def test_documents_are_taken_back_by_doc_id_in_any_order(tmp_path: Path) -> None:
    """The cleaning pass finds each document by its doc_id, not by how many items came
    before it: taken in reverse, or with some never asked for, each is the one kept."""
    src = corpus(tmp_path)
    (shard,) = plan_shards(discover(src))
    opts = RunOptions(dedup="exact")
    measured = count_shard(shard, tmp_path, opts, set(), None, keep=True)
    key, fingerprint = shard.key, opts.config.fingerprint()
    ids = list(measured.doc_ids)
    with open_prepared(tmp_path, shard.index, key, fingerprint) as prepared:
        in_order = {doc_id: prepared.take(doc_id) for doc_id in ids}
    with open_prepared(tmp_path, shard.index, key, fingerprint) as prepared:
        reverse = {doc_id: prepared.take(doc_id) for doc_id in reversed(ids[1::2])}
        assert prepared.take(ids[1]) is None  # taken once
    assert all(doc is not None for doc in in_order.values())
    assert reverse == {doc_id: in_order[doc_id] for doc_id in ids[1::2]}
