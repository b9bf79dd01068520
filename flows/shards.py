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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cleaners import CleanConfig, CleanResult, ExtractionError, LineStats, clean_document
from cleaners.core import line_keys, source_of

from . import __version__
from .dataset import write_shard
from .readers import InputFile, Piece, RawDocument, ReadOptions, Reject, read_piece, split_file


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


# Counting a byte costs about a fifth of cleaning it: the counting pass takes shards
# in groups four times larger, so its tasks last about as long as cleaning ones and
# Prefect's per-task cost is paid a quarter as often.
COUNT_GROUP = 4


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


def _utf8(value: str | None) -> str | None:
    """Strings Parquet can hold: lone surrogates (from JSON escapes or file names that
    are not UTF-8) become visible escapes rather than failing the shard."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _reject_row(r: Reject, run_started: datetime) -> dict[str, Any]:
    return {
        "source": _utf8(r.source),
        "position": r.position,
        "error": r.error,
        "message": _utf8(r.message),
        "raw": r.raw,
        "raw_size": r.raw_size,
        "rejected_at": run_started,
        "textwash_version": __version__,
    }


def count_shard(
    shard: Shard, config: CleanConfig, read_opts: ReadOptions, skip: set[str]
) -> tuple[dict[str, Counter[str]], list[str]]:
    """The counting pass: for each text document with a source (its site) and not in
    ``skip``, one per distinct line. Returns (counts per source, doc_ids counted)."""
    counts: dict[str, Counter[str]] = {}
    counted: list[str] = []
    for piece in shard.pieces:
        for item in read_piece(piece, read_opts):
            if isinstance(item, Reject) or item.is_html:
                continue  # HTML lines exist only after extraction: trafilatura's job
            source = source_of(item.url)
            if source is None or item.doc_id in skip:
                continue
            try:
                keys = line_keys(item.content, config)
            except Exception:  # the cleaning pass will reject it with the reason
                continue
            counts.setdefault(source, Counter()).update(keys)
            counted.append(item.doc_id)
    return counts, counted


def _clean_item(
    item: RawDocument,
    config: CleanConfig,
    repeated: dict[str, dict[str, int]] | None,
    run_started: datetime,
) -> tuple[dict[str, Any], list[dict[str, Any]], CleanResult]:
    """One document's rows; built whole before anything is appended, so a failure
    half-way leaves no stray row."""
    source = source_of(item.url)
    stats = LineStats(repeated[source]) if repeated and source in repeated else None
    result = clean_document(
        item.content,
        config,
        is_html=item.is_html,
        url=item.url,
        line_stats=stats,
        source=source,
    )
    doc_id = item.doc_id
    doc = {
        "doc_id": doc_id,
        "source": _utf8(item.source),
        "source_id": _utf8(item.source_id),
        "url": _utf8(item.url or result.url),
        "title": _utf8(result.title),
        "text": _utf8(result.text),
        "author": _utf8(result.author),
        "published": result.date,
        "sitename": _utf8(result.sitename),
        "input_format": item.input_format,
        "input_sha256": item.sha256,
        "encoding": result.encoding,
        "fixes": result.fixes,
        "n_chars_in": result.n_chars_in,
        "n_chars_out": result.n_chars_out,
        "n_removed": len(result.removed),
        "cleaned_at": run_started,
        "textwash_version": __version__,
    }
    removals = [
        {
            "doc_id": doc_id,
            "line_no": r.line_no,
            "category": r.category,
            "rule": r.rule,
            "text": _utf8(r.text),
        }
        for r in result.removed
    ]
    return doc, removals, result


def process_shard(
    shard: Shard,
    output: Path,
    config: CleanConfig,
    read_opts: ReadOptions,
    run_started: datetime,
    repeated: dict[str, dict[str, int]] | None = None,
) -> dict[str, Any]:
    """Read, clean and write one shard; return its marker (counts included).

    ``repeated``: per source, the lines seen in enough documents (the counting pass).
    """
    t0, started = time.perf_counter(), datetime.now(UTC).isoformat(timespec="seconds")
    rows: dict[str, list[dict]] = {"documents": [], "removals": [], "rejects": []}
    removed: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    fixes: Counter[str] = Counter()
    chars_in = chars_out = 0
    for piece in shard.pieces:
        for item in read_piece(piece, read_opts):
            if isinstance(item, Reject):
                rows["rejects"].append(_reject_row(item, run_started))
                rejected[item.error] += 1
                continue
            try:
                doc_row, removal_rows, result = _clean_item(item, config, repeated, run_started)
            except ExtractionError as exc:
                reject = Reject(
                    item.source,
                    exc.reason,
                    str(exc),
                    item.position,
                    item.raw_bytes[: read_opts.keep_raw_bytes],
                    len(item.raw_bytes),
                )
            except Exception as exc:  # a bug must cost one document, never the shard
                last = traceback.extract_tb(exc.__traceback__)[-1]
                raw = item.raw_bytes
                reject = Reject(
                    item.source,
                    "internal_error",
                    f"{type(exc).__name__}: {exc} (at {Path(last.filename).name}:{last.lineno})",
                    item.position,
                    raw if len(raw) <= read_opts.keep_raw_bytes else None,
                    len(raw),
                )
            else:
                rows["documents"].append(doc_row)
                rows["removals"].extend(removal_rows)
                removed.update(r["category"] for r in removal_rows)
                fixes.update(result.fixes)
                chars_in += result.n_chars_in
                chars_out += result.n_chars_out
                continue
            rows["rejects"].append(_reject_row(reject, run_started))
            rejected[reject.error] += 1
    marker = {
        "index": shard.index,
        "key": shard.key,
        "config": config.fingerprint(),
        "textwash_version": __version__,
        "inputs": [
            {"source": p.file.rel, "fingerprint": p.file.fingerprint, "piece": [p.start, p.stop]}
            for p in shard.pieces
        ],
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "started": started,
        "seconds": round(time.perf_counter() - t0, 3),
        "counts": {
            "documents": len(rows["documents"]),
            "rejects": len(rows["rejects"]),
            "removed_lines": len(rows["removals"]),
            "removed_by_category": dict(sorted(removed.items())),
            "rejects_by_error": dict(sorted(rejected.items())),
            "fixes": dict(sorted(fixes.items())),
            "chars_in": chars_in,
            "chars_out": chars_out,
        },
    }
    write_shard(output, shard.index, rows, marker)
    return marker


def merge_counts(markers: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over shards."""
    total: dict[str, Any] = {
        "documents": 0,
        "rejects": 0,
        "removed_lines": 0,
        "chars_in": 0,
        "chars_out": 0,
    }
    maps: dict[str, Counter[str]] = {
        k: Counter() for k in ("removed_by_category", "rejects_by_error", "fixes")
    }
    for m in markers:
        c = m["counts"]
        for k in total:
            total[k] += c[k]
        for k, counter in maps.items():
            counter.update(c[k])
    return {**total, **{k: dict(sorted(v.items())) for k, v in maps.items()}}
