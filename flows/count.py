"""Phase 2, count: read and repair every document once, and measure it.

Per shard (a task, ``count_lines``), each document's site, signature (an exact hash
and a MinHash) and line hashes; what it repaired is kept for the cleaning pass
(``state/prepared.py``), keyed by doc_id. Then, over the whole run (``count``), the
decisions: which lines repeat on a site (each article once), and who is a copy of
whom (``dedup.py``). No Prefect here: clean_corpus.py wraps ``count_lines``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cleaners import CleanConfig
from cleaners.core import Prepared, count_keys, prepare, source_of
from cleaners.dedup import minhash, text_hash
from cleaners.signals import line_keys
from cleaners.timing import NO_STEPS, Steps

from .data.documents import RawDocument, ReadOptions, Reject
from .data.readers import read_pieces_sized, timed_read
from .data.storage import as_path, write_atomic
from .dedup import Counted, Counts, Measured, decide
from .options import RunOptions
from .plan import MIN_SHARD_BYTES, Plan, Shard, shard_target
from .state.linestats import counted_ids, load_counted, load_counts
from .state.prepared import PreparedSink, prepared_path
from .state.progress import ProgressFile, Tally, run_tallied

Progress = Callable[[int, int], None]  # (documents and rejects so far, bytes so far)

# Counting costs more than cleaning (it repairs each document, for both passes, and
# computes its MinHash: about 60 % of a run on the devset's noisy pages), so its tasks
# take one shard each, like cleaning ones. Kept as a knob: counts add up, so grouping
# never changes a result.
COUNT_GROUP = 1


@dataclass(frozen=True)
class Counting:
    """What count hands clean and commit."""

    counts: Counts  # line counts per site, the dataset's and this run's
    counted: tuple[Counted, ...]  # every document counted, in the order counted
    repeated: dict[str, dict[int, int]]  # per site, the lines in enough documents
    duplicates: dict[str, str]  # doc_id -> the doc_id that keeps the text


def count_groups(plan: list[Shard] | tuple[Shard, ...], max_bytes: int) -> list[list[Shard]]:
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


def prepare_item(
    item: RawDocument, config: CleanConfig, doc: Prepared | None = None, steps: Steps = NO_STEPS
) -> tuple[Prepared, str | None]:
    """``item`` decoded, extracted (HTML) and repaired (unless ``doc`` is that already),
    and its site: the one its URL or the page itself names. Raises what preparing
    raises."""
    if doc is None:
        doc = prepare(item.content, config, is_html=item.is_html, url=item.url, steps=steps)
    return doc, source_of(item.url or doc.url)


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
    ``sink`` keeps every document prepared, by doc_id, for the cleaning pass."""
    measured = Measured()
    steps = Steps()
    items = timed_read(read_pieces_sized(shard.pieces, read_opts), steps)
    for pos, (item, done_bytes) in enumerate(items):
        measured.items += 1
        if progress is not None:
            progress(pos + 1, done_bytes)
        if isinstance(item, Reject):
            continue
        if item.doc_id in skip:
            measured.known[item.doc_id] = (shard.index, pos)  # plan order, for first copies
            continue
        if item.is_html and not html:
            continue
        try:
            doc, site = prepare_item(item, config, steps=steps)
        except Exception:  # the cleaning pass rejects it, with the reason
            continue
        if sink is not None:
            with steps("keep"):
                sink.add(item.doc_id, doc)
        text = doc.text
        with steps("hash"):
            keys = line_keys(text)  # one normalization for the line counts and the MinHash
            lines = () if item.is_html or site is None else count_keys(text, config, keys)
            exact, sig = text_hash(text), minhash(text, keys)
        measured.add(item.doc_id, site, (shard.index, pos), exact, sig, lines)
    measured.steps = steps.as_dict()
    return measured


def count_shard(
    shard: Shard, out: Path, opts: RunOptions, skip: set[str], progress: Any, keep: bool
) -> Measured:
    """Count one shard; with ``keep``, write what it prepared for the cleaning pass."""
    html = opts.dedup != "off"
    if not keep:
        return measure_shard(shard, opts.config, opts.read, skip, html, progress)
    measured = []

    def spill(fh: IO[bytes]) -> None:
        sink = PreparedSink(fh, shard.key, opts.config.fingerprint())
        measured.append(measure_shard(shard, opts.config, opts.read, skip, html, progress, sink))
        sink.close()

    write_atomic(prepared_path(out, shard.index), spill)
    return measured[0]


def count_lines(shards: list[Shard], output: str, opts: RunOptions, keep: list[int]) -> Measured:
    """The task body: the counting pass over a group of shards (documents counted in
    earlier runs are only located). For the shards in ``keep`` (those still to clean),
    what it prepared is kept for the cleaning pass."""
    out = as_path(output)
    skip = counted_ids(out)
    report = ProgressFile(out, "count", shards[0].index)
    kept = set(keep)
    measured = Measured()
    items = done = 0
    for shard in shards:

        def progress(n: int, b: int, at: tuple[int, int] = (items, done)) -> None:
            report(at[0] + n, at[1] + b)

        measured.extend(count_shard(shard, out, opts, skip, progress, shard.index in kept))
        items, done = items + 1, done + shard.size
    return measured


def count(
    plan: Plan, out: Path, opts: RunOptions, label: str = "", steps: Steps | None = None
) -> Counting:
    """One count_lines task per group of shards still to clean, then the decisions over
    the whole run. ``steps`` gets the tasks' seconds per step, and the decision's."""
    steps = steps if steps is not None else Steps()
    counts, counted = load_counts(out), load_counted(out)
    min_docs = opts.config.repeated_line_min_docs
    if not plan.todo or not (opts.config.strip_boilerplate or opts.dedup != "off"):
        return Counting(counts, tuple(counted), counts.frequent(min_docs), {})
    measured = _measure(plan, out, opts, label)
    steps.merge(measured.steps)
    with steps("decide"):
        decision = decide(
            counted,
            measured,
            jaccard=opts.config.near_duplicate_jaccard,
            dedup=opts.dedup,
            incremental=opts.incremental,
        )
        counts = counts.merged(decision.counts)
        repeated = counts.frequent(min_docs)
    return Counting(counts, tuple(counted + decision.counted), repeated, decision.duplicates)


def _measure(plan: Plan, out: Path, opts: RunOptions, label: str) -> Measured:
    groups = count_groups(plan.shards, opts.shard_bytes)
    measured = Measured()

    def done(group: list[Shard], result: Measured) -> tuple[int, int]:
        measured.extend(result)
        return result.items, sum(s.size for s in group)

    run_tallied(
        count_lines,
        groups,
        Tally(out, "count", f"{label} counting".strip(), sum(s.size for s in plan.shards)),
        opts,
        index=lambda g: g[0].index,
        arguments=lambda g: {"shards": g},
        done=done,
        shared={
            "output": str(out),
            "opts": opts,
            "keep": [s.index for s in plan.todo],
        },
    )
    return measured
