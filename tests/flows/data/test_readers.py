from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from flows.data.discovery import discover
from flows.data.documents import RawDocument, ReadOptions, Reject
from flows.data.readers import read_file


def read_all(path: Path) -> list[RawDocument | Reject]:
    return [item for f in discover(path) for item in read_file(f)]


def test_each_format_gives_documents(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Title here\nBody text.", encoding="utf-8")
    (tmp_path / "b.html").write_text("<html><body><p>Hi</p></body></html>", encoding="utf-8")
    with gzip.open(tmp_path / "c.txt.gz", "wt", encoding="utf-8") as fh:
        fh.write("Zipped text.")
    (tmp_path / "d.jsonl").write_text(
        json.dumps({"id": 7, "text": "one", "url": "https://x.example/1"})
        + "\n"
        + json.dumps({"html": "<p>two</p>"})
        + "\n",
        encoding="utf-8",
    )
    pq.write_table(pa.table({"text": ["p1", "p2"], "id": ["r1", "r2"]}), tmp_path / "e.parquet")
    items = read_all(tmp_path)
    assert all(isinstance(i, RawDocument) for i in items)
    by_source = {i.source: i for i in items}
    assert set(by_source) == {
        "a.txt",
        "b.html",
        "c.txt.gz",
        "d.jsonl#L1",
        "d.jsonl#L2",
        "e.parquet#R1",
        "e.parquet#R2",
    }
    assert by_source["b.html"].is_html and by_source["d.jsonl#L2"].is_html
    assert by_source["d.jsonl#L1"].source_id == "7"
    assert by_source["d.jsonl#L1"].url == "https://x.example/1"
    assert by_source["c.txt.gz"].content == b"Zipped text."


def test_bad_records_are_rejected_one_by_one(tmp_path: Path) -> None:
    (tmp_path / "mixed.jsonl").write_text(
        '{"text": "good"}\n{not json\n[1, 2]\n{"title": "no text"}\n{"text": 5}\n{"text": "  "}\n',
        encoding="utf-8",
    )
    items = read_all(tmp_path)
    assert [type(i).__name__ for i in items] == ["RawDocument"] + ["Reject"] * 5
    assert [i.error for i in items if isinstance(i, Reject)] == [
        "bad_json",
        "bad_json",
        "missing_field",
        "wrong_type",
        "empty",
    ]
    assert items[1].raw == b"{not json"


def test_bad_files_are_rejected(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "broken.txt.gz").write_bytes(gzip.compress(b"hello world" * 100)[:30])
    (tmp_path / "corrupt.parquet").write_bytes(b"PAR1 not really")
    pq.write_table(pa.table({"body": ["x"]}), tmp_path / "nocol.parquet")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    errors = {i.source: i.error for i in read_all(tmp_path)}
    assert errors == {
        "broken.txt.gz": "bad_gzip",
        "corrupt.parquet": "bad_parquet",
        "empty.txt": "empty",
        "image.png": "unsupported_format",
        "nocol.parquet": "missing_column",
    }


def test_hostile_files_are_rejected_or_decoded(tmp_path: Path) -> None:
    import os
    import random

    rng = random.Random(0)
    (tmp_path / "binary.txt").write_bytes(bytes(rng.randrange(256) for _ in range(4000)))
    (tmp_path / "utf16.txt").write_bytes("Title\nUTF-16 text without a BOM.".encode("utf-16-le"))
    with gzip.open(tmp_path / "bomb.txt.gz", "wb") as fh:
        fh.write(b"a" * (3 << 20))
    os.symlink("loop-b", tmp_path / "loop-a")
    os.symlink("loop-a", tmp_path / "loop-b")
    (tmp_path / "name with spaces 'quotes' ünï.txt").write_text("Title\nBody.", encoding="utf-8")
    opts = ReadOptions(max_document_bytes=1 << 20)
    items = {i.source: i for f in discover(tmp_path) for i in read_file(f, opts)}
    errors = {s: i.error for s, i in items.items() if isinstance(i, Reject)}
    assert errors == {
        "binary.txt": "binary",
        "bomb.txt.gz": "too_large",
        "loop-a": "unreadable",
        "loop-b": "unreadable",
    }
    from cleaners import clean_text

    assert "UTF-16 text without a BOM." in clean_text(items["utf16.txt"].content).text.split("\n")
    assert isinstance(items["name with spaces 'quotes' ünï.txt"], RawDocument)


def cut_gzip_lines() -> tuple[list[str], bytes]:
    """Texts, and the first half of a gzip of their JSONL: a file cut while written."""
    texts = [f"line {i} " + "x" * (i % 97) for i in range(5000)]
    data = gzip.compress("\n".join(json.dumps({"text": t}) for t in texts).encode())
    return texts, data[: len(data) // 2]


def check_cut_gzip(items: list[RawDocument | Reject], lines: list[str]) -> None:
    docs = [i for i in items if isinstance(i, RawDocument)]
    [reject] = [i for i in items if isinstance(i, Reject)]
    assert len(docs) > 100 and [d.content for d in docs] == lines[: len(docs)]
    assert reject.error == "bad_gzip" and reject.position == len(docs)
    assert "ended early" in reject.message


def test_a_cut_gzip_keeps_the_lines_before_the_break(tmp_path: Path) -> None:
    """The lines before the break are documents, the rest of the file one bad_gzip
    reject (GzipFile.read would drop the lines it had decompressed when the stream
    breaks)."""
    lines, cut = cut_gzip_lines()
    (tmp_path / "cut.jsonl.gz").write_bytes(cut)
    check_cut_gzip(read_all(tmp_path), lines)
