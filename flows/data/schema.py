"""The Parquet contract: declared schemas for documents, removals and rejects.

Other teams read these files; a column is never inferred from data. Any change to a
column's name, type or meaning bumps SCHEMA_VERSION (additive changes: minor; others:
major). Field descriptions travel in each field's metadata. A field declared
non-null is ``required`` in the Parquet files (DuckDB's ``describe`` reports every
column as nullable whatever the file says; ``pyarrow.parquet.read_schema`` shows it).

1.1 (additive): documents ``meta``, ``published_at``, ``duplicate_of``,
``kept_repeated_lines``; removals ``source``, ``url``; rejects ``source_id``,
``line``.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1.1"


def _field(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


def _schema(kind: str, fields: list[pa.Field]) -> pa.Schema:
    return pa.schema(
        fields,
        metadata={
            "textwash.schema_version": SCHEMA_VERSION,
            "textwash.table": kind,
        },
    )


TIMESTAMP = pa.timestamp("us", tz="UTC")
SOURCE_DOC = (
    "Input path relative to the input root (in a backfill, after the partition's name), "
    "with #L<line> for a JSONL line or #R<row> for a Parquet row (1-based)."
)

DOCUMENTS_SCHEMA = _schema(
    "documents",
    [
        _field("doc_id", pa.string(), "Stable id: hash of source and input bytes.", False),
        _field("source", pa.string(), SOURCE_DOC, False),
        _field("source_id", pa.string(), "The id field the input gave, if any."),
        _field("url", pa.string(), "URL of the document, from the input or the HTML."),
        _field(
            "title",
            pa.string(),
            "Headline: from HTML metadata, the input's title field, or detected in plain text.",
        ),
        _field(
            "text",
            pa.string(),
            "Clean text, one paragraph per line; empty for a duplicate (see duplicate_of).",
            False,
        ),
        _field("author", pa.string(), "Author from HTML metadata."),
        _field(
            "published",
            pa.string(),
            "Publication date as given: HTML metadata, else the input's published field.",
        ),
        _field("sitename", pa.string(), "Site name from HTML metadata."),
        _field("input_format", pa.string(), "txt, html, jsonl or parquet.", False),
        _field("input_sha256", pa.string(), "SHA-256 of the document's raw input.", False),
        _field("encoding", pa.string(), "Encoding the input bytes were decoded with."),
        _field(
            "fixes",
            pa.list_(pa.string()),
            "Names of the steps that changed the text, in order.",
            False,
        ),
        _field("n_chars_in", pa.int64(), "Characters of the decoded input.", False),
        _field("n_chars_out", pa.int64(), "Characters of the clean text.", False),
        _field("n_removed", pa.int32(), "Lines removed as boilerplate (rows in removals).", False),
        _field(
            "cleaned_at",
            TIMESTAMP,
            "Start of the run that cleaned it; the same for every row of a run.",
            False,
        ),
        _field("textwash_version", pa.string(), "textwash version that cleaned it.", False),
        # 1.1
        _field(
            "meta",
            pa.string(),
            "The input record's other fields (all but the text and HTML), as a JSON "
            "object; null for .txt/.html inputs.",
        ),
        _field(
            "published_at",
            TIMESTAMP,
            "published parsed as a UTC timestamp (a date or naive time read as UTC); "
            "null when absent or unreadable.",
        ),
        _field(
            "duplicate_of",
            pa.string(),
            "With --dedup: the doc_id of the copy that keeps the text (the first in plan "
            "order, or the one the dataset already held); null for a kept document.",
        ),
        _field(
            "kept_repeated_lines",
            pa.bool_(),
            "True when lines repeated across the site's documents were kept because "
            "removing them would have taken most of the document.",
            False,
        ),
    ],
)

REMOVALS_SCHEMA = _schema(
    "removals",
    [
        _field("doc_id", pa.string(), "The document the line was removed from.", False),
        _field(
            "line_no",
            pa.int32(),
            "1-based line number in the decoded input text (for HTML: in the extracted main text).",
            False,
        ),
        _field("category", pa.string(), "Stable snake_case kind of boilerplate.", False),
        _field("rule", pa.string(), "The rule or model that decided.", False),
        _field("text", pa.string(), "The removed line, after repair and normalization.", False),
        # 1.1
        _field("source", pa.string(), "The document's source (as in documents).", False),
        _field("url", pa.string(), "The document's URL (as in documents)."),
    ],
)

REJECTS_SCHEMA = _schema(
    "rejects",
    [
        _field("source", pa.string(), "Input file, with #L<line> / #R<row> where known.", False),
        _field("position", pa.int64(), "Line (JSONL) or row (Parquet) index, 0-based."),
        _field("error", pa.string(), "Stable snake_case reason.", False),
        _field("message", pa.string(), "What went wrong, for a person.", False),
        _field("raw", pa.binary(), "The raw input bytes, when small enough to keep."),
        _field("raw_size", pa.int64(), "Size of the raw input in bytes, when known."),
        _field("rejected_at", TIMESTAMP, "Start of the run.", False),
        _field("textwash_version", pa.string(), "textwash version of the run.", False),
        # 1.1
        _field("source_id", pa.string(), "The id field of the input record, when it had one."),
        _field(
            "line",
            pa.int64(),
            "Line (JSONL) or row (Parquet) number, 1-based: the #L/#R number of source.",
        ),
    ],
)

TABLES = {
    "documents": DOCUMENTS_SCHEMA,
    "removals": REMOVALS_SCHEMA,
    "rejects": REJECTS_SCHEMA,
}


def can_append_to(version: str | None) -> bool:
    """Can this textwash append parts to a dataset written under ``version``? Parts of
    one dataset share one schema, so only the same version.

    >>> can_append_to("1.1"), can_append_to("1.0"), can_append_to(None)
    (True, False, True)
    """
    return version is None or version == SCHEMA_VERSION
