"""Repair once: the counting pass keeps what it prepared, the cleaning pass takes it back.

Both passes start from the prepared document (decoded, extracted from HTML, mojibake
repaired, normalized); on the devset's scraped pages that is about 0.6 s of a 6.5 s
run, more where text is garbled or HTML (extraction is the costly part). The
counting task writes what it prepared for a shard still to clean to
``OUTPUT/_staging/prepared/shard-N.arrow`` (Arrow IPC, zstd, in record batches, so its
memory stays bounded), tagged with the shard's key, the config's fingerprint and this
file's layout. The cleaning task of that shard takes each document back by its
``doc_id`` (how many documents either pass read or skipped before it does not matter)
and prepares only the documents it lacks (those the counting pass skipped). A file
whose tags do not match is ignored. It is deleted once its shard is staged, and any
left over at commit.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pyarrow as pa

from cleaners.core import Prepared

from ..data.dataset import STAGING

PREPARED_DIR = "prepared"
# A record batch of prepared documents: written and read back as Python rows, so as
# small as a classification batch (shards.BATCH_BYTES), not a whole shard's text.
FLUSH_DOCS = 1000
FLUSH_CHARS = 2 << 20
_FIELDS = ("title", "author", "date", "url", "sitename")
SCHEMA = pa.schema(
    [
        pa.field("doc_id", pa.string(), nullable=False),
        pa.field("text", pa.large_string(), nullable=False),
        pa.field("fixes", pa.list_(pa.string()), nullable=False),
        pa.field("encoding", pa.string()),
        pa.field("n_chars_in", pa.int64(), nullable=False),
        *(pa.field(name, pa.large_string()) for name in _FIELDS),
    ]
)


def prepared_path(output: Path, index: int) -> Path:
    return output / STAGING / PREPARED_DIR / f"shard-{index:05d}.arrow"


LAYOUT = "2"  # 2: keyed by doc_id (1 had each document's place in the shard)


def _tags(key: str, config: str) -> dict[bytes, bytes]:
    return {
        b"textwash.shard_key": key.encode(),
        b"textwash.config": config.encode(),
        b"textwash.prepared_layout": LAYOUT.encode(),
    }


class PreparedSink:
    """Collects (doc_id, Prepared) and writes them as record batches to ``fh``."""

    def __init__(self, fh: IO[bytes], key: str, config: str) -> None:
        options = pa.ipc.IpcWriteOptions(compression="zstd")
        schema = SCHEMA.with_metadata(_tags(key, config))
        self._writer = pa.ipc.new_file(fh, schema, options=options)
        self._rows: list[dict] = []
        self._chars = 0

    def add(self, doc_id: str, doc: Prepared) -> None:
        row = {"doc_id": doc_id, "text": doc.text, "fixes": doc.fixes}
        row.update(encoding=doc.encoding, n_chars_in=doc.n_chars_in)
        row.update({name: getattr(doc, name) for name in _FIELDS})
        self._rows.append(row)
        self._chars += len(doc.text)
        if len(self._rows) >= FLUSH_DOCS or self._chars >= FLUSH_CHARS:
            self.flush()

    def flush(self) -> None:
        if self._rows:
            self._writer.write_batch(pa.RecordBatch.from_pylist(self._rows, schema=SCHEMA))
        self._rows, self._chars = [], 0

    def close(self) -> None:
        self.flush()
        self._writer.close()


class PreparedSource:
    """The prepared documents of one shard: ``take(doc_id)`` gives that document, or
    None if the counting pass did not keep it. An index of doc_ids is read first; the
    batches are then read as the documents are taken (in the order they were kept, so
    each batch once)."""

    def __init__(self, reader: pa.ipc.RecordBatchFileReader | None = None) -> None:
        self._reader = reader
        self._index: dict[str, tuple[int, int]] = {}
        self._batch: tuple[int, list[dict]] | None = None
        self.taken = 0
        try:
            for i in range(reader.num_record_batches if reader else 0):
                ids = reader.get_batch(i).column("doc_id").to_pylist()  # type: ignore[union-attr]
                self._index.update((doc_id, (i, row)) for row, doc_id in enumerate(ids))
        except (OSError, pa.ArrowException):  # unreadable: prepare them all again
            self._index = {}

    def _row(self, batch: int, row: int) -> dict | None:
        if self._batch is None or self._batch[0] != batch:
            try:
                rows = self._reader.get_batch(batch).to_pylist()  # type: ignore[union-attr]
            except (OSError, pa.ArrowException):
                return None
            self._batch = (batch, rows)
        return self._batch[1][row]

    def take(self, doc_id: str) -> Prepared | None:
        at = self._index.pop(doc_id, None)
        row = None if at is None else self._row(*at)
        if row is None or row["doc_id"] != doc_id:
            return None
        self.taken += 1
        return Prepared(
            row["text"],
            row["fixes"],
            row["encoding"],
            row["n_chars_in"],
            **{name: row[name] for name in _FIELDS},
        )


@contextlib.contextmanager
def open_prepared(output: Path, index: int, key: str, config: str) -> Iterator[PreparedSource]:
    """The shard's prepared documents; none if there is no file or it is not this
    shard's under this config (a stale one, or unreadable)."""
    path = prepared_path(output, index)
    with contextlib.ExitStack() as stack:
        reader = None
        try:
            opened = pa.ipc.open_file(stack.enter_context(path.open("rb")))
            if (opened.schema.metadata or {}) == _tags(key, config):
                reader = opened
        except (OSError, pa.ArrowException):
            pass
        yield PreparedSource(reader)


def drop_prepared(output: Path, index: int | None = None) -> None:
    """Delete one shard's file, or (``index`` None) every one left over."""
    if index is not None:
        prepared_path(output, index).unlink(missing_ok=True)
        return
    folder = output / STAGING / PREPARED_DIR
    with contextlib.suppress(OSError):
        for path in list(folder.iterdir()) if folder.is_dir() else []:
            path.unlink(missing_ok=True)
