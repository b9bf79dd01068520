"""An input's bytes, streamed with bounded memory: decompressed with a check against
gzip bombs, a byte range in chunks, split into lines with a length limit."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from typing import IO

from .discovery import InputFile
from .documents import ReadOptions
from .metered import Meter
from .storage import open_input

# What a .gz that is not one, or is cut or corrupt, raises while it is read.
BAD_GZIP = (gzip.BadGzipFile, EOFError, zlib.error)


class TooLarge(Exception):
    """An input over a limit: the rest of it is not read."""


def decompressed(
    fh: IO[bytes], f: InputFile, opts: ReadOptions | None, meter: Meter | None = None
) -> Iterator[bytes]:
    """The bytes of an open input in chunks of at most 1 MB, so memory stays bounded.
    With ``opts``, a stream that expands like a bomb raises TooLarge. A gzip stream
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


def read_bytes(f: InputFile, limit: int) -> bytes:
    """At most ``limit`` bytes (decompressed), so a gzip bomb costs no more memory."""
    data = bytearray()
    with open_input(f.path, decompress=True) as fh:
        for chunk in decompressed(fh, f, None):
            data += chunk
            if len(data) > limit:
                raise TooLarge(f"over the {limit:,} byte limit (decompressed)")
    return bytes(data)


def _check_expansion(decompressed: int, compressed: int, opts: ReadOptions) -> None:
    if decompressed > opts.max_decompressed_bytes:
        raise TooLarge(
            f"over the {opts.max_decompressed_bytes:,} byte decompressed limit: the rest of "
            "the file is not read"
        )
    if decompressed > 16 << 20 and decompressed > opts.max_gzip_ratio * max(compressed, 1):
        raise TooLarge(
            f"expands over {opts.max_gzip_ratio}x (a gzip bomb?): the rest of the file is not read"
        )


def file_chunks(fh, start: int, stop: int | None, size: int = 1 << 20) -> Iterator[bytes]:  # type: ignore[no-untyped-def]
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


def split_lines(chunks: Iterator[bytes], limit: int) -> Iterator[tuple[bytes | None, int]]:
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
