"""The Parquet contract: declared schemas for documents, removals and rejects.

Other teams read these files; a column is never inferred from data. Any change to a
column's name, type or meaning bumps SCHEMA_VERSION (additive changes: minor; others:
major). Field descriptions travel in each field's metadata.
"""

from __future__ import annotations

import pyarrow as pa

SCHEMA_VERSION = "1.0"


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


DOCUMENTS_SCHEMA = _schema(
    "documents",
    [
        _field("doc_id", pa.string(), "Stable id: hash of source and input bytes.", False),
        _field(
            "source",
            pa.string(),
            "Input file relative to the input root, with #L<line> "
            "for a JSONL line or #R<row> for a Parquet row.",
            False,
        ),
        _field("source_id", pa.string(), "The id field the input gave, if any."),
        _field("url", pa.string(), "URL of the document, from the input or the HTML."),
        _field("title", pa.string(), "Headline: from HTML metadata or detected in plain text."),
        _field("text", pa.string(), "Clean text, one paragraph per line.", False),
        _field("author", pa.string(), "Author from HTML metadata."),
        _field("published", pa.string(), "Publication date from HTML metadata (ISO 8601)."),
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
            pa.timestamp("us", tz="UTC"),
            "Start of the run that cleaned it; the same for every row of a run.",
            False,
        ),
        _field("textwash_version", pa.string(), "textwash version that cleaned it.", False),
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
        _field("rejected_at", pa.timestamp("us", tz="UTC"), "Start of the run.", False),
        _field("textwash_version", pa.string(), "textwash version of the run.", False),
    ],
)

TABLES = {
    "documents": DOCUMENTS_SCHEMA,
    "removals": REMOVALS_SCHEMA,
    "rejects": REJECTS_SCHEMA,
}
