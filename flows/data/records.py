"""Rows of the three tables, built from what the readers and cleaners return, and a
shard's rows gathered into Arrow tables (``ShardWriter``)."""

from __future__ import annotations

import email.utils
import traceback
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cleaners import CleanResult, ExtractionError
from cleaners.decode import decode_bytes

from .. import __version__
from .documents import RawDocument, Reject
from .schema import TABLES


def utf8(value: str | None) -> str | None:
    """Strings Parquet can hold: lone surrogates (from JSON escapes or file names that
    are not UTF-8) become visible escapes rather than failing the shard.

    >>> utf8("ok"), utf8("\\udcff")
    ('ok', '\\\\udcff')
    """
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def parse_published(value: str | None) -> datetime | None:
    """A publication date as a UTC timestamp: ISO 8601 (a date, or a time without a
    zone, is read as UTC) or RFC 2822 (feeds, e-mail); None if it is neither.

    >>> parse_published("2025-02-04")
    datetime.datetime(2025, 2, 4, 0, 0, tzinfo=datetime.timezone.utc)
    >>> parse_published("2025-02-04T10:30:00+02:00").isoformat()
    '2025-02-04T08:30:00+00:00'
    >>> parse_published("Tue, 04 Feb 2025 10:30:00 GMT").isoformat()
    '2025-02-04T10:30:00+00:00'
    >>> parse_published("last Tuesday") is None
    True
    """
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            try:
                day = date.fromisoformat(text[:10])
            except ValueError:
                return None
            parsed = datetime(day.year, day.month, day.day)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def document_row(
    item: RawDocument,
    result: CleanResult | None,
    run_started: datetime,
    duplicate_of: str | None = None,
) -> dict[str, Any]:
    """A documents row; ``result`` None: a duplicate, which keeps no text."""
    published = (result.date if result else None) or item.published
    return {
        "doc_id": item.doc_id,
        "source": utf8(item.source),
        "source_id": utf8(item.source_id),
        "url": utf8(item.url or (result.url if result else None)),
        "title": utf8(result.title if result else item.title),
        "text": utf8(result.text) if result else "",
        "author": utf8(result.author if result else None),
        "published": utf8(published),
        "sitename": utf8(result.sitename if result else None),
        "input_format": item.input_format,
        "input_sha256": item.sha256,
        "encoding": result.encoding if result else None,
        "fixes": result.fixes if result else [],
        "n_chars_in": result.n_chars_in if result else n_chars(item.content),
        "n_chars_out": result.n_chars_out if result else 0,
        "n_removed": len(result.removed) if result else 0,
        "cleaned_at": run_started,
        "textwash_version": __version__,
        "meta": utf8(item.meta),
        "published_at": parse_published(published),
        "duplicate_of": duplicate_of,
        "kept_repeated_lines": bool(result and result.kept_repeated_lines),
    }


def n_chars(content: str | bytes) -> int:
    """Characters of an input, as the cleaners count them: bytes decoded first.

    >>> n_chars("café".encode()), n_chars("café")
    (4, 4)
    """
    return len(decode_bytes(content)[0] if isinstance(content, bytes) else content)


def removal_rows(doc: dict[str, Any], result: CleanResult) -> list[dict[str, Any]]:
    return [
        {
            "doc_id": doc["doc_id"],
            "line_no": r.line_no,
            "category": r.category,
            "rule": r.rule,
            "text": utf8(r.text),
            "source": doc["source"],
            "url": doc["url"],
        }
        for r in result.removed
    ]


def reject_row(r: Reject, run_started: datetime) -> dict[str, Any]:
    return {
        "source": utf8(r.source),
        "position": r.position,
        "error": r.error,
        "message": utf8(r.message),
        "raw": r.raw,
        "raw_size": r.raw_size,
        "rejected_at": run_started,
        "textwash_version": __version__,
        "source_id": utf8(r.source_id),
        "line": None if r.position is None else r.position + 1,
    }


class ShardWriter:
    """The rows and counts of one shard, filled document by document. Rows become Arrow
    tables after each batch (``flush``): a shard's output is held as compactly as the
    Parquet it becomes, not as Python dicts (about five times the size)."""

    def __init__(self, run_started: datetime, keep_raw_bytes: int) -> None:
        self.run_started = run_started
        self.keep_raw_bytes = keep_raw_bytes
        self.documents: list[dict | None] = []
        self.removals: list[dict] = []
        self.rejects: list[dict] = []
        self.done: dict[str, list[pa.Table]] = {table: [] for table in TABLES}
        self.n_rows: Counter[str] = Counter()
        self.removed: Counter[str] = Counter()
        self.rejected: Counter[str] = Counter()
        self.fixes: Counter[str] = Counter()
        self.chars_in = self.chars_out = self.n_dups = self.n_kept_repeated = 0

    def reject(self, reject: Reject) -> None:
        self.rejects.append(reject_row(reject, self.run_started))
        self.rejected[reject.error] += 1

    def duplicate(self, item: RawDocument, kept: str) -> None:
        self.documents.append(document_row(item, None, self.run_started, duplicate_of=kept))
        self.n_dups += 1

    def reserve(self) -> int:
        self.documents.append(None)
        return len(self.documents) - 1

    def cleaned(self, slot: int, item: RawDocument, result: CleanResult) -> None:
        doc = document_row(item, result, self.run_started)
        self.documents[slot] = doc
        self.removals.extend(removal_rows(doc, result))
        self.removed.update(r.category for r in result.removed)
        self.fixes.update(result.fixes)
        self.chars_in += result.n_chars_in
        self.chars_out += result.n_chars_out
        self.n_kept_repeated += result.kept_repeated_lines

    def failed(self, item: RawDocument, exc: Exception) -> None:
        self.reject(failure_reject(item, exc, self.keep_raw_bytes))

    def flush(self) -> None:
        """Turn the rows so far into Arrow tables; every reserved slot must be filled
        (a batch was cleaned)."""
        rows = {
            "documents": [d for d in self.documents if d is not None],
            "removals": self.removals,
            "rejects": self.rejects,
        }
        for table, schema in TABLES.items():
            if rows[table]:
                self.done[table].append(pa.Table.from_pylist(rows[table], schema=schema))
                self.n_rows[table] += len(rows[table])
        self.documents, self.removals, self.rejects = [], [], []

    def tables(self) -> dict[str, pa.Table | None]:
        """The shard's tables (None where it has no row)."""
        self.flush()
        return {t: pa.concat_tables(parts) if parts else None for t, parts in self.done.items()}

    def counts(self) -> dict[str, Any]:
        """The shard's counts, as its marker records them (after ``tables``)."""
        return {
            "documents": self.n_rows["documents"],
            "duplicates": self.n_dups,
            "kept_repeated_lines": self.n_kept_repeated,
            "rejects": self.n_rows["rejects"],
            "removed_lines": self.n_rows["removals"],
            "removed_by_category": dict(sorted(self.removed.items())),
            "rejects_by_error": dict(sorted(self.rejected.items())),
            "fixes": dict(sorted(self.fixes.items())),
            "chars_in": self.chars_in,
            "chars_out": self.chars_out,
        }


def failure_reject(item: RawDocument, exc: Exception, keep_raw_bytes: int) -> Reject:
    """The reject of a document cleaning failed on: its reason, or where a bug hit."""
    if isinstance(exc, ExtractionError):
        return Reject(
            item.source,
            exc.reason,
            str(exc),
            item.position,
            item.raw_bytes[:keep_raw_bytes],
            len(item.raw_bytes),
            item.source_id,
        )
    last = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
    where = f" (at {Path(last.filename).name}:{last.lineno})" if last else ""
    raw = item.raw_bytes
    return Reject(
        item.source,
        "internal_error",
        f"{type(exc).__name__}: {exc}{where}",
        item.position,
        raw if len(raw) <= keep_raw_bytes else None,
        len(raw),
        item.source_id,
    )
