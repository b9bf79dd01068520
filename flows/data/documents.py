"""What reading an input gives: raw documents, and rejects that say why; and the
options that shape both (which record fields hold what, the size limits)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from dataclasses import dataclass

from cleaners.config import ConfigError, check_types


@dataclass(frozen=True)
class ReadOptions:
    text_field: str = "text"
    html_field: str = "html"
    id_field: str = "id"
    url_field: str = "url"
    # A scraper's own headline and date: the document's title (the text's first line,
    # when it repeats it, goes as duplicate_title), and ``published`` when the page
    # gives none.
    title_field: str = "title"
    published_field: str = "published"
    max_file_bytes: int = 100_000_000_000  # on disk
    max_decompressed_bytes: int = 100_000_000_000  # what a .gz input may expand to
    max_gzip_ratio: int = 200  # text compresses ~3-10x; a bomb, ~1000x
    max_document_bytes: int = 50_000_000
    keep_raw_bytes: int = 1_000_000  # rejects keep raw input up to this size

    def __post_init__(self) -> None:
        check_types(self)
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, str) and not value:
                raise ConfigError(f"{f.name} must not be empty")
            if isinstance(value, int) and value < (0 if f.name == "keep_raw_bytes" else 1):
                raise ConfigError(f"{f.name} must be positive, not {value}")

    def kept(self, raw: bytes) -> bytes | None:
        """The raw input a reject keeps: all of it, or nothing when it is too large."""
        return raw if len(raw) <= self.keep_raw_bytes else None


@dataclass(frozen=True)
class RawDocument:
    source: str
    position: int | None
    content: str | bytes
    is_html: bool
    input_format: str
    source_id: str | None = None
    url: str | None = None
    title: str | None = None
    published: str | None = None
    meta: str | None = None  # the input record's other fields, as a JSON object

    # Cached: the counting and cleaning passes and the rejects all ask; hashing a
    # 50 MB document once is enough.
    @functools.cached_property
    def raw_bytes(self) -> bytes:
        if isinstance(self.content, bytes):
            return self.content
        return self.content.encode("utf-8", "surrogatepass")

    @functools.cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw_bytes).hexdigest()

    @functools.cached_property
    def doc_id(self) -> str:
        """Stable across runs, runners and shard sizes: source and content decide it."""
        key = f"{self.source}\0{self.sha256}".encode("utf-8", "surrogatepass")
        return hashlib.sha256(key).hexdigest()[:24]


@dataclass(frozen=True)
class Reject:
    source: str
    error: str
    message: str
    position: int | None = None
    raw: bytes | None = None
    raw_size: int | None = None
    source_id: str | None = None


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _meta_json(rec: dict, opts: ReadOptions) -> str | None:
    """The record without its text and HTML, as JSON (values JSON lacks, such as
    timestamps and bytes, as strings); None when nothing is left."""
    rest = {k: v for k, v in rec.items() if k not in (opts.text_field, opts.html_field)}
    if not rest:
        return None
    return json.dumps(rest, ensure_ascii=False, default=str, sort_keys=True)


def document_from_record(
    source: str, pos: int, rec: dict, fmt: str, opts: ReadOptions, raw: bytes
) -> RawDocument | Reject:
    """A JSONL line's or Parquet row's fields as a document (the text, else the HTML),
    or a reject that says which field is missing, of the wrong type or too large."""
    html = rec.get(opts.html_field)
    text = rec.get(opts.text_field)
    content, is_html = (text, False) if text is not None else (html, True)
    where = f"{source}#{'L' if fmt == 'jsonl' else 'R'}{pos + 1}"
    rid = rec.get(opts.id_field)
    source_id = None if rid is None else str(rid)

    def reject(error: str, message: str, keep: bool = True) -> Reject:
        kept = opts.kept(raw) if keep else None
        return Reject(where, error, message, pos, kept, len(raw), source_id)

    if content is None:
        return reject("missing_field", f"no {opts.text_field!r} or {opts.html_field!r} field")
    if not isinstance(content, str | bytes):
        return reject("wrong_type", f"the text field is {type(content).__name__}, not a string")
    if not content.strip():
        return reject("empty", "the text field is empty")
    if len(content) > opts.max_document_bytes:
        return reject(
            "too_large", f"document over the {opts.max_document_bytes:,} byte limit", False
        )
    url = rec.get(opts.url_field)
    return RawDocument(
        where,
        pos,
        content,
        is_html,
        fmt,
        source_id=source_id,
        url=url if isinstance(url, str) else None,
        title=_text_or_none(rec.get(opts.title_field)),
        published=_text_or_none(rec.get(opts.published_field)),
        meta=_meta_json(rec, opts),
    )
