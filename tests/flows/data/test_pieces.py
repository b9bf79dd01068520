"""Large inputs split into pieces: read piece by piece they give what the whole file
gives, and they are sized in bytes for shard planning."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flows.data.discovery import discover
from flows.data.pieces import split_file
from flows.data.readers import read_file, read_piece


def test_large_files_split_into_pieces_that_read_as_the_whole(tmp_path: Path) -> None:
    lines = [json.dumps({"text": f"Record number {i} " + "word " * (i % 37)}) for i in range(500)]
    lines[100] = ""  # a blank line keeps its place in the numbering
    (tmp_path / "big.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    records = [{"text": f"Row {i} " + "x" * (i % 50)} for i in range(300)]
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "big.parquet", row_group_size=20)
    for f in discover(tmp_path):
        whole = [(i.source, i.content) for i in read_file(f)]
        for max_bytes in (300, 1000, 4096):
            pieces = split_file(f, max_bytes)
            assert len(pieces) > 1
            parts = [(i.source, i.content) for p in pieces for i in read_piece(p)]
            assert parts == whole, (f.rel, max_bytes)


def test_parquet_pieces_are_sized_in_bytes_for_planning(tmp_path: Path) -> None:
    from flows.plan import plan_shards

    records = [{"text": f"Row {i} " + "x" * 200} for i in range(200)]
    pq.write_table(
        pa.Table.from_pylist(records),
        tmp_path / "rows.parquet",
        row_group_size=20,
        use_dictionary=False,
    )
    (f,) = discover(tmp_path)
    pieces = split_file(f, 8000)
    assert len(pieces) > 2 and all(p.size > 1000 for p in pieces)  # bytes, not row groups
    assert len(plan_shards([f], max_bytes=8000)) == len(pieces)
