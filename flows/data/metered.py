"""How far into a gzip input its lines are, in compressed bytes: the unit its piece
was planned in (a file's size on disk), which a progress bar is measured against.
The lines themselves hold several times as many bytes."""

from __future__ import annotations

import contextlib
import gzip
from collections.abc import Iterator
from typing import IO


class Blocks:
    """A compressed file as GzipFile reads it: in blocks of at most BLOCK bytes,
    counted. Python 3.12's GzipFile asks for 128 KB at a time (a small file at once),
    so its file's position says little of what it has decompressed; in small blocks
    the bytes taken are within a block of those decompressed."""

    BLOCK = 8 << 10

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw, self.taken = raw, 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size if size < 0 else min(size, self.BLOCK))
        self.taken += len(data)
        return data


class Meter:
    """How much of a gzip stream the lines read so far used, in compressed bytes:
    what the plan sized its piece in. A chunk's compressed bytes are shared among
    its lines by their size."""

    def __init__(self) -> None:
        self.blocks: Blocks | None = None
        self.used = 0  # decompressed bytes of the lines read
        self.start = self.end = (0, 0)  # the last chunk's (decompressed, compressed)

    @contextlib.contextmanager
    def gzip_of(self, raw: IO[bytes]) -> Iterator[IO[bytes]]:
        """The decompressed stream of ``raw``, metered (fsspec's ``.gz`` is the same
        GzipFile over the file it opened)."""
        self.blocks = Blocks(raw)
        with gzip.GzipFile(fileobj=self.blocks, mode="rb") as fh:
            yield fh  # type: ignore[misc]

    def chunk(self, size: int) -> None:
        self.start = self.end
        self.end = (self.end[0] + size, self.blocks.taken if self.blocks else 0)

    def done(self) -> int:
        (read0, at0), (read, at) = self.start, self.end
        share = min(max((self.used - read0) / max(read - read0, 1), 0.0), 1.0)
        return at0 + int((at - at0) * share)

    def byte_range(self, chunks: Iterator[bytes], start: int, stop: int | None) -> Iterator[bytes]:
        """The bytes ``start:stop`` of the stream read in ``chunks`` (a piece of it:
        gzip has no random access); the bytes skipped before it count as used."""
        pos = 0
        for chunk in chunks:
            lo, hi = min(max(start - pos, 0), len(chunk)), len(chunk)
            if stop is not None:
                hi = min(hi, stop - pos)
            pos += len(chunk)
            self.used += lo
            if hi > lo:
                yield chunk[lo:hi] if (lo, hi) != (0, len(chunk)) else chunk
            if stop is not None and pos >= stop:
                return
