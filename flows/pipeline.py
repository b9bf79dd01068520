"""A run's pipeline, plan -> count -> clean -> commit, without Prefect in it.

The Prefect flow and tasks (clean_corpus.py) wrap these functions; a run without
Prefect's API calls them directly, its tasks' bodies on a plain pool (runners.plain),
so neither the run's process nor its workers import Prefect. What to run is plan.py's,
the per-shard work shards.py's, who is a copy of whom dedup.py's. One task per shard
(and per group of shards for counting), never one per document.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from cleaners.timing import Steps

from . import __version__, interrupt, runners
from .dataset import (
    ensure_parts,
    promote,
    read_marker,
    remove_empty_staging,
    remove_partial_files,
    remove_stale,
    write_manifest,
)
from .dedup import Measured, decide
from .incremental import clear_pending, dataset_lock, next_index, save_seen
from .linestats import (
    counted_ids,
    load_counted,
    load_counts,
    save_counted,
    save_counts,
)
from .markers import Recipe, ShardMarker
from .options import RunOptions
from .plan import Plan, inputs_of, make_plan
from .prepared import PreparedSink, drop_prepared, open_prepared, prepared_path
from .progress import ProgressFile, Tally
from .runners import Whole, is_plain, run_in_order, slots, submit
from .shards import Shard, count_groups, measure_shard, merge_counts, process_shard
from .storage import as_path, is_remote, write_atomic


def count_lines(
    shards: list[dict[str, Any]], output: str, options: dict[str, Any], keep: list[int]
) -> Measured:
    """The counting pass over a group of shards: each document's site, signature and
    line hashes (documents counted in earlier runs are only located). For the shards
    in ``keep`` (those still to clean), what it prepared is kept for the cleaning pass."""
    opts = RunOptions.from_dict(options)
    out = as_path(output)
    skip = counted_ids(out)
    report = ProgressFile(out, "count", shards[0]["index"])
    kept = set(keep)
    measured = Measured()
    items = done = 0
    for data in shards:
        shard = Shard.from_dict(data)

        def progress(n: int, b: int, at: tuple[int, int] = (items, done)) -> None:
            report(at[0] + n, at[1] + b)

        measured.extend(count_shard(shard, out, opts, skip, progress, shard.index in kept))
        items, done = items + 1, done + shard.size
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


def clean_shard(
    shard: dict[str, Any],
    output: str,
    options: dict[str, Any],
    run_started: str,
    repeated: Whole[dict[str, dict[int, int]]],
    duplicates: Whole[dict[str, str]],
) -> ShardMarker:
    """Read, clean and write one shard (arguments are plain values, the large ones handed
    over Whole: they cross processes)."""
    opts = RunOptions.from_dict(options)
    out, todo = as_path(output), Shard.from_dict(shard)
    fingerprint = opts.config.fingerprint()
    with open_prepared(out, todo.index, todo.key, fingerprint) as prepared:
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


def run_corpus(
    input: str = "seeds",
    output: str = "output",
    options: dict[str, Any] | None = None,
    prefix: str = "",
) -> dict[str, Any]:
    """Clean every document under ``input`` into the Parquet dataset at ``output``.

    ``options``: a ``RunOptions.to_dict()``; ``prefix`` goes before every source (a
    backfill's partition). Returns the run's summary (also in ``_manifest.json``).
    """
    interrupt.rearm()
    t0 = time.perf_counter()
    run_started = datetime.now(UTC).replace(microsecond=0)
    opts = RunOptions.from_dict(options or {})
    out = as_path(output)
    if not is_remote(out):  # an object store has no folders to make
        out.mkdir(parents=True, exist_ok=True)
    phases, counting = Steps(), Steps()
    with dataset_lock(out):
        remove_partial_files(out)
        with phases("plan"):
            plan = make_plan(inputs_of(input, out, prefix), out, opts)
        interrupt.planned(len(plan.shards), len(plan.done))
        with phases("count"):
            counts, counted, repeated, duplicates = count(plan, out, opts, prefix, counting)
        with phases("clean"):
            ran = clean(plan, out, opts, run_started, repeated, duplicates, prefix)
        profile = {"phases": phases, "count": counting.as_dict()}
        with interrupt.committing():
            return commit(plan, out, opts, counts, counted, ran, input, run_started, t0, profile)


def count(
    plan: Plan, out: Path, opts: RunOptions, label: str = "", steps: Steps | None = None
) -> tuple[Any, list, dict, dict]:
    """The counting pass over every shard of the plan, then the decisions over the
    whole run: line counts (each article once per site) and duplicates. ``steps``
    gets the tasks' seconds per step, and the decision's."""
    steps = steps if steps is not None else Steps()
    counts = load_counts(out)
    counted = load_counted(out)
    if not plan.todo or not (opts.config.strip_boilerplate or opts.dedup != "off"):
        return counts, counted, counts.frequent(opts.config.repeated_line_min_docs), {}
    groups = count_groups(plan.shards, opts.shard_bytes)
    tally = Tally(out, "count", f"{label} counting".strip(), sum(s.size for s in plan.shards))
    send = functools.partial(
        submit,
        count_lines,
        output=str(out),
        options=opts.to_dict(),
        keep=[s.index for s in plan.todo],
    )
    measured = Measured()
    try:
        for group, result in run_in_order(
            lambda g: _started(tally, g[0].index, send(shards=[s.to_dict() for s in g])),
            groups,
            slots(opts),
            tally.poll,
        ):
            measured.extend(result)
            tally.finished(group[0].index, result.items, sum(s.size for s in group))
        tally.complete()
    finally:
        tally.close()
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
        repeated = counts.frequent(opts.config.repeated_line_min_docs)
    return counts, counted + decision.counted, repeated, decision.duplicates


def _started(tally: Tally, index: int, future: Any) -> Any:
    tally.started(index)
    return future


def clean(
    plan: Plan,
    out: Path,
    opts: RunOptions,
    run_started: datetime,
    repeated: dict,
    duplicates: dict,
    label: str = "",
) -> list[ShardMarker]:
    """One clean_shard task per shard still to do; their markers."""
    if not plan.todo:
        return []
    tally = Tally(out, "clean", f"{label} cleaning".strip(), sum(s.size for s in plan.todo))
    send = functools.partial(
        submit,
        clean_shard,
        output=str(out),
        options=opts.to_dict(),
        run_started=run_started.isoformat(),
        repeated=Whole(repeated),  # a million entries in a large run: not walked
        duplicates=Whole(duplicates),
    )
    markers = []
    try:
        for shard, marker in run_in_order(
            lambda s: _started(tally, s.index, send(shard=s.to_dict())),
            plan.todo,
            slots(opts),
            tally.poll,
        ):
            markers.append(marker)
            interrupt.shard_done()
            counts = marker.counts
            tally.finished(shard.index, counts["documents"] + counts["rejects"], shard.size)
        tally.complete()
    finally:
        tally.close()
    return markers


def commit(
    plan: Plan,
    out: Path,
    opts: RunOptions,
    counts: Any,
    counted: list,
    ran: list[ShardMarker],
    input: str,
    run_started: datetime,
    t0: float,
    profile: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Make the run's result the dataset: move the staged shards into place, drop stale
    parts, save the state, make sure every table has a part, then the manifest (written
    last) and an artifact. ``profile``: the run's phases (a Steps) and the counting
    pass's steps, to which the cleaning tasks' steps and the commit's time are added."""
    t_commit = time.perf_counter()
    promote(out, plan.keep)
    drop_prepared(out)
    remove_empty_staging(out)
    remove_stale(out, plan.keep if plan.keep is not None else set(range(next_index(out))))
    save_counts(out, counts)
    save_counted(out, counted)
    save_seen(out, plan.identities)
    clear_pending(out)
    ensure_parts(out, plan.first_index)
    indexes = sorted(plan.keep) if plan.keep is not None else range(next_index(out))
    dataset = [m for i in indexes if (m := read_marker(out, i))]
    summary = {
        "input": os.fspath(input),
        "output": str(out),
        "mode": "incremental" if plan.incremental else "mirror",
        **merge_counts(ran),
        "shards": len(plan.shards),
        "shards_run": len(ran),
        "shards_skipped": len(plan.done),
        "seconds": round(time.perf_counter() - t0, 3),
        "dataset": merge_counts(dataset),
    }
    if profile is not None:
        summary["profile"] = profile_of(profile, ran, time.perf_counter() - t_commit)
    write_manifest(
        out,
        {
            "textwash_version": __version__,
            "config": opts.config.to_dict(),
            "config_fingerprint": opts.config.fingerprint(),
            "read_options": dataclasses.asdict(opts.read),
            "dedup": opts.dedup,
            "run_started": run_started.isoformat(),
            "mode": summary["mode"],
            "summary": summary,
            "shards": [m.to_dict() for m in dataset],
        },
    )
    if not is_plain():  # no API, no artifact: the manifest is the record
        _artifact(summary)
    return summary


def profile_of(profile: dict[str, Any], ran: list[ShardMarker], commit: float) -> dict:
    """Where a run's time went: the flow's phases (seconds, wall clock) and, summed over
    the tasks, the steps of counting and of cleaning (seconds of work: with two
    workers, about twice the phase's wall time)."""
    phases: Steps = profile["phases"]
    phases.add("commit", commit)
    cleaning = Steps()
    for marker in ran:
        cleaning.merge(marker.steps)
    return {"phases": phases.as_dict(), "count": profile["count"], "clean": cleaning.as_dict()}


def summary_markdown(summary: dict[str, Any]) -> str:
    """The run summary as the ``textwash-run-summary`` Prefect artifact."""
    dataset = summary.get("dataset", {})
    lines = ["# textwash run", "", "| measure | this run | dataset |", "|---|---|---|"]
    for key in ("documents", "duplicates", "rejects", "removed_lines", "chars_in", "chars_out"):
        lines.append(f"| {key} | {summary.get(key)} | {dataset.get(key)} |")
    for key in ("input", "output", "mode", "shards_run", "shards_skipped", "seconds"):
        lines.append(f"| {key} | {summary.get(key)} | |")
    for section in ("removed_by_category", "rejects_by_error", "fixes"):
        if summary.get(section):
            lines += ["", f"## {section} (this run)", "", "| name | count |", "|---|---|"]
            lines += [f"| {k} | {v} |" for k, v in summary[section].items()]
    return "\n".join(lines) + "\n"


def _artifact(summary: dict[str, Any]) -> None:
    try:
        from prefect.artifacts import create_markdown_artifact

        create_markdown_artifact(
            summary_markdown(summary),
            key="textwash-run-summary",
            description="textwash clean_corpus summary",
        )
    except Exception:  # an artifact is a convenience; the manifest is the record
        pass


def run_clean_corpus(
    input: str, output: str, options: RunOptions | None = None, *, plain: bool | None = None
) -> dict[str, Any]:
    """Clean ``input`` into ``output`` from Python, on the options' task runner: with
    Prefect's API, as the ``clean_corpus`` flow; without (``plain``; by default when no
    Prefect API is configured or running on this machine), the same body in this
    process, without importing Prefect."""
    options = options or RunOptions()
    params = {"input": str(input), "output": str(output)}
    if _plain(plain):
        with runners.plain(options):
            return run_corpus(options=options.to_dict(), **params)
    from .clean_corpus import clean_corpus

    return run_prefect_flow(clean_corpus, options, **params)


def clean_partitions(
    partitions: list[str], output: str, options: dict[str, Any] | None, corpus: Any = None
) -> list[dict[str, Any]]:
    """Clean each partition into ``OUTPUT/<partition name>/``; every source starts with
    the partition's name, so sources and doc_ids are unique across partitions.
    ``corpus``: how to clean one (the clean_corpus flow, a subflow; else ``run_corpus``)."""
    from .partitions import partition_name, partition_output

    corpus = corpus or run_corpus
    return [
        corpus(
            input=partition,
            output=partition_output(output, partition),
            options=options,
            prefix=partition_name(partition),
        )
        for partition in partitions
    ]


def run_backfill(
    partitions: list[str], output: str, options: RunOptions, *, plain: bool | None = None
) -> list[dict[str, Any]]:
    """``clean_partitions`` as ``run_clean_corpus`` runs one input."""
    params = {"partitions": partitions, "output": str(output)}
    if _plain(plain):
        with runners.plain(options):
            return clean_partitions(options=options.to_dict(), **params)
    from .backfill import backfill_partitions

    return run_prefect_flow(backfill_partitions, options, **params)


def _plain(plain: bool | None) -> bool:
    from .runtime import find_api_url

    return find_api_url() is None if plain is None else plain


def run_prefect_flow(flow_fn: Any, options: RunOptions, **params: Any) -> Any:
    """Run a Prefect flow on the task runner ``options`` asks for, without the per-flow
    heartbeat thread (runs are short-lived; it costs ~1 s at flow end)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    configured = flow_fn.with_options(task_runner=runners.task_runner(options))
    with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        return configured(options=options.to_dict(), **params)
