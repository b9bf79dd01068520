"""Rows of the three tables, built from what the readers and cleaners return."""

from __future__ import annotations

import email.utils
from datetime import UTC, date, datetime
from typing import Any

from cleaners import CleanResult

from . import __version__
from .readers import RawDocument, Reject


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
        "n_chars_in": result.n_chars_in if result else len(item.content),
        "n_chars_out": result.n_chars_out if result else 0,
        "n_removed": len(result.removed) if result else 0,
        "cleaned_at": run_started,
        "textwash_version": __version__,
        "meta": utf8(item.meta),
        "published_at": parse_published(published),
        "duplicate_of": duplicate_of,
        "kept_repeated_lines": bool(result and result.kept_repeated_lines),
    }


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
