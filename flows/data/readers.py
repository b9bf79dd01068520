"""Find inputs and turn each into raw documents, or rejects that say why.

One RawDocument per .txt/.html file, per JSONL line, per Parquet row. Nothing raises
out of ``read_file``: a bad file, line or row becomes a ``Reject``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import glob
import gzip
import hashlib
import json
import os
import stat
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cleaners.config import ConfigError, check_types
from cleaners.decode import looks_binary

from .storage import filesystem, is_url, local_path

TEXT_SUFFIXES = {".txt": "txt", ".text": "txt", ".html": "html", ".htm": "html"}
RECORD_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
SUPPORTED = {**TEXT_SUFFIXES, **RECORD_SUFFIXES}


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


class InputError(Exception):
    """The input path itself is unusable (not found, nothing to read)."""


def _format_of(name: str) -> tuple[str | None, bool]:
    lower = name.lower()
    gz = lower.endswith(".gz")
    if gz:
        lower = lower[:-3]
    return SUPPORTED.get(os.path.splitext(lower)[1]), gz


# A folder holding any of these is a textwash dataset (ours or another run's): never
# input, so a dataset written inside its own input folder is not read back.
DATASET_MARKERS = ("_manifest.json", "_shards", "_state")


def is_dataset(folder: str | os.PathLike[str]) -> bool:
    return any(os.path.exists(os.path.join(folder, m)) for m in DATASET_MARKERS)


def discover(
    spec: str | os.PathLike[str],
    *,
    exclude: tuple[str | os.PathLike[str], ...] = (),
    prefix: str = "",
) -> list[InputFile]:
    """All files under a folder, a single file, or a glob, sorted by relative path.

    A document's ``rel`` (its ``source``) is its path relative to the input root: the
    folder given; a file's own folder; a glob's folder before its first wildcard. It
    does not depend on how the root is spelled (relative, absolute, ``./``, a trailing
    slash). ``prefix`` goes before it (a backfill's partition name).

    Hidden files and folders (``.gitkeep``, ``.DS_Store``) and textwash datasets (a
    folder with ``_manifest.json``, ``_shards`` or ``_state``; the ``exclude`` folders,
    such as this run's output) are skipped; other files with an unsupported suffix are
    kept so that they are rejected, not lost.
    """
    spec = str(spec) if is_url(str(spec)) else local_path(os.fspath(spec))
    if is_url(spec):
        return _discover_url(spec, exclude, prefix)
    skip = {os.path.realpath(local_path(str(p))) for p in exclude if not is_url(str(p))}

    def excluded(folder: str) -> bool:
        return os.path.realpath(folder) in skip or is_dataset(folder)

    root, paths = _local_paths(spec, excluded)
    files = []
    for p in paths:
        try:
            st = os.stat(p)
        except OSError:
            st = None  # a dangling link: read_file will reject it with the reason
        rel = os.path.relpath(p, root).replace(os.sep, "/")
        # A name that is not UTF-8 is shown with escapes; ``path`` still opens it.
        rel = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        if prefix:
            rel = f"{prefix}/{rel}"
        files.append(
            InputFile(os.path.abspath(p), rel, st.st_size if st else 0, st.st_mtime_ns if st else 0)
        )
    files.sort(key=lambda f: f.rel)
    return files


def _local_paths(spec: str, excluded: Callable[[str], bool]) -> tuple[str, list[str]]:
    """The input root of a local folder, file or glob, and the paths of its files
    (hidden ones and those in excluded folders left out)."""
    if os.path.isdir(spec):
        root = spec
        paths = []
        if not excluded(spec):
            for dirpath, dirnames, filenames in os.walk(spec, followlinks=False):
                dirnames[:] = sorted(
                    d
                    for d in dirnames
                    if not d.startswith(".") and not excluded(os.path.join(dirpath, d))
                )
                paths.extend(os.path.join(dirpath, f) for f in filenames if not f.startswith("."))
    elif os.path.isfile(spec):
        root = os.path.dirname(spec) or "."
        paths = [spec]
    elif glob.has_magic(spec):
        parts = Path(spec).parts
        static = [p for p in parts[: next(i for i, p in enumerate(parts) if glob.has_magic(p))]]
        root = str(Path(*static)) if static else "."
        paths = [
            p
            for p in glob.glob(spec, recursive=True)
            if os.path.isfile(p) and not _in_dataset(p, root, excluded)
        ]
    else:
        raise InputError(f"input not found: {spec}")
    return root, paths


def _discover_url(spec: str, exclude: tuple, prefix: str) -> list[InputFile]:
    """``discover`` on an object store: one listing of the prefix (or the glob), then
    the same rules as for a folder."""
    fs, path = filesystem(spec)
    skip = [filesystem(str(e))[1].rstrip("/") + "/" for e in exclude if is_url(str(e))]
    if glob.has_magic(path):
        parts = path.split("/")
        root = "/".join(parts[: next(i for i, p in enumerate(parts) if glob.has_magic(p))])
        found = {p: i for p, i in fs.glob(path, detail=True).items() if i.get("type") == "file"}
    elif fs.isfile(path):
        root, found = path.rsplit("/", 1)[0], {path: fs.info(path)}
    else:
        root = path.rstrip("/")
        found = fs.find(root, detail=True)
        if not found and not fs.isdir(root):
            raise InputError(f"input not found: {spec}")
    rels = {p: p[len(root) :].lstrip("/") for p in found}
    # Folders that hold a dataset marker are datasets: nothing under them is input.
    datasets = {
        "".join(f"{folder}/" for folder in rel.split("/")[:i])
        for rel in rels.values()
        for i, part in enumerate(rel.split("/"))
        if part in DATASET_MARKERS
    }
    files = []
    for p, info in found.items():
        rel = rels[p]
        if any(part.startswith(".") for part in rel.split("/")):
            continue
        if any(rel.startswith(d) for d in datasets) or any((p + "/").startswith(s) for s in skip):
            continue
        if prefix:
            rel = f"{prefix}/{rel}"
        files.append(
            InputFile(fs.unstrip_protocol(p), rel, int(info.get("size") or 0), _mtime_ns(info))
        )
    files.sort(key=lambda f: f.rel)
    return files


def _mtime_ns(info: dict) -> int:
    """An object's modification time in ns, whichever key its store uses."""
    from datetime import datetime

    for key in ("LastModified", "mtime", "updated", "last_modified", "created"):
        value = info.get(key)
        if isinstance(value, datetime):
            return int(value.timestamp() * 1e9)
        if isinstance(value, int | float):
            return int(value * 1e9)
        if isinstance(value, str) and value:
            try:
                return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1e9)
            except ValueError:
                continue
    return 0


def _in_dataset(path: str, root: str, excluded: Callable[[str], bool]) -> bool:
    """Is a file of a glob inside a dataset folder (between the root and the file)?"""
    folder = os.path.dirname(os.path.abspath(path))
    stop = os.path.dirname(os.path.abspath(root))
    while folder and folder != stop:
        if excluded(folder):
            return True
        parent = os.path.dirname(folder)
        if parent == folder:
            break
        folder = parent
    return False


def _open(f: InputFile) -> Any:
    """Every input opens one way, local or remote: through fsspec, which decompresses
    a ``.gz`` by its name (``compression="infer"``)."""
    import fsspec
    from fsspec.implementations.local import LocalFileSystem

    fs, inner = filesystem(f.path) if is_url(f.path) else (LocalFileSystem(), f.path)
    return fsspec.core.OpenFile(fs, inner, "rb", compression="infer")


def _decompressed(fh: IO[bytes], f: InputFile, opts: ReadOptions | None) -> Iterator[bytes]:
    """The bytes of an open input in chunks of at most 1 MB, so memory stays bounded.
    With ``opts``, a stream that expands like a bomb raises _TooLarge. A gzip stream
    that ends early raises EOFError only after everything before the break was
    yielded (``read1``: GzipFile's ``read`` would drop what it had decompressed)."""
    read = getattr(fh, "read1", fh.read)
    total = 0
    while chunk := read(1 << 20):
        total += len(chunk)
        if opts is not None:
            _check_expansion(total, f.size, opts)
        yield chunk


def _read_bytes(f: InputFile, limit: int) -> bytes:
    """At most ``limit`` bytes (decompressed), so a gzip bomb costs no more memory."""
    data = bytearray()
    with _open(f) as fh:
        for chunk in _decompressed(fh, f, None):
            data += chunk
            if len(data) > limit:
                raise _TooLarge(f"over the {limit:,} byte limit (decompressed)")
    return bytes(data)


class _TooLarge(Exception):
    pass


# What a .gz that is not one, or is cut or corrupt, raises while it is read.
_BAD_GZIP = (gzip.BadGzipFile, EOFError, zlib.error)


def _keep(data: bytes, opts: ReadOptions) -> bytes | None:
    return data if len(data) <= opts.keep_raw_bytes else None


@dataclass(frozen=True)
class Piece:
    """A file, or a part of a large one: the unit shards are made of.

    For plain JSONL, ``start``/``stop`` are byte offsets at line starts; for Parquet,
    row-group indexes. ``first`` is the position (line or row) the piece starts at, so
    positions and doc_ids do not depend on how a file was split.
    """

    file: InputFile
    start: int = 0
    stop: int | None = None
    first: int = 0
    nbytes: int | None = None  # when start/stop are not byte offsets (row groups)

    @property
    def size(self) -> int:
        """Bytes the piece holds: what shard planning bounds."""
        if self.nbytes is not None:
            return self.nbytes
        return (self.file.size if self.stop is None else self.stop) - self.start


def split_file(f: InputFile, max_bytes: int | Callable[[int], int]) -> list[Piece]:
    """Pieces of at most about ``max_bytes``: plain JSONL at line boundaries (one
    streaming pass counts the lines), Parquet by row groups (metadata only). Other
    files, gzip included (no random access), are one piece.

    ``max_bytes`` may be a function of the byte offset where a piece starts, so that
    a plan can make its last pieces smaller (see shards.plan_shards)."""
    size_at = max_bytes if callable(max_bytes) else lambda _offset: max_bytes
    fmt, gz = _format_of(f.rel)
    if gz or f.size <= size_at(0) or fmt not in ("jsonl", "parquet"):
        return [Piece(f)]
    try:
        if fmt == "jsonl":
            return _split_jsonl(f, size_at)
        return _split_parquet(f, size_at)
    except Exception:  # unreadable here means rejected when read: one piece says why
        return [Piece(f)]


def _split_jsonl(f: InputFile, size_at: Callable[[int], int]) -> list[Piece]:
    pieces: list[Piece] = []
    start = first = 0
    base = lines_before = 0  # bytes and newlines before the current chunk
    with _open(f) as fh:
        while chunk := fh.read(8 << 20):
            pos = start + size_at(start) - base
            while pos < len(chunk):
                cut = chunk.find(b"\n", max(pos, 0))
                end = base + cut + 1
                if cut < 0 or end >= f.size:
                    break
                pieces.append(Piece(f, start, end, first))
                start, first = end, lines_before + chunk.count(b"\n", 0, cut + 1)
                pos = start + size_at(start) - base
            base += len(chunk)
            lines_before += chunk.count(b"\n")
    pieces.append(Piece(f, start, None, first))
    return pieces


def _split_parquet(f: InputFile, size_at: Callable[[int], int]) -> list[Piece]:
    import pyarrow.parquet as pq

    with _open(f) as fh:
        meta = pq.ParquetFile(fh).metadata
    pieces: list[Piece] = []
    start = first = rows = size = offset = 0
    for i in range(meta.num_row_groups):
        rg = meta.row_group(i)
        if i > start and size + rg.total_byte_size > size_at(offset - size):
            pieces.append(Piece(f, start, i, first, size))
            start, first, size = i, rows, 0
        size += rg.total_byte_size
        offset += rg.total_byte_size
        rows += rg.num_rows
    pieces.append(Piece(f, start, meta.num_row_groups, first, size))
    return pieces if len(pieces) > 1 else [Piece(f)]


def read_file(f: InputFile, opts: ReadOptions | None = None) -> Iterator[RawDocument | Reject]:
    """Raw documents of one input file; every failure is a Reject with a reason."""
    return read_piece(Piece(f), opts)


def read_piece(piece: Piece, opts: ReadOptions | None = None) -> Iterator[RawDocument | Reject]:
    """Raw documents of one piece of a file, streamed: memory is bounded by one
    document, not by the file. Every failure is a Reject with a reason."""
    opts = opts or ReadOptions()
    f = piece.file
    fmt, gz = _format_of(f.rel)
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
            yield from _read_jsonl(piece, gz, opts)
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
            f.rel, "binary", "binary content, not text", raw=_keep(data, opts), raw_size=len(data)
        )
        return
    yield RawDocument(f.rel, None, data, fmt == "html", fmt)


def _text_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _meta_json(rec: dict, opts: ReadOptions) -> str | None:
    """The record without its text and HTML, as JSON (values JSON lacks, such as
    timestamps and bytes, as strings); None when nothing is left."""
    rest = {k: v for k, v in rec.items() if k not in (opts.text_field, opts.html_field)}
    if not rest:
        return None
    return json.dumps(rest, ensure_ascii=False, default=str, sort_keys=True)


def _record(
    source: str, pos: int, rec: dict, fmt: str, opts: ReadOptions, raw: bytes
) -> RawDocument | Reject:
    html = rec.get(opts.html_field)
    text = rec.get(opts.text_field)
    content, is_html = (text, False) if text is not None else (html, True)
    where = f"{source}#{'L' if fmt == 'jsonl' else 'R'}{pos + 1}"
    rid = rec.get(opts.id_field)
    source_id = None if rid is None else str(rid)

    def reject(error: str, message: str, keep: bool = True) -> Reject:
        kept = _keep(raw, opts) if keep else None
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


def _read_jsonl(piece: Piece, gz: bool, opts: ReadOptions) -> Iterator[RawDocument | Reject]:
    """Streamed line by line: a line over the document limit is rejected, a gzip
    stream that ends early or expands like a bomb rejects the rest of the file."""
    source, limit = piece.file.rel, opts.max_document_bytes
    pos = piece.first - 1
    with _open(piece.file) as fh:
        if gz:  # no random access into gzip: a compressed file is one piece
            chunks = _decompressed(fh, piece.file, opts)
        else:
            chunks = _file_chunks(fh, piece.start, piece.stop)
        try:
            for line, size in _lines(chunks, limit):
                pos += 1
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


def _json_line(source: str, pos: int, line: bytes, opts: ReadOptions) -> RawDocument | Reject:
    where = f"{source}#L{pos + 1}"
    try:
        rec = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return Reject(
            where, "bad_json", f"not valid JSON: {exc}", pos, _keep(line, opts), len(line)
        )
    if not isinstance(rec, dict):
        return Reject(
            where,
            "bad_json",
            f"a JSON {type(rec).__name__}, not an object",
            pos,
            _keep(line, opts),
            len(line),
        )
    return _record(source, pos, rec, "jsonl", opts, line)


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
            pf = pq.ParquetFile(stack.enter_context(_open(piece.file)))
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
                yield _record(source, pos, rec, "parquet", opts, raw)
                pos += 1
    except (pa.ArrowException, OSError) as exc:
        yield Reject(
            f"{source}#R{pos + 1}",
            "bad_parquet",
            f"cannot read Parquet after row {pos}: {exc}",
            pos,
            raw_size=piece.file.size,
        )


def find_inputs(input: str, output: str | os.PathLike[str]) -> list[InputFile]:
    """The files a run of ``input`` into ``output`` would read; none is an InputError
    (and so is a bucket that cannot be listed, in the store's own words)."""
    try:
        files = discover(input, exclude=(str(output),))
    except InputError:
        raise
    except Exception as exc:
        if not is_url(input):
            raise
        raise InputError(f"cannot list {input}: {type(exc).__name__}: {exc}") from None
    if not files:
        local = not is_url(input) and os.path.isdir(input)
        what = "a textwash dataset" if local and is_dataset(input) else "it"
        raise InputError(
            f"no inputs found in {input} (hidden files and datasets are skipped; "
            f"{what} holds nothing to clean)"
        )
    return files
