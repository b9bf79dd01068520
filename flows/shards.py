"""Plan shards and clean one shard: the per-shard work, without the orchestrator.

A shard is a run of input files in sorted order, bounded in bytes and in files, so
the plan is deterministic. The Prefect task in clean_corpus.py only calls
``process_shard``; a plain loop (tests, benchmarks) can call it the same way.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import socket
import time
import traceback
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from cleaners import CleanConfig, CleanResult, ExtractionError, LineStats
from cleaners.core import Prepared, clean_batch, count_keys, prepare, source_of
from cleaners.dedup import minhash, text_hash
from cleaners.timing import NO_STEPS, Steps

from .dataset import write_shard
from .dedup import Measured
from .markers import Recipe, ShardMarker
from .options import RunOptions
from .prepared import PreparedSink, PreparedSource
from .readers import InputFile, Piece, RawDocument, ReadOptions, Reject, read_piece, split_file
from .records import document_row, reject_row, removal_rows
from .schema import TABLES


@dataclass(frozen=True)
class Shard:
    index: int
    pieces: tuple[Piece, ...]

    @property
    def files(self) -> tuple[InputFile, ...]:
        return tuple(dict.fromkeys(p.file for p in self.pieces))

    @property
    def size(self) -> int:
        return sum(p.size for p in self.pieces)

    @property
    def key(self) -> str:
        """What the shard's output depends on: its pieces and their files' fingerprints."""
        h = hashlib.sha256()
        for p in self.pieces:
            line = f"{p.file.rel}\0{p.file.fingerprint}\0{p.start}:{p.stop}\n"
            h.update(line.encode("utf-8", "surrogatepass"))
        return h.hexdigest()[:32]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "pieces": [
                {
                    **dataclasses.asdict(p.file),
                    "start": p.start,
                    "stop": p.stop,
                    "first": p.first,
                    "nbytes": p.nbytes,
                }
                for p in self.pieces
            ],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Shard:
        pieces = []
        for d in data["pieces"]:
            d = dict(d)
            start, stop, first = d.pop("start"), d.pop("stop"), d.pop("first")
            nbytes = d.pop("nbytes", None)  # absent in plans written before it existed
            pieces.append(Piece(InputFile(**d), start, stop, first, nbytes))
        return cls(data["index"], tuple(pieces))


# The last shards of a plan shrink to a quarter of what remains (guided
# self-scheduling): workers then finish together instead of one waiting on a full
# shard at the end. Never below 1 MB, where a task's own overhead starts to show.
TAIL_SHARDS = 4
MIN_SHARD_BYTES = 1 << 20


def shard_target(remaining: int, max_bytes: int, min_bytes: int = MIN_SHARD_BYTES) -> int:
    """The size of the next shard when ``remaining`` bytes are left to plan.

    >>> mb = 1 << 20
    >>> [shard_target(r * mb, 64 * mb) // mb for r in (1000, 100, 8, 2)]
    [64, 25, 2, 1]
    """
    return max(min(max_bytes, remaining // TAIL_SHARDS), min(min_bytes, max_bytes))


# Counting now costs more than cleaning (it repairs each document, for both passes,
# and computes its MinHash: about 60 % of a run on the devset's noisy pages), so its
# tasks take one shard each, like cleaning ones, rather than groups sized for a pass
# that cost a fifth. Kept as a knob: counts add up, so grouping never changes a result.
COUNT_GROUP = 1


def count_groups(plan: list[Shard], max_bytes: int) -> list[list[Shard]]:
    """Consecutive shards grouped for the counting pass, shrinking at the tail as
    shards do. Counts add up, so the grouping never changes a result."""
    total = sum(s.size for s in plan)
    groups: list[list[Shard]] = []
    current: list[Shard] = []
    size = planned = 0
    for shard in plan:
        limit = shard_target(
            total - planned, COUNT_GROUP * max_bytes, COUNT_GROUP * MIN_SHARD_BYTES
        )
        if current and size + shard.size > limit:
            groups.append(current)
            current, planned, size = [], planned + size, 0
        current.append(shard)
        size += shard.size
    if current:
        groups.append(current)
    return groups


def plan_shards(
    files: list[InputFile], max_bytes: int = 64 << 20, max_files: int = 2000, first_index: int = 0
) -> list[Shard]:
    """Group files, in order, into shards of at most ``max_bytes`` / ``max_files``;
    a file larger than a shard (plain JSONL, Parquet) is split into pieces first.
    The plan depends only on the files and the limits, never on the workers."""
    total = sum(f.size for f in files)
    shards: list[Shard] = []
    current: list[Piece] = []
    size = planned = 0  # bytes in the current shard; bytes before it
    for f in files:
        left = total - planned - size  # bytes from this file's start to the end

        def size_at(offset: int, left: int = left) -> int:
            return shard_target(left - offset, max_bytes)

        for piece in split_file(f, size_at):
            limit = shard_target(total - planned, max_bytes)
            if current and (size + piece.size > limit or len(current) >= max_files):
                shards.append(Shard(first_index + len(shards), tuple(current)))
                current, planned, size = [], planned + size, 0
            current.append(piece)
            size += piece.size
    if current:
        shards.append(Shard(first_index + len(shards), tuple(current)))
    return shards


Progress = Callable[[int, int], None]  # (documents and rejects so far, bytes so far)


def measure_shard(
    shard: Shard,
    config: CleanConfig,
    read_opts: ReadOptions,
    skip: set[str],
    html: bool = False,
    progress: Progress | None = None,
    sink: PreparedSink | None = None,
) -> Measured:
    """The counting pass over one shard: per document, in plan order, its site, its
    signature and its line hashes (see dedup.py). Documents in ``skip`` (counted in an
    earlier run) are only located; HTML pages are measured only when ``html`` (their
    lines exist only after extraction, the costly part, so they are not counted).
    ``sink`` keeps every document prepared, for the cleaning pass (prepared.py)."""
    measured = Measured()
    steps = Steps()
    done_bytes = 0
    for pos, item in enumerate(timed_read(read_piece_items(shard, read_opts), steps)):
        done_bytes += _size(item)
        measured.items += 1
        if progress is not None:
            progress(pos + 1, done_bytes)
        if isinstance(item, Reject):
            continue
        if item.doc_id in skip:
            measured.known[item.doc_id] = (shard.index, pos)
            continue
        if item.is_html and not html:
            continue
        try:
            doc, site = prepare_item(item, config, steps=steps)
        except Exception:  # the cleaning pass rejects it, with the reason
            continue
        if sink is not None:
            with steps("keep"):
                sink.add(pos, item.doc_id, doc)
        text = doc.text
        with steps("hash"):
            lines = () if item.is_html or site is None else count_keys(text, config)
            exact, sig = text_hash(text), minhash(text)
        measured.add(item.doc_id, site, (shard.index, pos), exact, sig, lines)
    measured.steps = steps.as_dict()
    return measured


def timed_read(items: Iterator[RawDocument | Reject], steps: Steps) -> Iterator:
    """``items``, the time spent reading each one added to ``steps["read"]``."""
    while True:
        t0 = time.perf_counter()
        item = next(items, None)
        steps.add("read", time.perf_counter() - t0)
        if item is None:
            return
        yield item


def read_piece_items(shard: Shard, read_opts: ReadOptions) -> Iterator[RawDocument | Reject]:
    """Every document and reject of a shard, in order."""
    for piece in shard.pieces:
        yield from read_piece(piece, read_opts)


def _size(item: RawDocument | Reject) -> int:
    if isinstance(item, Reject):
        return item.raw_size or 0
    return len(item.raw_bytes)


# Documents cleaned together (one column of lines, one model call), bounded in count
# and in bytes so a batch's memory stays small. Classifying the devset's noisy pages
# in a loop (one jemalloc arena, as flows/__init__ sets): peak RSS 350 MB at 4 MB
# batches, 295 at 2 MB, 270 at 1 MB; time +8 % at 2 MB, +25 % at 1 MB.
BATCH_DOCS = 1000
BATCH_BYTES = 2 * 1024 * 1024


@dataclass
class Pending:
    """A document read and repaired, waiting for its batch to be classified."""

    slot: int  # its row's index in the shard's documents
    item: RawDocument
    doc: Prepared
    site: str | None


def prepare_item(
    item: RawDocument, config: CleanConfig, doc: Prepared | None = None, steps: Steps = NO_STEPS
) -> tuple[Prepared, str | None]:
    """``item`` decoded, extracted (HTML) and repaired (unless ``doc`` is that already),
    and its site: the one its URL or the page itself names. Raises what preparing
    raises."""
    if doc is None:
        doc = prepare(item.content, config, is_html=item.is_html, url=item.url, steps=steps)
    return doc, source_of(item.url or doc.url)


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


def process_shard(
    shard: Shard,
    output: Path,
    config: CleanConfig,
    read_opts: ReadOptions,
    run_started: datetime,
    repeated: dict[str, dict[int, int]] | None = None,
    duplicates: dict[str, str] | None = None,
    progress: Progress | None = None,
    prepared: PreparedSource | None = None,
    recipe: Recipe | None = None,
) -> ShardMarker:
    """Read, clean and write one shard; return its marker (counts included).

    Documents are repaired one by one and classified in batches (BATCH_DOCS,
    BATCH_BYTES). ``repeated``: per site, the lines seen in enough documents (the
    counting pass). ``duplicates``: doc_id -> the doc_id that keeps the text
    (``--dedup``). ``progress``: called now and then with the documents and bytes done.
    ``prepared``: the documents the counting pass already repaired (not repaired again).
    ``recipe``: what the output depends on (default: ``config`` and ``read_opts``, no
    dedup), recorded in the marker.
    """
    t0, started = time.perf_counter(), datetime.now(UTC).isoformat(timespec="seconds")
    steps = Steps()
    out = ShardWriter(run_started, read_opts.keep_raw_bytes)
    pending: list[Pending] = []
    pending_bytes = done_items = done_bytes = 0
    for item in timed_read(read_piece_items(shard, read_opts), steps):
        done_items += 1
        done_bytes += _size(item)
        if progress is not None:
            progress(done_items, done_bytes)
        if isinstance(item, Reject):
            out.reject(item)
            continue
        kept = (duplicates or {}).get(item.doc_id)
        if kept is not None:
            out.duplicate(item, kept)
            continue
        try:
            with steps("reuse"):
                known = prepared.take(done_items - 1, item.doc_id) if prepared else None
            doc, site = prepare_item(item, config, known, steps)
        except Exception as exc:  # a bug must cost one document, never the shard
            out.failed(item, exc)
            continue
        pending.append(Pending(out.reserve(), item, doc, site))
        pending_bytes += len(item.raw_bytes)
        if len(pending) >= BATCH_DOCS or pending_bytes >= BATCH_BYTES:
            clean_pending(pending, config, repeated, out, steps)
            with steps("rows"):
                out.flush()
            pending, pending_bytes = [], 0
    clean_pending(pending, config, repeated, out, steps)
    with steps("rows"):
        tables = out.tables()
    marker = ShardMarker(
        index=shard.index,
        key=shard.key,
        recipe=recipe or Recipe.of(RunOptions(config=config, read=read_opts)),
        inputs=[
            {"source": p.file.rel, "fingerprint": p.file.fingerprint, "piece": [p.start, p.stop]}
            for p in shard.pieces
        ],
        worker=f"{socket.gethostname()}:{os.getpid()}",
        repaired_by_counting=prepared.taken if prepared else 0,
        started=started,
        seconds=round(time.perf_counter() - t0, 3),
        steps=steps.as_dict(),  # the marker file's copy: what preceded the write
        bytes=shard.size,
        counts={
            "documents": out.n_rows["documents"],
            "duplicates": out.n_dups,
            "kept_repeated_lines": out.n_kept_repeated,
            "rejects": out.n_rows["rejects"],
            "removed_lines": out.n_rows["removals"],
            "removed_by_category": dict(sorted(out.removed.items())),
            "rejects_by_error": dict(sorted(out.rejected.items())),
            "fixes": dict(sorted(out.fixes.items())),
            "chars_in": out.chars_in,
            "chars_out": out.chars_out,
        },
    )
    with steps("write"):
        marker = write_shard(output, shard.index, tables, marker)
    return dataclasses.replace(marker, steps=steps.as_dict())


def clean_pending(
    pending: list[Pending],
    config: CleanConfig,
    repeated: dict[str, dict[int, int]] | None,
    out: ShardWriter,
    steps: Steps = NO_STEPS,
) -> None:
    """Classify a batch of repaired documents together. If the batch fails (a bug),
    each document is cleaned alone, so the bug costs only the documents it hits."""
    if not pending:
        return
    try:
        results = clean_pending_batch(pending, config, repeated, steps)
    except Exception:
        results = []
        for p in pending:
            try:
                results.extend(clean_pending_batch([p], config, repeated))
            except Exception as exc:
                results.append(exc)
    with steps("rows"):
        for p, result in zip(pending, results, strict=True):
            if isinstance(result, CleanResult):
                out.cleaned(p.slot, p.item, result)
            else:
                out.failed(p.item, result)


def clean_pending_batch(
    pending: list[Pending],
    config: CleanConfig,
    repeated: dict[str, dict[int, int]] | None,
    steps: Steps = NO_STEPS,
) -> list[CleanResult | Exception]:
    stats = [
        LineStats(repeated[p.site]) if repeated and p.site in repeated else None for p in pending
    ]
    return list(
        clean_batch(
            [p.doc for p in pending],
            config,
            is_html=[p.item.is_html for p in pending],
            titles=[p.item.title for p in pending],
            line_stats=stats,
            sources=[p.site for p in pending],
            steps=steps,
        )
    )


def clean_items(
    items: list[RawDocument], config: CleanConfig, repeated: dict[str, dict[int, int]] | None
) -> list[CleanResult | Exception]:
    """Documents as a shard cleans them, in one batch: per document its result, or the
    error that rejects it."""
    pending: list[Pending] = []
    out: list[CleanResult | Exception | None] = [None] * len(items)
    for k, item in enumerate(items):
        try:
            pending.append(Pending(k, item, *prepare_item(item, config)))
        except Exception as exc:
            out[k] = exc
    if pending:
        for p, result in zip(pending, clean_pending_batch(pending, config, repeated), strict=True):
            out[p.slot] = result
    return [r for r in out if r is not None]


def clean_item(
    item: RawDocument, config: CleanConfig, repeated: dict[str, dict[int, int]] | None
) -> CleanResult:
    """One document as a shard cleans it (a batch of one); raises its error."""
    (result,) = clean_items([item], config, repeated)
    if isinstance(result, Exception):
        raise result
    return result


def merge_counts(markers: list[ShardMarker]) -> dict[str, Any]:
    """Totals over shards."""
    total: dict[str, Any] = {
        "documents": 0,
        "duplicates": 0,
        "kept_repeated_lines": 0,
        "rejects": 0,
        "removed_lines": 0,
        "chars_in": 0,
        "chars_out": 0,
    }
    maps: dict[str, Counter[str]] = {
        k: Counter() for k in ("removed_by_category", "rejects_by_error", "fixes")
    }
    for m in markers:
        c = m.counts
        for k in total:
            total[k] += c.get(k, 0)  # markers of earlier versions lack the newer counts
        for k, counter in maps.items():
            counter.update(c[k])
    return {**total, **{k: dict(sorted(v.items())) for k, v in maps.items()}}
