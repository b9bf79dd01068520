"""Split an input file into the pieces shards are made of: plain JSONL at line
boundaries, Parquet by row groups; any other file is one piece."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .discovery import InputFile, format_of
from .storage import open_input


@dataclass(frozen=True)
class Piece:
    """A file, or a part of a large one: the unit shards are made of.

    For plain JSONL, ``start``/``stop`` are byte offsets at line starts; for Parquet,
    row-group indexes. ``first`` is the position (line or row) the piece starts at, so
    positions and doc_ids do not depend on how a file was split.
    """

    file: InputFile
    start: int = 0
    stop: int | None = None
    first: int = 0
    nbytes: int | None = None  # when start/stop are not byte offsets (row groups)

    @property
    def size(self) -> int:
        """Bytes the piece holds: what shard planning bounds."""
        if self.nbytes is not None:
            return self.nbytes
        return (self.file.size if self.stop is None else self.stop) - self.start


def split_file(f: InputFile, max_bytes: int | Callable[[int], int]) -> list[Piece]:
    """Pieces of at most about ``max_bytes``: plain JSONL at line boundaries (one
    streaming pass counts the lines), Parquet by row groups (metadata only). Other
    files, gzip included (no random access), are one piece.

    ``max_bytes`` may be a function of the byte offset where a piece starts, so that
    a plan can make its last pieces smaller (see shards.plan_shards)."""
    size_at = max_bytes if callable(max_bytes) else lambda _offset: max_bytes
    fmt, gz = format_of(f.rel)
    if gz or f.size <= size_at(0) or fmt not in ("jsonl", "parquet"):
        return [Piece(f)]
    try:
        if fmt == "jsonl":
            return _split_jsonl(f, size_at)
        return _split_parquet(f, size_at)
    except Exception:  # unreadable here means rejected when read: one piece says why
        return [Piece(f)]


def _split_jsonl(f: InputFile, size_at: Callable[[int], int]) -> list[Piece]:
    pieces: list[Piece] = []
    start = first = 0
    base = lines_before = 0  # bytes and newlines before the current chunk
    with open_input(f.path) as fh:
        while chunk := fh.read(8 << 20):
            pos = start + size_at(start) - base
            while pos < len(chunk):
                cut = chunk.find(b"\n", max(pos, 0))
                end = base + cut + 1
                if cut < 0 or end >= f.size:
                    break
                pieces.append(Piece(f, start, end, first))
                start, first = end, lines_before + chunk.count(b"\n", 0, cut + 1)
                pos = start + size_at(start) - base
            base += len(chunk)
            lines_before += chunk.count(b"\n")
    pieces.append(Piece(f, start, None, first))
    return pieces


def _split_parquet(f: InputFile, size_at: Callable[[int], int]) -> list[Piece]:
    import pyarrow.parquet as pq

    with open_input(f.path) as fh:
        meta = pq.ParquetFile(fh).metadata
    pieces: list[Piece] = []
    start = first = rows = size = offset = 0
    for i in range(meta.num_row_groups):
        rg = meta.row_group(i)
        if i > start and size + rg.total_byte_size > size_at(offset - size):
            pieces.append(Piece(f, start, i, first, size))
            start, first, size = i, rows, 0
        size += rg.total_byte_size
        offset += rg.total_byte_size
        rows += rg.num_rows
    pieces.append(Piece(f, start, meta.num_row_groups, first, size))
    return pieces if len(pieces) > 1 else [Piece(f)]
