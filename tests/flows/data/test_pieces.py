"""Large inputs split into pieces (gzipped JSONL too): read piece by piece they give
what the whole file gives, and they are sized in bytes for shard planning."""

from __future__ import annotations

import gzip
import json
import random
import string
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flows.data.discovery import discover
from flows.data.documents import Reject
from flows.data.pieces import Piece, split_file
from flows.data.readers import read_file, read_piece, read_piece_sized


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


def _words_jsonl(n: int, seed: int = 0) -> bytes:
    """JSONL that compresses like text does (a few times, not a thousand)."""
    rng = random.Random(seed)
    vocab = ["".join(rng.choices(string.ascii_lowercase, k=rng.randint(2, 9))) for _ in range(3000)]
    rows = [
        {"id": f"d{i}", "text": " ".join(rng.choices(vocab, k=rng.randint(1, 120)))}
        for i in range(n)
    ]
    rows[7] = {"id": "d7", "text": "line feed\ninside, and \u00e9t\u00e9 \u6771\u4eac"}
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines[40] = ""  # a blank line keeps its place in the numbering
    return ("\n".join(lines) + "\n").encode("utf-8")


def test_a_gzip_jsonl_splits_into_pieces_that_read_as_the_whole(tmp_path: Path) -> None:
    (tmp_path / "crawl.jsonl.gz").write_bytes(gzip.compress(_words_jsonl(3000)))
    (f,) = discover(tmp_path)
    whole = [(i.source, i.content) for i in read_file(f)]
    assert len(whole) == 2999  # the blank line is no document
    for max_bytes in (f.size // 40, f.size // 7, f.size // 2):
        pieces = split_file(f, max_bytes)
        assert len(pieces) > 1, max_bytes
        assert [(i.source, i.content) for p in pieces for i in read_piece(p)] == whole
        # sized in compressed bytes, the file's unit: they add up to the file
        assert sum(p.size for p in pieces) == f.size
        assert all(0.5 * max_bytes < p.size < 1.5 * max_bytes for p in pieces[:-1])
        for p in pieces:  # progress within each piece climbs to its size, never past
            done = [d for _, d in read_piece_sized(p)]
            assert done == sorted(done) and done[-1] == p.size


def test_a_gzip_that_cannot_be_read_through_stays_one_piece(tmp_path: Path) -> None:
    data = gzip.compress(_words_jsonl(3000))
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    # ~1000x: what a bomb expands by (text, 3-10x)
    bomb = b"".join(b'{"text": "a%sb"}\n' % (b" " * (1 << 20)) for _ in range(40))
    (tmp_path / "bomb.jsonl.gz").write_bytes(gzip.compress(bomb))
    for f in discover(tmp_path):
        assert split_file(f, 1000) == [Piece(f)], f.rel
    rejects = {
        f.rel: [r.error for r in read_file(f) if isinstance(r, Reject)] for f in discover(tmp_path)
    }
    assert rejects == {"cut.jsonl.gz": ["bad_gzip"], "bomb.jsonl.gz": ["too_large"]}
