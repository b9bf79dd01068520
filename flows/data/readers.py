"""Turn an input file, or a piece of one, into raw documents, or rejects that say why.

One RawDocument per .txt/.html file, per JSONL line, per Parquet row. Nothing raises
out of ``read_file``: a bad file, line or row becomes a ``Reject``.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

from cleaners.decode import looks_binary

from .discovery import SUPPORTED, InputFile, format_of
from .documents import RawDocument, ReadOptions, Reject, document_from_record
from .metered import Meter
from .pieces import Piece
from .storage import is_url, open_input

# What a .gz that is not one, or is cut or corrupt, raises while it is read.
_BAD_GZIP = (gzip.BadGzipFile, EOFError, zlib.error)


class _TooLarge(Exception):
    pass


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
        data = _read_bytes(f, opts.max_document_bytes)
    except _TooLarge as exc:
        yield Reject(f.rel, "too_large", str(exc), raw_size=f.size)
        return
    except _BAD_GZIP as exc:
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


def _decompressed(
    fh: IO[bytes], f: InputFile, opts: ReadOptions | None, meter: Meter | None = None
) -> Iterator[bytes]:
    """The bytes of an open input in chunks of at most 1 MB, so memory stays bounded.
    With ``opts``, a stream that expands like a bomb raises _TooLarge. A gzip stream
    that ends early raises EOFError only after everything before the break was
    yielded (``read1``: GzipFile's ``read`` would drop what it had decompressed).
    ``meter`` is told each chunk's size."""
    read = getattr(fh, "read1", fh.read)
    total = 0
    while chunk := read(1 << 20):
        total += len(chunk)
        if opts is not None:
            _check_expansion(total, f.size, opts)
        if meter is not None:
            meter.chunk(len(chunk))
        yield chunk


def _read_bytes(f: InputFile, limit: int) -> bytes:
    """At most ``limit`` bytes (decompressed), so a gzip bomb costs no more memory."""
    data = bytearray()
    with open_input(f.path, decompress=True) as fh:
        for chunk in _decompressed(fh, f, None):
            data += chunk
            if len(data) > limit:
                raise _TooLarge(f"over the {limit:,} byte limit (decompressed)")
    return bytes(data)


def _check_expansion(decompressed: int, compressed: int, opts: ReadOptions) -> None:
    if decompressed > opts.max_decompressed_bytes:
        raise _TooLarge(
            f"over the {opts.max_decompressed_bytes:,} byte decompressed limit: the rest of "
            "the file is not read"
        )
    if decompressed > 16 << 20 and decompressed > opts.max_gzip_ratio * max(compressed, 1):
        raise _TooLarge(
            f"expands over {opts.max_gzip_ratio}x (a gzip bomb?): the rest of the file is not read"
        )


def _file_chunks(fh, start: int, stop: int | None, size: int = 1 << 20) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
    if start:
        fh.seek(start)
    left = None if stop is None else stop - start
    while left is None or left > 0:
        chunk = fh.read(size if left is None else min(size, left))
        if not chunk:
            return
        if left is not None:
            left -= len(chunk)
        yield chunk


def _lines(chunks: Iterator[bytes], limit: int) -> Iterator[tuple[bytes | None, int]]:
    """(line, size) per line; ``line`` is None for one over ``limit`` bytes, whose
    bytes are counted and dropped as they stream by (memory stays bounded)."""
    parts: list[bytes] = []
    held = 0  # bytes in parts, or of the long line being skipped
    over = False
    for chunk in chunks:
        pos = 0
        while True:
            nl = chunk.find(b"\n", pos)
            end = len(chunk) if nl < 0 else nl + 1
            piece = chunk[pos:end]
            held += len(piece)
            if not over:
                parts.append(piece)
                if held > limit:
                    over, parts = True, []
            if nl < 0:
                break
            yield (None if over else b"".join(parts)), held
            parts, held, over = [], 0, False
            pos = end
    if held:
        yield (None if over else b"".join(parts)), held


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
            chunks = _decompressed(fh, piece.file, opts, meter)
            chunks = meter.byte_range(chunks, piece.start, piece.stop)
        else:
            chunks = _file_chunks(fh, piece.start, piece.stop)
        try:
            for line, size in _lines(chunks, limit):
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
        except _BAD_GZIP as exc:
            reason = "the compressed stream ended early (truncated file?)"
            yield Reject(
                f"{source}#L{pos + 2}",
                "bad_gzip",
                f"cannot decompress after line {pos + 1}: "
                f"{reason if isinstance(exc, EOFError) else exc}",
                pos + 1,
                raw_size=piece.file.size,
            )
        except _TooLarge as exc:
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
            data = _read_bytes(piece.file, opts.max_document_bytes * 20)
            pf = pq.ParquetFile(pa.BufferReader(data))
        else:
            pf = pq.ParquetFile(stack.enter_context(open_input(piece.file.path, decompress=True)))
        names = set(pf.schema_arrow.names)
    except _TooLarge as exc:
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
