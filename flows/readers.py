"""Find inputs and turn each into raw documents, or rejects that say why.

One RawDocument per .txt/.html file, per JSONL line, per Parquet row. Nothing raises
out of ``read_file``: a bad file, line or row becomes a ``Reject``.
"""

from __future__ import annotations

import functools
import glob
import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cleaners.decode import looks_binary

TEXT_SUFFIXES = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html"}
RECORD_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
SUPPORTED = {**TEXT_SUFFIXES, **RECORD_SUFFIXES}


@dataclass(frozen=True)
class ReadOptions:
    text_field: str = "text"
    html_field: str = "html"
    id_field: str = "id"
    url_field: str = "url"
    max_file_bytes: int = 2_000_000_000  # decompressed
    max_document_bytes: int = 50_000_000
    keep_raw_bytes: int = 1_000_000  # rejects keep raw input up to this size


@dataclass(frozen=True)
class InputFile:
    path: str  # absolute, as the filesystem knows it
    rel: str  # relative to the input root: the document's source
    size: int
    mtime_ns: int

    @property
    def fingerprint(self) -> str:
        return f"{self.size}:{self.mtime_ns}"


@dataclass(frozen=True)
class RawDocument:
    source: str
    position: int | None
    content: str | bytes
    is_html: bool
    input_format: str
    source_id: str | None = None
    url: str | None = None

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
        return hashlib.sha256(f"{self.source}\0{self.sha256}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Reject:
    source: str
    error: str
    message: str
    position: int | None = None
    raw: bytes | None = None
    raw_size: int | None = None


class InputError(Exception):
    """The input path itself is unusable (not found, nothing to read)."""


def _format_of(name: str) -> tuple[str | None, bool]:
    lower = name.lower()
    gz = lower.endswith(".gz")
    if gz:
        lower = lower[:-3]
    return SUPPORTED.get(os.path.splitext(lower)[1]), gz


def discover(spec: str | os.PathLike[str]) -> list[InputFile]:
    """All files under a folder, a single file, or a glob, sorted by relative path.

    Hidden files and folders (``.gitkeep``, ``.DS_Store``) are skipped; other files
    with an unsupported suffix are kept so that they are rejected, not lost.
    """
    spec = os.fspath(spec)
    if os.path.isdir(spec):
        root = spec
        paths = []
        for dirpath, dirnames, filenames in os.walk(spec, followlinks=False):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            paths.extend(os.path.join(dirpath, f) for f in filenames if not f.startswith("."))
    elif os.path.isfile(spec):
        root = os.path.dirname(spec) or "."
        paths = [spec]
    elif glob.has_magic(spec):
        parts = Path(spec).parts
        static = [p for p in parts[: next(i for i, p in enumerate(parts) if glob.has_magic(p))]]
        root = str(Path(*static)) if static else "."
        paths = [p for p in glob.glob(spec, recursive=True) if os.path.isfile(p)]
    else:
        raise InputError(f"input not found: {spec}")
    files = []
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            st = None  # a dangling link: read_file will reject it with the reason
        rel = os.path.relpath(p, root).replace(os.sep, "/")
        files.append(
            InputFile(os.path.abspath(p), rel, st.st_size if st else 0, st.st_mtime_ns if st else 0)
        )
    files.sort(key=lambda f: f.rel)
    return files


def _read_bytes(f: InputFile, gz: bool, limit: int) -> bytes:
    """At most ``limit`` bytes (decompressed), so a gzip bomb costs no more memory."""
    with open(f.path, "rb") as fh:
        if not gz:
            data = fh.read(limit + 1)
        else:
            with gzip.GzipFile(fileobj=fh) as gzf:
                data = gzf.read(limit + 1)
    if len(data) > limit:
        raise _TooLarge(f"over the {limit:,} byte limit (decompressed)")
    return data


class _TooLarge(Exception):
    pass


def _keep(data: bytes, opts: ReadOptions) -> bytes | None:
    return data if len(data) <= opts.keep_raw_bytes else None


def read_file(f: InputFile, opts: ReadOptions | None = None) -> Iterator[RawDocument | Reject]:
    """Raw documents of one input file; every failure is a Reject with a reason."""
    opts = opts or ReadOptions()
    fmt, gz = _format_of(f.rel)
    if not os.path.exists(f.path):  # a dangling link or a link loop
        yield Reject(f.rel, "unreadable", "a broken or looping link", raw_size=0)
        return
    if fmt is None:
        yield Reject(
            f.rel,
            "unsupported_format",
            f"not a supported input ({', '.join(sorted(SUPPORTED))}, optionally .gz)",
            raw_size=f.size,
        )
        return
    # One .txt/.html file is one document: read no more than a document may hold.
    limit = opts.max_document_bytes if fmt in ("txt", "html") else opts.max_file_bytes
    try:
        data = _read_bytes(f, gz, limit)
    except _TooLarge as exc:
        yield Reject(f.rel, "too_large", str(exc), raw_size=f.size)
        return
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        yield Reject(f.rel, "bad_gzip", f"cannot decompress: {exc}", raw_size=f.size)
        return
    except OSError as exc:
        yield Reject(
            f.rel, "unreadable", f"{type(exc).__name__}: {exc.strerror or exc}", raw_size=f.size
        )
        return
    if fmt in ("txt", "html"):
        if not data.strip():
            yield Reject(
                f.rel,
                "empty",
                "the file is empty or only white space",
                raw=data,
                raw_size=len(data),
            )
            return
        if looks_binary(data):
            yield Reject(
                f.rel,
                "binary",
                "binary content, not text",
                raw=_keep(data, opts),
                raw_size=len(data),
            )
            return
        yield RawDocument(f.rel, None, data, fmt == "html", fmt)
    elif fmt == "jsonl":
        yield from _read_jsonl(f.rel, data, opts)
    else:
        yield from _read_parquet(f.rel, data, opts)


def _record(
    source: str, pos: int, rec: dict, fmt: str, opts: ReadOptions, raw: bytes
) -> RawDocument | Reject:
    html = rec.get(opts.html_field)
    text = rec.get(opts.text_field)
    content, is_html = (text, False) if text is not None else (html, True)
    where = f"{source}#{'L' if fmt == 'jsonl' else 'R'}{pos + 1}"
    if content is None:
        return Reject(
            where,
            "missing_field",
            f"no {opts.text_field!r} or {opts.html_field!r} field",
            pos,
            _keep(raw, opts),
            len(raw),
        )
    if not isinstance(content, str | bytes):
        return Reject(
            where,
            "wrong_type",
            f"the text field is {type(content).__name__}, not a string",
            pos,
            _keep(raw, opts),
            len(raw),
        )
    if not content.strip():
        return Reject(where, "empty", "the text field is empty", pos, _keep(raw, opts), len(raw))
    if len(content) > opts.max_document_bytes:
        return Reject(
            where,
            "too_large",
            f"document over the {opts.max_document_bytes:,} byte limit",
            pos,
            None,
            len(raw),
        )
    rid, url = rec.get(opts.id_field), rec.get(opts.url_field)
    return RawDocument(
        where,
        pos,
        content,
        is_html,
        fmt,
        source_id=None if rid is None else str(rid),
        url=url if isinstance(url, str) else None,
    )


def _read_jsonl(source: str, data: bytes, opts: ReadOptions) -> Iterator[RawDocument | Reject]:
    for pos, line in enumerate(data.split(b"\n")):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            yield Reject(
                f"{source}#L{pos + 1}",
                "bad_json",
                f"not valid JSON: {exc}",
                pos,
                _keep(line, opts),
                len(line),
            )
            continue
        if not isinstance(rec, dict):
            yield Reject(
                f"{source}#L{pos + 1}",
                "bad_json",
                f"a JSON {type(rec).__name__}, not an object",
                pos,
                _keep(line, opts),
                len(line),
            )
            continue
        yield _record(source, pos, rec, "jsonl", opts, line)


def _read_parquet(source: str, data: bytes, opts: ReadOptions) -> Iterator[RawDocument | Reject]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pf = pq.ParquetFile(pa.BufferReader(data))
        names = set(pf.schema_arrow.names)
    except (pa.ArrowException, OSError) as exc:
        yield Reject(source, "bad_parquet", f"cannot read Parquet: {exc}", raw_size=len(data))
        return
    if opts.text_field not in names and opts.html_field not in names:
        yield Reject(
            source,
            "missing_column",
            f"no {opts.text_field!r} or {opts.html_field!r} column "
            f"(columns: {', '.join(sorted(names))})",
            raw_size=len(data),
        )
        return
    wanted = [
        c for c in (opts.text_field, opts.html_field, opts.id_field, opts.url_field) if c in names
    ]
    pos = 0
    try:
        for batch in pf.iter_batches(batch_size=1024, columns=wanted):
            for rec in batch.to_pylist():
                raw = json.dumps(rec, default=str).encode()
                yield _record(source, pos, rec, "parquet", opts, raw)
                pos += 1
    except (pa.ArrowException, OSError) as exc:
        yield Reject(
            source,
            "bad_parquet",
            f"cannot read Parquet after row {pos}: {exc}",
            pos,
            raw_size=len(data),
        )
