"""Phase 3, clean: one task per shard (``clean_shard``) reads its documents, takes
each one the counting pass repaired (else repairs it), classifies its lines in
batches and stages its parts and marker under ``_staging/`` (``data/dataset.py``).
Nothing is published here: that is the commit's. No Prefect here: clean_corpus.py
wraps ``clean_shard``.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cleaners import CleanConfig, CleanResult, LineStats
from cleaners.core import Prepared, clean_batch
from cleaners.timing import NO_STEPS, Steps

from . import interrupt
from .count import Counting, Progress, prepare_item
from .data.dataset import write_shard
from .data.documents import RawDocument, ReadOptions, Reject
from .data.readers import read_pieces_sized, timed_read
from .data.records import ShardWriter
from .data.storage import as_path
from .options import RunOptions
from .plan import Plan, Shard
from .runners import Whole
from .state.markers import Recipe, ShardMarker
from .state.prepared import PreparedSource, drop_prepared, open_prepared
from .state.progress import ProgressFile, Tally, run_tallied

# Documents cleaned together (one column of lines, one model call), bounded in count
# and in bytes so a batch's memory stays small. Classifying the devset's noisy pages
# in a loop (one jemalloc arena, as flows/__init__ sets): peak RSS 350 MB at 4 MB
# batches, 295 at 2 MB, 270 at 1 MB; time +8 % at 2 MB, +25 % at 1 MB.
BATCH_DOCS = 1000
BATCH_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Cleaned:
    """What clean hands commit: the markers of the shards this run cleaned."""

    markers: tuple[ShardMarker, ...]


@dataclass
class Pending:
    """A document read and repaired, waiting for its batch to be classified."""

    slot: int  # its row's index in the shard's documents
    item: RawDocument
    doc: Prepared
    site: str | None


def clean_shard(
    shard: Shard,
    output: str,
    opts: RunOptions,
    run_started: str,
    repeated: Whole[dict[str, dict[int, int]]],
    duplicates: Whole[dict[str, str]],
) -> ShardMarker:
    """The task body: read, clean and stage one shard (arguments cross processes: the
    large ones are handed over Whole, so that Prefect does not walk them)."""
    out, todo = as_path(output), shard
    with open_prepared(out, todo.index, todo.key, opts.config.fingerprint()) as prepared:
        marker = process_shard(
            todo,
            out,
            opts.config,
            opts.read,
            datetime.fromisoformat(run_started),
            repeated.value,
            duplicates.value,
            ProgressFile(out, "clean", todo.index),
            prepared,
            Recipe.of(opts),
        )
    drop_prepared(out, todo.index)
    return marker


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
    """Read, clean and stage one shard; return its marker (counts included).

    Documents are repaired one by one and classified in batches (BATCH_DOCS,
    BATCH_BYTES). ``repeated``: per site, the lines seen in enough documents (the
    counting pass). ``duplicates``: doc_id -> the doc_id that keeps the text
    (``--dedup``). ``progress``: called now and then with the documents and bytes done.
    ``prepared``: the documents the counting pass already repaired, by doc_id (not
    repaired again). ``recipe``: what the output depends on (default: ``config`` and
    ``read_opts``, no dedup), recorded in the marker.
    """
    t0, started = time.perf_counter(), datetime.now(UTC).isoformat(timespec="seconds")
    steps = Steps()
    out = ShardWriter(run_started, read_opts.keep_raw_bytes)
    pending: list[Pending] = []
    pending_bytes = done_items = 0
    for item, done_bytes in timed_read(read_pieces_sized(shard.pieces, read_opts), steps):
        done_items += 1
        if progress is not None:
            progress(done_items, done_bytes)
        if isinstance(item, Reject):
            out.reject(item)
            continue
        if (kept := (duplicates or {}).get(item.doc_id)) is not None:
            out.duplicate(item, kept)
            continue
        try:
            with steps("reuse"):
                known = prepared.take(item.doc_id) if prepared else None
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
    recipe = recipe or Recipe.of(RunOptions(config=config, read=read_opts))
    return stage_shard(shard, output, out, recipe, prepared, steps, (started, t0))


def stage_shard(
    shard: Shard,
    output: Path,
    out: ShardWriter,
    recipe: Recipe,
    prepared: PreparedSource | None,
    steps: Steps,
    began: tuple[str, float],
) -> ShardMarker:
    """Stage the shard's tables and its marker; the marker, with the write's time."""
    with steps("rows"):
        tables = out.tables()
    marker = dataclasses.replace(
        shard_marker(shard, recipe, out, prepared.taken if prepared else 0),
        started=began[0],
        seconds=round(time.perf_counter() - began[1], 3),
        steps=steps.as_dict(),  # the marker file's copy: what preceded the write
    )
    with steps("write"):
        marker = write_shard(output, shard.index, tables, marker)
    return dataclasses.replace(marker, steps=steps.as_dict())


def shard_marker(shard: Shard, recipe: Recipe, out: ShardWriter, reused: int) -> ShardMarker:
    """The marker of a cleaned shard: what it was made from, and its counts."""
    return ShardMarker(
        index=shard.index,
        key=shard.key,
        recipe=recipe,
        inputs=[
            {"source": p.file.rel, "fingerprint": p.file.fingerprint, "piece": [p.start, p.stop]}
            for p in shard.pieces
        ],
        worker=f"{socket.gethostname()}:{os.getpid()}",
        repaired_by_counting=reused,
        bytes=shard.size,
        counts=out.counts(),
    )


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


def clean(
    plan: Plan,
    out: Path,
    opts: RunOptions,
    run_started: datetime,
    counting: Counting,
    label: str = "",
) -> Cleaned:
    """One clean_shard task per shard still to do; their markers."""
    if not plan.todo:
        return Cleaned(())
    markers: list[ShardMarker] = []

    def done(shard: Shard, marker: ShardMarker) -> tuple[int, int]:
        markers.append(marker)
        interrupt.shard_done()
        return marker.counts["documents"] + marker.counts["rejects"], shard.size

    run_tallied(
        clean_shard,
        plan.todo,
        Tally(out, "clean", f"{label} cleaning".strip(), sum(s.size for s in plan.todo)),
        opts,
        index=lambda s: s.index,
        arguments=lambda s: {"shard": s},
        done=done,
        shared={
            "output": str(out),
            "opts": opts,
            "run_started": run_started.isoformat(),
            # a million entries in a large run: not walked
            "repeated": Whole(counting.repeated),
            "duplicates": Whole(counting.duplicates),
        },
    )
    return Cleaned(tuple(markers))
