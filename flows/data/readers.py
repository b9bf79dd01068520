"""Turn an input file, or a piece of one, into raw documents, or rejects that say why.

One RawDocument per .txt/.html file, per JSONL line, per Parquet row. Nothing raises
out of ``read_file``: a bad file, line or row becomes a ``Reject``.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from cleaners.decode import looks_binary
from cleaners.timing import Steps

from .discovery import SUPPORTED, InputFile, format_of
from .documents import RawDocument, ReadOptions, Reject, document_from_record
from .metered import Meter
from .pieces import Piece
from .storage import is_url, open_input
from .streams import BAD_GZIP, TooLarge, decompressed, file_chunks, read_bytes, split_lines

T = TypeVar("T")


def read_file(f: InputFile, opts: ReadOptions | None = None) -> Iterator[RawDocument | Reject]:
    """Raw documents of one input file; every failure is a Reject with a reason."""
    return read_piece(Piece(f), opts)


def item_size(item: RawDocument | Reject) -> int:
    if isinstance(item, Reject):
        return item.raw_size or 0
    return len(item.raw_bytes)


def read_piece_sized(
    piece: Piece, opts: ReadOptions | None = None
) -> Iterator[tuple[RawDocument | Reject, int]]:
    """``read_piece``'s documents and rejects, each with the bytes of the piece read
    through it in the units the plan sized the piece in (``Piece.size``), so that
    progress against the plan is honest: a gzip stream's compressed bytes (its
    documents hold several times as many), a whole file's size."""
    meter, done = Meter(), 0
    whole = format_of(piece.file.rel)[0] in ("txt", "html")
    for item in read_piece(piece, opts, meter):
        if whole:
            done = piece.size
        elif meter.blocks is not None:  # a piece of a gzip stream starts ``at`` into it
            done = min(max(meter.done() - piece.at, 0), piece.size)
        else:
            done += item_size(item)
        yield item, done


def read_pieces(pieces: Iterable[Piece], opts: ReadOptions) -> Iterator[RawDocument | Reject]:
    """Every document and reject of ``pieces`` (a shard's), in order."""
    for piece in pieces:
        yield from read_piece(piece, opts)


def read_pieces_sized(
    pieces: Sequence[Piece], opts: ReadOptions
) -> Iterator[tuple[RawDocument | Reject, int]]:
    """Every document and reject of ``pieces`` (a shard's), in order, each with the
    bytes of them read through it, as ``Shard.size`` counts them (a gzip input's
    compressed bytes): what a task's progress reports against the planned size."""
    before = 0
    for piece in pieces:
        for item, done in read_piece_sized(piece, opts):
            yield item, before + done
        before += piece.size


def timed_read(items: Iterator[T], steps: Steps) -> Iterator[T]:
    """``items``, the time spent reading each one added to ``steps["read"]``."""
    while True:
        t0 = time.perf_counter()
        item = next(items, None)
        steps.add("read", time.perf_counter() - t0)
        if item is None:
            return
        yield item


def read_piece(
    piece: Piece, opts: ReadOptions | None = None, meter: Meter | None = None
) -> Iterator[RawDocument | Reject]:
    """Raw documents of one piece of a file, streamed: memory is bounded by one
    document, not by the file. Every failure is a Reject with a reason. ``meter``
    learns how much of a gzip stream the lines read so far used."""
    opts = opts or ReadOptions()
    f = piece.file
    fmt, gz = format_of(f.rel)
    try:  # an object store has only objects; a folder may hold links and pipes
        st = _ObjectStat(f.size) if is_url(f.path) else os.stat(f.path)
    except OSError:  # a dangling link or a link loop
        yield Reject(f.rel, "unreadable", "a broken or looping link", raw_size=0)
        return
    if not stat.S_ISREG(st.st_mode):  # opening a FIFO would wait forever
        yield Reject(
            f.rel, "not_a_file", "a pipe, socket or device, not a regular file", raw_size=0
        )
        return
    if fmt is None:
        yield Reject(
            f.rel,
            "unsupported_format",
            f"not a supported input ({', '.join(sorted(SUPPORTED))}, optionally .gz)",
            raw_size=f.size,
        )
        return
    if st.st_size > opts.max_file_bytes:
        yield Reject(
            f.rel,
            "too_large",
            f"the file is over the {opts.max_file_bytes:,} byte limit",
            raw_size=st.st_size,
        )
        return
    try:
        if fmt in ("txt", "html"):
            yield from _read_document_file(f, fmt, opts)
        elif fmt == "jsonl":
            yield from _read_jsonl(piece, gz, opts, meter or Meter())
        else:
            yield from _read_parquet(piece, gz, opts)
    except OSError as exc:  # opening failed (permissions, I/O) before any record
        yield Reject(
            f.rel, "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}", raw_size=f.size
        )


@dataclass(frozen=True)
class _ObjectStat:
    st_size: int
    st_mode: int = stat.S_IFREG


def _read_document_file(
    f: InputFile, fmt: str, opts: ReadOptions
) -> Iterator[RawDocument | Reject]:
    """One .txt/.html file is one document: read no more than a document may hold."""
    try:
        data = read_bytes(f, opts.max_document_bytes)
    except TooLarge as exc:
        yield Reject(f.rel, "too_large", str(exc), raw_size=f.size)
        return
    except BAD_GZIP as exc:
        yield Reject(f.rel, "bad_gzip", f"cannot decompress: {exc}", raw_size=f.size)
        return
    if not data.strip():
        yield Reject(
            f.rel, "empty", "the file is empty or only white space", raw=data, raw_size=len(data)
        )
        return
    if looks_binary(data):
        yield Reject(
            f.rel, "binary", "binary content, not text", raw=opts.kept(data), raw_size=len(data)
        )
        return
    yield RawDocument(f.rel, None, data, fmt == "html", fmt)


def _read_jsonl(
    piece: Piece, gz: bool, opts: ReadOptions, meter: Meter
) -> Iterator[RawDocument | Reject]:
    """Streamed line by line: a line over the document limit is rejected, a gzip
    stream that ends early or expands like a bomb rejects the rest of the file."""
    source, limit = piece.file.rel, opts.max_document_bytes
    pos = piece.first - 1
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(open_input(piece.file.path))
        if gz:  # no random access into gzip: its piece is decompressed from the start
            fh = stack.enter_context(meter.gzip_of(fh))
            chunks = decompressed(fh, piece.file, opts, meter)
            chunks = meter.byte_range(chunks, piece.start, piece.stop)
        else:
            chunks = file_chunks(fh, piece.start, piece.stop)
        try:
            for line, size in split_lines(chunks, limit):
                pos += 1
                meter.used += size
                if line is None:
                    yield Reject(
                        f"{source}#L{pos + 1}",
                        "too_large",
                        f"a line over the {limit:,} byte document limit",
                        pos,
                        None,
                        size,
                    )
                elif line.strip():
                    yield _json_line(source, pos, line.rstrip(b"\r\n"), opts)
        except BAD_GZIP as exc:
            reason = "the compressed stream ended early (truncated file?)"
            yield Reject(
                f"{source}#L{pos + 2}",
                "bad_gzip",
                f"cannot decompress after line {pos + 1}: "
                f"{reason if isinstance(exc, EOFError) else exc}",
                pos + 1,
                raw_size=piece.file.size,
            )
        except TooLarge as exc:
            yield Reject(
                f"{source}#L{pos + 2}", "too_large", str(exc), pos + 1, raw_size=piece.file.size
            )


def _json_line(source: str, pos: int, line: bytes, opts: ReadOptions) -> RawDocument | Reject:
    where = f"{source}#L{pos + 1}"
    try:
        rec = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return Reject(where, "bad_json", f"not valid JSON: {exc}", pos, opts.kept(line), len(line))
    if not isinstance(rec, dict):
        return Reject(
            where,
            "bad_json",
            f"a JSON {type(rec).__name__}, not an object",
            pos,
            opts.kept(line),
            len(line),
        )
    return document_from_record(source, pos, rec, "jsonl", opts, line)


def _read_parquet(piece: Piece, gz: bool, opts: ReadOptions) -> Iterator[RawDocument | Reject]:
    """In record batches of the piece's row groups (an object stays open meanwhile)."""
    with contextlib.ExitStack() as stack:
        yield from _parquet_records(piece, gz, opts, stack)


def _parquet_records(
    piece: Piece, gz: bool, opts: ReadOptions, stack: contextlib.ExitStack
) -> Iterator[RawDocument | Reject]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    source = piece.file.rel
    try:
        if gz:  # no random access into gzip: decompress (bounded) into memory
            data = read_bytes(piece.file, opts.max_document_bytes * 20)
            pf = pq.ParquetFile(pa.BufferReader(data))
        else:
            pf = pq.ParquetFile(stack.enter_context(open_input(piece.file.path, decompress=True)))
        names = set(pf.schema_arrow.names)
    except TooLarge as exc:
        yield Reject(source, "too_large", str(exc), raw_size=piece.file.size)
        return
    except (pa.ArrowException, OSError, EOFError, zlib.error) as exc:
        yield Reject(source, "bad_parquet", f"cannot read Parquet: {exc}", raw_size=piece.file.size)
        return
    if opts.text_field not in names and opts.html_field not in names:
        yield Reject(
            source,
            "missing_column",
            f"no {opts.text_field!r} or {opts.html_field!r} column "
            f"(columns: {', '.join(sorted(names))})",
            raw_size=piece.file.size,
        )
        return
    groups = None if piece.stop is None else list(range(piece.start, piece.stop))
    pos = piece.first
    try:
        # Every column: the ones textwash does not use travel in ``meta``.
        for batch in pf.iter_batches(batch_size=1024, row_groups=groups):
            for rec in batch.to_pylist():
                raw = json.dumps(rec, default=str).encode("utf-8", "surrogatepass")
                yield document_from_record(source, pos, rec, "parquet", opts, raw)
                pos += 1
    except (pa.ArrowException, OSError) as exc:
        yield Reject(
            f"{source}#R{pos + 1}",
            "bad_parquet",
            f"cannot read Parquet after row {pos}: {exc}",
            pos,
            raw_size=piece.file.size,
        )
