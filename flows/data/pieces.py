"""Split an input file into the pieces shards are made of: JSONL at line boundaries
(gzipped too), Parquet by row groups; any other file is one piece."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .discovery import InputFile, format_of
from .documents import ReadOptions
from .metered import Meter
from .storage import is_url, open_input
from .streams import decompressed


@dataclass(frozen=True)
class Piece:
    """A file, or a part of a large one: the unit shards are made of.

    For JSONL, ``start``/``stop`` are byte offsets at line starts (of the decompressed
    stream, for gzip); for Parquet, row-group indexes. ``first`` is the position (line
    or row) the piece starts at, so positions and doc_ids do not depend on how a file
    was split. A piece of a gzip file is sized in compressed bytes, the unit its file's
    size is in: ``nbytes`` of them, from ``at`` on (estimated where the cuts fell).
    """

    file: InputFile
    start: int = 0
    stop: int | None = None
    first: int = 0
    nbytes: int | None = None  # when start/stop are not the file's bytes (row groups, gzip)
    at: int = 0  # where the piece starts, in the units of its size

    @property
    def size(self) -> int:
        """Bytes the piece holds: what shard planning bounds."""
        if self.nbytes is not None:
            return self.nbytes
        return (self.file.size if self.stop is None else self.stop) - self.start


def split_file(f: InputFile, max_bytes: int | Callable[[int], int]) -> list[Piece]:
    """Pieces of at most about ``max_bytes``: JSONL at line boundaries (one streaming
    pass counts the lines; a gzip stream is decompressed for it), Parquet by row
    groups (metadata only). Other files, gzipped Parquet included, are one piece.

    ``max_bytes`` may be a function of the byte offset where a piece starts, so that
    a plan can make its last pieces smaller (see shards.plan_shards)."""
    size_at = max_bytes if callable(max_bytes) else lambda _offset: max_bytes
    fmt, gz = format_of(f.rel)
    if f.size <= size_at(0) or fmt not in ("jsonl", "parquet") or (gz and fmt != "jsonl"):
        return [Piece(f)]
    try:
        if gz:
            # Each piece reads the stream from its start: cheap on a disk, not over a
            # network (a bucket's object would be fetched once per piece).
            return [Piece(f)] if is_url(f.path) else _split_jsonl_gz(f, size_at)
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


def _split_jsonl_gz(f: InputFile, size_at: Callable[[int], int]) -> list[Piece]:
    """A gzip file has no random access, yet its lines are work for many cores: each
    piece is a range of the decompressed stream, which its reader decompresses from
    the start (fast next to cleaning: hundreds of MB/s against a few), skipping up to
    it. Cut where the compressed bytes read reach a piece's size, at the next line."""
    pieces: list[Piece] = []
    start = first = at = 0  # the current piece: decompressed offset, line, compressed offset
    base = lines_before = 0  # decompressed bytes and newlines before the chunk
    meter = Meter()
    with open_input(f.path) as raw, meter.gzip_of(raw) as fh:
        # the readers' bomb check: a bomb raises, is one piece, and its reader rejects it
        for chunk in decompressed(fh, f, ReadOptions(), meter):
            (_, c0), (_, c1) = meter.start, meter.end
            while at + size_at(at) < c1:  # the cut falls in this chunk
                share = (at + size_at(at) - c0) / max(c1 - c0, 1)
                cut = chunk.find(b"\n", max(int(len(chunk) * share), start - base, 0))
                if cut < 0:
                    break
                end = cut + 1
                here = c0 + (c1 - c0) * end // len(chunk)  # compressed, estimated
                pieces.append(Piece(f, start, base + end, first, here - at, at))
                first = lines_before + chunk.count(b"\n", 0, end)
                start, at = base + end, here
            base += len(chunk)
            lines_before += chunk.count(b"\n")
    if start >= base:  # the last cut fell at the very end
        return pieces or [Piece(f)]
    pieces.append(Piece(f, start, None, first, max(f.size - at, 0), at))
    return pieces if len(pieces) > 1 else [Piece(f)]


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
